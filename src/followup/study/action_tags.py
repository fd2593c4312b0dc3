"""REDCap action tags in a field's annotation.

``@HIDDEN``, ``@DEFAULT='1'``, ``@CALCTEXT(…)``, ``@IF(condition, tags if true, tags if false)``.

Tags are read once with the dictionary. The names are REDCap 15's built-in tags; Followup applies
those in ``APPLIED`` (forms, validation, calculations) and keeps the others, which are about
surveys, the mobile app or the browser, without effect. A tag REDCap does not know is kept and
ignored, and the dictionary lists it once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from followup.study.errors import LogicError
from followup.study.logic import Logic, parse_logic
from followup.study.logic_context import CLASSIC, LogicContext

APPLIED = frozenset(
    [
        "@HIDDEN",
        "@HIDDEN-FORM",
        "@READONLY",
        "@READONLY-FORM",
        "@DEFAULT",
        "@SETVALUE",
        "@PREFILL",
        "@NOW",
        "@TODAY",
        "@NOW-SERVER",
        "@TODAY-SERVER",
        "@NOW-UTC",
        "@TODAY-UTC",
        "@HIDECHOICE",
        "@SHOWCHOICE",
        "@NONEOFTHEABOVE",
        "@MAXCHECKED",
        "@CHARLIMIT",
        "@WORDLIMIT",
        "@PLACEHOLDER",
        "@CALCTEXT",
        "@CALCDATE",
        "@IF",
        "@NOMISSING",
        "@USERNAME",
        "@HIDEBUTTON",
    ]
)
KNOWN = APPLIED | frozenset(
    [
        "@CONSENT-VERSION",
        "@DOWNLOAD-COUNT",
        "@FORCE-MINMAX",
        "@HIDDEN-PDF",
        "@HIDDEN-SURVEY",
        "@HIDDEN-APP",
        "@INLINE",
        "@INLINE-PREVIEW",
        "@LANGUAGE-CURRENT-FORM",
        "@LANGUAGE-CURRENT-SURVEY",
        "@LANGUAGE-FORCE",
        "@LANGUAGE-FORCE-FORM",
        "@LANGUAGE-FORCE-SURVEY",
        "@LANGUAGE-MENU-STATIC",
        "@LANGUAGE-SET",
        "@LANGUAGE-SET-FORM",
        "@LANGUAGE-SET-SURVEY",
        "@LATITUDE",
        "@LONGITUDE",
        "@MAXCHOICE",
        "@MAXCHOICE-SURVEY-COMPLETE",
        "@PASSWORDMASK",
        "@RANDOMORDER",
        "@READONLY-SURVEY",
        "@READONLY-APP",
        "@RICHTEXT",
        "@SAVE-PROMPT-EXEMPT",
        "@SAVE-PROMPT-EXEMPT-WHEN-AUTOSET",
        "@APPUSERNAME-APP",
        "@BARCODE-APP",
        "@SYNC-APP",
        "@DEACTIVATED-ACTION-TAGS",
    ]
)
_TAG = re.compile(r"(?<![\w@.])@([A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)")


@dataclass(frozen=True)
class ActionTag:
    """One tag: its name (``@DEFAULT``), its argument (unquoted), and for @IF its branches.

    ``logic`` is the expression of @CALCTEXT, @CALCDATE (as ``calcdate(…)``) and @IF's condition.
    """

    name: str
    argument: str | None = None
    logic: Logic | None = None
    then: tuple[ActionTag, ...] = ()
    otherwise: tuple[ActionTag, ...] = ()

    @property
    def known(self) -> bool:
        """Whether REDCap documents the tag (an unknown one is kept and ignored)."""
        return self.name in KNOWN or self.name.startswith("@MC-")


def parse_action_tags(annotation: str) -> tuple[tuple[ActionTag, ...], list[str]]:
    """The tags in an annotation and what could not be read of them (each a warning)."""
    tags: list[ActionTag] = []
    problems: list[str] = []
    i = 0
    while (match := _TAG.search(annotation, i)) is not None:
        name = "@" + match.group(1).upper()
        tag, i = _tag(annotation, name, match.end(), problems)
        if tag is not None:
            tags.append(tag)
    return tuple(tags), problems


def _tag(text: str, name: str, i: int, problems: list[str]) -> tuple[ActionTag | None, int]:
    if text.startswith("(", i):
        end = _closing(text, i)
        if end is None:
            problems.append(f"{name}( is never closed; the tag is ignored")
            return None, len(text)
        return _with_parentheses(name, text[i + 1 : end], problems), end + 1
    rest = text[i:]
    if (equals := re.match(r"\s*=\s*", rest)) is not None:
        start = i + equals.end()
        if start < len(text) and text[start] in "'\"":
            close = text.find(text[start], start + 1)
            if close < 0:
                problems.append(f"the quote after {name}= is never closed; the tag is ignored")
                return None, len(text)
            return ActionTag(name, text[start + 1 : close]), close + 1
        value = re.match(r"[^\s]*", text[start:])
        argument = value.group() if value else ""
        return ActionTag(name, argument), start + len(argument)
    return ActionTag(name), i


def _closing(text: str, opening: int) -> int | None:
    """Where the parenthesis opened at ``opening`` closes (quotes and brackets respected)."""
    depth, quote = 0, ""
    for j in range(opening, len(text)):
        c = text[j]
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
    return None


def _split_arguments(text: str) -> list[str]:
    """Split at commas outside quotes, parentheses and brackets."""
    parts, depth, quote, start = [], 0, "", 0
    for j, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:j])
            start = j + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _with_parentheses(name: str, inside: str, problems: list[str]) -> ActionTag | None:
    if name == "@CALCTEXT":
        return ActionTag(name, inside, _logic(name, inside, problems))
    if name == "@CALCDATE":
        return ActionTag(name, inside, _logic(name, f"calcdate({inside})", problems))
    if name != "@IF":
        return ActionTag(name, inside)
    parts = _split_arguments(inside)
    if len(parts) != 3:
        problems.append(f"@IF takes a condition and two lists of tags, got {len(parts)} parts")
        return None
    condition, then, otherwise = parts
    branches = []
    for branch in (then, otherwise):
        body = branch[1:-1] if branch[:1] in "'\"" and branch[-1:] == branch[:1] else branch
        tags, more = parse_action_tags(body)
        problems.extend(more)
        branches.append(tags)
    return ActionTag(name, inside, _logic(name, condition, problems), branches[0], branches[1])


def _logic(name: str, text: str, problems: list[str]) -> Logic | None:
    try:
        return parse_logic(text)
    except LogicError as error:
        problems.append(f"{name}: {error.reason} at character {error.position}; the tag is ignored")
        return None


def active_tags(
    tags: tuple[ActionTag, ...],
    values: Mapping[str, str],
    context: LogicContext = CLASSIC,
) -> tuple[ActionTag, ...]:
    """The tags in effect for a record: each @IF replaced by the branch its condition picks."""
    result: list[ActionTag] = []
    for tag in tags:
        if tag.name != "@IF":
            result.append(tag)
        elif tag.logic is not None:
            branch = tag.then if tag.logic.show(values, context) else tag.otherwise
            result.extend(active_tags(branch, values, context))
    return tuple(result)


def all_logic(tags: tuple[ActionTag, ...]) -> list[tuple[ActionTag, Logic]]:
    """Every expression in the tags, @IF branches included (to check what they refer to)."""
    found = [(t, t.logic) for t in tags if t.logic is not None]
    for tag in tags:
        found.extend(all_logic(tag.then) + all_logic(tag.otherwise))
    return found
