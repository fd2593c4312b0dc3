"""Landing after sign-in, and the user's language."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.utils import translation
from django.views.decorators.http import require_POST

from followup.capture import access
from followup.capture.models import Role
from followup.capture.posted import posted_language, safe_next


@login_required
def home(request: HttpRequest) -> HttpResponseBase:
    """Where a user lands: the data manager on the hospitals, the administrator in the admin.

    Everyone else lands on their records.
    """
    role = access.role_of(request.user)
    if role == Role.DATA_MANAGER:
        return redirect("dashboard")
    if role == Role.ADMINISTRATOR:
        return redirect("admin:index")
    return redirect("records")


@require_POST
def set_language(request: HttpRequest) -> HttpResponseBase:
    """Choose the pages' language: kept with the user's account (or in a cookie before sign-in)."""
    from django.conf import settings

    language = posted_language(request, blank=True)
    m = access.membership(request.user)
    if m is not None:
        m.language = language
        m.save(update_fields=["language"])
    response = redirect(safe_next(request, "/"))
    if language:
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
