"""Validation findings in a coordinator's words: labels not variable names, one message per problem.

``followup.study.validation`` finds the problems (the same rules as ``followup validate``); this
module says them on the form, in the user's language: "Enter a whole number" beside the field,
a plan rule's message with the labels and values it compared. When a field already has its own
type, choice or range message, a plan rule about that field alone says the same thing again and
is not shown (the MLL03 infant-age rule and the 0-365 range of its field, for one); nor is a rule
that compared a value which is not a date, number or choice at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext as _

from followup.capture.models import Study
from followup.capture.translations import choice_label, field_label, rule_message
from followup.study import Field
from followup.study.validation import Finding, Rule, rule_fields
from followup.study.values import slider_range

_FIELD_RULES = ("type", "choice", "range")


def _expected(field: Field) -> str:
    if field.field_type == "slider":
        low, high = slider_range(field)
        return _("Enter a whole number from %(min)d to %(max)d.") % {"min": low, "max": high}
    kind = field.text_type.name if field.text_type else ""
    if kind.startswith("datetime"):
        return _("Enter a date and time as YYYY-MM-DD HH:MM, e.g. 2010-06-30 14:05.")
    if kind.startswith("date"):
        return _("Enter a date as YYYY-MM-DD, e.g. 2010-06-30.")
    if kind == "integer":
        return _("Enter a whole number, e.g. 42.")
    if kind.startswith("number"):
        return _("Enter a number, with a dot before any decimals, e.g. 12.5.")
    if kind == "email":
        return _("Enter an e-mail address, e.g. name@hospital.example.")
    expects = field.text_type.expects if field.text_type else ""
    return _("Enter %(what)s.") % {"what": expects} if expects else _("Check this value.")


def _range(field: Field) -> str:
    low, high = field.minimum, field.maximum
    if low and high:
        return _("Enter a value from %(min)s to %(max)s.") % {"min": low, "max": high}
    if low:
        return _("Enter a value of at least %(min)s.") % {"min": low}
    return _("Enter a value of at most %(max)s.") % {"max": high}


def shown_value(study: Study, field: Field, raw: str, language: str) -> str:
    """A value as a person reads it: a choice's label with its code, blank as 'blank'."""
    if raw.strip() == "":
        return _("blank")
    if field.choices or field.field_type in ("yesno", "truefalse"):
        label = choice_label(study, field, raw, language)
        return f"{label} ({raw})" if label is not None else raw
    return raw


def field_message(field: Field, finding: Finding, value: str) -> str:
    """The message beside a field for one of its own findings."""
    if finding.rule == "choice":
        text = _("Choose one of the options.")
    elif finding.rule == "range":
        text = _range(field)
    elif finding.rule == "type":
        text = _expected(field)
    else:
        return finding.message
    if value.strip():
        typed = value.strip()
        typed = typed if len(typed) <= 60 else typed[:57] + "…"
        text += " " + _("You entered %(value)s.") % {"value": f"“{typed}”"}
    return text


def messages_by_field(
    study: Study,
    form: str,
    findings: Sequence[Finding],
    values: Mapping[str, str],
    language: str,
) -> dict[str, list[str]]:
    """Each finding's message under the field of this form it belongs to; no repeats."""
    dictionary = study.dictionary
    plan = study.plan
    rules = {r.name: r for r in plan.rules} if plan else {}
    own = {f.name for f in dictionary.form_fields(form)}
    by_field: dict[str, list[str]] = {}
    flagged = {f.field for f in findings if f.rule in _FIELD_RULES}
    unreadable = {f.field for f in findings if f.rule in ("type", "choice")}
    for finding in findings:
        if finding.field in dictionary and finding.rule in _FIELD_RULES:
            field = dictionary.field(finding.field)
            text = field_message(field, finding, values.get(field.name, ""))
            by_field.setdefault(field.name, []).append(text)
            continue
        rule = rules.get(finding.rule)
        if rule is None:
            by_field.setdefault(finding.field, []).append(finding.message)
            continue
        named = list(rule_fields(rule, dictionary))
        if named and (set(named) <= flagged or set(named) & unreadable):
            continue  # the field's own message already says it, or the rule compared nonsense
        at = next((n for n in named if n in own), named[0] if named else finding.field)
        text = _rule_text(study, rule, named, values, language)
        if text not in by_field.get(at, []):
            by_field.setdefault(at, []).append(text)
    return by_field


def _rule_text(
    study: Study, rule: Rule, named: list[str], values: Mapping[str, str], language: str
) -> str:
    dictionary = study.dictionary
    message = rule_message(study, rule, language)
    parts = []
    for name in named:
        field = dictionary.field(name)
        if field.field_type == "checkbox":
            continue
        label = field_label(study, field, language)
        parts.append(f"{label}: {shown_value(study, field, values.get(name, ''), language)}")
    first = message[:1].upper() + message[1:]
    if not parts:
        return _("%(message)s.") % {"message": first}
    return _("%(message)s (%(values)s).") % {"message": first, "values": "; ".join(parts)}
