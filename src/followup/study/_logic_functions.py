"""The REDCap special functions Followup evaluates in branching logic and calculated fields.

Each takes its evaluated arguments and the evaluation's context and returns a value; a blank or
unreadable argument gives blank, as REDCap's do. The table at the end says how many arguments
each takes (the parser checks) and which function runs; text and date functions are in
``_logic_text_dates``.
"""

from __future__ import annotations

import functools
import math
import operator
import re
from collections.abc import Callable, Sequence

from followup.study._logic_text_dates import DATE_FUNCTIONS, TEXT_FUNCTIONS, Function
from followup.study._logic_values import Value, arithmetic, as_number, is_blank, truthy
from followup.study.logic_context import LogicContext


def _numbers(args: Sequence[Value]) -> list[float]:
    return [n for n in (as_number(a) for a in args) if n is not None]


def _total(numbers: list[float]) -> float:
    """Left to right, as REDCap's PHP and JavaScript add (and branching.js does)."""
    return functools.reduce(operator.add, numbers, 0.0)


def _mean(numbers: list[float]) -> float:
    return _total(numbers) / len(numbers)


def _median(numbers: list[float]) -> float:
    ordered, middle = sorted(numbers), len(numbers) // 2
    return ordered[middle] if len(numbers) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _stdev(numbers: list[float]) -> float:
    """The sample standard deviation (n − 1)."""
    mean = _mean(numbers)
    return math.sqrt(_total([(x - mean) ** 2 for x in numbers]) / (len(numbers) - 1))


def _aggregate(reduce: Callable[[list[float]], float], least: int = 1) -> Function:
    def run(args: Sequence[Value], context: LogicContext) -> Value:
        numbers = _numbers(args)
        return reduce(numbers) if len(numbers) >= least else ""

    return run


def _unary(operation: Callable[[float], float]) -> Function:
    def run(args: Sequence[Value], context: LogicContext) -> Value:
        number = as_number(args[0])
        return "" if number is None else _finite(operation(number))

    return run


def _finite(number: float) -> Value:
    return number if math.isfinite(number) else ""


def _rounding(mode: Callable[[float], float]) -> Function:
    def run(args: Sequence[Value], context: LogicContext) -> Value:
        number = as_number(args[0])
        places = as_number(args[1]) if len(args) > 1 else 0.0
        if number is None or places is None:
            return ""
        if places > 15:  # past a double's precision: nothing left to round
            return number
        if places < -308:  # rounding to a power of ten beyond any double: 0
            return 0.0
        scale = 10.0 ** int(places)
        return _finite(mode(number * scale) / scale)

    return run


def _half_up(x: float) -> float:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _log(args: Sequence[Value], context: LogicContext) -> Value:
    number = as_number(args[0])
    base = as_number(args[1]) if len(args) > 1 and not is_blank(args[1]) else math.e
    if number is None or base is None or number <= 0 or base <= 0 or base == 1:
        return ""
    return math.log(number) / math.log(base)


def _mod(args: Sequence[Value], context: LogicContext) -> Value:
    """The remainder of two whole numbers, with the dividend's sign (as JavaScript's %)."""
    a, b = as_number(args[0]), as_number(args[1])
    if a is None or b is None or b == 0 or not a.is_integer() or not b.is_integer():
        return ""
    return math.fmod(a, b)


def _isnumber(args: Sequence[Value], context: LogicContext) -> bool:
    """A number, but not one written with a leading zero ('01'), as REDCap's isnumber()."""
    if isinstance(args[0], (bool, float)):
        return not isinstance(args[0], bool)
    text = str(args[0]).strip()
    return as_number(text) is not None and not re.match(r"[-+]?0[0-9]", text)


def _isinteger(args: Sequence[Value], context: LogicContext) -> bool:
    """Digits only, with an optional sign: '1.0' is not an integer to REDCap."""
    if isinstance(args[0], float):
        return args[0].is_integer()
    return isinstance(args[0], str) and re.fullmatch(r"[-+]?[0-9]+", args[0].strip()) is not None


def _minmax(reduce: Callable[[list[float]], float]) -> Function:
    """min()/max(): blanks are skipped, but any other text makes the answer blank."""

    def run(args: Sequence[Value], context: LogicContext) -> Value:
        if any(not is_blank(a) and as_number(a) is None for a in args):
            return ""
        numbers = _numbers(args)
        return reduce(numbers) if numbers else ""

    return run


def _hasmissingcode(args: Sequence[Value], context: LogicContext) -> bool:
    listed = {code.strip() for code in str(args[1]).split(",")}
    return _missing(args, context) and str(args[0]).strip() in listed


def _pow(args: Sequence[Value], context: LogicContext) -> Value:
    return arithmetic("^", args[0], args[1])


def _missing(args: Sequence[Value], context: LogicContext) -> bool:
    return not is_blank(args[0]) and str(args[0]).strip() in context.missing_codes


NUMBER_FUNCTIONS: dict[str, tuple[int, int, Function]] = {
    "if": (3, 3, lambda a, c: a[1] if truthy(a[0]) else a[2]),
    "sum": (1, 999, _aggregate(_total)),
    "mean": (1, 999, _aggregate(_mean)),
    "median": (1, 999, _aggregate(_median)),
    "stdev": (1, 999, _aggregate(_stdev, least=2)),
    "min": (1, 999, _minmax(min)),
    "max": (1, 999, _minmax(max)),
    "pow": (2, 2, _pow),
    "abs": (1, 1, _unary(abs)),
    "sqrt": (1, 1, _unary(lambda x: math.sqrt(x) if x >= 0 else math.nan)),
    "exponential": (1, 1, _unary(lambda x: math.exp(x) if x < 710 else math.inf)),
    "log": (1, 2, _log),
    "mod": (2, 2, _mod),
    "round": (1, 2, _rounding(_half_up)),
    "roundup": (1, 2, _rounding(math.ceil)),
    "rounddown": (1, 2, _rounding(math.floor)),
    "isnumber": (1, 1, _isnumber),
    "isinteger": (1, 1, _isinteger),
    "isblankormissingcode": (1, 1, lambda a, c: is_blank(a[0]) or _missing(a, c)),
    "isblanknotmissingcode": (1, 1, lambda a, c: is_blank(a[0])),
    "ismissingcode": (1, 1, _missing),
    "hasmissingcode": (2, 2, _hasmissingcode),
}
FUNCTIONS: dict[str, tuple[int, int, Function]] = NUMBER_FUNCTIONS | TEXT_FUNCTIONS | DATE_FUNCTIONS
