"""Reading one raw value of a field: what it means, or why it cannot be read."""

from __future__ import annotations

import datetime as dt

from followup.study.dictionary import Field
from followup.study.text_types import Parsed, read_limit

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
    if field.field_type == "calc":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"'{raw}' is not a number (a calculated field)") from None
    return text


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
