"""Queries: marker to close, each step audited with its text; a locked record's queries frozen.

Defect 6 of the security review: a coordinator reopened a closed query on a locked record, and
query steps left no audit entry.
"""

from __future__ import annotations

import html

from followup.capture.audit import verify
from followup.capture.models import AuditEntry, DataQuery, FormEntry, Record
from tests.capture.conftest import Site


def _open(site: Site, record: Record, text: str = "Please check the WBC.") -> DataQuery:
    site.clients["data_manager"].post(
        f"/records/{record.record_id}/enrollment/query/", {"field": "wbc_dx", "text": text}
    )
    return DataQuery.objects.filter(record=record).latest("pk")


def _step(site: Site, role: str, query: DataQuery, action: str, text: str) -> object:
    return site.clients[role].post(
        f"/records/{query.record.record_id}/queries/{query.pk}/reply/",
        {"action": action, "text": text},
        follow=True,
    )


def _lock(site: Site, record: Record) -> None:
    site.clients["data_manager"].post(
        f"/records/{record.record_id}/lock/", {"action": "lock", "reason": "data cleaned"}
    )


def test_a_query_from_marker_to_close_every_step_in_the_trail(site: Site) -> None:
    record = site.own
    query = _open(site, record)
    page = site.clients["coordinator"].get(f"/records/{record.record_id}/enrollment/")
    text = page.content.decode()
    field = text[text.index('id="q-wbc_dx"') :]
    assert f'href="#query-{query.pk}"' in field[: field.index("</div>")]  # the marker
    _step(site, "coordinator", query, "reply", "Checked against the lab sheet.")
    _step(site, "data_manager", query, "close", "Thank you.")
    query.refresh_from_db()
    assert query.status == "closed"
    trail = AuditEntry.objects.filter(record=record.record_id, action__startswith="query_")
    assert [(e.action, e.user, e.old, e.new, e.reason) for e in trail] == [
        ("query_open", "data_manager", "", "open", "Please check the WBC."),
        ("query_reply", "coordinator", "open", "answered", "Checked against the lab sheet."),
        ("query_close", "data_manager", "answered", "closed", "Thank you."),
    ]
    assert verify().ok


def test_a_step_needs_its_text(site: Site) -> None:
    query = _open(site, site.own)
    for role, action in (("coordinator", "reply"), ("data_manager", "close")):
        response = site.clients[role].post(
            f"/records/{site.own.record_id}/queries/{query.pk}/reply/",
            {"action": action, "text": "   "},
        )
        assert response.status_code == 400
    query.refresh_from_db()
    assert query.status == "open"
    empty = site.clients["data_manager"].post(
        f"/records/{site.own.record_id}/enrollment/query/", {"field": "wbc_dx", "text": ""}
    )
    assert empty.status_code == 400


def test_only_the_data_manager_closes_and_reopens(site: Site) -> None:
    query = _open(site, site.own)
    page = _step(site, "coordinator", query, "close", "closing it myself")
    assert "Only the data manager closes" in page.content.decode()  # type: ignore[attr-defined]
    _step(site, "data_manager", query, "close", "Resolved.")
    page = _step(site, "coordinator", query, "reopen", "I disagree")
    query.refresh_from_db()
    assert query.status == "closed"
    page = _step(site, "coordinator", query, "reply", "one more thing")
    assert "This query is closed" in page.content.decode()  # type: ignore[attr-defined]
    _step(site, "data_manager", query, "reopen", "The lab sent a correction.")
    query.refresh_from_db()
    assert query.status == "open"


def test_locking_freezes_queries(site: Site) -> None:
    record = site.own
    query = _open(site, record)
    _step(site, "data_manager", query, "close", "Resolved.")
    _lock(site, record)
    entries = AuditEntry.objects.count()
    for role, action in (
        ("coordinator", "reopen"),
        ("coordinator", "reply"),
        ("data_manager", "reopen"),
        ("data_manager", "reply"),
    ):
        page = _step(site, role, query, action, "after the lock")
        assert "locked" in html.unescape(page.content.decode())  # type: ignore[attr-defined]
    opened = site.clients["data_manager"].post(
        f"/records/{record.record_id}/enrollment/query/", {"field": "wbc_dx", "text": "?"}
    )
    assert opened.status_code == 302
    query.refresh_from_db()
    assert query.status == "closed"
    assert query.messages.count() == 2
    assert DataQuery.objects.filter(record=record).count() == 1
    assert AuditEntry.objects.count() == entries


def test_the_open_queries_list_per_hospital(site: Site) -> None:
    mine, theirs = _open(site, site.own, "Own?"), _open(site, site.other, "Other?")
    _step(site, "data_manager", theirs, "close", "ok")
    own_page = site.clients["coordinator"].get("/queries/").content.decode()
    assert "Own?" in own_page
    assert "Other?" not in own_page
    everything = site.clients["data_manager"].get("/queries/?status=all").content.decode()
    assert "Own?" in everything
    assert "ok" in everything
    open_only = site.clients["data_manager"].get("/queries/").content.decode()
    assert f"#query-{mine.pk}" in open_only
    assert f"#query-{theirs.pk}" not in open_only
    assert "White blood cell count at diagnosis" in open_only  # the field's label
    code = site.own.hospital.code
    one = site.clients["data_manager"].get(f"/queries/?status=all&hospital={code}").content
    assert b"Other?" not in one


def test_lock_with_an_electronic_signature(site: Site) -> None:
    record = site.own
    dm = site.clients["data_manager"]
    url = f"/records/{record.record_id}/lock/"
    wrong = dm.post(
        url, {"action": "lock", "reason": "final", "sign": "1", "password": "wrong"}, follow=True
    )
    assert "The password is not right" in wrong.content.decode()
    record.refresh_from_db()
    assert not record.locked
    from tests.capture.conftest import PASSWORD

    dm.post(url, {"action": "lock", "reason": "final", "sign": "1", "password": PASSWORD})
    record.refresh_from_db()
    assert record.locked
    assert record.signed_by == "data_manager"
    signature = AuditEntry.objects.get(record=record.record_id, action="esign")
    assert signature.new == "data_manager"
    assert "Meaning: I have reviewed this record's data" in signature.reason
    assert "final" in signature.reason
    page = site.clients["coordinator"].get(f"/records/{record.record_id}/enrollment/")
    assert "E-signed by data_manager" in page.content.decode()
    refused = dm.post(url, {"action": "unlock", "reason": ""}, follow=True)
    assert "Give a reason for unlocking" in refused.content.decode()
    dm.post(url, {"action": "unlock", "reason": "a late correction from the hospital"})
    record.refresh_from_db()
    assert (record.locked, record.signed_by) == (False, "")
    negated = AuditEntry.objects.get(record=record.record_id, action="esign_negate")
    assert negated.reason == "a late correction from the hospital"
    assert FormEntry.objects.filter(record=record).exists()
