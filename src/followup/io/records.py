"""A REDCap flat export of records, raw or label, read against its data dictionary.

All or nothing: every problem (unknown column, unknown choice, a date that is not a date, a
duplicated record ID) is collected with its row and column, and one RecordsError lists them.
Values are kept as the raw strings REDCap stores — record IDs stay text, leading zeros and all —
and a label export is translated back to raw codes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from followup.io.record_headers import ColumnMap, map_columns
from followup.study import DataDictionary, Problem
from followup.study.errors import ProblemsError
from followup.study.record_ids import record_id_problem
from followup.study.validation import is_missing_code
from followup.study.values import FORM_STATUS, read_status, read_value


class RecordsError(ProblemsError):
    """A records file that cannot be imported; nothing of it was."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(source, problems, "nothing was imported;")


@dataclass(frozen=True)
class Record:
    """One record's raw values by export column ('' = blank), its hospital, and its file row."""

    record_id: str
    values: Mapping[str, str]
    access_group: str
    row: int

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(frozen=True)
class RecordSet:
    """Records in file order, with the dictionary that reads them."""

    dictionary: DataDictionary
    records: tuple[Record, ...]
    source: str

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


def load_records(
    path: str | Path, dictionary: DataDictionary, *, missing_codes: Collection[str] = ()
) -> RecordSet:
    """Read a REDCap CSV export (raw or label) of ``dictionary``'s records.

    ``missing_codes`` are the study's missing-data codes, accepted in any field but checkboxes.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise RecordsError(str(path), [Problem(None, None, f"cannot read: {error}")]) from None
    except UnicodeDecodeError as error:
        message = f"is not UTF-8 text (byte {error.start + 1}); save as CSV UTF-8"
        raise RecordsError(str(path), [Problem(None, None, message)]) from None
    return read_records(text, dictionary, source=str(path), missing_codes=missing_codes)


def read_records(
    text: str,
    dictionary: DataDictionary,
    *,
    source: str = "records",
    missing_codes: Collection[str] = (),
) -> RecordSet:
    """Parse export CSV text (see load_records)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or not any(c.strip() for c in rows[0]):
        raise RecordsError(source, [Problem(1, None, "the file is empty")])
    problems: list[Problem] = []
    columns = map_columns([c.strip() for c in rows[0]], rows[1:], dictionary, problems)
    if problems:
        raise RecordsError(source, problems)
    records: list[Record] = []
    first_row: dict[str, tuple[int, str]] = {}
    codes = frozenset(missing_codes)
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        record = _record(number, cells, columns, codes, problems)
        key = record.record_id.casefold()  # REDCap: 'abc' and 'ABC' are one record
        if record.record_id and key in first_row:
            row, spelled = first_row[key]
            same = "" if spelled == record.record_id else f" (as '{spelled}': IDs ignore case)"
            problems.append(
                Problem(
                    number,
                    dictionary.record_id,
                    f"record '{record.record_id}' is already in row {row}{same}",
                )
            )
        first_row.setdefault(key, (number, record.record_id))
        records.append(record)
    if problems:
        raise RecordsError(source, problems)
    return RecordSet(dictionary, tuple(records), source)


def _record(
    number: int,
    cells: list[str],
    columns: ColumnMap,
    codes: frozenset[str],
    problems: list[Problem],
) -> Record:
    if len(cells) != len(columns.header):
        problems.append(
            Problem(
                number,
                None,
                f"has {len(cells)} cells but the header has "
                f"{len(columns.header)} (a stray comma or an unquoted line break?)",
            )
        )
    values: dict[str, str] = {}
    group = ""
    for header, cell in zip(columns.header, cells, strict=False):
        column = columns.column_of[header]
        if column == "redcap_data_access_group":
            group = cell.strip()
            continue
        values[column] = _raw_value(number, header, column, cell, columns, codes, problems)
    record_id = values.get(columns.dictionary.record_id, "").strip()
    problem = record_id_problem(record_id)
    if problem:
        problems.append(Problem(number, columns.dictionary.record_id, problem))
    return Record(record_id, values, group, number)


def _raw_value(
    number: int,
    header: str,
    column: str,
    cell: str,
    columns: ColumnMap,
    codes: frozenset[str],
    problems: list[Problem],
) -> str:
    """The raw value of one cell, translated from a label when the file is a label export."""
    if "\x00" in cell:
        problems.append(Problem(number, header, "contains a NUL character (a damaged file?)"))
        return ""
    raw = columns.raw_of(column, cell)
    try:
        if column in columns.statuses:
            read_status(raw)
        elif is_missing_code(columns.owner[column], raw, codes):
            pass  # a missing-data code stands for the value, whatever the field's type
        else:
            read_value(columns.owner[column], raw)
    except ValueError as error:
        hint = ""
        if columns.labels and column in columns.statuses:
            hint = f" (labels: {', '.join(FORM_STATUS.values())})"
        problems.append(Problem(number, header, f"{error}{hint}"))
        return ""
    keep_as_typed = column in columns.owner and columns.owner[column].field_type == "notes"
    return raw if keep_as_typed else raw.strip()
