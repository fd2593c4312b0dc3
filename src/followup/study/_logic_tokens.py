"""Tokens of REDCap's expression language, each with the 1-based character where it starts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from followup.study.errors import LogicError


@dataclass(frozen=True)
class Token:
    """kind: number, string, ref, name, op, end; text: the number, string body or operator."""

    kind: str
    text: str
    position: int
    code: str | None = None  # [field(code)]: the checkbox code


_FIELD = r"[A-Za-z][A-Za-z0-9_]*"
_REF = re.compile(rf"\[\s*({_FIELD})\s*(?:\(\s*([A-Za-z0-9_.\-]+)\s*\))?\s*\]")
_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("<>", "!=", "<=", ">=", "==", "=", "<", ">", "+", "-", "*", "/", "^", "(", ")", ",")


def tokenize(expression: str) -> list[Token]:
    """Split an expression; an unknown character or an unclosed string is a LogicError."""
    tokens: list[Token] = []
    i = 0
    while i < len(expression):
        c = expression[i]
        if c.isspace():
            i += 1
            continue
        token, i = _one_token(expression, i)
        tokens.append(token)
    tokens.append(Token("end", "", len(expression) + 1))
    return tokens


def _one_token(expression: str, i: int) -> tuple[Token, int]:
    c = expression[i]
    if c in "'\"":
        end = expression.find(c, i + 1)
        if end < 0:
            raise LogicError(expression, i + 1, f"the string opened with {c} is never closed")
        return Token("string", expression[i + 1 : end], i + 1), end + 1
    if c == "[":
        return _reference(expression, i)
    if match := _NUMBER.match(expression, i):
        return Token("number", match.group(), i + 1), match.end()
    if match := _NAME.match(expression, i):
        return Token("name", match.group(), i + 1), match.end()
    for operator in _OPERATORS:
        if expression.startswith(operator, i):
            return Token("op", operator, i + 1), i + len(operator)
    raise LogicError(expression, i + 1, f"unexpected character {c!r}")


def _reference(expression: str, i: int) -> tuple[Token, int]:
    match = _REF.match(expression, i)
    if match is None:
        close = expression.find("]", i)
        inside = expression[i + 1 : close] if close > 0 else expression[i + 1 :]
        if close < 0:
            raise LogicError(expression, i + 1, "the [ is never closed")
        if ":" in inside:
            raise LogicError(expression, i + 1, f"[{inside}]: field modifiers are not supported")
        raise LogicError(
            expression, i + 1, f"[{inside}] is not a field reference like [field] or [field(code)]"
        )
    if expression.startswith("[", match.end()):
        raise LogicError(
            expression,
            i + 1,
            "event-qualified references [event][field] need a longitudinal "
            "project, which Followup does not support",
        )
    return Token("ref", match.group(1).lower(), i + 1, match.group(2)), match.end()
