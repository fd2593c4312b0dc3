"""The layouts REDCap writes records in, all turned into one flat table (a header and rows).

* flat CSV (one row per record, event and instance) — REDCap's usual export and import file;
* JSON (``format=json``): a list of such rows as objects;
* EAV CSV (``type=eav``): one row per value — ``record, [event_id | redcap_event_name],
  field_name, value[, redcap_repeat_instrument, redcap_repeat_instance]``;
* "records as columns" (REDCap's import template's other orientation): the first column holds
  field names under the header ``Variable / Field Name``, each further column is a record.

In the flat table of JSON and EAV files, row n is the (n − 1)th record of the file.
"""

from __future__ import annotations

import json

from followup.study.choices import checkbox_column
from followup.study.csv_text import CsvTextError, csv_rows
from followup.study.errors import Problem

Table = tuple[list[str], list[list[str]]]
_EAV_KEYS = ("record", "field_name", "value")
_ROW_KEYS = ("redcap_event_name", "event_id", "redcap_repeat_instrument", "redcap_repeat_instance")


class LayoutError(ValueError):
    """A file that is no layout of records REDCap writes; the problem is located."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def flat_table(text: str, record_id: str, checkboxes: frozenset[str] = frozenset()) -> Table:
    """Header and rows of a records file in any of REDCap's layouts.

    ``record_id`` names the record-ID column of an EAV file's flat table; ``checkboxes`` are the
    checkbox fields, whose EAV rows hold a ticked option's code.
    """
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith(("[", "{")):
        return _from_json(text)
    try:
        rows = csv_rows(text)
    except CsvTextError as error:
        raise LayoutError(Problem(error.line, None, str(error))) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise LayoutError(Problem(1, None, "the file is empty"))
    header = [cell.strip() for cell in rows[0]]
    if header[0] == "Variable / Field Name" and "Record" in header[1:2]:
        return _from_columns(rows)
    if all(key in header for key in _EAV_KEYS) and header[0] == "record":
        return _from_eav(header, rows[1:], record_id, checkboxes)
    return header, rows[1:]


def _from_json(text: str) -> Table:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise LayoutError(Problem(error.lineno, None, f"is not valid JSON: {error.msg}")) from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise LayoutError(
            Problem(
                None,
                None,
                "is not a REDCap records export: a JSON export is a list of records, "
                "each an object of field names and values",
            )
        )
    header: list[str] = []
    for item in items:
        header.extend(key for key in item if key not in header)
    rows = [[_text(item.get(key, "")) for key in header] for item in items]
    return header, rows


def _text(value: object) -> str:
    """A JSON value as REDCap's text: numbers as written, null as blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _from_columns(rows: list[list[str]]) -> Table:
    width = max(len(row) for row in rows)
    grid = [row + [""] * (width - len(row)) for row in rows]
    names = [row[0].strip() for row in grid[1:]]
    records = [
        [row[column] for row in grid[1:]]
        for column in range(1, width)
        if any(row[column].strip() for row in grid[1:])
    ]
    return names, records


def _from_eav(
    header: list[str], rows: list[list[str]], record_id: str, checkboxes: frozenset[str]
) -> Table:
    """One flat row per (record, event, instrument, instance), columns in first-seen order."""
    index = {name: header.index(name) for name in header}
    keys_present = [k for k in _ROW_KEYS if k in index]
    columns: list[str] = []
    flat: dict[tuple[str, ...], dict[str, str]] = {}
    for cells in rows:
        if not any(c.strip() for c in cells):
            continue
        cell = dict(zip(header, cells, strict=False))
        key = (cell.get("record", ""), *(cell.get(k, "") for k in keys_present))
        row = flat.setdefault(key, {})
        field, value = cell.get("field_name", "").strip(), cell.get("value", "")
        if field in checkboxes:
            field, value = checkbox_column(field, value.strip()), "1"
        if field == record_id:
            continue
        if field not in columns:
            columns.append(field)
        row[field] = value
    system = ["redcap_event_name" if k == "event_id" else k for k in keys_present]
    out_header = [record_id, *system, *columns]
    out_rows = [[key[0], *key[1:], *(row.get(c, "") for c in columns)] for key, row in flat.items()]
    return out_header, out_rows
