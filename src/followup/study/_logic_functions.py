"""The REDCap functions Followup evaluates in branching logic and calculated fields."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable, Sequence

from followup.study._logic_values import Value, as_number, as_text, is_blank, truthy

Function = Callable[[Sequence[Value]], Value]

# Days per unit as REDCap's datediff counts them.
_DAYS_PER_UNIT = {"y": 365.2425, "M": 30.44, "d": 1.0, "h": 1 / 24, "m": 1 / 1440, "s": 1 / 86400}


def _date(value: Value) -> dt.datetime | None:
    text = as_text(value).strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    if text.lower() == "today":
        return dt.datetime.combine(dt.date.today(), dt.time())
    return None


def _datediff(args: Sequence[Value]) -> Value:
    """datediff(d1, d2, unit[, format][, signed]): d2 − d1, absolute unless signed."""
    first, second = _date(args[0]), _date(args[1])
    unit = as_text(args[2])
    if first is None or second is None or unit not in _DAYS_PER_UNIT:
        return ""
    signed = any(as_text(a).lower() in ("true", "1") or a is True for a in args[3:])
    days = (second - first).total_seconds() / 86400
    result = days / _DAYS_PER_UNIT[unit]
    return result if signed else abs(result)


def _numbers(args: Sequence[Value]) -> list[float]:
    return [n for n in (as_number(a) for a in args) if n is not None]


def _aggregate(reduce: Callable[[list[float]], float]) -> Function:
    def run(args: Sequence[Value]) -> Value:
        numbers = _numbers(args)
        return reduce(numbers) if numbers else ""

    return run


def _unary(operation: Callable[[float], float]) -> Function:
    def run(args: Sequence[Value]) -> Value:
        number = as_number(args[0])
        if number is None:
            return ""
        try:
            return operation(number)
        except ValueError:
            return ""

    return run


def _rounding(mode: Callable[[float], float]) -> Function:
    def run(args: Sequence[Value]) -> Value:
        number = as_number(args[0])
        places = as_number(args[1]) if len(args) > 1 else 0.0
        if number is None or places is None:
            return ""
        scale = 10.0 ** int(places)
        return mode(number * scale) / scale

    return run


def _half_up(x: float) -> float:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _text(operation: Callable[[list[str]], Value]) -> Function:
    return lambda args: operation([as_text(a) for a in args])


def _part(value: Value, index: int) -> Value:
    date = _date(value)
    if date is None:
        return ""
    return float((date.year, date.month, date.day)[index])


FUNCTIONS: dict[str, tuple[int, int, Function]] = {
    "if": (3, 3, lambda a: a[1] if truthy(a[0]) else a[2]),
    "datediff": (3, 5, _datediff),
    "sum": (1, 99, _aggregate(math.fsum)),
    "mean": (1, 99, _aggregate(statistics.fmean)),
    "median": (1, 99, _aggregate(statistics.median)),
    "min": (1, 99, _aggregate(min)),
    "max": (1, 99, _aggregate(max)),
    "abs": (1, 1, _unary(abs)),
    "sqrt": (1, 1, _unary(math.sqrt)),
    "log": (1, 1, _unary(math.log)),
    "round": (1, 2, _rounding(_half_up)),
    "roundup": (1, 2, _rounding(math.ceil)),
    "rounddown": (1, 2, _rounding(math.floor)),
    "isnumber": (1, 1, lambda a: as_number(a[0]) is not None),
    "isinteger": (1, 1, lambda a: (n := as_number(a[0])) is not None and n.is_integer()),
    "year": (1, 1, lambda a: _part(a[0], 0)),
    "month": (1, 1, lambda a: _part(a[0], 1)),
    "day": (1, 1, lambda a: _part(a[0], 2)),
    "contains": (2, 2, _text(lambda t: t[1].lower() in t[0].lower())),
    "not_contain": (2, 2, _text(lambda t: t[1].lower() not in t[0].lower())),
    "starts_with": (2, 2, _text(lambda t: t[0].lower().startswith(t[1].lower()))),
    "ends_with": (2, 2, _text(lambda t: t[0].lower().endswith(t[1].lower()))),
    "length": (1, 1, _text(lambda t: float(len(t[0])))),
    "trim": (1, 1, _text(lambda t: t[0].strip())),
    "lower": (1, 1, _text(lambda t: t[0].lower())),
    "upper": (1, 1, _text(lambda t: t[0].upper())),
    "concat": (1, 99, _text(lambda t: "".join(t))),
    "isblankormissingcode": (1, 1, lambda a: is_blank(a[0])),
}
