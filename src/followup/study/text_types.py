"""Text validation types: how a raw value of a ``text`` field is read and checked.

Every type REDCap ships (its ``redcap_validation_types`` table, REDCap 14–15), with REDCap's own
patterns applied to values as REDCap stores and exports them: dates as Y-M-D whatever the entry
format, date-times with a one- or two-digit hour, numbers as typed (a decimal comma kept). Reading
returns the value as Python has it (date, datetime, int, float, str) or None when it is not valid.
``LEGACY`` names the older spellings REDCap still accepts and rewrites.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

Parsed = dt.date | dt.datetime | int | float | str


@dataclass(frozen=True)
class TextType:
    """One validation type: its reader, the words for what it expects, and its kind.

    ``kind`` is date, datetime, time, number or text: what min/max and comparisons mean.
    """

    name: str
    expects: str
    read: Callable[[str], Parsed | None]  # None: not valid
    kind: str

    @property
    def ordered(self) -> bool:
        """Whether a minimum and maximum apply."""
        return self.kind != "text"


_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME_OF_DAY = r"([0-9]|[01][0-9]|2[0-3]):([0-5][0-9])"


def _date(text: str) -> dt.date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _datetime(seconds: bool) -> Callable[[str], dt.datetime | None]:
    pattern = re.compile(
        rf"([0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}) {_TIME_OF_DAY}"
        + (r":([0-5][0-9])" if seconds else "")
    )

    def read(text: str) -> dt.datetime | None:
        match = pattern.fullmatch(text)
        day = _date(match.group(1)) if match else None
        if match is None or day is None:
            return None
        second = int(match.group(4)) if seconds else 0
        return dt.datetime.combine(day, dt.time(int(match.group(2)), int(match.group(3)), second))

    return read


def _integer(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[-+]?[0-9]+", text) else None


_NUMBER = r"[-+]?[0-9]*{mark}?[0-9]+([eE][-+]?[0-9]+)?"


def _number(decimals: int | None, comma: bool = False) -> Callable[[str], float | None]:
    mark = "," if comma else r"\."
    if decimals is None:
        pattern = re.compile(_NUMBER.format(mark=mark))
    else:
        pattern = re.compile(rf"-?[0-9]+{mark}[0-9]{{{decimals}}}")

    def read(text: str) -> float | None:
        if not pattern.fullmatch(text):
            return None
        number = float(text.replace(",", ".")) if comma else float(text)
        return number if number not in (float("inf"), float("-inf")) else None

    return read


def read_number(text: str) -> float | None:
    """Any number REDCap accepts as a number's minimum or maximum (a dot or a comma decimal)."""
    return _number(None)(text) if "," not in text else _number(None, True)(text)


def _matches(pattern: str, flags: int = 0) -> Callable[[str], str | None]:
    compiled = re.compile(pattern, flags)
    return lambda text: text if compiled.fullmatch(text) else None


# Letters REDCap's e-mail pattern allows beyond ASCII, as Python character ranges.
_WIDE = (
    "\u0080-\u02af\u0300-\u07ff\u0900-\u18af\u1900-\u1a1f\u1b00-\u1b7f\u1d00-\u1fff"
    "\u20d0-\u214f\u2c00-\u2ddf\u2f00-\u2fdf\u2ff0-\u2fff\u3040-\u319f\u31c0-\ua4cf"
    "\ua700-\ua71f\ua800-\ua82f\ua840-\ua87f\uac00-\ud7af\uf900-\ufaff"
)
_LOCAL = rf"[A-Za-z0-9{_WIDE}!#$%&'*+\-/=?^_`{{|}}~]+"
_EMAIL = (
    rf"(?!\.)(?!.*\.{{2}}){_LOCAL}(\.{_LOCAL})*@(?!\.)[A-Za-z0-9{_WIDE}\-.]+"
    rf"(\.[A-Za-z{_WIDE}]{{2,63}})+"
)
_PHONE = (
    r"(?:\(?([2-9]0[1-9]|[2-9]1[02-9]|[2-9][2-9][0-9]|800|811)\)?)\s*(?:[.-]\s*)?"
    r"([2-9]1[02-9]|[2-9][02-9]1|[2-9][02-9]{2})\s*(?:[.-]\s*)?([0-9]{4})"
    r"(?:\s*(?:#|x\.?|ext\.?|extension)\s*([0-9]+))?"
)
_PHONE_UK = (
    r"((((\+44|0044)\s?[0-9]{4}|\(?0[0-9]{4}\)?)\s?[0-9]{3}\s?[0-9]{3})|(((\+44|0044)\s?[0-9]{3}|\(?0[0-9]{3}\)?)"
    r"\s?[0-9]{3}\s?[0-9]{4})|(((\+44|0044)\s?[0-9]{2}|\(?0[0-9]{2}\)?)\s?[0-9]{4}\s?[0-9]{4}))(\s?\#([0-9]{4}|[0-9]{3}))?"
)

_TYPES = [
    TextType("date_ymd", "a date as YYYY-MM-DD", _date, "date"),
    TextType("date_mdy", "a date (exported as YYYY-MM-DD)", _date, "date"),
    TextType("date_dmy", "a date (exported as YYYY-MM-DD)", _date, "date"),
    *[
        TextType(
            f"datetime_{order}", "a date and time as YYYY-MM-DD HH:MM", _datetime(False), "datetime"
        )
        for order in ("ymd", "mdy", "dmy")
    ],
    *[
        TextType(f"datetime_seconds_{order}", "YYYY-MM-DD HH:MM:SS", _datetime(True), "datetime")
        for order in ("ymd", "mdy", "dmy")
    ],
    TextType("time", "a time as HH:MM", _matches(_TIME_OF_DAY), "time"),
    TextType(
        "time_hh_mm_ss", "a time as HH:MM:SS", _matches(rf"{_TIME_OF_DAY}:[0-5][0-9]"), "time"
    ),
    TextType("time_mm_ss", "a time as MM:SS", _matches(r"[0-5][0-9]:[0-5][0-9]"), "time"),
    TextType("integer", "a whole number", _integer, "number"),
    TextType("number", "a number", _number(None), "number"),
    *[
        TextType(f"number_{d}dp", f"a number with {d} decimals", _number(d), "number")
        for d in range(1, 5)
    ],
    TextType(
        "number_comma_decimal", "a number with a decimal comma", _number(None, True), "number"
    ),
    *[
        TextType(
            f"number_{d}dp_comma_decimal",
            f"a number with {d} decimals after a comma",
            _number(d, True),
            "number",
        )
        for d in range(1, 5)
    ],
    TextType("alpha_only", "letters only", _matches(r"[a-z]+", re.IGNORECASE), "text"),
    TextType("email", "an e-mail address", _matches(_EMAIL, re.IGNORECASE), "text"),
    TextType("phone", "a North American phone number", _matches(_PHONE), "text"),
    TextType(
        "phone_australia",
        "an Australian phone number",
        _matches(r"(\(0[2-8]\)|0[2-8])\s*[0-9]{4}\s*[0-9]{4}"),
        "text",
    ),
    TextType("phone_uk", "a UK phone number", _matches(_PHONE_UK), "text"),
    TextType(
        "zipcode",
        "a U.S. ZIP code (12345 or 12345-6789)",
        _matches(r"[0-9]{5}(-[0-9]{4})?"),
        "text",
    ),
    TextType(
        "postalcode_australia", "an Australian postcode (4 digits)", _matches(r"[0-9]{4}"), "text"
    ),
    TextType(
        "postalcode_canada",
        "a Canadian postal code",
        _matches(r"[ABCEGHJKLMNPRSTVXY][0-9][A-Z]\s*[0-9][A-Z][0-9]", re.IGNORECASE),
        "text",
    ),
    TextType(
        "postalcode_french",
        "a French postal code",
        _matches(r"((0?[1-9])|([1-8][0-9])|(9[0-8]))[0-9]{3}"),
        "text",
    ),
    TextType(
        "postalcode_germany",
        "a German postal code",
        _matches(r"(0[1-9]|[1-9][0-9])[0-9]{3}"),
        "text",
    ),
    TextType(
        "postalcode_uk",
        "a UK postcode",
        _matches(r"(([A-Z]{1,2}[0-9]{1,2})|([A-Z]{1,2}[0-9][A-Z])) [0-9][ABD-HJLNP-Z]{2}"),
        "text",
    ),
    TextType(
        "ssn",
        "a U.S. social security number (123-45-6789)",
        _matches(r"[0-9]{3}-[0-9][0-9]-[0-9]{4}"),
        "text",
    ),
    TextType("mrn_10d", "a 10-digit MRN", _matches(r"[0-9]{10}"), "text"),
    TextType(
        "mrn_generic",
        "an MRN (letters, digits, - and _)",
        _matches(r"[a-z0-9\-_]+", re.IGNORECASE),
        "text",
    ),
    TextType("vmrn", "a Vanderbilt MRN (4 to 9 digits)", _matches(r"[0-9]{4,9}"), "text"),
]
TEXT_TYPES: dict[str, TextType] = {t.name: t for t in _TYPES}
LEGACY = {
    "date": "date_ymd",
    "datetime": "datetime_ymd",
    "datetime_seconds": "datetime_seconds_ymd",
    "int": "integer",
    "float": "number",
}
# Validation types that are not about a text field's value: e-signature files and search-as-you-type
# dropdowns (a slider's "number", show the number, is read with the slider).
SPECIAL = {"signature": ("file",), "autocomplete": ("dropdown", "sql")}


def read_limit(value: str, text_type: TextType) -> object:
    """A minimum or maximum as REDCap reads it: Y-M-D (or M/D/Y, D/M/Y) dates, any number."""
    if text_type.kind == "number":
        return read_number(value)
    if text_type.kind in ("date", "datetime"):
        for candidate in _date_spellings(value):
            if (read := text_type.read(candidate)) is not None:
                return read
            if text_type.kind == "datetime" and (read := _date(candidate)):
                return read
        return None
    return text_type.read(value)


def _padded_time(time: str) -> str:
    """A time typed with a one-digit hour (9:30) as REDCap stores it (09:30)."""
    return "0" + time if re.fullmatch(r"[0-9]:[0-9][0-9](:[0-9][0-9])?", time) else time


def reorder_date(text: str, date_format: str) -> str:
    """M/D/Y or D/M/Y (separators / - .) as Y-M-D; other text as it is.

    A two-digit year is read as REDCap's date cleaner reads it (up to ten years ahead: 20yy,
    else 19yy).
    """
    day, _, time = text.partition(" ")
    parts = re.split(r"[/.-]", day)
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts) or len(parts[0]) > 2:
        return text
    first, second, year = parts
    month, day_of_month = (first, second) if date_format == "MDY" else (second, first)
    if len(year) == 2:
        year = f"{20 if int(year) <= dt.date.today().year % 100 + 10 else 19}{year}"
    time = _padded_time(time)
    return f"{year}-{month.zfill(2)}-{day_of_month.zfill(2)}" + (f" {time}" if time else "")


def _date_spellings(value: str) -> list[str]:
    """Y-M-D as written, then M/D/Y and D/M/Y (REDCap's upload page offers both)."""
    day, _, time = value.partition(" ")
    written = f"{day} {_padded_time(time)}" if time else day
    return list(dict.fromkeys([written, reorder_date(value, "MDY"), reorder_date(value, "DMY")]))
