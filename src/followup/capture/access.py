"""Who may see and change what. Every view asks here; a record outside a user's reach is a 404.

Coordinators reach only their hospital's records, by every route (guessed record IDs included);
data managers reach every hospital and may lock; statisticians read, export and report; the
administrator manages users in Django's admin and does not touch data.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from followup.capture.models import Membership, Record, Role

User = AbstractBaseUser | AnonymousUser


def membership(user: User) -> Membership | None:
    """The user's role, or None for a user with none (who then sees nothing)."""
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("study", "hospital").get(user_id=user.pk)
    except Membership.DoesNotExist:
        return None


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


def can_report(user: User) -> bool:
    """Exports of every hospital and the report: the data manager and the statistician."""
    return role_of(user) in (Role.DATA_MANAGER, Role.STATISTICIAN)


def role_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the user's role and hospital for the header."""
    m = membership(request.user)
    return {
        "membership": m,
        "is_data_manager": bool(m and m.role == Role.DATA_MANAGER),
        "can_report": bool(m and m.role in (Role.DATA_MANAGER, Role.STATISTICIAN)),
    }
