"""Computed fields: calc fields, @CALCTEXT and @CALCDATE, as REDCap computes and stores them.

A calc field stores a number (REDCap: "calculations can only result in numbers"), blank when the
formula gives none; @CALCTEXT stores text; @CALCDATE a date or date-time in the form its field's
validation asks. A computed field may use another one: the fields are computed in the order
their references need (a cycle is computed in dictionary order, once, as REDCap's passes leave it).
A stored value that disagrees with its formula is what REDCap's data quality rule H reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from followup.study._logic_values import Value, as_number, as_text
from followup.study.dictionary import DataDictionary, Field
from followup.study.logic_context import CLASSIC, LogicContext


def computed_fields(dictionary: DataDictionary) -> tuple[Field, ...]:
    """The fields whose value a formula gives, in the order to compute them."""
    needs = {
        f.name: {r.field for r in f.computed.references} - {f.name}
        for f in dictionary
        if f.computed is not None
    }
    done: list[str] = []
    pending = list(needs)
    while pending:
        ready = [n for n in pending if not (needs[n] & set(pending))]
        if not ready:  # a cycle: what is left, in dictionary order
            ready = pending
        done.extend(ready)
        pending = [n for n in pending if n not in ready]
    return tuple(dictionary.field(name) for name in done)


def stored_form(field: Field, value: Value) -> str:
    """A formula's value as REDCap stores it in this field."""
    if field.calculation is not None:
        return number_text(value)
    text = as_text(value)
    if field.tag("@CALCDATE") is None or not text:
        return text
    kind = field.validation
    if kind.startswith("datetime_seconds"):
        return {10: f"{text} 00:00:00", 16: f"{text}:00"}.get(len(text), text[:19])
    if kind.startswith("datetime"):
        return f"{text} 00:00" if len(text) == 10 else text[:16]
    return text[:10]


def number_text(value: Value) -> str:
    """A calc's number as text: 15 significant digits, no trailing zeros; blank if none."""
    number = as_number(value)
    if number is None or not math.isfinite(number):
        return ""
    if number == 0:
        return "0"
    text = f"{number:.15g}"
    if "e" in text:
        return text
    return text.rstrip("0").rstrip(".") if "." in text else text


def compute(
    dictionary: DataDictionary,
    values: Mapping[str, str],
    context: LogicContext = CLASSIC,
    fields: tuple[Field, ...] | None = None,
) -> dict[str, str]:
    """The computed fields' values (of ``fields``, or all) for a record's raw values."""
    current = dict(values)
    result: dict[str, str] = {}
    wanted = {f.name for f in fields} if fields is not None else None
    for field in computed_fields(dictionary):
        logic = field.computed
        assert logic is not None
        value = stored_form(field, logic.value(current, context))
        current[field.name] = value
        if wanted is None or field.name in wanted:
            result[field.name] = value
    return result


def disagrees(field: Field, stored: str, computed: str) -> bool:
    """Whether a stored value is not what its formula gives (numbers to 1e-9 relative)."""
    if stored.strip() == computed:
        return False
    a, b = as_number(stored), as_number(computed)
    if field.calculation is not None and a is not None and b is not None:
        return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return True
