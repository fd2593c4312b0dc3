"""REDCap's text and date functions, and reading the dates they take.

Positions are 1-based, searching ignores case, blank in gives blank out, and ``datediff`` takes
REDCap's units, date formats and signed flag.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence

from followup.study._logic_values import Value, as_number, as_text, is_blank, truthy
from followup.study.logic_context import LogicContext

Function = Callable[[Sequence[Value], LogicContext], Value]

# Days per unit as REDCap's datediff counts them: a year of 365.2425 days, a month of 30.44.
DAYS_PER_UNIT = {"y": 365.2425, "M": 30.44, "d": 1.0, "h": 1 / 24, "m": 1 / 1440, "s": 1 / 86400}
_FORMATS = {"ymd": ("Y", "m", "d"), "mdy": ("m", "d", "Y"), "dmy": ("d", "m", "Y")}
_DATE = re.compile(r"([0-9]{1,4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,4})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def read_date(value: Value, context: LogicContext, order: str = "ymd") -> dt.datetime | None:
    """A date, date-time or time (on 1 Jan 1 AD) as REDCap's functions read it, or None."""
    text = as_text(value).strip()
    lowered = text.lower()
    if lowered == "today":
        return dt.datetime.combine(context.clock().date(), dt.time())
    if lowered == "now":
        return context.clock().replace(microsecond=0)
    day_part, _, time_part = text.partition(" ")
    if time_part == "" and _TIME.fullmatch(day_part):
        day_part, time_part = "0001-01-01", day_part
    date = _DATE.fullmatch(day_part)
    time = _TIME.fullmatch(time_part) if time_part else None
    if date is None or (time_part and time is None):
        return None
    parts = dict(zip(_FORMATS.get(order, _FORMATS["ymd"]), date.groups(), strict=True))
    hour, minute, second = (int(g or 0) for g in time.groups()) if time else (0, 0, 0)
    try:
        return dt.datetime(int(parts["Y"]), int(parts["m"]), int(parts["d"]), hour, minute, second)
    except ValueError:
        return None


def _datediff(args: Sequence[Value], context: LogicContext) -> Value:
    """datediff(d1, d2, unit[, format][, signed]): d2 − d1 in the unit, absolute unless signed."""
    order, rest = "ymd", list(args[3:])
    if rest and as_text(rest[0]).strip().lower() in _FORMATS:
        order = as_text(rest.pop(0)).strip().lower()
    if any(as_text(a).strip() in context.missing_codes for a in args[:2]):
        return ""
    first, second = read_date(args[0], context, order), read_date(args[1], context, order)
    unit = as_text(args[2]).strip()
    if first is None or second is None or unit not in DAYS_PER_UNIT:
        return ""
    signed = bool(rest) and (rest[0] is True or as_text(rest[0]).strip().lower() in ("true", "1"))
    result = (second - first).total_seconds() / 86400 / DAYS_PER_UNIT[unit]
    return result if signed else abs(result)


def _calcdate(args: Sequence[Value], context: LogicContext) -> Value:
    """calcdate(date, offset, unit[, format]): the date ``offset`` units later (@CALCDATE).

    A date stays a date when the offset is whole days (or months, years landing on midnight);
    otherwise the result has its time, to the second.
    """
    order = as_text(args[3]).strip().lower() if len(args) > 3 else "ymd"
    start = read_date(args[0], context, order if order in _FORMATS else "ymd")
    offset, unit = as_number(args[1]), as_text(args[2]).strip()
    if start is None or offset is None or unit not in DAYS_PER_UNIT:
        return ""
    try:
        moved = start + dt.timedelta(days=offset * DAYS_PER_UNIT[unit])
    except OverflowError:
        return ""
    had_time = " " in as_text(args[0]).strip() or as_text(args[0]).strip().lower() == "now"
    day = f"{moved.year:04d}-{moved.month:02d}-{moved.day:02d}"
    if not had_time and moved.time() == dt.time():
        return day
    return f"{day} {moved.hour:02d}:{moved.minute:02d}:{moved.second:02d}"


def _part(index: int) -> Function:
    def run(args: Sequence[Value], context: LogicContext) -> Value:
        date = read_date(args[0], context)
        return "" if date is None else float((date.year, date.month, date.day)[index])

    return run


def _text(operation: Callable[[list[str]], Value]) -> Function:
    return lambda args, context: operation([as_text(a) for a in args])


def _count(value: Value) -> int | None:
    """A whole count of at least 1, or None (REDCap gives blank for anything else)."""
    number = as_number(value)
    return int(number) if number is not None and number >= 1 and number.is_integer() else None


def _left(t: Sequence[Value], context: LogicContext) -> Value:
    n = _count(t[1])
    return "" if n is None else as_text(t[0])[:n]


def _right(t: Sequence[Value], context: LogicContext) -> Value:
    n, text = _count(t[1]), as_text(t[0])
    return "" if n is None or n > len(text) else text[len(text) - n :]


def _mid(t: Sequence[Value], context: LogicContext) -> Value:
    start, n = _count(t[1]), _count(t[2])
    if start is None or n is None:
        return ""
    return as_text(t[0])[start - 1 : start - 1 + n]


def _find(t: list[str]) -> Value:
    return float(t[1].lower().find(t[0].lower()) + 1)


def _concat_ws(t: list[str]) -> Value:
    return t[0].join(part for part in t[1:] if part not in ("", "NaN"))


TEXT_FUNCTIONS: dict[str, tuple[int, int, Function]] = {
    "contains": (2, 2, _text(lambda t: t[1].lower() in t[0].lower())),
    "not_contain": (2, 2, _text(lambda t: t[1].lower() not in t[0].lower())),
    "starts_with": (2, 2, _text(lambda t: t[0].lower().startswith(t[1].lower()))),
    "ends_with": (2, 2, _text(lambda t: t[0].lower().endswith(t[1].lower()))),
    "left": (2, 2, _left),
    "right": (2, 2, _right),
    "mid": (3, 3, _mid),
    "find": (2, 2, _text(_find)),
    "length": (1, 1, _text(lambda t: float(len(t[0])))),
    "trim": (1, 1, _text(lambda t: t[0].strip())),
    "lower": (1, 1, _text(lambda t: t[0].lower())),
    "upper": (1, 1, _text(lambda t: t[0].upper())),
    "concat": (1, 999, _text(lambda t: "".join(t))),
    "concat_ws": (2, 999, _text(_concat_ws)),
    "replace_text": (3, 3, _text(lambda t: t[0].replace(t[1], t[2]) if t[1] else t[0])),
}
DATE_FUNCTIONS: dict[str, tuple[int, int, Function]] = {
    "datediff": (3, 5, _datediff),
    "calcdate": (3, 4, _calcdate),
    "year": (1, 1, _part(0)),
    "month": (1, 1, _part(1)),
    "day": (1, 1, _part(2)),
}
__all__ = ["DAYS_PER_UNIT", "is_blank", "truthy"]
