"""Branching logic as a person reads it: field labels and choice labels instead of codes.

``[cr1] = '1'`` reads "First complete remission achieved = “Yes”"; ``[rel_site(4)] = '1'``
reads "Site(s) of relapse: Other extramedullary site is ticked". The parsed expression
(``Logic.tree``, the same one the browser evaluates) is the source, so the words say what the
logic does; what cannot be said more simply (a function, arithmetic) keeps its form with labels
in place of names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from followup.study import DataDictionary, Logic
from followup.study.choices import checkbox_column
from followup.study.record_context import context_for

_OPERATORS = {"=": "=", "==": "=", "<>": "≠", "!=": "≠", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}


class BranchingText:
    """Renders a dictionary's branching logic with labels (translated ones, where given)."""

    def __init__(
        self,
        dictionary: DataDictionary,
        label: Callable[[str], str],
        choice: Callable[[str, str], str],
        words: Mapping[str, str],
    ) -> None:
        """``label(field)`` and ``choice(field, code)`` give the texts; ``words`` and/or/ticked."""
        self._context = context_for(dictionary)
        self._owner = {c: f for f in dictionary for c in f.export_columns}
        self._label = label
        self._choice = choice
        self._words = words

    def __call__(self, logic: Logic) -> str:
        """The condition in words ('' for logic that always shows the field)."""
        if not logic.text.strip():
            return ""
        return self._node(logic.tree(self._context), top=True)

    def _field(self, column: str) -> tuple[str, str]:
        """The field's name and label for an export column (an option's label appended)."""
        field = self._owner.get(column)
        if field is None:
            return column, column
        if column == field.name:
            return field.name, f"“{self._label(field.name)}”"
        code = next(
            (c.code for c in field.choices if checkbox_column(field.name, c.code) == column), ""
        )
        return field.name, f"“{self._label(field.name)}: {self._choice(field.name, code)}”"

    def _node(self, node: list[Any], top: bool = False) -> str:
        kind = node[0]
        if kind == "lit":
            return _literal(node[1])
        if kind in ("field", "label", "comma"):
            return self._field(node[1])[1]
        if kind == "checks":
            name = self._owner[node[1][0][1]].name if node[1] else ""
            return f"“{self._label(name)}”"
        if kind == "neg":
            return "-" + self._node(node[1])
        if kind == "op":
            return self._comparison(node[1], node[2], node[3])
        if kind in ("and", "or"):
            joined = f" {self._words[kind]} ".join(self._node(n) for n in node[1])
            return joined if top else f"({joined})"
        if kind == "chain":
            rest = "".join(f" {op} {self._node(n)}" for op, n in node[2])
            return f"({self._node(node[1])}{rest})"
        arguments = ", ".join(self._node(a) for a in node[2])
        return f"{node[1]}({arguments})"

    def _comparison(self, operator: str, left: list[Any], right: list[Any]) -> str:
        if operator == "^":
            return f"{self._node(left)}^{self._node(right)}"
        if left[0] == "lit" and right[0] in ("field", "label", "comma"):
            left, right = right, left
            operator = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(operator, operator)
        shown = _OPERATORS.get(operator, operator)
        if left[0] == "field" and left[2] and right[0] == "lit" and operator in _OPERATORS:
            ticked = as_text(right[1]) == "1"
            if shown == "≠":
                ticked = not ticked
            if len(left) > 3 and left[3]:  # [field(code):unchecked]
                ticked = not ticked
            word = self._words["ticked" if ticked else "not_ticked"]
            return f"{self._field(left[1])[1]} {word}"
        if left[0] == "field" and not left[2] and right[0] == "lit":
            name, label = self._field(left[1])
            code = as_text(right[1])
            text = self._choice(name, code) if name in self._owner else code
            value = f"“{text}”" if text != code or isinstance(right[1], str) else code
            return f"{label} {shown} {value}"
        return f"{self._node(left)} {shown} {self._node(right)}"


def as_text(value: object) -> str:
    """A literal as REDCap writes it: 2.0 is 2, true is 1."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return as_text(value)
    return f"“{value}”"
