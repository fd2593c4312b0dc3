"""POST /api/: REDCap's API for scripts (PyCap, REDCapR), answered from the study's data.

Authentication is the posted token only: a browser's session cookie is never read here, so the
route needs no CSRF token and a signed-in page cannot be made to call it. Every answer, refusals
and unexpected failures included, is in REDCap's format and, as REDCap's, in English; nothing
shows a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from followup.capture import api_metadata, api_people, api_schedule
from followup.capture.access import DATA_ROLES
from followup.capture.api_auth import holder
from followup.capture.api_import import import_records
from followup.capture.api_protocol import ApiError, ApiRequest, error_response
from followup.capture.api_records import export_records
from followup.capture.models import Membership

log = logging.getLogger("followup.capture")
Answer = Callable[[Membership, ApiRequest], HttpResponse]
_EXPORTS: dict[str, Answer] = {
    "metadata": api_metadata.metadata,
    "instrument": api_metadata.instruments,
    "exportFieldNames": api_metadata.field_names,
    "project": api_metadata.project,
    "version": api_metadata.version,
    "dag": api_people.dags,
    "user": api_people.users,
    "event": api_schedule.events,
    "arm": api_schedule.arms,
    "formEventMapping": api_schedule.form_event_mapping,
    "repeatingFormsEvents": api_schedule.repeating,
    "record": export_records,
}


@csrf_exempt
def api(request: HttpRequest) -> HttpResponse:
    """One API call: the token's user, the content asked for, REDCap's answer or error.

    In English whatever the user's language, as REDCap's API answers: scripts read these
    messages, and the same script must see the same words for every user.
    """
    with translation.override("en"):
        return _call(request)


def _call(request: HttpRequest) -> HttpResponse:
    return_format = "xml"
    try:
        if request.method != "POST":
            raise ApiError(405, _("The API answers POST requests only."))
        try:
            fields = ApiRequest(request.POST)
        except RequestDataTooBig:
            raise ApiError(
                413, _("The request is too large: send the records in smaller batches.")
            ) from None
        except TooManyFieldsSent:
            raise ApiError(
                413, _("The request has too many fields: send the names comma-separated.")
            ) from None
        return_format = fields.return_format
        member = holder(request, fields.value("token").strip())
        return _answer(member, fields)
    except ApiError as error:
        return error_response(error, return_format)
    except Exception:
        log.exception("API request failed")
        failure = ApiError(
            500,
            _(
                "The server could not answer this request; nothing was changed. The cause is in "
                "the server's log."
            ),
        )
        return error_response(failure, return_format)


def _answer(member: Membership, fields: ApiRequest) -> HttpResponse:
    """The call ``content`` names, within the member's rights."""
    content = fields.value("content").strip()
    action = fields.choice("action", ("export", "import", "delete", "switch"), "export")
    if content not in _EXPORTS:
        raise ApiError(400, _('The value of the parameter "content" is not valid'))
    if content == "version":
        return api_metadata.version(member, fields)
    if member.role not in DATA_ROLES:
        raise ApiError(403, _("You do not have API Export privileges"))
    changes = action in ("import", "delete", "switch") or "data" in fields.fields
    if content == "record" and action == "delete":
        raise ApiError(
            403, _("Followup's API does not delete records: the trail keeps every record.")
        )
    if content == "record" and changes:
        return import_records(member, fields)
    if changes:
        raise api_metadata.no_import(content)
    return _EXPORTS[content](member, fields)
