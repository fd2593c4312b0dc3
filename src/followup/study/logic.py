"""REDCap branching logic and calculations: parsed once, evaluated against a record's raw values.

Grammar (REDCap's, see REDCAP_FORMAT.md §5): ``or`` binds loosest, then ``and``, then one
comparison (``= == <> != < > <= >=``), then ``+ -``, ``* /``, unary minus and ``^``. Operands are
numbers, quoted strings, ``[field]``, ``[field(code)]`` for a checkbox option, function calls
and parentheses; ``and``/``or`` and field names ignore case.
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


@dataclass(frozen=True)
class Reference:
    """[field] or [field(code)], and where it stands in the expression."""

    field: str
    code: str | None
    position: int

    @property
    def column(self) -> str:
        """The export column it reads: a checkbox option is field___code, '-' becoming '_'."""
        return self.field if self.code is None else checkbox_column(self.field, self.code)


@dataclass(frozen=True)
class _Literal:
    value: Value

    def evaluate(self, values: Mapping[str, str]) -> Value:
        return self.value


@dataclass(frozen=True)
class _Field:
    reference: Reference

    def evaluate(self, values: Mapping[str, str]) -> Value:
        value = values.get(self.reference.column, "")
        if self.reference.code is not None and value == "":
            return "0"  # an option never ticked is unchecked
        return value


@dataclass(frozen=True)
class _Negate:
    operand: _Node

    def evaluate(self, values: Mapping[str, str]) -> Value:
        number = as_number(self.operand.evaluate(values))
        return "" if number is None else -number


@dataclass(frozen=True)
class _Binary:
    operator: str
    left: _Node
    right: _Node

    def evaluate(self, values: Mapping[str, str]) -> Value:
        if self.operator == "and":
            return truthy(self.left.evaluate(values)) and truthy(self.right.evaluate(values))
        if self.operator == "or":
            return truthy(self.left.evaluate(values)) or truthy(self.right.evaluate(values))
        left, right = self.left.evaluate(values), self.right.evaluate(values)
        if self.operator in ("+", "-", "*", "/", "^"):
            return arithmetic(self.operator, left, right)
        return compare(self.operator, left, right)


@dataclass(frozen=True)
class _Call:
    name: str
    arguments: tuple[_Node, ...]

    def evaluate(self, values: Mapping[str, str]) -> Value:
        function = FUNCTIONS[self.name][2]
        return function([a.evaluate(values) for a in self.arguments])


_Node = _Literal | _Field | _Negate | _Binary | _Call


@dataclass(frozen=True)
class Logic:
    """A parsed expression. ``show(values)`` for branching, ``value(values)`` for a calculation."""

    text: str
    references: tuple[Reference, ...]
    _root: _Node

    def value(self, values: Mapping[str, str]) -> Value:
        """The expression's value for raw values keyed by export column ('' = blank)."""
        return self._root.evaluate(values)

    def show(self, values: Mapping[str, str]) -> bool:
        """Whether a field with this branching logic is shown; an empty expression always is."""
        return truthy(self.value(values))

    def tree(self) -> list[Any]:
        """The parsed expression as JSON-ready lists, for the browser's evaluator (branching.js).

        ["lit", value] · ["field", column, is_checkbox_option] · ["neg", node] ·
        ["op", operator, left, right] · ["call", name, [arguments]]
        """
        return _tree(self._root)


def _tree(node: _Node) -> list[Any]:
    if isinstance(node, _Literal):
        return ["lit", node.value]
    if isinstance(node, _Field):
        return ["field", node.reference.column, node.reference.code is not None]
    if isinstance(node, _Negate):
        return ["neg", _tree(node.operand)]
    if isinstance(node, _Binary):
        return ["op", node.operator, _tree(node.left), _tree(node.right)]
    return ["call", node.name, [_tree(a) for a in node.arguments]]


_COMPARISONS = ("=", "==", "<>", "!=", "<", "<=", ">", ">=")


def parse_logic(text: str) -> Logic:
    """Parse a branching-logic or calc expression; a blank one means 'always shown'."""
    if not text.strip():
        return Logic(text, (), _Literal(True))
    parser = _Parser(text, tokenize(text))
    root = parser.expression()
    parser.expect_end()
    return Logic(text, tuple(parser.references), root)


class _Parser:
    """Recursive descent over the tokens; each rule returns a node."""

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.references: list[Reference] = []

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
        node = self._conjunction()
        while self._is_word("or"):
            self._take()
            node = _Binary("or", node, self._conjunction())
        return node

    def _conjunction(self) -> _Node:
        node = self._comparison()
        while self._is_word("and"):
            self._take()
            node = _Binary("and", node, self._comparison())
        return node

    def _comparison(self) -> _Node:
        node = self._sum()
        if self.token.kind == "op" and self.token.text in _COMPARISONS:
            operator = self._take().text
            node = _Binary(operator, node, self._sum())
        return node

    def _sum(self) -> _Node:
        return self._left_associative(("+", "-"), self._product)

    def _product(self) -> _Node:
        return self._left_associative(("*", "/"), self._unary)

    def _left_associative(self, operators: tuple[str, ...], operand: Callable[[], _Node]) -> _Node:
        node = operand()
        while self.token.kind == "op" and self.token.text in operators:
            operator = self._take().text
            node = _Binary(operator, node, operand())
        return node

    def _unary(self) -> _Node:
        if self.token.kind == "op" and self.token.text == "-":
            self._take()
            return _Negate(self._unary())
        node = self._atom()
        if self.token.kind == "op" and self.token.text == "^":
            self._take()
            node = _Binary("^", node, self._unary())
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
            reference = Reference(token.text, token.code, token.position)
            self.references.append(reference)
            return _Field(reference)
        if token.kind == "name":
            return self._call()
        if token.kind == "op" and token.text == "(":
            self._take()
            node = self.expression()
            self._close(token)
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
        arguments = [self.expression()]
        while self.token.kind == "op" and self.token.text == ",":
            self._take()
            arguments.append(self.expression())
        self._close(opening)
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
    return f"'{token.text}'"
