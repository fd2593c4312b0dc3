"""REDCap's value semantics: everything is a string, blank is '' and is never 0.

Comparisons are numeric when both sides read as numbers and textual otherwise (ISO dates then
compare correctly); an ordering comparison with a blank side is false; arithmetic with a blank
operand is blank, as REDCap's calculated fields are.
"""

from __future__ import annotations

import math
import re

Value = str | float | bool
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


def as_number(value: Value) -> float | None:
    """The number a value reads as, or None (blank and text are not numbers)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    text = value.strip()
    if not _NUMBER.fullmatch(text):  # ASCII digits only, as REDCap's and the browser's
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def as_text(value: Value) -> str:
    """A number as REDCap writes it: 2.0 is '2'."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def is_blank(value: Value) -> bool:
    """'' (and only text can be blank)."""
    return isinstance(value, str) and value.strip() == ""


def truthy(value: Value) -> bool:
    """A condition's truth: booleans as they are, numbers non-zero, text non-blank."""
    if isinstance(value, bool):
        return value
    number = as_number(value)
    if number is not None:
        return number != 0
    return not is_blank(value)


def compare(operator: str, left: Value, right: Value) -> bool:
    """=, <>, <, <=, >, >= with REDCap's blank and number rules."""
    if operator in ("=", "==", "<>", "!="):
        a, b = as_number(left), as_number(right)
        same = a == b if a is not None and b is not None else as_text(left) == as_text(right)
        return same if operator in ("=", "==") else not same
    if is_blank(left) or is_blank(right):
        return False
    a, b = as_number(left), as_number(right)
    if a is not None and b is not None:
        return _ordered(operator, a, b)
    return _ordered(operator, as_text(left), as_text(right))


def _ordered(operator: str, a: float | str, b: float | str) -> bool:
    if operator == "<":
        return a < b  # type: ignore[operator]
    if operator == "<=":
        return a <= b  # type: ignore[operator]
    if operator == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def arithmetic(operator: str, left: Value, right: Value) -> Value:
    """+ − × ÷ ^ on numbers; blank (or text, or ÷0, or an overflow) in or out gives blank."""
    a, b = as_number(left), as_number(right)
    if a is None or b is None:
        return ""
    try:
        if operator == "+":
            result = a + b
        elif operator == "-":
            result = a - b
        elif operator == "*":
            result = a * b
        elif operator == "/":
            result = a / b
        else:
            result = a**b
    except (OverflowError, ZeroDivisionError):
        return ""
    return result if isinstance(result, float) and math.isfinite(result) else ""
