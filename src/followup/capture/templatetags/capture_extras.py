"""Template filters of the capture pages."""

from django import template

register = template.Library()


@register.filter
def form_title(name: str) -> str:
    """'relapse_questionnaire' → 'Relapse questionnaire'."""
    return name.replace("_", " ").capitalize()


@register.filter
def field_label(name: str, record: object) -> str:
    """A field's label from the record's study dictionary ('sct2_date' → 'Date of second SCT')."""
    dictionary = record.study.dictionary  # type: ignore[attr-defined]
    return dictionary.field(name).label if name in dictionary else name
