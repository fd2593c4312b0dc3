"""Reading one raw value of a field: what it means, or why it cannot be read."""

from __future__ import annotations

import datetime as dt
import re

from followup.study._logic_values import as_number
from followup.study.dictionary import Field
from followup.study.text_types import Parsed, read_limit, reorder_date

FORM_STATUS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}


def read_value(field: Field, raw: str) -> Parsed | None:
    """The value of ``raw`` for ``field`` (None when blank); ValueError says what was expected.

    A checkbox's raw value is one option's column: 1 or 0.
    """
    text = raw.strip()
    if text == "":
        return None
    if field.field_type == "checkbox":
        if text not in ("0", "1"):
            raise ValueError(f"'{raw}' should be 1 (ticked) or 0 (not ticked)")
        return int(text)
    if field.choices:
        if field.label_of(text) is None:
            codes = ", ".join(f"{c.code} ({c.label})" for c in field.choices)
            raise ValueError(f"'{raw}' is not one of the codes {codes}")
        return text
    if field.field_type == "text" and field.text_type is not None:
        value = field.text_type.read(text)
        if value is None:
            raise ValueError(f"'{raw}' is not {field.text_type.expects}")
        return value
    return _number_of(field, raw, text)


def _number_of(field: Field, raw: str, text: str) -> Parsed:
    """A slider's whole number in its range, a calc's number; other fields' text as it is."""
    if field.field_type == "slider":
        low, high = slider_range(field)
        if not re.fullmatch(r"-?[0-9]+", text) or not low <= int(text) <= high:
            raise ValueError(f"'{raw}' should be a whole number from {low} to {high}")
        return int(text)
    if field.field_type == "calc":
        number = as_number(text)
        if number is None:
            raise ValueError(f"'{raw}' is not a number (a calculated field)")
        return number
    return text


def slider_range(field: Field) -> tuple[int, int]:
    """A slider's lowest and highest value (REDCap's default 0 to 100)."""
    low = int(field.minimum) if re.fullmatch(r"-?[0-9]+", field.minimum) else 0
    high = int(field.maximum) if re.fullmatch(r"-?[0-9]+", field.maximum) else 100
    return low, high


def limit_of(field: Field, which: str) -> Parsed | None:
    """The field's minimum or maximum as a value ('today' is today's date)."""
    text = field.minimum if which == "min" else field.maximum
    if not text or field.text_type is None:
        return None
    if text.lower() in ("today", "now"):
        return dt.date.today()
    value = read_limit(text, field.text_type)
    return value if isinstance(value, (dt.date, int, float, str)) else None


def read_status(raw: str) -> str | None:
    """A form-status code (0/1/2), or None when blank; ValueError otherwise."""
    text = raw.strip()
    if text == "":
        return None
    if text not in FORM_STATUS:
        raise ValueError(f"'{raw}' should be 0 (Incomplete), 1 (Unverified) or 2 (Complete)")
    return text


def as_stored(raw: str, field: Field, date_format: str = "YMD", decimal_comma: bool = False) -> str:
    """A value as REDCap stores it (Y-M-D dates, decimal point).

    For a file that writes dates M/D/Y or D/M/Y (REDCap's import option dateFormat) or numbers
    with a decimal comma; other values are unchanged.
    """
    text_type = field.text_type
    text = raw.strip()
    if text_type is None or not text:
        return raw
    if text_type.kind in ("date", "datetime") and date_format in ("MDY", "DMY"):
        text = reorder_date(text, date_format)
    if text_type.name.startswith("datetime_seconds") and re.fullmatch(
        r".+ [0-9]{1,2}:[0-9][0-9]", text
    ):
        return text + ":00"  # REDCap's import completes the seconds
    if text_type.kind in ("date", "datetime") and date_format in ("MDY", "DMY"):
        return text
    if decimal_comma and text_type.kind == "number" and "comma" not in text_type.name:
        return text.replace(",", ".", 1) if text.count(",") == 1 and "." not in text else raw
    return raw
