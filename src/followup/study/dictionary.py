"""A REDCap data dictionary: the questionnaire's fields, forms, choices, validation and branching.

``load_dictionary`` reads the CSV REDCap exports (its exact 18-column header; older files with
fewer trailing columns are accepted) and checks every rule in REDCAP_FORMAT.md, collecting all the
problems before raising one DictionaryError that lists them by row and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from followup.study.choices import TRUE_FALSE, YES_NO, Choice, checkbox_column
from followup.study.dictionary_rows import CHOICE_TYPES, FIELD_TYPES, HEADER, RowReader
from followup.study.errors import DictionaryError, Problem
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


@dataclass(frozen=True)
class DataDictionary:
    """The fields in file order; the first is the record ID."""

    source: str
    fields: tuple[Field, ...]

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
    """Read a data dictionary CSV; DictionaryError lists every problem by row and column."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DictionaryError(str(path), [Problem(None, None, f"cannot read: {error}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problem = Problem(
            None, None, f"is not UTF-8 text (byte {error.start + 1}); save as CSV UTF-8"
        )
        raise DictionaryError(str(path), [problem]) from None
    return read_dictionary(text, source=str(path))


def read_dictionary(text: str, *, source: str = "data dictionary") -> DataDictionary:
    """Parse dictionary CSV text (see load_dictionary)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    problems: list[Problem] = []
    if not rows:
        raise DictionaryError(source, [Problem(1, None, "the file is empty")])
    _check_header(rows[0], problems)
    if problems:
        raise DictionaryError(source, problems)
    fields = [
        field
        for number, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
        and (field := RowReader(number, row, problems).field(Field)) is not None
    ]
    _check_structure(fields, problems)
    if problems:
        raise DictionaryError(source, sorted(problems, key=lambda p: p.row or 0))
    return DataDictionary(source, tuple(fields))


def _check_header(header: list[str], problems: list[Problem]) -> None:
    cells = [cell.strip() for cell in header]
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > len(HEADER):
        problems.append(
            Problem(1, cells[len(HEADER)], f"a REDCap dictionary has {len(HEADER)} columns")
        )
    for index, (got, expected) in enumerate(zip(cells, HEADER, strict=False)):
        if got != expected:
            problems.append(
                Problem(1, got or f"column {index + 1}", f"header should be '{expected}'")
            )
    if len(cells) < 6:
        problems.append(
            Problem(
                1,
                None,
                "this is not a REDCap data dictionary: the header should start "
                f"'{HEADER[0]},{HEADER[1]},{HEADER[2]},…'",
            )
        )


def _check_structure(fields: list[Field], problems: list[Problem]) -> None:
    if not fields:
        problems.append(Problem(2, None, "the dictionary has no fields"))
        return
    first = fields[0]
    if first.field_type != "text":
        problems.append(
            Problem(
                first.row,
                HEADER[3],
                f"the first field '{first.name}' is the record ID and must be of type text",
            )
        )
    seen: dict[str, int] = {}
    for field in fields:
        if field.name in seen:
            problems.append(
                Problem(
                    field.row,
                    HEADER[0],
                    f"'{field.name}' is already defined in row {seen[field.name]}",
                )
            )
        seen.setdefault(field.name, field.row)
    _check_forms(fields, problems)
    _check_references(fields, problems)


def _check_forms(fields: list[Field], problems: list[Problem]) -> None:
    finished: set[str] = set()
    previous = fields[0].form
    names = {f.name for f in fields}
    for field in fields:
        if field.form != previous:
            finished.add(previous)
            if field.form in finished:
                problems.append(
                    Problem(
                        field.row,
                        HEADER[1],
                        f"rows of form '{field.form}' must be together; "
                        "it appeared before and another form came between",
                    )
                )
            previous = field.form
    for form in dict.fromkeys(f.form for f in fields):
        if f"{form}_complete" in names:
            row = next(f.row for f in fields if f.name == f"{form}_complete")
            problems.append(
                Problem(
                    row,
                    HEADER[0],
                    f"'{form}_complete' is REDCap's status field of form "
                    f"'{form}'; choose another name",
                )
            )


def _check_references(fields: list[Field], problems: list[Problem]) -> None:
    by_name = {f.name: f for f in fields}
    statuses = {f"{f.form}_complete" for f in fields}
    for field in fields:
        for column, logic in ((HEADER[11], field.branching), (HEADER[5], field.calculation)):
            for reference in logic.references if logic else ():
                target = by_name.get(reference.field)
                if target is None:
                    if reference.field in statuses and reference.code is None:
                        continue
                    problems.append(
                        Problem(
                            field.row,
                            column,
                            f"refers to [{reference.field}] at character "
                            f"{reference.position}, which is not a field",
                        )
                    )
                elif reference.code is not None and (
                    target.field_type != "checkbox" or target.label_of(reference.code) is None
                ):
                    problems.append(
                        Problem(
                            field.row,
                            column,
                            f"[{reference.field}({reference.code})] at "
                            f"character {reference.position}: '{reference.field}' has no "
                            f"checkbox option '{reference.code}'",
                        )
                    )


__all__ = ["CHOICE_TYPES", "FIELD_TYPES", "TRUE_FALSE", "YES_NO", "DataDictionary", "Field"]
