"""Per-request settings that depend on who is signed in."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from followup.capture import access


class UserLanguageMiddleware:
    """Pages in the language the user chose; without a choice, the browser's (LocaleMiddleware).

    It runs after authentication, so a coordinator who picked Japanese sees Japanese on every
    device, whatever the browser asks for.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Activate the chosen language for this request."""
        m = access.membership(request.user)
        if m is not None and m.language:
            translation.activate(m.language)
            request.LANGUAGE_CODE = m.language
        return self.get_response(request)
