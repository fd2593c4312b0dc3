"""Template filters of the capture pages."""

from django import template

register = template.Library()


@register.filter
def form_title(name: str) -> str:
    """'relapse_questionnaire' → 'Relapse questionnaire'."""
    return name.replace("_", " ").capitalize()
