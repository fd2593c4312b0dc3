"""Every role × every route × own hospital / other hospital: nobody reaches another hospital's data.

The expected status of each cell is the access rule written out (access.py's docstring), not
what the views happen to return.
"""

from __future__ import annotations

import pytest

from followup.capture.models import AuditEntry, DataQuery, FormEntry
from tests.capture.conftest import Site, post_data

ROLES = [
    "anonymous",
    "administrator",
    "coordinator",
    "other_coordinator",
    "data_manager",
    "statistician",
]
# Readers of a record: the data center's roles and the record's own hospital.
READS = {
    "own": {"coordinator", "data_manager", "statistician"},
    "other": {"other_coordinator", "data_manager", "statistician"},
}
WRITES = {"own": {"coordinator", "data_manager"}, "other": {"other_coordinator", "data_manager"}}


def _expected(role: str, allowed: set[str]) -> set[int]:
    if role == "anonymous":
        return {302}  # to the sign-in page
    return {200, 302} if role in allowed else {403, 404}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("page", ["enrollment", "relapse_questionnaire", "trail"])
def test_reading_a_record(site: Site, role: str, whose: str, page: str) -> None:
    record = site.own if whose == "own" else site.other
    url = f"/records/{record.record_id}/{page}/"
    response = site.clients[role].get(url)
    assert response.status_code in _expected(role, READS[whose]), (role, url, response.status_code)
    if response.status_code == 200:
        assert record.record_id in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
def test_writing_a_record(site: Site, role: str, whose: str) -> None:
    record = site.own if whose == "own" else site.other
    before = FormEntry.objects.get(record=record, form="enrollment").values
    entries = AuditEntry.objects.count()
    data = post_data(record, "enrollment", wbc_dx="123.4", reason="corrected from the chart")
    response = site.clients[role].post(f"/records/{record.record_id}/enrollment/", data)
    changed = FormEntry.objects.get(record=record, form="enrollment").values != before
    if role in WRITES[whose]:
        assert response.status_code in (200, 302)
        assert changed
        assert AuditEntry.objects.count() > entries
    else:
        assert response.status_code in ({302} if role == "anonymous" else {403, 404})
        assert not changed
        assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("role", ROLES)
def test_guessed_record_ids_look_like_missing_ones(site: Site, role: str) -> None:
    if role in ("anonymous", "data_manager", "statistician"):
        pytest.skip("signed out, or allowed everywhere")
    other = site.other if role == "coordinator" else site.own
    guessed = site.clients[role].get(f"/records/{other.record_id}/enrollment/")
    missing = site.clients[role].get("/records/NO-SUCH-ID/enrollment/")
    assert guessed.status_code == missing.status_code


@pytest.mark.parametrize("role", ROLES)
def test_record_list_and_export_show_only_what_the_role_may_see(site: Site, role: str) -> None:
    listing = site.clients[role].get("/records/")
    export = site.clients[role].get("/export.csv")
    if role == "anonymous":
        assert listing.status_code == export.status_code == 302
        return
    if role == "administrator":
        assert export.status_code == 403
        return
    text = export.content.decode()
    page = listing.content.decode()
    own_visible = role in READS["own"]
    other_visible = role in READS["other"]
    assert (site.own.record_id in text) == own_visible
    assert (site.other.record_id in text) == other_visible
    assert (f">{site.own.record_id}<" in page or f">{site.own.record_id} " in page) == own_visible
    hospitals = {line.split(",")[1] for line in text.splitlines()[1:]}
    if role.endswith("coordinator"):
        assert len(hospitals) == 1


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/dashboard/", {"data_manager"}),
        ("/report/", {"data_manager", "statistician"}),
    ],
)
def test_data_center_pages(site: Site, role: str, url: str, allowed: set[str]) -> None:
    response = site.clients[role].get(url)
    assert response.status_code in _expected(role, allowed)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
def test_locking_and_queries(site: Site, role: str, whose: str) -> None:
    record = site.own if whose == "own" else site.other
    client = site.clients[role]
    lock = client.post(f"/records/{record.record_id}/lock/", {"action": "lock"})
    record.refresh_from_db()
    assert record.locked == (role == "data_manager")
    if role != "anonymous":
        assert lock.status_code in ({302} if role == "data_manager" else {403, 404})
    query = client.post(
        f"/records/{record.record_id}/enrollment/query/", {"field": "wbc_dx", "text": "?"}
    )
    opened = DataQuery.objects.filter(record=record).exists()
    assert opened == (role == "data_manager"), (role, query.status_code)


def test_admin_is_the_administrator_only(site: Site) -> None:
    assert site.clients["administrator"].get("/admin/").status_code == 200
    for role in ("coordinator", "data_manager", "statistician"):
        assert site.clients[role].get("/admin/").status_code == 302  # to the admin sign-in


@pytest.mark.parametrize("role", ROLES)
def test_reminders_invitations_and_set_up_are_the_data_managers(site: Site, role: str) -> None:
    client = site.clients[role]
    hospital = site.own.hospital.pk
    responses = [
        client.post(f"/dashboard/remind/{hospital}/"),
        client.post(
            "/dashboard/invite/",
            {"hospital": hospital, "username": f"x{role}", "email": "x@example.org"},
        ),
        client.get("/setup/"),
    ]
    allowed = role == "data_manager"
    for response in responses:
        assert response.status_code in ({200, 302} if allowed else _expected(role, set()))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
def test_answering_a_query(site: Site, role: str, whose: str) -> None:
    record = site.own if whose == "own" else site.other
    query = DataQuery.objects.create(record=record, form="enrollment", field="wbc_dx")
    response = site.clients[role].post(
        f"/records/{record.record_id}/queries/{query.pk}/reply/", {"text": "ok"}
    )
    answered = query.messages.exists()
    assert answered == (role in WRITES[whose]), (role, whose, response.status_code)


def test_the_trail_cannot_be_changed_in_the_admin(site: Site) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    admin = site.clients["administrator"]
    assert admin.get(f"/admin/capture/auditentry/{entry.pk}/delete/").status_code == 403
    assert (
        admin.post(f"/admin/capture/auditentry/{entry.pk}/change/", {"new": "x"}).status_code == 403
    )
