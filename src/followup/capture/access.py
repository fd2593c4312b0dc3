"""Who may see and change what. Every view asks here; a record outside a user's reach is a 404.

Coordinators reach only their hospital's records, by every route (guessed record IDs included);
data managers reach every hospital and may lock; statisticians read, export and report; the
administrator manages users in Django's admin and does not touch data.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import BadRequest, PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from followup.capture.models import Hospital, Membership, Record, Role

User = AbstractBaseUser | AnonymousUser
_CACHED = "_followup_membership"
REPORTERS = (Role.DATA_MANAGER, Role.STATISTICIAN)  # who runs the report of every hospital
DATA_ROLES = (Role.DATA_MANAGER, Role.COORDINATOR, Role.STATISTICIAN)  # all but the administrator


def membership(user: User) -> Membership | None:
    """The user's role, or None for a user with none (who then sees nothing).

    Read once per request: every check of one request asks about the same user object.
    """
    if not user.is_authenticated:
        return None
    cache = user.__dict__
    if _CACHED not in cache:
        query = Membership.objects.select_related("study", "hospital").filter(user_id=user.pk)
        cache[_CACHED] = query.first()
    found: Membership | None = cache[_CACHED]
    return found


def require(user: User, roles: tuple[str, ...], refusal: str) -> Membership:
    """The membership of a user whose role is one of ``roles``; 403 with ``refusal`` otherwise."""
    m = membership(user)
    if m is None or m.role not in roles:
        raise PermissionDenied(refusal)
    return m


def role_of(user: User) -> str | None:
    """The role's code."""
    m = membership(user)
    return m.role if m else None


def visible_records(user: User) -> QuerySet[Record]:
    """The records a user may read."""
    m = membership(user)
    if m is None or m.role == Role.ADMINISTRATOR:
        return Record.objects.none()
    records = Record.objects.filter(study=m.study).select_related("hospital", "study")
    if m.role == Role.COORDINATOR:
        return records.filter(hospital=m.hospital)
    return records


def record_for(user: User, record_id: str) -> Record:
    """One readable record, or 404 (the same answer whether it exists elsewhere or not at all)."""
    try:
        return visible_records(user).get(record_id=record_id)
    except Record.DoesNotExist:
        raise Http404("no such record") from None


def can_edit(user: User) -> bool:
    """Coordinators (their hospital's records) and data managers enter data."""
    return role_of(user) in (Role.COORDINATOR, Role.DATA_MANAGER)


def is_data_manager(user: User) -> bool:
    """Locking, queries, invitations and the dashboard are the data manager's."""
    return role_of(user) == Role.DATA_MANAGER


def hospitals_in_reach(m: Membership) -> list[Hospital]:
    """The hospitals whose records a user reaches: a coordinator's own, or every one."""
    if m.role == Role.COORDINATOR:
        return [m.hospital] if m.hospital else []
    return list(Hospital.objects.filter(study=m.study).order_by("code"))


def hospital_filter(m: Membership, code: str) -> tuple[list[Hospital], str]:
    """The hospitals a page may be filtered by, and the one chosen ('' for all).

    A coordinator sees one hospital: no choice, and a code they send is ignored. For the data
    center, a code that is no hospital of the study is a 400.
    """
    if m.role == Role.COORDINATOR:
        return [], ""
    hospitals = list(Hospital.objects.filter(study=m.study).order_by("code"))
    if code and code not in {h.code for h in hospitals}:
        raise BadRequest(_("There is no hospital %(code)s.") % {"code": repr(code[:40])})
    return hospitals, code


def role_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the user's role and hospital for the header."""
    m = membership(request.user)
    return {
        "membership": m,
        "is_data_manager": bool(m and m.role == Role.DATA_MANAGER),
        "can_report": bool(m and m.role in REPORTERS),
        "can_edit": bool(m and m.role in (Role.COORDINATOR, Role.DATA_MANAGER)),
    }
