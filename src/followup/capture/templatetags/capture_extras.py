"""Template filters of the capture pages."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(span: timedelta) -> int:
    """A lockout's length in whole minutes (rounded up)."""
    return -(-int(span.total_seconds()) // 60)
