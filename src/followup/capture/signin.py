"""Sign-in protection: django-axes counts wrong passwords; lockouts and unlocks go in the trail.

A user name is locked after ``AXES_FAILURE_LIMIT`` wrong passwords in a row, and so is an
address (whatever names it tries), for ``AXES_COOLOFF_TIME``; the person sees the lockout page
(``registration/locked_out.html``) saying how long. The administrator unlocks in the admin
(Access attempts → delete, or the "Unlock" action); both the lockout and the unlock are entries
of the audit chain, with the user name and address.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest

from followup.capture.audit import Change, append
from followup.capture.people import study_of_user


@receiver(user_locked_out)
def _record_lockout(
    sender: object, request: HttpRequest, username: str | None, ip_address: str, **_: Any
) -> None:
    """One trail entry when the limit is reached (not one per refused attempt after it)."""
    failures = getattr(request, "axes_failures_since_start", None)
    limit = get_failure_limit(request, getattr(request, "axes_credentials", None))
    if failures is not None and failures != limit:
        return
    name = username or ""
    append(
        study_of_user(name),
        name or "(no user name)",
        [
            Change(
                "",
                "",
                "",
                "signin_lockout",
                "",
                f"user name {name!r}, address {ip_address}",
                f"{limit} wrong passwords in a row",
            )
        ],
    )


def unlock(attempts: QuerySet[AccessAttempt], by: str) -> int:
    """Remove the counted failures (the lockout ends), one trail entry per user name and address."""
    unlocked = 0
    for attempt in attempts:
        append(
            study_of_user(attempt.username or ""),
            by,
            [
                Change(
                    "",
                    "",
                    "",
                    "signin_unlock",
                    f"user name {attempt.username!r}, address {attempt.ip_address}",
                    "",
                    f"{attempt.failures_since_start} failures cleared by the administrator",
                )
            ],
        )
        attempt.delete()
        unlocked += 1
    return unlocked
