"""Sign-in: wrong passwords lock a user name and an address; the lockout and unlock are audited.

Defect 2 of the security review: 30 wrong passwords in 14 s, then the right one signed in.
"""

from __future__ import annotations

import re

from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from followup.capture.audit import verify
from followup.capture.models import AuditEntry
from tests.capture.conftest import PASSWORD, Site, signs_in


def _try(username: str, password: str, address: str = "127.0.0.1") -> object:
    return Client().post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_wrong_passwords_lock_the_user_name_even_for_the_right_password(site: Site) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        _try("coordinator", "not the password", "10.0.0.1")
    locked = _try("coordinator", PASSWORD, "10.0.0.2")  # another address: the name is locked
    page = locked.content.decode()  # type: ignore[attr-defined]
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert "Sign-in locked for now" in page
    assert f"There were {limit} wrong passwords" in page
    assert "Try again in 30 minutes" in page
    entry = AuditEntry.objects.get(action="signin_lockout")
    assert "'coordinator'" in entry.new
    assert AuditEntry.objects.filter(action="signin_lockout").count() == 1  # not one per try
    assert verify().ok


def test_wrong_passwords_from_one_address_lock_that_address(site: Site) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        _try(f"guess{n}", "not the password", "10.9.9.9")
    assert _try("statistician", PASSWORD, "10.9.9.9").status_code == 429  # type: ignore[attr-defined]
    assert _try("statistician", PASSWORD, "10.1.1.1").status_code == 302  # type: ignore[attr-defined]


def test_a_right_password_elsewhere_does_not_clear_an_addresss_count(site: Site) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        _try(f"ghost{n}", "guess", "10.7.7.7")
    assert _try("statistician", PASSWORD, "10.7.7.7").status_code == 302  # type: ignore[attr-defined]
    _try("ghost-last", "guess", "10.7.7.7")  # the limit is reached, the success notwithstanding
    assert _try("statistician", PASSWORD, "10.7.7.7").status_code == 429  # type: ignore[attr-defined]


def test_the_administrator_unlocks_and_the_unlock_is_audited(site: Site) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try("coordinator", "not the password")
    assert not signs_in("coordinator", PASSWORD)
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = site.clients["administrator"].post(
        "/admin/axes/accessattempt/",
        {"action": "unlock_selected", "_selected_action": attempts},
        follow=True,
    )
    assert "lockout(s) cleared" in response.content.decode()
    assert signs_in("coordinator", PASSWORD)
    unlocked = AuditEntry.objects.filter(action="signin_unlock")
    assert unlocked.exists()
    assert {e.user for e in unlocked} == {"administrator"}
    assert verify().ok


def test_the_lockout_page_does_not_say_whether_the_user_exists(site: Site) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try("nobody-here", "x", "10.3.3.3")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _try("coordinator", "x", "10.4.4.4")
    unknown = _try("nobody-here", "x", "10.5.5.5")
    known = _try("coordinator", "x", "10.6.6.6")
    assert unknown.status_code == known.status_code == 429  # type: ignore[attr-defined]
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
    assert token.sub(b"", unknown.content) == token.sub(b"", known.content)  # type: ignore[attr-defined]


def test_wrong_signatures_count_and_keep_no_record_data(site: Site) -> None:
    record = site.own
    dm = site.clients["data_manager"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        dm.post(
            f"/records/{record.record_id}/lock/",
            {"action": "lock", "reason": "a private reason", "sign": "1", "password": "wrong"},
        )
    assert not signs_in("data_manager", PASSWORD)  # the signature's wrong passwords count
    for attempt in AccessAttempt.objects.all():
        kept = f"{attempt.path_info} {attempt.post_data} {attempt.get_data}"
        assert record.record_id not in kept
        assert "a private reason" not in kept
