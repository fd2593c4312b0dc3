"""REDCap branching logic and calculations: parsed once, evaluated against a record's raw values.

Grammar (REDCap's, see REDCAP_FORMAT.md §5): ``or`` (``||``) binds loosest, then ``and``
(``&&``), then one comparison (``= == === <> != !== < > <= >=``), then ``+ -``, ``* /``, unary
minus and ``^``. Operands are numbers, quoted strings, references (``[field]``,
``[field(code)]``, ``[field:label]``, ``[event][field]``, ``[field][instance]``), smart variables
(``[record-name]``), function calls and parentheses; ``and``/``or``, functions and field names
ignore case; lines starting ``#`` or ``//`` are comments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from followup.study._logic_functions import FUNCTIONS
from followup.study._logic_tokens import Token, tokenize
from followup.study._logic_values import Value, arithmetic, as_number, compare, truthy
from followup.study.choices import checkbox_column
from followup.study.errors import LogicError
from followup.study.logic_context import CLASSIC, LogicContext
from followup.study.smart_variables import EVENT_VARIABLES, instance_number, smart_value


@dataclass(frozen=True)
class Reference:
    """[field], [field(code)], [field:label], [event][field], [field][n], and where it stands."""

    field: str
    code: str | None
    position: int
    event: str | None = None  # an event's unique name or an event smart variable
    instance: str | None = None  # digits or an instance smart variable
    modifier: str | None = None  # value, label, checked, unchecked, …

    @property
    def column(self) -> str:
        """The export column it reads: a checkbox option is field___code, '-' becoming '_'."""
        return self.field if self.code is None else checkbox_column(self.field, self.code)

    @property
    def is_local(self) -> bool:
        """Whether it reads the row being evaluated (no event or instance named)."""
        return self.event is None and self.instance is None


@dataclass(frozen=True)
class _Literal:
    value: Value

    def evaluate(self, values: Mapping[str, str], context: LogicContext) -> Value:
        return self.value


@dataclass(frozen=True)
class _Field:
    reference: Reference

    def evaluate(self, values: Mapping[str, str], context: LogicContext) -> Value:
        reference = self.reference
        event = _event_name(reference.event, context)
        instance = (
            None
            if reference.instance is None
            else instance_number(reference.instance, context, event, reference.field)
        )
        if reference.instance is not None and instance is None:
            return ""
        if reference.event is not None and not event:
            return ""
        codes = context.checkboxes.get(reference.field)
        if reference.code is None and codes is not None:
            ticked = [
                code
                for code in codes
                if context.value(values, event, checkbox_column(reference.field, code), instance)
                == "1"
            ]
            return _checkbox_value(reference, ticked, context)
        value = context.value(values, event, reference.column, instance)
        if reference.code is not None:  # an option never ticked is unchecked: '0'
            option_on = value == "1"
            return "1" if option_on != (reference.modifier == "unchecked") else "0"
        if reference.modifier == "label":
            return context.choice_labels.get(reference.field, {}).get(value, value)
        if reference.field in context.comma_decimals:  # REDCap computes with a decimal point
            return value.replace(",", ".", 1)
        return value


def _checkbox_value(reference: Reference, ticked: list[str], context: LogicContext) -> str:
    """A whole checkbox: its ticked codes (or labels with :label), comma-separated."""
    if reference.modifier in ("label", "checked"):
        labels = context.choice_labels.get(reference.field, {})
        return ", ".join(labels.get(code, code) for code in ticked)
    if reference.modifier == "unchecked":
        codes = context.checkboxes.get(reference.field, ())
        return ", ".join(code for code in codes if code not in ticked)
    return ",".join(ticked)


def _event_name(event: str | None, context: LogicContext) -> str | None:
    if event is None or event not in EVENT_VARIABLES:
        return event
    return smart_value(event, context) or None if event != "event-name" else context.event


@dataclass(frozen=True)
class _Smart:
    name: str
    parameter: str | None

    def evaluate(self, values: Mapping[str, str], context: LogicContext) -> Value:
        return smart_value(self.name, context)


@dataclass(frozen=True)
class _Negate:
    operand: _Node

    def evaluate(self, values: Mapping[str, str], context: LogicContext) -> Value:
        number = as_number(self.operand.evaluate(values, context))
        return "" if number is None else -number


@dataclass(frozen=True)
class _Binary:
    """A comparison or ^."""

    operator: str
    left: _Node
    right: _Node

    def evaluate(self, values: Mapping[str, str], context: LogicContext) -> Value:
        left, right = self.left.evaluate(values, context), self.right.evaluate(values, context)
        if self.operator == "^":
            return arithmetic(self.operator, left, right)
        return compare(self.operator, left, right)


@dataclass(frozen=True)
class _Junction:
    """and / or over any number of operands, stopping at the first that decides."""

    operator: str
    operands: tuple[_Node, ...]

    def evaluate(self, values: Mapping[str, str], context: LogicContext) -> Value:
        wanted = self.operator == "or"
        for operand in self.operands:
            if truthy(operand.evaluate(values, context)) is wanted:
                return wanted
        return not wanted


@dataclass(frozen=True)
class _Chain:
    """+ − or × ÷ left to right: first, then (operator, operand) pairs."""

    first: _Node
    rest: tuple[tuple[str, _Node], ...]

    def evaluate(self, values: Mapping[str, str], context: LogicContext) -> Value:
        result = self.first.evaluate(values, context)
        for operator, operand in self.rest:
            result = arithmetic(operator, result, operand.evaluate(values, context))
        return result


@dataclass(frozen=True)
class _Call:
    name: str
    arguments: tuple[_Node, ...]

    def evaluate(self, values: Mapping[str, str], context: LogicContext) -> Value:
        function = FUNCTIONS[self.name][2]
        if self.name == "if":  # only the branch taken is evaluated, as REDCap does
            chosen = 1 if truthy(self.arguments[0].evaluate(values, context)) else 2
            return self.arguments[chosen].evaluate(values, context)
        arguments = [a.evaluate(values, context) for a in self.arguments]
        try:
            return function(arguments, context)
        except (ArithmeticError, ValueError, TypeError):
            return ""  # a domain error or an overflow is blank, as REDCap's calculations are


_Node = _Literal | _Field | _Smart | _Negate | _Binary | _Junction | _Chain | _Call


@dataclass(frozen=True)
class Logic:
    """A parsed expression. ``show(values)`` for branching, ``value(values)`` for a calculation.

    ``values`` is the row being evaluated; ``context`` says which record, event and instance it is
    and reads other events and instances (see LogicContext).
    """

    text: str
    references: tuple[Reference, ...]
    _root: _Node
    smart_variables: tuple[str, ...] = ()

    def value(self, values: Mapping[str, str], context: LogicContext = CLASSIC) -> Value:
        """The expression's value for raw values keyed by export column ('' = blank)."""
        return self._root.evaluate(values, context)

    def show(self, values: Mapping[str, str], context: LogicContext = CLASSIC) -> bool:
        """Whether a field with this branching logic is shown; an empty expression always is."""
        return truthy(self.value(values, context))

    def tree(self, context: LogicContext | None = None) -> list[Any]:
        """The parsed expression as JSON-ready lists, for the browser's evaluator (branching.js).

        ["lit", value] · ["field", column, is_checkbox_option] · ["neg", node] ·
        ["op", comparison or "^", left, right] · ["and" | "or", [operands]] ·
        ["chain", first, [[operator, operand]…]] · ["call", name, [arguments]] ·
        ["label", column, {code: label}] · ["checks", [[code, column]…], modifier, {code: label}] ·
        ["comma", column] (a number typed with a decimal comma, read with a point)

        What cannot change while a form is open (smart variables, other events and instances) is
        sent as its value, read through ``context``.
        """
        return _tree(self._root, context or CLASSIC)


def _tree(node: _Node, context: LogicContext) -> list[Any]:
    if isinstance(node, _Literal):
        return ["lit", node.value]
    if isinstance(node, _Smart):
        return ["lit", node.evaluate({}, context)]
    if isinstance(node, _Field):
        return _field_tree(node, context)
    if isinstance(node, _Negate):
        return ["neg", _tree(node.operand, context)]
    if isinstance(node, _Binary):
        return ["op", node.operator, _tree(node.left, context), _tree(node.right, context)]
    if isinstance(node, _Junction):
        return [node.operator, [_tree(o, context) for o in node.operands]]
    if isinstance(node, _Chain):
        rest = [[operator, _tree(o, context)] for operator, o in node.rest]
        return ["chain", _tree(node.first, context), rest]
    return ["call", node.name, [_tree(a, context) for a in node.arguments]]


def _field_tree(node: _Field, context: LogicContext) -> list[Any]:
    reference = node.reference
    if not reference.is_local and not _names_this_row(reference, context):
        return ["lit", node.evaluate({}, context)]
    codes = context.checkboxes.get(reference.field)
    labels = dict(context.choice_labels.get(reference.field, {}))
    if reference.code is None and codes is not None:
        options = [[code, checkbox_column(reference.field, code)] for code in codes]
        return ["checks", options, reference.modifier or "", labels]
    if reference.code is not None:
        return ["field", reference.column, True, reference.modifier == "unchecked"]
    if reference.modifier == "label":
        return ["label", reference.column, labels]
    if reference.field in context.comma_decimals:
        return ["comma", reference.column]
    return ["field", reference.column, False]


def _names_this_row(reference: Reference, context: LogicContext) -> bool:
    event = _event_name(reference.event, context)
    if reference.event is not None and event != context.event:
        return False
    if reference.instance is None:
        return True
    number = instance_number(reference.instance, context, event, reference.field)
    return number is not None and number == context.instance


# Brackets, calls, unary minus and ^ nested in one another; REDCap's own files nest a handful
# deep. The limit keeps parsing and evaluation well inside Python's recursion limit.
MAX_DEPTH = 60
MAX_LENGTH = 200_000  # characters of one expression: REDCap's longest calcs are a few thousand
_COMPARISONS = ("=", "==", "<>", "!=", "<", "<=", ">", ">=")


def parse_logic(text: str) -> Logic:
    """Parse a branching-logic or calc expression; a blank one means 'always shown'."""
    if not text.strip():
        return Logic(text, (), _Literal(True))
    if len(text) > MAX_LENGTH:
        raise LogicError(
            text[:60] + "…",
            1,
            f"the expression is longer than {MAX_LENGTH:,} characters (the limit)",
        )
    parser = _Parser(text, tokenize(text))
    root = parser.expression()
    parser.expect_end()
    return Logic(text, tuple(parser.references), root, tuple(parser.smart_variables))


class _Parser:
    """Recursive descent over the tokens; each rule returns a node."""

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.references: list[Reference] = []
        self.smart_variables: list[str] = []
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def _take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _fail(self, message: str, token: Token | None = None) -> LogicError:
        return LogicError(self.text, (token or self.token).position, message)

    def _is_word(self, word: str) -> bool:
        return self.token.kind == "name" and self.token.text.lower() == word

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self._fail(f"unexpected {_describe(self.token)}; expected 'and', 'or' or the end")

    def expression(self) -> _Node:
        return self._junction("or", self._conjunction)

    def _conjunction(self) -> _Node:
        return self._junction("and", self._comparison)

    def _junction(self, word: str, operand: Callable[[], _Node]) -> _Node:
        """``a or b or c`` as one node, so a long chain is not a deep tree."""
        operands = [operand()]
        while self._is_word(word):
            self._take()
            operands.append(operand())
        return operands[0] if len(operands) == 1 else _Junction(word, tuple(operands))

    def _deeper(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._fail(
                f"the expression is nested more than {MAX_DEPTH} deep (the limit)", token
            )

    def _comparison(self) -> _Node:
        node = self._sum()
        if self.token.kind == "op" and self.token.text in _COMPARISONS:
            operator = self._take().text
            node = _Binary(operator, node, self._sum())
        return node

    def _sum(self) -> _Node:
        return self._chain(("+", "-"), self._product)

    def _product(self) -> _Node:
        return self._chain(("*", "/"), self._unary)

    def _chain(self, operators: tuple[str, ...], operand: Callable[[], _Node]) -> _Node:
        """``a + b - c`` as one node evaluated left to right."""
        first = operand()
        rest: list[tuple[str, _Node]] = []
        while self.token.kind == "op" and self.token.text in operators:
            operator = self._take().text
            rest.append((operator, operand()))
        return _Chain(first, tuple(rest)) if rest else first

    def _unary(self) -> _Node:
        token = self.token
        if token.kind == "op" and token.text == "-":
            self._take()
            self._deeper(token)
            node: _Node = _Negate(self._unary())
            self.depth -= 1
            return node
        node = self._atom()
        if self.token.kind == "op" and self.token.text == "^":
            self._deeper(self._take())
            node = _Binary("^", node, self._unary())
            self.depth -= 1
        return node

    def _atom(self) -> _Node:
        token = self.token
        if token.kind == "number":
            self._take()
            return _Literal(float(token.text))
        if token.kind == "string":
            self._take()
            return _Literal(token.text)
        if token.kind == "ref":
            self._take()
            reference = Reference(
                token.text, token.code, token.position, token.event, token.instance, token.modifier
            )
            self.references.append(reference)
            return _Field(reference)
        if token.kind == "smart":
            self._take()
            self.smart_variables.append(token.text)
            return _Smart(token.text, token.modifier)
        if token.kind == "name":
            return self._call()
        if token.kind == "op" and token.text == "(":
            self._take()
            self._deeper(token)
            node = self.expression()
            self._close(token)
            self.depth -= 1
            return node
        raise self._fail(f"expected a value, a [field] or '(' but found {_describe(token)}")

    def _close(self, opening: Token) -> None:
        if not (self.token.kind == "op" and self.token.text == ")"):
            raise self._fail(
                f"expected ')' to close the '(' at character {opening.position}, "
                f"found {_describe(self.token)}"
            )
        self._take()

    def _call(self) -> _Node:
        name_token = self._take()
        name = name_token.text.lower()
        if name in ("true", "false"):
            return _Literal(name == "true")
        if name not in FUNCTIONS:
            hint = " (field names go in square brackets: [field])"
            raise self._fail(f"unknown function or word '{name_token.text}'{hint}", name_token)
        opening = self.token
        if not (opening.kind == "op" and opening.text == "("):
            raise self._fail(f"expected '(' after the function {name}")
        self._take()
        self._deeper(name_token)
        arguments = [self.expression()]
        while self.token.kind == "op" and self.token.text == ",":
            self._take()
            arguments.append(self.expression())
        self._close(opening)
        self.depth -= 1
        low, high, _ = FUNCTIONS[name]
        if not low <= len(arguments) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise self._fail(
                f"{name}() takes {expected} arguments, got {len(arguments)}", name_token
            )
        return _Call(name, tuple(arguments))


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "string":
        return f"the text '{token.text}'"
    if token.kind == "ref":
        return f"[{token.text}]"
    if token.kind == "smart":
        return f"[{token.text}]"
    return f"'{token.text}'"
