"""A REDCap data dictionary: the questionnaire's fields, forms, choices, validation and branching.

``load_dictionary`` reads what REDCap's data-dictionary upload reads: the CSV its Data Dictionary
page writes (18 columns; older files with fewer trailing columns too), the metadata its API and
clients export (``field_name,form_name,…`` as CSV or JSON). It checks REDCap's own upload rules
(REDCAP_FORMAT.md), no stricter: every error is collected, each once and at its cause, and one
DictionaryError lists them by row and column; what REDCap would fix itself is fixed and kept in
``DataDictionary.warnings``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from followup.study.action_tags import ActionTag, all_logic
from followup.study.choices import TRUE_FALSE, YES_NO, Choice, checkbox_column
from followup.study.csv_text import CsvTextError, csv_rows
from followup.study.dictionary_checks import check_structure
from followup.study.dictionary_rows import API_HEADER, CHOICE_TYPES, FIELD_TYPES, HEADER, RowReader
from followup.study.errors import DictionaryError, Problem
from followup.study.inputs import MAX_DEFINITION, InputError, read_input
from followup.study.logic import Logic
from followup.study.text_types import TextType


@dataclass(frozen=True)
class Field:
    """One row of the dictionary, read and checked."""

    name: str
    form: str
    field_type: str
    label: str
    section_header: str
    note: str
    choices: tuple[Choice, ...]
    text_type: TextType | None
    minimum: str
    maximum: str
    identifier: bool
    branching: Logic
    required: bool
    calculation: Logic | None
    annotation: str
    row: int
    validation: str = ""  # as written (legacy names rewritten): date_dmy, signature, autocomplete…
    action_tags: tuple[ActionTag, ...] = ()
    alignment: str = ""
    matrix_group: str = ""
    options_text: str = ""  # column F as written: a slider's labels, a calc, an sql query

    @property
    def export_columns(self) -> tuple[str, ...]:
        """Its columns in a raw export: one per checkbox option, none for descriptive text."""
        if self.field_type == "checkbox":
            return tuple(checkbox_column(self.name, c.code) for c in self.choices)
        if self.field_type == "descriptive":
            return ()
        return (self.name,)

    @property
    def holds_data(self) -> bool:
        """Descriptive fields are text on the form, not data."""
        return self.field_type != "descriptive"

    def label_of(self, code: str) -> str | None:
        """The label of a choice code, or None if the code is not one of the choices."""
        return next((c.label for c in self.choices if c.code == code), None)

    def tag(self, name: str) -> ActionTag | None:
        """The first action tag of that name (``@DEFAULT``) outside any @IF, or None."""
        return next((t for t in self.action_tags if t.name == name), None)

    @property
    def computed(self) -> Logic | None:
        """What computes its value: a calc's formula, @CALCTEXT or @CALCDATE; None if typed."""
        if self.calculation is not None:
            return self.calculation
        tag = self.tag("@CALCTEXT") or self.tag("@CALCDATE")
        return tag.logic if tag is not None else None

    def expressions(self) -> list[tuple[str, Logic]]:
        """Every expression of the row with the column it is written in (to check references)."""
        found: list[tuple[str, Logic]] = [(HEADER[11], self.branching)]
        if self.calculation is not None:
            found.append((HEADER[5], self.calculation))
        found.extend((HEADER[17], logic) for _, logic in all_logic(self.action_tags))
        return found


@dataclass(frozen=True)
class DataDictionary:
    """The fields in file order; the first is the record ID."""

    source: str
    fields: tuple[Field, ...]
    warnings: tuple[Problem, ...] = dataclasses.field(default=(), compare=False)

    @property
    def record_id(self) -> str:
        """The record-ID field's name (the first field)."""
        return self.fields[0].name

    @property
    def forms(self) -> tuple[str, ...]:
        """Form names in order of first appearance."""
        return tuple(dict.fromkeys(f.form for f in self.fields))

    def field(self, name: str) -> Field:
        """The field called name (KeyError if there is none)."""
        return self._by_name()[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name()

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def _by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def form_fields(self, form: str) -> tuple[Field, ...]:
        """The fields of one form, in order."""
        return tuple(f for f in self.fields if f.form == form)

    def export_columns(self) -> tuple[str, ...]:
        """A raw export's data columns: each form's fields, then its ``<form>_complete``."""
        columns: list[str] = []
        for form in self.forms:
            for field in self.form_fields(form):
                columns.extend(field.export_columns)
            columns.append(f"{form}_complete")
        return tuple(columns)

    def column_owner(self) -> dict[str, Field]:
        """Each export data column and the field it belongs to."""
        return {column: f for f in self.fields for column in f.export_columns}


def load_dictionary(path: str | Path) -> DataDictionary:
    """Read a data dictionary (CSV, or the API's JSON); DictionaryError lists every problem."""
    path = Path(path)
    try:
        raw = read_input(path, MAX_DEFINITION)
    except (OSError, InputError) as error:
        raise DictionaryError(str(path), [Problem(None, None, f"cannot read: {error}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = Problem(
            None, None, f"is not UTF-8 text (byte {error.start + 1}); save as CSV UTF-8"
        )
        raise DictionaryError(str(path), [problem]) from None
    return read_dictionary(text, source=str(path))


def read_dictionary(
    text: str, *, source: str = "data dictionary", record_id_row: bool = True
) -> DataDictionary:
    """Parse dictionary text: CSV with REDCap's or the API's header, or the API's JSON.

    ``record_id_row`` False reads an instrument (REDCap's instrument ZIP): a form's fields
    without the project's record-ID field first.
    """
    rows = dictionary_table(text.lstrip("\ufeff"), source)
    problems: list[Problem] = []
    if not rows:
        raise DictionaryError(source, [Problem(1, None, "the file is empty")])
    _check_header(rows[0], problems)
    if any(p.severity == "error" for p in problems):
        raise DictionaryError(source, problems)
    rows = [rows[0], *_without_r_missing(rows[1:], problems)]
    fields = [
        made
        for number, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
        and (made := RowReader(number, row, problems).field(Field)) is not None
    ]
    fields = check_structure(fields, problems, record_id_row=record_id_row)
    errors = sorted((p for p in problems if p.severity == "error"), key=lambda p: p.row or 0)
    if errors:
        raise DictionaryError(source, errors)
    warnings = tuple(p for p in problems if p.severity == "warning")
    return DataDictionary(source, tuple(fields), warnings)


# Columns where R's "NA" cannot be meant as text: a client written in R writes NA for blank.
_NOT_TEXT = (3, 5, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17)


def _without_r_missing(rows: list[list[str]], problems: list[Problem]) -> list[list[str]]:
    """Rows with R's NA read as blank where a column cannot hold it, noted once."""
    cleaned, seen = [], 0
    for row in rows:
        new = [
            "" if index in _NOT_TEXT and cell.strip() == "NA" else cell
            for index, cell in enumerate(row)
        ]
        seen += new != row
        cleaned.append(new)
    if seen:
        problems.append(
            Problem(
                None,
                None,
                f"{seen} rows have NA where REDCap writes a blank (a file written by R); "
                "read as blank",
                "warning",
            )
        )
    return cleaned


def dictionary_table(text: str, source: str) -> list[list[str]]:
    """The header and rows of a dictionary, from CSV or from the API's JSON (list of objects)."""
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as error:
            problem = Problem(error.lineno, None, f"is not valid JSON: {error.msg}")
            raise DictionaryError(source, [problem]) from None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problem = Problem(None, None, "JSON metadata should be a list of field objects")
            raise DictionaryError(source, [problem])
        return [list(API_HEADER)] + [
            [str(i.get(key, "") or "") for key in API_HEADER] for i in items
        ]
    try:
        return csv_rows(text)
    except CsvTextError as error:
        raise DictionaryError(source, [Problem(error.line, None, str(error))]) from None


def _check_header(header: list[str], problems: list[Problem]) -> None:
    """Check the header as REDCap does, reading columns by position.

    A header that is mostly right is read as REDCap's, its odd cells noted as warnings; one that is
    not a dictionary's at all is an error.
    """
    cells = [cell.strip() for cell in header]
    while cells and not cells[-1]:
        cells.pop()
    names = API_HEADER if API_HEADER[1] in cells[:3] else HEADER
    matching = sum(got == expected for got, expected in zip(cells, names, strict=False))
    if len(cells) < 6 or matching < len(cells) / 2:
        problems.append(
            Problem(
                1,
                None,
                "this is not a REDCap data dictionary: the header should start "
                f"'{HEADER[0]},{HEADER[1]},{HEADER[2]},…' (or the API's "
                f"'{API_HEADER[0]},{API_HEADER[1]},…')",
            )
        )
        return
    if len(cells) > len(names):
        problems.append(
            Problem(1, cells[len(names)], f"a REDCap dictionary has {len(names)} columns")
        )
    for index, (got, expected) in enumerate(zip(cells, names, strict=False)):
        if got != expected:
            problems.append(
                Problem(
                    1,
                    got or f"column {index + 1}",
                    f"column {index + 1} is read as '{expected}', as REDCap reads it",
                    "warning",
                )
            )


__all__ = ["CHOICE_TYPES", "FIELD_TYPES", "TRUE_FALSE", "YES_NO", "DataDictionary", "Field"]
