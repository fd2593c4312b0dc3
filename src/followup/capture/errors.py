"""The pages shown when a request cannot be answered: each says what happened and what to do.

Django calls these for 400, 403, 404 and any uncaught exception. A database that cannot write
(a full disk, a read-only file system) is told apart from a bug: the person sees "the server
cannot save right now, nothing was half-saved", and the cause goes to the log with its traceback
(Django's ``django.request`` logger, which the settings send to stderr).
"""

from __future__ import annotations

import errno
import logging
import shutil
import sys

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

log = logging.getLogger("followup.capture")
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    """A standalone page: it reads nothing from the database, which may be what failed."""
    body = loader.render_to_string(
        "capture/error.html", {"title": title, "text": text, "status": status}
    )
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400: a form or link that was changed, or a value the page did not offer.

    Only the app's own refusals (``BadRequest``) are shown in words; Django's own (a bad Host
    header, a damaged request) get the general sentence, so no setting's name leaks.
    """
    detail = str(exception) if isinstance(exception, BadRequest) and exception.args else ""
    text = detail or _("The request did not come from one of this site's pages.")
    return _page(request, 400, _("This request cannot be used"), text)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 for a form without its token: usually a page left open too long, or cookies off."""
    return _page(
        request,
        403,
        _("This form has expired"),
        _(
            "The page was open for too long, or the browser does not keep cookies for this "
            "site. Nothing was saved: go back, reload the page and enter it again."
        ),
    )


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403: the user's role does not allow this page."""
    detail = str(exception) if exception.args else ""
    text = detail or _("Your role does not allow this page.")
    return _page(request, 403, _("Not allowed"), text)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: no such page, or a record outside the user's hospital (the same answer)."""
    return _page(
        request,
        404,
        _("Not found"),
        _("There is no such page or record, or it belongs to another hospital."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 when the database cannot write; nothing of the request was kept."""
    error = sys.exc_info()[1]
    if cannot_write(error):
        log.error(
            "cannot save: %s (%s %s); free space in the data folder: %s",
            error,
            request.method,
            request.path,
            _free_space(),
        )
        if request.method == "GET":
            return _page(
                request,
                503,
                _("The server cannot reach the study's data right now"),
                _("Nothing was changed. The data center has been told. Please try again later."),
            )
        return _page(
            request,
            503,
            _("The server cannot save right now"),
            _(
                "Nothing of this request was saved, and nothing was half-saved. The data center "
                "has been told. Please try again later; what you entered is still in the form "
                "if you go back."
            ),
        )
    return _page(
        request,
        500,
        _("Something went wrong"),
        _("Nothing of this request was saved. Please tell the data center what you were doing."),
    )


def _free_space() -> str:
    """Free space where the database lives, for the log (the usual cause is a full disk)."""
    try:
        free = shutil.disk_usage(settings.DATA_DIR).free
    except OSError as error:
        return f"unknown ({error})"
    return f"{free // (1024 * 1024)} MB"


def cannot_write(error: BaseException | None) -> bool:
    """The database or the disk refused to write (full, read-only, quota, I/O)."""
    if isinstance(error, OSError) and error.errno in _NO_SPACE:
        return True
    if isinstance(error, DatabaseError):
        text = str(error).lower()
        return any(
            words in text
            for words in ("disk is full", "no space left", "read-only", "readonly", "disk i/o")
        )
    return False
