"""The dictionary in the reader's language: labels, notes, choices and form titles.

A study may carry one translation per language beside its dictionary (``DictionaryTranslation``,
read by ``followup.study.translation``). Every text a form shows asks here with the user's
language; what has no translation falls back to the dictionary's own text, so a partial
translation is still useful. The app's own words (buttons, messages) are Django's gettext.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from followup.capture.models import DictionaryTranslation, Study
from followup.study import Field
from followup.study.translation import DictionaryText, read_translation
from followup.study.validation import Rule

_CACHE = "_followup_translations"


def translation_for(study: Study, language: str) -> DictionaryText | None:
    """The study's translation into ``language``, parsed once per loaded study."""
    cache: dict[str, DictionaryText | None] = study.__dict__.setdefault(_CACHE, {})
    if language not in cache:
        row = DictionaryTranslation.objects.filter(study=study, language=language).first()
        cache[language] = (
            read_translation(row.csv, study.dictionary, source=f"{language} translation")
            if row is not None
            else None
        )
    return cache[language]


def field_label(study: Study, field: Field, language: str) -> str:
    """The field's label in ``language``, or the dictionary's."""
    found = translation_for(study, language)
    return (found.label(field.name) if found else None) or field.label


def field_note(study: Study, field: Field, language: str) -> str:
    """The field's note in ``language``, or the dictionary's."""
    found = translation_for(study, language)
    return (found.note(field.name) if found else None) or field.note


def section_header(study: Study, field: Field, language: str) -> str:
    """The section header above the field in ``language``, or the dictionary's."""
    found = translation_for(study, language)
    return (found.section_header(field.name) if found else None) or field.section_header


def choice_label(study: Study, field: Field, code: str, language: str) -> str | None:
    """A choice's label in ``language``; None when ``code`` is not one of the field's choices."""
    if field.field_type == "yesno":
        fixed = {"1": _("Yes"), "0": _("No")}.get(code)
    elif field.field_type == "truefalse":
        fixed = {"1": _("True"), "0": _("False")}.get(code)
    else:
        fixed = field.label_of(code)
    if fixed is None:
        return None
    found = translation_for(study, language)
    return (found.choice(field.name, code) if found else None) or fixed


def choices(study: Study, field: Field, language: str) -> list[tuple[str, str]]:
    """The field's (code, label) pairs in ``language``."""
    if field.field_type in ("yesno", "truefalse"):
        codes = ["1", "0"]
    else:
        codes = [c.code for c in field.choices]
    return [(code, choice_label(study, field, code, language) or code) for code in codes]


def form_title(study: Study, form: str, language: str) -> str:
    """The form's title: its translation, else 'relapse_questionnaire' → 'Relapse questionnaire'."""
    found = translation_for(study, language)
    return (found.form_label(form) if found else None) or form.replace("_", " ").capitalize()


def rule_message(study: Study, rule: Rule, language: str) -> str:
    """A plan rule's message in ``language``, or the plan's."""
    found = translation_for(study, language)
    return (found.rule_message(rule.name) if found else None) or rule.message
