"""The variables of an export as statistics packages see them: name, label, type, value labels.

One ``Variable`` per export column. Its ``kind`` says how SPSS, Stata, SAS, R and Excel store it:
``integer`` and ``number`` (numbers), ``date`` and ``datetime`` (real dates), ``text``. A choice
field whose codes are all whole numbers is an integer variable with value labels, as REDCap's own
SPSS/Stata/SAS exports make it; one with codes such as ``A``/``B`` stays text, its labels kept
for the packages that label text (SPSS, R, the Excel codes sheet). Checkbox options are 0/1 with
Unchecked/Checked, form statuses 0/1/2 with Incomplete/Unverified/Complete.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from followup.io.labels import SYSTEM_LABELS, label_header
from followup.study import DataDictionary, Field
from followup.study.values import FORM_STATUS

INTEGER, NUMBER, DATE, DATETIME, TEXT = "integer", "number", "date", "datetime", "text"
_WHOLE = re.compile(r"-?[0-9]{1,9}")
STORED_DATETIME = re.compile(  # REDCap stores date-times with a one- or two-digit hour
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
)
_CHECKBOX_LABELS = (("0", "Unchecked"), ("1", "Checked"))


@dataclass(frozen=True)
class Variable:
    """One export column: its REDCap name, label, kind and value labels (code → label)."""

    name: str
    label: str
    kind: str
    value_labels: tuple[tuple[str, str], ...] = ()
    field: str = ""  # the dictionary field it belongs to ('' for REDCap's own columns)
    form: str = ""
    choice_field: bool = False  # radio, dropdown, yes/no, true/false, checkbox, form status
    takes_codes: bool = False  # may hold a missing-data code (not a checkbox, no @NOMISSING)

    @property
    def numeric(self) -> bool:
        """Whether it is stored as a number (dates are numbers in every package, but not here)."""
        return self.kind in (INTEGER, NUMBER)


def variables(dictionary: DataDictionary, columns: Sequence[str]) -> tuple[Variable, ...]:
    """Each column's variable, in the columns' order."""
    owner = dictionary.column_owner()
    labels = dict(zip(columns, label_header(dictionary, columns), strict=True))
    found = []
    for column in columns:
        field = owner.get(column)
        found.append(_variable(column, labels[column], field, dictionary))
    return tuple(found)


def _variable(column: str, label: str, field: Field | None, dictionary: DataDictionary) -> Variable:
    if column == "redcap_repeat_instance":
        return Variable(column, label, INTEGER)
    if column in SYSTEM_LABELS:
        return Variable(column, label, TEXT)
    if column.endswith("_complete") and column[: -len("_complete")] in dictionary.forms:
        form = column[: -len("_complete")]
        return Variable(
            column, f"{label} ({form})", INTEGER, tuple(FORM_STATUS.items()), "", form, True
        )
    if field is None:
        return Variable(column, label, TEXT)
    if field.field_type == "checkbox":
        return Variable(column, label, INTEGER, _CHECKBOX_LABELS, field.name, field.form, True)
    takes_codes = "@NOMISSING" not in field.annotation.upper()
    if field.choices:
        codes = tuple((c.code, c.label) for c in field.choices)
        kind = INTEGER if all(_WHOLE.fullmatch(code) for code, _ in codes) else TEXT
        return Variable(column, label, kind, codes, field.name, field.form, True, takes_codes)
    return Variable(column, label, _kind_of(field), (), field.name, field.form, False, takes_codes)


def _kind_of(field: Field) -> str:
    if field.field_type in ("calc", "slider"):
        return NUMBER
    if field.field_type != "text" or field.text_type is None:
        return TEXT
    if field.text_type.kind == "number":
        if "comma" in field.text_type.name:
            return TEXT  # 1,5: kept as typed; packages read it as text
        return INTEGER if field.text_type.name == "integer" else NUMBER
    if field.text_type.kind in (DATE, DATETIME):
        return field.text_type.kind
    return TEXT


def typed_value(variable: Variable, raw: str) -> int | float | dt.date | dt.datetime | str | None:
    """A raw value as the variable's type; None for blank, the raw text if it does not read.

    A value that does not read as its type (a missing-data code, an old value the dictionary no
    longer allows) is returned as text for the caller to code or keep.
    """
    if raw == "":
        return None
    try:
        if variable.kind == INTEGER:
            return int(raw)
        if variable.kind == NUMBER:
            return float(raw)
        if variable.kind == DATE:
            return dt.date.fromisoformat(raw)
        if variable.kind == DATETIME:
            return _datetime(raw)
    except ValueError:
        return raw
    return raw


def _datetime(raw: str) -> dt.datetime:
    """A stored date-time (REDCap allows a one-digit hour; seconds are optional)."""
    match = STORED_DATETIME.fullmatch(raw)
    if match is None:
        raise ValueError(raw)
    day, hour, minute, second = match.groups()
    return dt.datetime.combine(
        dt.date.fromisoformat(day), dt.time(int(hour), int(minute), int(second or 0))
    )


def is_typed(variable: Variable, value: object) -> bool:
    """Whether typed_value read the value as the variable's type (not left as text)."""
    return value is not None and not (variable.kind != TEXT and isinstance(value, str))


def codes_of(rows: Sequence[Mapping[str, str]], column: str, codes: Sequence[str]) -> list[str]:
    """The missing-data codes that occur in one column, in the plan's order."""
    present = {row.get(column, "") for row in rows}
    return [code for code in codes if code in present]
