"""Every POST route driven with tampered fields: a 400, 403 or 404 with a message, never a 500.

Defect 10 of the review: non-numeric versions or statuses, another record's query id, unknown
hospital or reminder ids gave a bare 500. Each case here is a field a browser would never send;
the answer must name the problem and change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from followup.capture.models import AuditEntry, DataQuery, FormEntry, Record
from tests.capture.conftest import Site, post_data

BIG = "9" * 40


def _save(record: Record, **changes: str) -> dict[str, Any]:
    return post_data(record, "enrollment", **({"reason": "tampered"} | changes))


Case = tuple[str, Callable[[Site], str], Callable[[Site], dict[str, Any]]]
CASES: list[Case] = [
    ("version not a number", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, version="abc")),
    ("version huge", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, version=BIG)),
    ("version negative", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, version="-1")),
    ("version missing", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: {k: v for k, v in _save(s.own).items() if k != "version"}),
    ("status -1", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, status="-1")),
    ("status 99", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, status="99")),
    ("status text", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, status="complete")),
    ("then unknown", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, then="https://evil.example/")),
    ("reason with NUL", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, reason="a\x00b")),
    ("reason too long", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, reason="x" * 20_000)),
    ("a form that does not exist", lambda s: f"/records/{s.own.record_id}/no_such_form/",
     lambda s: _save(s.own)),
    ("resolve: not JSON", lambda s: f"/records/{s.own.record_id}/enrollment/resolve/",
     lambda s: {"mine": "{not json", "version": "1", "status": "0"}),
    ("resolve: a list", lambda s: f"/records/{s.own.record_id}/enrollment/resolve/",
     lambda s: {"mine": "[]", "version": "1", "status": "0"}),
    ("resolve: another form's field", lambda s: f"/records/{s.own.record_id}/enrollment/resolve/",
     lambda s: {"mine": json.dumps({"vital_status": "2"}), "version": "1", "status": "0"}),
    ("resolve: a NUL in a value", lambda s: f"/records/{s.own.record_id}/enrollment/resolve/",
     lambda s: {"mine": json.dumps({"wbc_dx": "1\x002"}), "version": "1", "status": "0"}),
    ("a NUL in a form's value", lambda s: f"/records/{s.own.record_id}/enrollment/",
     lambda s: _save(s.own, wbc_dx="1\x002", rel_chemo_regimen="x")),
    ("resolve: keep neither", lambda s: f"/records/{s.own.record_id}/enrollment/resolve/",
     lambda s: {"mine": "{}", "version": "1", "status": "0", "keep-sex": "both"}),
    ("resolve: status 7", lambda s: f"/records/{s.own.record_id}/enrollment/resolve/",
     lambda s: {"mine": "{}", "version": "1", "status": "7"}),
    ("query on a field not on the form", lambda s: f"/records/{s.own.record_id}/enrollment/query/",
     lambda s: {"field": "vital_status", "text": "?"}),
    ("query on no field", lambda s: f"/records/{s.own.record_id}/enrollment/query/",
     lambda s: {"text": "?"}),
    ("query without text", lambda s: f"/records/{s.own.record_id}/enrollment/query/",
     lambda s: {"field": "wbc_dx"}),
    ("reply to another record's query",
     lambda s: f"/records/{s.own.record_id}/queries/{_other_query(s)}/reply/",
     lambda s: {"text": "x"}),
    ("reply to no query", lambda s: f"/records/{s.own.record_id}/queries/{BIG}/reply/",
     lambda s: {"text": "x"}),
    ("reply action unknown",
     lambda s: f"/records/{s.own.record_id}/queries/{_own_query(s)}/reply/",
     lambda s: {"text": "x", "action": "delete"}),
    ("lock action unknown", lambda s: f"/records/{s.own.record_id}/lock/",
     lambda s: {"action": "explode", "reason": "x"}),
    ("lock without action", lambda s: f"/records/{s.own.record_id}/lock/",
     lambda s: {"reason": "x"}),
    ("reminder for no hospital", lambda s: f"/dashboard/remind/{BIG}/", lambda s: {}),
    ("reminder for an unknown hospital", lambda s: "/dashboard/remind/987654/", lambda s: {}),
    ("invite to a hospital id that is text", lambda s: "/people/invite/",
     lambda s: {"hospital": "abc", "username": "x1", "email": "x@y.example"}),
    ("invite to an unknown hospital", lambda s: "/people/invite/",
     lambda s: {"hospital": "987654", "username": "x2", "email": "x@y.example"}),
    ("invite in an unknown language", lambda s: "/people/invite/",
     lambda s: {"hospital": s.own.hospital.pk, "username": "x3", "email": "x@y.example",
                "language": "xx"}),
    ("invite a user name with HTML", lambda s: "/people/invite/",
     lambda s: {"hospital": s.own.hospital.pk, "username": "<b>x</b>", "email": "x@y.example"}),
    ("change an unknown user", lambda s: f"/people/{BIG}/", lambda s: {"action": "deactivate"}),
    ("change with an unknown action", lambda s: f"/people/{_coordinator(s)}/",
     lambda s: {"action": "promote"}),
    ("move to a hospital id that is text", lambda s: f"/people/{_coordinator(s)}/",
     lambda s: {"action": "move", "hospital": "abc"}),
    ("set-up action unknown", lambda s: "/setup/", lambda s: {"action": "drop_tables"}),
    ("set-up without a file", lambda s: "/setup/", lambda s: {"action": "records"}),
    ("set-up with a file that is not UTF-8", lambda s: "/setup/",
     lambda s: {"action": "records",
                "records": SimpleUploadedFile("r.csv", b"\xff\xfe\x00x", "text/csv")}),
    ("translation in an unknown language", lambda s: "/setup/",
     lambda s: {"action": "translation", "language": "xx",
                "translation": SimpleUploadedFile("t.csv", b"x", "text/csv")}),
    ("language unknown", lambda s: "/language/", lambda s: {"language": "klingon"}),
]  # fmt: skip


def _own_query(site: Site) -> int:
    return DataQuery.objects.create(record=site.own, form="enrollment", field="wbc_dx").pk


def _other_query(site: Site) -> int:
    return DataQuery.objects.create(record=site.other, form="enrollment", field="wbc_dx").pk


def _coordinator(site: Site) -> int:
    return User.objects.get(username="coordinator").pk


def _state() -> tuple[object, ...]:
    return (
        AuditEntry.objects.count(),
        sorted((e.pk, e.version, e.status) for e in FormEntry.objects.all()),
        sorted(Record.objects.values_list("pk", "locked")),
        sorted(DataQuery.objects.values_list("pk", "status")),
        sorted(User.objects.values_list("pk", "is_active", "password")),
    )


@pytest.mark.parametrize(("name", "url", "data"), CASES, ids=[c[0] for c in CASES])
def test_a_tampered_field_is_refused_with_a_message(
    site: Site, name: str, url: Callable[[Site], str], data: Callable[[Site], dict[str, Any]]
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="data_manager"))
    address, payload = url(site), data(site)
    before = _state()
    response = client.post(address, payload, follow=True)
    assert response.status_code in (200, 400, 403, 404, 409), (name, response.status_code)
    page = response.content.decode()
    if response.status_code == 200:  # refused with a message on the page it came back to
        assert 'class="flash error"' in page or 'class="error' in page, name
    assert "Traceback" not in page
    assert _state() == before, name


def test_the_refusal_names_the_field(site: Site) -> None:
    data = post_data(site.own, "enrollment", version="abc", reason="x")
    response = site.clients["coordinator"].post(f"/records/{site.own.record_id}/enrollment/", data)
    assert response.status_code == 400
    assert "version must be a whole number; got &#x27;abc&#x27;" in response.content.decode()
