"""Reading what a browser sent: every value a page offers is checked, nothing is trusted.

A field that is missing, not a number, out of the offered set or too long is a 400 with a
message naming the field (Django's ``BadRequest``, shown by ``errors.bad_request``), never a 500.
"""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

MAX_TEXT = 10_000  # a reply, a reason, a query: generous, and bounded


def posted_int(
    request: HttpRequest,
    name: str,
    *,
    allowed: Collection[int] | None = None,
    default: int | None = None,
) -> int:
    """A whole number the page sent, from ``allowed`` when given."""
    raw = request.POST.get(name)
    if raw is None or raw == "":
        if default is not None:
            return default
        raise BadRequest(_("The form did not send %(field)s.") % {"field": name})
    try:
        number = int(raw, 10)
    except ValueError:
        raise BadRequest(
            _("%(field)s must be a whole number; got %(value)s.")
            % {"field": name, "value": repr(raw[:40])}
        ) from None
    if number < 0 or (allowed is not None and number not in allowed):
        raise BadRequest(_("%(field)s cannot be %(value)s.") % {"field": name, "value": number})
    return number


def posted_text(request: HttpRequest, name: str, *, required: bool = False, what: str = "") -> str:
    """Text the page sent, stripped; ``required`` refuses blank with ``what`` as the message."""
    text = request.POST.get(name, "")
    if len(text) > MAX_TEXT:
        raise BadRequest(
            _("%(field)s is longer than %(limit)d characters.") % {"field": name, "limit": MAX_TEXT}
        )
    if "\x00" in text:
        raise BadRequest(_("%(field)s contains a NUL character.") % {"field": name})
    text = text.strip()
    if required and not text:
        raise BadRequest(what or _("%(field)s cannot be blank.") % {"field": name})
    return text


def posted_choice(request: HttpRequest, name: str, allowed: Collection[str]) -> str:
    """One of the values the page offered."""
    value = request.POST.get(name, "")
    if value not in allowed:
        raise BadRequest(
            _("%(field)s must be one of %(allowed)s; got %(value)s.")
            % {"field": name, "allowed": ", ".join(sorted(allowed)), "value": repr(value[:40])}
        )
    return value


def posted_language(request: HttpRequest, *, blank: bool) -> str:
    """One of the app's languages (``blank``: or none, which follows the browser)."""
    codes = {code for code, _name in settings.LANGUAGES} | ({""} if blank else set())
    return posted_choice(request, "language", codes)


def safe_next(request: HttpRequest, fallback: str) -> str:
    """``next`` only when it points into this site (no open redirect), else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
