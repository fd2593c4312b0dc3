"""The hospitals and users as REDCap's API exports them: data access groups and user rights.

``dag`` lists the hospitals a token's user may see (a coordinator: their own). ``user`` lists the
study's people with REDCap's rights fields, each derived from the role: what the web app lets
that role do (access.py), written as REDCap writes rights (0 no access, 1 access; form rights
1 view and edit, 2 read only, 0 none). Only the data manager, who manages people, may list them
(REDCap asks for User Rights privileges).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from followup.capture.access import DATA_ROLES
from followup.capture.api_protocol import ApiError, ApiRequest, table_response
from followup.capture.models import Hospital, Membership, Role
from followup.capture.setup import UNASSIGNED

_USER_FIELDS = (
    "username",
    "email",
    "firstname",
    "lastname",
    "expiration",
    "data_access_group",
    "data_access_group_id",
    "design",
    "alerts",
    "user_rights",
    "data_access_groups",
    "reports",
    "stats_and_charts",
    "manage_survey_participants",
    "calendar",
    "data_import_tool",
    "data_comparison_tool",
    "logging",
    "email_logging",
    "file_repository",
    "data_quality_create",
    "data_quality_execute",
    "api_export",
    "api_import",
    "api_modules",
    "mobile_app",
    "mobile_app_download_data",
    "record_create",
    "record_rename",
    "record_delete",
    "lock_records_customization",
    "lock_records",
    "lock_records_all_forms",
    "forms",
    "forms_export",
)
# Rights each role has in the web app, under REDCap's names (the rest are 0).
_RIGHTS: dict[str, set[str]] = {
    Role.DATA_MANAGER: {
        "design",
        "user_rights",
        "data_access_groups",
        "reports",
        "stats_and_charts",
        "data_import_tool",
        "logging",
        "data_quality_create",
        "data_quality_execute",
        "api_export",
        "api_import",
        "record_create",
        "lock_records",
        "lock_records_all_forms",
    },
    Role.COORDINATOR: {"api_export", "api_import", "logging"},
    Role.STATISTICIAN: {"reports", "stats_and_charts", "api_export"},
    Role.ADMINISTRATOR: set(),
}
_FORM_RIGHT: dict[str, int] = {Role.DATA_MANAGER: 1, Role.COORDINATOR: 1, Role.STATISTICIAN: 2}


def visible_hospitals(member: Membership) -> list[Hospital]:
    """The hospitals the user may see, without the one of records imported with none."""
    if member.role == Role.COORDINATOR:
        return [member.hospital] if member.hospital else []
    if member.role not in DATA_ROLES:
        return []
    found = Hospital.objects.filter(study=member.study).exclude(code=UNASSIGNED).order_by("code")
    return list(found)


def dags(member: Membership, request: ApiRequest) -> HttpResponse:
    """Each hospital the user may see: name, code and number."""
    items = [
        {
            "data_access_group_name": h.name,
            "unique_group_name": h.code,
            "data_access_group_id": h.pk,
        }
        for h in visible_hospitals(member)
    ]
    header = ["data_access_group_name", "unique_group_name", "data_access_group_id"]
    return table_response(items, header, request.format)


def users(member: Membership, request: ApiRequest) -> HttpResponse:
    """The study's people with REDCap's rights fields (the data manager's call)."""
    if member.role != Role.DATA_MANAGER:
        raise ApiError(403, _("You do not have User Rights privileges"))
    members = (
        Membership.objects.filter(study=member.study)
        .select_related("user", "hospital")
        .order_by("user__username")
    )
    forms = member.study.dictionary.forms
    items = [user_rights(m, forms) for m in members]
    return table_response(items, _USER_FIELDS, request.format)


def user_rights(member: Membership, forms: tuple[str, ...]) -> dict[str, Any]:
    """One user's line: who, their hospital, and each right their role has."""
    user = member.user
    rights = _RIGHTS.get(member.role, set())
    hospital = member.hospital if member.role == Role.COORDINATOR else None
    line: dict[str, Any] = {
        "username": user.get_username(),
        "email": user.email,
        "firstname": user.first_name,
        "lastname": user.last_name,
        "expiration": "",
        "data_access_group": hospital.code if hospital else "",
        "data_access_group_id": hospital.pk if hospital else "",
    }
    for name in _USER_FIELDS[7:-2]:
        line[name] = int(name in rights)
    line["forms"] = dict.fromkeys(forms, _FORM_RIGHT.get(member.role, 0))
    line["forms_export"] = dict.fromkeys(forms, int("api_export" in rights))
    return line
