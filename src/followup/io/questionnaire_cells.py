"""One cell of the Excel questionnaire: a raw value written as Excel shows it, and read back.

Dates and date-times are real Excel dates (formatted yyyy-mm-dd), whole numbers and numbers are
numbers, choices their labels (the dropdown's entries), a checkbox option Checked or Unchecked,
text as it is. Reading accepts what Excel makes of what a person types: a date typed into a text
cell becomes a date, 12 typed into a number cell comes back as 12.0, a choice's code instead of
its label. A missing-data code is written as ``UNK — Unknown`` in a choice cell and as ``UNK``
elsewhere, and both read back as ``UNK``. Text a spreadsheet would run as a formula is written
through ``safe_cell`` (a leading ') and read back without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import cast

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from followup.io.questionnaire_layout import Column
from followup.study.csv_text import safe_cell
from followup.study.values import read_value

CellValue = str | int | float | bool | dt.datetime | dt.date | dt.time | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE_KINDS = ("date", "datetime", "datetime_seconds")
CELL_LIMIT = 32_767  # characters Excel keeps in one cell


class CellError(ValueError):
    """A cell that cannot be read: ``kind`` is wrong_type or unknown_choice."""

    def __init__(self, kind: str, shown: str) -> None:
        super().__init__(shown)
        self.kind = kind
        self.shown = shown


def missing_entry(code: str, label: str) -> str:
    """A missing-data code as a dropdown offers it."""
    return f"{code} — {label}" if label else code


def cell_value(column: Column, raw: str) -> CellValue:
    """What the workbook holds for a raw value, formulas made text."""
    if raw == "":
        return None
    codes = dict(column.missing)
    if column.kind == "checkbox":
        return safe(dict(column.choices).get(raw, raw))
    if raw in codes:
        return safe(missing_entry(raw, codes[raw]) if column.kind == "choice" else raw)
    if column.kind in ("choice", "status"):
        return safe(dict(column.choices).get(raw, raw))
    return safe(_typed(column, raw))


def safe(value: CellValue) -> CellValue:
    """A value as it may be written into a cell: text a spreadsheet would run is made text.

    Characters a workbook cannot hold (control characters) are left out, and text is cut at
    Excel's 32,767 characters of a cell; an upload compares cells as written, so a value shown
    shortened is not taken for a change unless its cell is edited.
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[: CELL_LIMIT - 1]  # room for a quote
    return cast(CellValue, safe_cell(value))


def _typed(column: Column, raw: str) -> CellValue:
    """A date, date-time or number as Excel's own value; anything else (or unreadable) as text."""
    if column.field is None or column.kind not in (*_DATE_KINDS, "integer", "number"):
        return raw
    try:
        value = read_value(column.field, raw)
    except ValueError:
        return raw
    if isinstance(value, dt.datetime | dt.date):
        return value
    if column.kind == "integer" and isinstance(value, int):
        return value if abs(value) < 2**53 else raw
    if column.kind == "number" and isinstance(value, float):
        return value if _fixed(value, column.decimals) == raw else raw
    return raw


def unquoted(text: str) -> str:
    """Text as it was before ``safe_cell`` quoted it."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


def raw_value(column: Column, value: CellValue) -> str:
    """The raw value a cell holds; CellError when it is not one the column takes."""
    text = _text(column, value)
    if column.kind == "checkbox":
        if text == "":
            return "0"
        return _choice(column, text)
    if text == "":
        return ""
    codes = dict(column.missing)
    for code, label in codes.items():
        if text in (code, missing_entry(code, label)):
            return code
    if column.kind in ("choice", "status"):
        return _choice(column, text)
    if column.field is not None and column.kind != "text":
        try:
            read_value(column.field, text)
        except ValueError:
            raise CellError("wrong_type", text) from None
    return text


def _choice(column: Column, text: str) -> str:
    for code, label in column.choices:
        if text == label:
            return code
    for code, _label in column.choices:
        if text == code:
            return code
    if column.kind == "checkbox" and text in ("1", "0"):
        return text
    raise CellError("unknown_choice", text)


def _text(column: Column, value: CellValue) -> str:
    """A cell as raw text: dates as REDCap stores them, whole floats without .0, ends trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return _moment(column, value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        decimals = column.decimals if column.kind == "number" else None
        return _fixed(value, decimals)
    text = ILLEGAL_CHARACTERS_RE.sub("", unquoted(str(value)))  # NUL and other controls
    if column.kind == "text" and column.field is not None and column.field.field_type == "notes":
        return text.replace("\r\n", "\n").strip()
    return text.strip()


def _moment(column: Column, value: dt.datetime | dt.date | dt.time) -> str:
    """A date, date-time or time as REDCap stores it."""
    if isinstance(value, dt.datetime):
        if column.kind == "datetime":
            return value.strftime("%Y-%m-%d %H:%M")
        if column.kind == "datetime_seconds" or value.time() != dt.time():
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _fixed(value: float, decimals: int | None) -> str:
    """A float as a number is typed: 12 not 12.0, a fixed count of decimals where asked."""
    if decimals is not None:
        return f"{value:.{decimals}f}"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def shown(column: Column, value: CellValue) -> str:
    """A cell as compared with another: its raw value, or its text when it cannot be read."""
    try:
        return raw_value(column, value)
    except CellError as problem:
        return "\x00" + problem.shown  # never equal to a readable value


def row_digest(columns: Sequence[Column], values: Mapping[str, CellValue]) -> str:
    """A fingerprint of a row's cells as read back: equal when nobody changed the row."""
    cells = [shown(c, values.get(c.column)) for c in columns]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]
