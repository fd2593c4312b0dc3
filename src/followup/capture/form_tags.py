"""What a field's action tags make of it on the form, for one record (REDCap's action tags).

@IF is resolved with the record's values when the page is built, as REDCap resolves it when the
page loads. The server applies what it must trust nobody else for: a read-only or computed field
keeps its stored (or computed) value whatever is posted, and the limits (@CHARLIMIT, @WORDLIMIT,
@MAXCHECKED, @NONEOFTHEABOVE) block a save with a message beside the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from followup.study import Field
from followup.study.action_tags import ActionTag, active_tags
from followup.study.choices import checkbox_column
from followup.study.logic_context import LogicContext

_HIDDEN = ("@HIDDEN", "@HIDDEN-FORM")
_READONLY = ("@READONLY", "@READONLY-FORM")


def _codes(tag: ActionTag | None) -> frozenset[str]:
    return (
        frozenset(c.strip() for c in (tag.argument or "").split(",") if c.strip())
        if tag
        else frozenset()
    )


def _number(tag: ActionTag | None) -> int | None:
    text = (tag.argument or "").strip() if tag else ""
    return int(text) if text.isascii() and text.isdigit() else None


@dataclass(frozen=True)
class Behaviour:
    """A field's behaviour on this record's form."""

    hidden: bool = False
    readonly: bool = False
    computed: bool = False
    default: str | None = None  # @DEFAULT: when the form has nothing saved
    set_value: str | None = None  # @SETVALUE / @PREFILL: every time the page is built
    stamp: str = ""  # @NOW, @TODAY, @USERNAME: filled in when blank
    hide_choices: frozenset[str] = frozenset()
    show_choices: frozenset[str] = frozenset()
    exclusive: frozenset[str] = frozenset()  # @NONEOFTHEABOVE
    max_checked: int | None = None
    char_limit: int | None = None
    word_limit: int | None = None
    placeholder: str = ""

    def shown_choice(self, code: str, stored: bool) -> bool:
        """Whether a choice is offered (a hidden one still shows while it is the answer)."""
        if stored:
            return True
        if self.show_choices:
            return code in self.show_choices
        return code not in self.hide_choices


def behaviour(field: Field, values: Mapping[str, str], context: LogicContext) -> Behaviour:
    """The field's behaviour, its @IF resolved with the record's values."""
    tags = active_tags(field.action_tags, values, context)
    named = {t.name: t for t in tags}
    stamp = next((t.name for t in tags if t.name in _STAMPS), "")
    return Behaviour(
        hidden=any(n in named for n in _HIDDEN),
        readonly=any(n in named for n in _READONLY),
        computed=field.computed is not None,
        default=named["@DEFAULT"].argument if "@DEFAULT" in named else None,
        set_value=next((named[n].argument for n in ("@SETVALUE", "@PREFILL") if n in named), None),
        stamp=stamp,
        hide_choices=_codes(named.get("@HIDECHOICE")),
        show_choices=_codes(named.get("@SHOWCHOICE")),
        exclusive=_codes(named.get("@NONEOFTHEABOVE")),
        max_checked=_number(named.get("@MAXCHECKED")),
        char_limit=_number(named.get("@CHARLIMIT")),
        word_limit=_number(named.get("@WORDLIMIT")),
        placeholder=(named["@PLACEHOLDER"].argument or "") if "@PLACEHOLDER" in named else "",
    )


_STAMPS = ("@NOW", "@NOW-SERVER", "@NOW-UTC", "@TODAY", "@TODAY-SERVER", "@TODAY-UTC", "@USERNAME")


def stamp_value(stamp: str, field: Field, user: str, now: dt.datetime) -> str:
    """What @NOW, @TODAY or @USERNAME fills a blank field with (in its validation's form)."""
    if stamp == "@USERNAME":
        return user
    if stamp.startswith("@TODAY"):
        return now.date().isoformat()
    kind = field.validation
    if kind.startswith("date_"):
        return now.date().isoformat()
    if kind.startswith("time"):
        return now.strftime("%H:%M:%S" if kind == "time_hh_mm_ss" else "%H:%M")
    if kind.startswith("datetime_seconds") or not kind:
        return now.strftime("%Y-%m-%d %H:%M:%S")
    return now.strftime("%Y-%m-%d %H:%M")


def limit_messages(field: Field, how: Behaviour, values: Mapping[str, str]) -> list[str]:
    """What a save breaks of the field's limits, each as the coordinator reads it."""
    found = []
    if field.field_type == "checkbox":
        ticked = {
            c.code for c in field.choices if values.get(checkbox_column(field.name, c.code)) == "1"
        }
        if how.max_checked is not None and len(ticked) > how.max_checked:
            found.append(_("Tick at most %(count)d options.") % {"count": how.max_checked})
        if ticked & how.exclusive and len(ticked) > 1:
            found.append(_("“None of the above” cannot be ticked with another option."))
        return found
    text = values.get(field.name, "")
    if how.char_limit is not None and len(text) > how.char_limit:
        found.append(_("Write at most %(count)d characters.") % {"count": how.char_limit})
    if how.word_limit is not None and len(text.split()) > how.word_limit:
        found.append(_("Write at most %(count)d words.") % {"count": how.word_limit})
    return found


def prefilled(
    fields: list[Field],
    behaviours: Mapping[str, Behaviour],
    stored: Mapping[str, str],
    pipe: Callable[[str], str],
    *,
    saved: bool,
    user: str,
    now: dt.datetime,
) -> dict[str, str]:
    """Values the tags put in the form as it opens.

    @SETVALUE always, @DEFAULT on a form with nothing saved, @NOW/@TODAY/@USERNAME in a blank
    field (REDCap does none of it on import).
    """
    values: dict[str, str] = {}
    for field in fields:
        how = behaviours.get(field.name, Behaviour())
        if how.set_value is not None:
            given = pipe(how.set_value)
        elif how.default is not None and not saved:
            given = pipe(how.default)
        elif how.stamp and not stored.get(field.name, "").strip():
            given = stamp_value(how.stamp, field, user, now)
        else:
            continue
        if field.field_type == "checkbox":
            ticked = {c.strip() for c in given.split(",")}
            values |= {
                checkbox_column(field.name, c.code): "1" if c.code in ticked else "0"
                for c in field.choices
            }
        else:
            values[field.name] = given
    return values
