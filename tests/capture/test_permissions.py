"""Every role × every route × own hospital / other hospital × method: who reaches what.

The expected answer of each cell is the access rule written out (access.py's and people.py's
docstrings), not what the views happen to return. A test checks that the table names every route
the app has, so a new page cannot be added without its row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from followup.capture.audit import Change, append
from followup.capture.models import AuditEntry, DataQuery, FormEntry, Membership
from tests.capture.conftest import Site, post_data

ROLES = [
    "anonymous",
    "administrator",
    "coordinator",
    "other_coordinator",
    "data_manager",
    "statistician",
]
DATA_ROLES = {"coordinator", "other_coordinator", "data_manager", "statistician"}
CENTER = {"data_manager", "statistician"}
# Readers and writers of a record: the data center's roles and the record's own hospital.
READS = {"own": {"coordinator"} | CENTER, "other": {"other_coordinator"} | CENTER}
WRITES = {"own": {"coordinator", "data_manager"}, "other": {"other_coordinator", "data_manager"}}
EVERYWHERE = {"own": DATA_ROLES, "other": DATA_ROLES}


def _only(*roles: str) -> dict[str, set[str]]:
    return {"own": set(roles), "other": set(roles)}


@dataclass(frozen=True)
class Route:
    """One cell row: how to call it for a record of either hospital, and who may."""

    pattern: str  # the URL pattern's route, to check the table is complete
    method: str
    url: Callable[[Site, Any], str]
    allowed: dict[str, set[str]]
    data: Callable[[Site, Any], dict[str, Any]] = lambda site, record: {}


def _query(site: Site, record: Any) -> int:
    query, _ = DataQuery.objects.get_or_create(record=record, form="enrollment", field="wbc_dx")
    return query.pk


def _coordinator_of(site: Site, record: Any) -> int:
    return Membership.objects.get(role="coordinator", hospital=record.hospital).user_id


def _token_of(site: Site, record: Any) -> int:
    """An API token of the record's hospital's coordinator, to revoke."""
    from followup.capture.api_auth import create_token

    member = Membership.objects.get(role="coordinator", hospital=record.hospital)
    return create_token(member, by="test")[0].pk


def _stored_file(site: Site, record: Any) -> str:
    """A file kept for one of the record's fields, to download (MLL03 has no file field)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from followup.capture.files import store
    from followup.capture.models import StoredFile

    sha256, size = store(SimpleUploadedFile("chart.pdf", b"%PDF-1.4 test"))
    StoredFile.objects.get_or_create(
        record=record,
        form="enrollment",
        field="wbc_dx",
        defaults={"name": "chart.pdf", "sha256": sha256, "size": size, "uploaded_by": "test"},
    )
    return f"/records/{record.record_id}/enrollment/file/wbc_dx/"


ROUTES = [
    Route("", "get", lambda s, r: "/", _only(*DATA_ROLES, "administrator")),
    Route("records/", "get", lambda s, r: "/records/", EVERYWHERE),
    Route(
        "records/<str:record_id>/<str:form>/",
        "get",
        lambda s, r: f"/records/{r.record_id}/enrollment/",
        READS,
    ),
    Route(
        "records/<str:record_id>/trail/",
        "get",
        lambda s, r: f"/records/{r.record_id}/trail/",
        READS,
    ),
    Route(
        "records/<str:record_id>/<str:form>/history/<str:field>/",
        "get",
        lambda s, r: f"/records/{r.record_id}/enrollment/history/wbc_dx/",
        READS,
    ),
    Route("records/<str:record_id>/<str:form>/file/<str:field>/", "get", _stored_file, READS),
    Route("queries/", "get", lambda s, r: "/queries/", EVERYWHERE),
    Route("dashboard/", "get", lambda s, r: "/dashboard/", _only("data_manager")),
    Route("people/", "get", lambda s, r: "/people/", _only("data_manager")),
    Route("setup/", "get", lambda s, r: "/setup/", _only("data_manager")),
    Route("export.csv", "get", lambda s, r: "/export.csv", EVERYWHERE),
    Route("export/", "get", lambda s, r: "/export/", EVERYWHERE),
    Route(
        "export/",
        "post",
        lambda s, r: "/export/",
        EVERYWHERE,
        lambda s, r: {"format": "csv", "hospitals": [r.hospital.code]},
    ),
    Route(
        "questionnaires/",
        "get",
        lambda s, r: "/questionnaires/",
        _only("coordinator", "other_coordinator", "data_manager"),
    ),
    Route(
        "questionnaires/<str:hospital>.xlsx",
        "get",
        lambda s, r: f"/questionnaires/{r.hospital.code}.xlsx",
        WRITES,
    ),
    Route(  # no file: the allowed get 400, with the page's explanation
        "questionnaires/",
        "post",
        lambda s, r: "/questionnaires/",
        _only("coordinator", "other_coordinator", "data_manager"),
    ),
    Route("api/tokens/", "get", lambda s, r: "/api/tokens/", _only("data_manager")),
    Route(
        "api/tokens/",
        "post",
        lambda s, r: "/api/tokens/",
        _only("data_manager"),
        lambda s, r: {"user": _coordinator_of(s, r)},
    ),
    Route(
        "api/tokens/<id:token_id>/revoke/",
        "post",
        lambda s, r: f"/api/tokens/{_token_of(s, r)}/revoke/",
        _only("data_manager"),
    ),
    Route("report/", "get", lambda s, r: "/report/", _only(*CENTER)),
    Route("report/<str:kind>/", "get", lambda s, r: "/report/json/", _only(*CENTER)),
    Route(
        "records/<str:record_id>/<str:form>/",
        "post",
        lambda s, r: f"/records/{r.record_id}/enrollment/",
        WRITES,
        lambda s, r: post_data(r, "enrollment", wbc_dx="123.4", reason="from the chart"),
    ),
    Route(
        "records/<str:record_id>/<str:form>/resolve/",
        "post",
        lambda s, r: f"/records/{r.record_id}/enrollment/resolve/",
        WRITES,
        lambda s, r: {
            "mine": "{}",
            "version": str(FormEntry.objects.get(record=r, form="enrollment").version),
            "status": "2",
            "reason": "kept",
        },
    ),
    Route(
        "records/<str:record_id>/<str:form>/query/",
        "post",
        lambda s, r: f"/records/{r.record_id}/enrollment/query/",
        _only("data_manager"),
        lambda s, r: {"field": "wbc_dx", "text": "Please check."},
    ),
    Route(
        "records/<str:record_id>/queries/<id:query_id>/reply/",
        "post",
        lambda s, r: f"/records/{r.record_id}/queries/{_query(s, r)}/reply/",
        WRITES,
        lambda s, r: {"text": "Checked."},
    ),
    Route(
        "records/<str:record_id>/lock/",
        "post",
        lambda s, r: f"/records/{r.record_id}/lock/",
        _only("data_manager"),
        lambda s, r: {"action": "lock", "reason": "cleaned"},
    ),
    Route(
        "dashboard/remind/<id:hospital_id>/",
        "post",
        lambda s, r: f"/dashboard/remind/{r.hospital.pk}/",
        _only("data_manager"),
    ),
    Route(
        "people/invite/",
        "post",
        lambda s, r: "/people/invite/",
        _only("data_manager"),
        lambda s, r: {
            "hospital": r.hospital.pk,
            "username": f"new{r.pk}",
            "email": "new@hospital.example",
        },
    ),
    Route(
        "people/<id:user_id>/",
        "post",
        lambda s, r: f"/people/{_coordinator_of(s, r)}/",
        _only("data_manager"),
        lambda s, r: {"action": "deactivate"},
    ),
    Route(
        "setup/",
        "post",
        lambda s, r: "/setup/",
        _only("data_manager"),
        lambda s, r: {"action": "records"},
    ),
]
UNCHECKED = {  # routes whose rule is tested elsewhere, and why
    "login/": "public: the sign-in page",
    "logout/": "public",
    "password/<uidb64>/<token>/": "public: the token is the credential (test_people)",
    "language/": "open to all, changes only the caller's own language (test_languages)",
    "admin/": "Django's admin: test_admin_is_the_administrators below",
    "api/": "REDCap's API: a token, not a session, says who calls (test_api, every role's token)",
    "^static/(?P<path>capture/.*)$": "public: the app's CSS and script",
}


def _expected(role: str, allowed: set[str]) -> set[int]:
    if role == "anonymous":
        return {302}  # to the sign-in page
    if role in allowed:
        return {200, 302, 400}  # 400: a refusal the page explains (e.g. no file chosen)
    return {403, 404}


def _routes(patterns: list[Any], prefix: str = "") -> set[str]:
    found = set()
    for p in patterns:
        if isinstance(p, (URLResolver, URLPattern)):
            found.add(prefix + str(p.pattern))
    return found


def test_the_table_names_every_route() -> None:
    named = {r.pattern for r in ROUTES} | set(UNCHECKED)
    assert _routes(get_resolver().url_patterns) == named


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method}:{r.pattern}")
def test_every_role_on_every_route(site: Site, role: str, whose: str, route: Route) -> None:
    record = site.own if whose == "own" else site.other
    client = site.clients[role]
    url = route.url(site, record)
    entries = AuditEntry.objects.count()
    if route.method == "get":
        response = client.get(url)
    else:
        response = client.post(url, route.data(site, record))
    assert response.status_code in _expected(role, route.allowed[whose]), (
        role,
        url,
        response.status_code,
    )
    if route.method == "post" and role not in route.allowed[whose]:
        assert AuditEntry.objects.count() == entries  # a refused request changes nothing


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
def test_writing_a_record(site: Site, role: str, whose: str) -> None:
    record = site.own if whose == "own" else site.other
    before = FormEntry.objects.get(record=record, form="enrollment").values
    data = post_data(record, "enrollment", wbc_dx="123.4", reason="corrected from the chart")
    response = site.clients[role].post(f"/records/{record.record_id}/enrollment/", data)
    changed = FormEntry.objects.get(record=record, form="enrollment").values != before
    assert changed == (role in WRITES[whose]), (role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_guessed_record_ids_look_like_missing_ones(site: Site, role: str) -> None:
    if role in ("anonymous", "data_manager", "statistician"):
        pytest.skip("signed out, or allowed everywhere")
    other = site.other if role == "coordinator" else site.own
    for page in ("enrollment/", "trail/", "enrollment/history/wbc_dx/"):
        guessed = site.clients[role].get(f"/records/{other.record_id}/{page}")
        missing = site.clients[role].get(f"/records/NO-SUCH-ID/{page}")
        assert guessed.status_code == missing.status_code == 404
        assert guessed.content == missing.content


@pytest.mark.parametrize("role", ROLES)
def test_record_list_queries_and_export_show_only_what_the_role_may_see(
    site: Site, role: str
) -> None:
    DataQuery.objects.create(record=site.own, form="enrollment", field="wbc_dx")
    DataQuery.objects.create(record=site.other, form="enrollment", field="wbc_dx")
    listing = site.clients[role].get("/records/?page=1")
    export = site.clients[role].get("/export.csv")
    queries = site.clients[role].get("/queries/")
    if role == "anonymous":
        assert listing.status_code == export.status_code == queries.status_code == 302
        return
    if role == "administrator":
        assert {listing.status_code, export.status_code, queries.status_code} == {403}
        return
    text = export.content.decode()
    for whose, record in (("own", site.own), ("other", site.other)):
        visible = role in READS[whose]
        assert (record.record_id in text) == visible
        assert (f">{record.record_id}" in listing.content.decode()) == visible
        assert (f">{record.record_id}<" in queries.content.decode()) == visible
    rows = list(csv.DictReader(io.StringIO(text)))
    hospitals = {row["redcap_data_access_group"] for row in rows}
    if role.endswith("coordinator"):
        assert len(hospitals) == 1
        other_code = (site.other if role == "coordinator" else site.own).hospital.code
        assert site.clients[role].get(f"/records/?hospital={other_code}").status_code == 200
        page = site.clients[role].get(f"/records/?hospital={other_code}").content.decode()
        assert (site.other if role == "coordinator" else site.own).record_id not in page


ADMIN_PAGES = [
    "/admin/",
    "/admin/auth/user/",
    "/admin/capture/membership/",
    "/admin/capture/hospital/",
    "/admin/capture/accountevent/",
    "/admin/axes/accessattempt/",
]
DATA_IN_ADMIN = [  # patient data has no admin page at all
    "/admin/capture/record/",
    "/admin/capture/auditentry/",
    "/admin/capture/formentry/",
    "/admin/capture/dataquery/",
    "/admin/capture/study/",
]


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_the_administrators(site: Site, role: str) -> None:
    for url in ADMIN_PAGES:
        status = site.clients[role].get(url).status_code
        assert status == (200 if role == "administrator" else 302), (role, url)  # 302: sign-in
    for url in DATA_IN_ADMIN:
        assert site.clients[role].get(url).status_code in (
            {404} if role == "administrator" else {302}
        )


def test_the_administrator_reads_no_patient_value(site: Site) -> None:
    admin = site.clients["administrator"]
    value = FormEntry.objects.get(record=site.own, form="enrollment").values["dx_date"]
    pages = [admin.get(url).content.decode() for url in ADMIN_PAGES]
    found = admin.get("/admin/capture/accountevent/?q=" + value)
    assert found.context["cl"].result_count == 0  # the search finds no entry with a value
    assert not any(value in page for page in pages)
    assert not any(site.own.record_id in page for page in pages)


def test_account_events_cannot_be_changed_in_the_admin(site: Site) -> None:
    (entry,) = append(site.study, "admin", [Change("", "", "user:x", "user_change", "", "")])
    admin = site.clients["administrator"]
    assert admin.get(f"/admin/capture/accountevent/{entry.pk}/delete/").status_code == 403
    response = admin.post(f"/admin/capture/accountevent/{entry.pk}/change/", {"new": "x"})
    assert response.status_code == 403
