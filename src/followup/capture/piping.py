"""Labels, notes, section headers and choices as the page shows them: HTML allowed, piping filled.

A dictionary's texts may hold HTML (REDCap renders it) and piping — ``[field]``,
``[field:label]``, ``[event][field]``, ``[field][2]``, smart variables — which REDCap replaces
with the record's values. Here the HTML goes through nh3's allow-list first (what REDCap's own
labels use: emphasis, lists, tables, links, line breaks; never script, styles, event handlers or
javascript: links); then each pipe becomes the value, escaped, in a span the page's script
refills as the person types. A blank value pipes as six underscores, as REDCap shows it.
"""

from __future__ import annotations

import json
import re

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from followup.study import Logic, LogicError, parse_logic
from followup.study._logic_tokens import tokenize
from followup.study._logic_values import as_text
from followup.study.logic_context import LogicContext

BLANK = "______"
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup", "dd",
    "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol",
    "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"lang", "dir"},
}
_PIPE = re.compile(r"(?:\[[A-Za-z0-9_\-:(). ]+\])+")


def sanitized(text: str) -> str:
    """The text's HTML with only what the allow-list keeps (plain text is escaped)."""
    return nh3.clean(
        text,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _parsed(text: str, fields: frozenset[str], *, labels: bool) -> Logic | None:
    """The pipe as an expression, or None if it names no field or smart variable of the study.

    A choice field pipes its label unless ``:value`` is asked (REDCap's piping default).
    """
    try:
        tokens = [t for t in tokenize(text) if t.kind != "end"]
    except LogicError:
        return None
    if len(tokens) != 1 or tokens[0].kind not in ("ref", "smart"):
        return None
    token = tokens[0]
    if token.kind == "ref" and token.text not in fields:
        return None
    if labels and token.kind == "ref" and token.modifier is None and token.code is None:
        close = text.index("]", token.position - 1)
        text = text[:close] + ":label" + text[close:]
    text = text.replace(":value]", "]")
    try:
        return parse_logic(text)
    except LogicError:
        return None


def rendered(
    text: str, values: dict[str, str], context: LogicContext, fields: frozenset[str]
) -> SafeString:
    """The text as the page shows it: allow-listed HTML, each pipe filled with its value."""
    if not text:
        return mark_safe("")

    def one(match: re.Match[str]) -> str:
        logic = _parsed(match.group(0), fields, labels=True)
        if logic is None:
            return match.group(0)  # brackets that are not a pipe stay as written
        shown = as_text(logic.value(values, context)) or BLANK
        tree = json.dumps(logic.tree(context))
        return f'<span class="pipe" data-pipe="{escape(tree)}">{escape(shown)}</span>'

    return mark_safe(_PIPE.sub(one, sanitized(text)))  # nh3 output; piped values escaped


def piped_text(
    text: str, values: dict[str, str], context: LogicContext, fields: frozenset[str]
) -> str:
    """Plain text with pipes filled (for @DEFAULT and @SETVALUE, which pipe values, not labels)."""

    def one(match: re.Match[str]) -> str:
        logic = _parsed(match.group(0), fields, labels=False)
        return match.group(0) if logic is None else as_text(logic.value(values, context))

    return _PIPE.sub(one, text)
