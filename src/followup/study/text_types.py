"""Text validation types: how a raw value of a ``text`` field is read and checked.

Raw values are what REDCap exports: dates as YYYY-MM-DD whatever the entry format, numbers with
a dot. Reading returns the value as Python has it (date, datetime, int, float, str) or a message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

Parsed = dt.date | dt.datetime | int | float | str


@dataclass(frozen=True)
class TextType:
    """One validation type: its reader and the words for what it expects."""

    name: str
    expects: str
    read: Callable[[str], Parsed | None]  # None: not valid
    ordered: bool  # min/max apply


def _date(text: str) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _datetime(seconds: bool) -> Callable[[str], dt.datetime | None]:
    pattern = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}" + (r":\d{2}" if seconds else "")

    def read(text: str) -> dt.datetime | None:
        if not re.fullmatch(pattern, text):
            return None
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return None

    return read


def _integer(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else None


def _number(decimals: int | None, comma: bool = False) -> Callable[[str], float | None]:
    mark = "," if comma else r"\."
    if decimals is None:
        pattern = rf"[-+]?(\d+({mark}\d*)?|{mark}\d+)"
    else:
        pattern = rf"[-+]?\d*{mark}\d{{{decimals}}}"

    def read(text: str) -> float | None:
        if not re.fullmatch(pattern, text):
            return None
        return float(text.replace(",", ".")) if comma else float(text)

    return read


def _time(pattern: str) -> Callable[[str], str | None]:
    return lambda text: text if re.fullmatch(pattern, text) else None


def _matches(pattern: str) -> Callable[[str], str | None]:
    return lambda text: text if re.fullmatch(pattern, text) else None


def _any(text: str) -> str:
    return text


_TYPES = [
    TextType("date_ymd", "a date as YYYY-MM-DD", _date, True),
    TextType("date_mdy", "a date (exported as YYYY-MM-DD)", _date, True),
    TextType("date_dmy", "a date (exported as YYYY-MM-DD)", _date, True),
    TextType("datetime_ymd", "a date and time as YYYY-MM-DD HH:MM", _datetime(False), True),
    TextType("datetime_mdy", "a date and time as YYYY-MM-DD HH:MM", _datetime(False), True),
    TextType("datetime_dmy", "a date and time as YYYY-MM-DD HH:MM", _datetime(False), True),
    TextType("datetime_seconds_ymd", "YYYY-MM-DD HH:MM:SS", _datetime(True), True),
    TextType("datetime_seconds_mdy", "YYYY-MM-DD HH:MM:SS", _datetime(True), True),
    TextType("datetime_seconds_dmy", "YYYY-MM-DD HH:MM:SS", _datetime(True), True),
    TextType("time", "a time as HH:MM", _time(r"([01]\d|2[0-3]):[0-5]\d"), True),
    TextType(
        "time_hh_mm_ss", "a time as HH:MM:SS", _time(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d"), True
    ),
    TextType("time_mm_ss", "a time as MM:SS", _time(r"[0-5]\d:[0-5]\d"), True),
    TextType("integer", "a whole number", _integer, True),
    TextType("number", "a number", _number(None), True),
    *[
        TextType(f"number_{d}dp", f"a number with {d} decimals", _number(d), True)
        for d in range(1, 5)
    ],
    TextType("number_comma_decimal", "a number with a decimal comma", _number(None, True), True),
    *[
        TextType(
            f"number_{d}dp_comma_decimal",
            f"a number with {d} decimals after a comma",
            _number(d, True),
            True,
        )
        for d in range(1, 5)
    ],
    TextType("alpha_only", "letters only", _matches(r"[A-Za-z]+"), False),
    TextType("email", "an e-mail address", _matches(r"[^@\s]+@[^@\s]+\.[^@\s]+"), False),
]
_LOOSE = [
    "phone",
    "phone_australia",
    "phone_uk",
    "zipcode",
    "postalcode_australia",
    "postalcode_canada",
    "postalcode_french",
    "postalcode_germany",
    "ssn",
    "mrn_10d",
    "mrn_generic",
    "vmrn",
    "signature",
]
TEXT_TYPES: dict[str, TextType] = {t.name: t for t in _TYPES} | {
    name: TextType(name, name, _any, False) for name in _LOOSE
}
