"""Tokens of REDCap's expression language, each with the 1-based character where it starts.

Square brackets hold a reference, read here whole: ``[field]``, ``[field(code)]``,
``[field:label]``, ``[event][field]``, ``[field][2]``, ``[event][field][last-instance]``, or a smart
variable such as ``[record-name]``. Lines whose first characters are ``#`` or ``//`` are comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from followup.study.errors import LogicError
from followup.study.smart_variables import EVENT_VARIABLES, INSTANCE_VARIABLES, SMART_VARIABLES


@dataclass(frozen=True)
class Token:
    """One token.

    kind: number, string, ref, smart, name, op, end; text: the number, string body, operator,
    field name (ref) or smart variable's name (smart).
    """

    kind: str
    text: str
    position: int
    code: str | None = None  # [field(code)]: the checkbox code
    event: str | None = None  # [event][field]: an event's unique name or an event smart variable
    instance: str | None = None  # [field][2] or [field][previous-instance]
    modifier: str | None = None  # [field:label]; a smart variable's parameter


_NAME_TEXT = r"[A-Za-z0-9_]*[A-Za-z_][A-Za-z0-9_]*"  # not all digits: [2] is an instance
_GROUP = re.compile(
    rf"\[\s*(?:(?P<smart>[a-z][a-z0-9]*(?:-[a-z0-9]+)+)(?::(?P<parameter>[^\]]*))?"
    rf"|(?P<field>{_NAME_TEXT})\s*(?:\(\s*(?P<code>[A-Za-z0-9_.\-]+)\s*\))?"
    r"\s*(?::(?P<modifier>[A-Za-z\-]+)(?::[A-Za-z\-]+)*)?"
    r"|(?P<number>[0-9]+))\s*\]"
)
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Longest first: "===" before "==" before "=".
_OPERATORS = (
    "===",
    "!==",
    "<>",
    "!=",
    "<=",
    ">=",
    "==",
    "&&",
    "||",
    "=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "^",
    "(",
    ")",
    ",",
)
_SYNONYMS = {"===": "=", "!==": "<>", "&&": "and", "||": "or"}
MODIFIERS = ("value", "label", "checked", "unchecked", "hideunderscore", "raw")


def without_comments(expression: str) -> str:
    """The expression with comment lines (``#`` or ``//`` first) blanked, positions kept."""
    lines = expression.split("\n")
    kept = [" " * len(line) if line.lstrip().startswith(("#", "//")) else line for line in lines]
    return "\n".join(kept)


def tokenize(expression: str) -> list[Token]:
    """Split an expression; an unknown character or an unclosed string is a LogicError."""
    text = without_comments(expression)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        token, i = _one_token(expression, text, i)
        tokens.append(token)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _one_token(expression: str, text: str, i: int) -> tuple[Token, int]:
    c = text[i]
    if c in "'\"":
        end = text.find(c, i + 1)
        if end < 0:
            raise LogicError(expression, i + 1, f"the string opened with {c} is never closed")
        return Token("string", text[i + 1 : end], i + 1), end + 1
    if c == "[":
        return _reference(expression, text, i)
    if match := _NUMBER.match(text, i):
        return Token("number", match.group(), i + 1), match.end()
    if match := _NAME.match(text, i):
        return Token("name", match.group(), i + 1), match.end()
    for operator in _OPERATORS:
        if text.startswith(operator, i):
            word = _SYNONYMS.get(operator, operator)
            kind = "name" if word in ("and", "or") else "op"
            return Token(kind, word, i + 1), i + len(operator)
    raise LogicError(expression, i + 1, f"unexpected character {c!r}")


def _groups(expression: str, text: str, i: int) -> tuple[list[re.Match[str]], int]:
    """The bracket groups written together from i: [a], [a][b], [a][b][c]."""
    groups: list[re.Match[str]] = []
    j = i
    while j < len(text) and text[j] == "[":
        match = _GROUP.match(text, j)
        if match is None:
            _refuse_group(expression, text, j)
        assert match is not None
        groups.append(match)
        j = match.end()
    return groups, j


def _refuse_group(expression: str, text: str, j: int) -> None:
    close = text.find("]", j)
    if close < 0:
        raise LogicError(expression, j + 1, "the [ is never closed")
    inside = text[j + 1 : close]
    raise LogicError(
        expression,
        j + 1,
        f"[{inside}] is not a field reference like [field], [field(code)], [event][field] "
        "or a smart variable like [record-name]",
    )


def _reference(expression: str, text: str, i: int) -> tuple[Token, int]:
    groups, end = _groups(expression, text, i)
    position = i + 1
    if len(groups) > 3:
        raise LogicError(expression, position, "at most [event][field][instance] can be chained")
    for group in groups:
        smart = group.group("smart")
        if smart and smart not in SMART_VARIABLES:
            raise LogicError(
                expression, group.start() + 1, f"[{smart}] is not a smart variable REDCap knows"
            )
        modifier = group.group("modifier")
        if modifier and modifier.lower() not in MODIFIERS:
            raise LogicError(
                expression,
                group.start() + 1,
                f"':{modifier}' is not a modifier ({', '.join(MODIFIERS[:4])})",
            )
    if len(groups) == 1:
        return _single(expression, groups[0], position), end
    event, field, instance = _chain(expression, groups)
    return (
        Token(
            "ref",
            field.group("field").lower(),
            field.start() + 1,
            field.group("code"),
            event=event,
            instance=instance,
            modifier=_modifier(field),
        ),
        end,
    )


def _single(expression: str, group: re.Match[str], position: int) -> Token:
    if group.group("smart"):
        return Token("smart", group.group("smart"), position, modifier=group.group("parameter"))
    if group.group("number"):
        raise LogicError(expression, position, f"[{group.group('number')}] is not a field")
    return Token(
        "ref",
        group.group("field").lower(),
        position,
        group.group("code"),
        modifier=_modifier(group),
    )


def _modifier(group: re.Match[str]) -> str | None:
    modifier = group.group("modifier")
    return modifier.lower() if modifier else None


def _chain(
    expression: str, groups: list[re.Match[str]]
) -> tuple[str | None, re.Match[str], str | None]:
    """Which group is the event, the field and the instance."""
    last = groups[-1]
    ends_with_instance = bool(last.group("number")) or last.group("smart") in INSTANCE_VARIABLES
    instance = (last.group("number") or last.group("smart")) if ends_with_instance else None
    rest = groups[:-1] if ends_with_instance else groups
    if len(rest) == 2:
        event_group, field = rest
    elif len(rest) == 1:
        event_group, field = None, rest[0]
    else:
        raise LogicError(expression, groups[0].start() + 1, "an instance needs a [field] before it")
    if not field.group("field"):
        raise LogicError(expression, field.start() + 1, "expected a [field] here")
    event = None
    if event_group is not None:
        smart = event_group.group("smart")
        name = event_group.group("field")
        if smart and smart not in EVENT_VARIABLES:
            raise LogicError(
                expression, event_group.start() + 1, f"[{smart}] does not name an event"
            )
        if not (smart or name) or event_group.group("code") or event_group.group("modifier"):
            raise LogicError(
                expression, event_group.start() + 1, "expected an event's unique name here"
            )
        event = smart or name.lower()
    return event, field, instance
