"""The REDCap-compatible API: tokens, every content type, raw and label, CSV and JSON, each role.

Expected values come from the files the study was loaded from (studies/mll03/dictionary.csv, the
demo export, a real REDCap project's schedule CSVs), never from the API's own answers. Tampered
requests get REDCap's error format with REDCap's status, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from followup.capture.api_auth import digest
from followup.capture.models import ApiToken, AuditEntry, Membership, Role, Study
from followup.capture.setup import create_study, load_records
from followup.io import read_records
from tests.capture.conftest import STUDY, Site

LONGITUDINAL = Path(__file__).parents[1] / "redcap_corpus" / "projects" / "redcapapi_offline"
# What REDCap's repeatingFormsEvents export says of that project (as in test_instances.py).
REPEATING = "event_name,form_name,custom_form_label\nevent_1_arm_1,files_notes_descriptions,\n"
ROLES = ["coordinator", "other_coordinator", "data_manager", "statistician"]


@pytest.fixture(autouse=True)
def _no_counted_failures() -> Iterator[None]:
    """Each test starts, and leaves, without wrong tokens counted for the test address."""
    cache.clear()
    yield
    cache.clear()


def token_for(site: Site, username: str) -> str:
    """A token made by the data manager on the tokens page, read from the page once."""
    user = User.objects.get(username=username)
    page = site.clients["data_manager"].post("/api/tokens/", {"user": user.pk})
    assert page.status_code == 200, page.content.decode()[:500]
    found = re.search(r'<code id="new-token">([0-9A-F]{32})</code>', page.content.decode())
    assert found is not None
    return found.group(1)


def call(token: str, content: str, **fields: Any) -> Any:
    """One API request from a client with no session."""
    return Client().post("/api/", {"token": token, "content": content, **fields})


def as_json(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return json.loads(response.content)


def as_csv(response: Any) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv"), response.content[:300]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def demo_rows(demo_export: tuple[Path, Path, Path], hospital: str) -> list[dict[str, str]]:
    """The lines of the file the site was loaded from, of one hospital."""
    text = demo_export[1].read_text(encoding="utf-8")
    return [
        r for r in csv.DictReader(io.StringIO(text)) if r["redcap_data_access_group"] == hospital
    ]


def dictionary_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO((STUDY / "dictionary.csv").read_text(encoding="utf-8"))))


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_is_shown_once_kept_only_as_its_hash_and_in_the_trail(site: Site) -> None:
    token = token_for(site, "coordinator")
    stored = ApiToken.objects.get(user__username="coordinator")
    assert stored.digest != token
    assert token not in json.dumps(list(ApiToken.objects.values()), default=str)
    listing = site.clients["data_manager"].get("/api/tokens/").content.decode()
    assert token not in listing
    assert "coordinator" in listing
    entry = AuditEntry.objects.filter(field="user:coordinator").last()
    assert entry is not None
    assert entry.user == "data_manager"
    assert call(token, "version").status_code == 200
    assert ApiToken.objects.get(pk=stored.pk).last_used is not None


def test_a_new_token_replaces_the_old_and_a_revoked_one_is_refused(site: Site) -> None:
    first = token_for(site, "statistician")
    second = token_for(site, "statistician")
    assert call(first, "version").status_code == 403
    assert call(second, "version").status_code == 200
    live = ApiToken.objects.get(user__username="statistician", revoked__isnull=True)
    refused = site.clients["coordinator"].post(f"/api/tokens/{live.pk}/revoke/")
    assert refused.status_code == 403
    assert call(second, "version").status_code == 200
    revoked = site.clients["data_manager"].post(f"/api/tokens/{live.pk}/revoke/")
    assert revoked.status_code == 302
    answer = call(second, "version", returnFormat="json")
    assert answer.status_code == 403
    assert as_json(answer) == {"error": "You do not have permissions to use the API"}
    assert AuditEntry.objects.filter(field="user:statistician", new="revoked").count() == 2
    again = site.clients["data_manager"].post(f"/api/tokens/{live.pk}/revoke/")
    assert again.status_code == 302  # said on the page, nothing changed
    assert AuditEntry.objects.filter(field="user:statistician", new="revoked").count() == 2


def test_tokens_page_refuses_what_it_does_not_offer(site: Site) -> None:
    manager = site.clients["data_manager"]
    admin = User.objects.get(username="administrator")
    assert manager.post("/api/tokens/", {"user": admin.pk}).status_code == 400
    assert manager.post("/api/tokens/", {"user": "abc"}).status_code == 400
    assert manager.post("/api/tokens/", {"user": "999999"}).status_code == 400
    assert manager.post("/api/tokens/", {}).status_code == 400
    assert manager.post("/api/tokens/999999/revoke/").status_code == 404
    assert not ApiToken.objects.exists()
    for role in ("anonymous", "administrator", "coordinator", "statistician"):
        assert site.clients[role].get("/api/tokens/").status_code in (302, 403)


def test_a_deactivated_user_or_one_moved_to_another_study_has_no_access(site: Site) -> None:
    token = token_for(site, "coordinator")
    User.objects.filter(username="coordinator").update(is_active=False)
    assert call(token, "version").status_code == 403
    User.objects.filter(username="coordinator").update(is_active=True)
    assert call(token, "version").status_code == 200
    other = Study.objects.create(name="another study", dictionary_csv=site.study.dictionary_csv)
    ApiToken.objects.filter(user__username="coordinator").update(study=other)
    assert call(token, "version").status_code == 403


def test_wrong_tokens_are_refused_alike_then_throttled_with_an_entry(
    site: Site, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 4
    good = token_for(site, "data_manager")
    answers = {
        call(wrong, "version", returnFormat="json").content
        for wrong in (good.lower(), "0" * 32, good[:-1], "not a token")
    }
    assert answers == {b'{"error": "You do not have permissions to use the API"}'}
    locked = call(good, "version", returnFormat="json")
    assert locked.status_code == 403
    assert "too many wrong tokens" in as_json(locked)["error"]
    assert AuditEntry.objects.filter(action="signin_lockout", new__contains="API").count() == 1
    cache.clear()  # the cool-off ends
    assert call(good, "version").status_code == 200


def test_a_session_is_never_authentication_and_no_csrf_token_is_needed(site: Site) -> None:
    signed_in = site.clients["data_manager"]
    refused = signed_in.post("/api/", {"content": "record"})
    assert refused.status_code == 403
    assert b"<error>You do not have permissions to use the API</error>" in refusal_body(refused)
    token = token_for(site, "data_manager")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/api/", {"token": token, "content": "version"}).status_code == 200
    assert strict.get("/api/").status_code == 405


def refusal_body(response: Any) -> bytes:
    assert response["Content-Type"].startswith("text/xml")
    return bytes(response.content)


# --- the study's definition ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_metadata_is_the_dictionary_under_the_api_names(site: Site, fmt: str) -> None:
    answer = call(token_for(site, "coordinator"), "metadata", format=fmt)
    items = as_json(answer) if fmt == "json" else as_csv(answer)
    rows = dictionary_rows()
    assert [i["field_name"] for i in items] == [r[0] for r in rows[1:] if r]
    for item, row in zip(items, rows[1:], strict=False):
        assert list(item.values()) == row  # every column, in REDCap's order
    api_names = (
        "field_name form_name section_header field_type field_label select_choices_or_calculations "
        "field_note text_validation_type_or_show_slider_number text_validation_min "
        "text_validation_max identifier branching_logic required_field custom_alignment "
        "question_number matrix_group_name matrix_ranking field_annotation"
    )  # REDCap's API documentation, content=metadata
    assert list(items[0]) == api_names.split()
    chosen = as_json(
        call(token_for(site, "coordinator"), "metadata", format="json", **{"forms[0]": "followup"})
    )
    assert {i["form_name"] for i in chosen} == {"followup"}
    assert len(chosen) == sum(1 for r in rows[1:] if r and r[1] == "followup")


def test_instruments_field_names_project_and_version(site: Site, demo_export: Any) -> None:
    token = token_for(site, "statistician")
    rows = dictionary_rows()
    forms = list(dict.fromkeys(r[1] for r in rows[1:] if r))
    instruments = as_json(call(token, "instrument", format="json"))
    assert [i["instrument_name"] for i in instruments] == forms
    assert instruments[-1]["instrument_label"] == "Followup"
    names = as_csv(call(token, "exportFieldNames", format="csv"))
    header = demo_export[1].read_text().splitlines()[0].split(",")
    system = {"redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group"}
    assert [n["export_field_name"] for n in names] == [h for h in header if h not in system]
    ticked = [n for n in names if n["original_field_name"] == "rel_site"]
    assert [(n["choice_value"], n["export_field_name"]) for n in ticked] == [
        ("1", "rel_site___1"),
        ("2", "rel_site___2"),
        ("3", "rel_site___3"),
        ("4", "rel_site___4"),
    ]  # from the dictionary's "1, Bone marrow | 2, … | 4, Other extramedullary site"
    one = as_json(call(token, "exportFieldNames", format="json", field="sex"))
    assert one == [{"original_field_name": "sex", "choice_value": "", "export_field_name": "sex"}]
    project = as_json(call(token, "project", format="json"))
    assert project["project_title"] == "MLL03 test"
    assert (project["is_longitudinal"], project["has_repeating_instruments_or_events"]) == (0, 1)
    assert project["missing_data_codes"] == "UNK, Unknown | NASK, Not asked"  # plan.yaml
    assert as_csv(call(token, "project", format="csv"))[0]["project_title"] == "MLL03 test"
    version = call(token, "version")
    assert re.fullmatch(rb"\d+\.\d+\.\d+", version.content)
    repeating = as_json(call(token, "repeatingFormsEvents", format="json"))
    assert repeating == [{"form_name": "followup", "custom_form_label": ""}]  # repeating.csv
    for classic in ("event", "arm", "formEventMapping"):
        refused = call(token, classic, format="json")
        assert refused.status_code == 400
        assert "for classic projects" in as_json(refused)["error"]


@pytest.mark.django_db
def test_a_longitudinal_study_exports_its_schedule_as_its_files_say() -> None:
    files = {
        kind: (LONGITUDINAL / f"redcapapi_TestRedcapAPI_{name}.csv").read_text()
        for kind, name in (
            ("events", "Events"),
            ("arms", "Arms"),
            ("mapping", "InstrumentDesignations"),
        )
    }
    files["repeating"] = REPEATING
    dictionary = (LONGITUDINAL / "redcapapi_TestRedcapAPI_DataDictionary.csv").read_text()
    study = create_study("longitudinal", dictionary, "", files)
    records = (LONGITUDINAL / "redcapapi_TestRedcapAPI_Records.csv").read_text(encoding="utf-8-sig")
    load_records(study, read_records(records, study.dictionary, schedule=study.schedule), user="t")
    from followup.capture.api_auth import create_token
    from followup.capture.people import create_user

    user = create_user(study, "manager", Role.DATA_MANAGER)
    _, token = create_token(Membership.objects.get(user=user), by="test")
    events = list(csv.DictReader(io.StringIO(files["events"])))
    got = as_csv(call(token, "event", format="csv"))
    assert [(e["unique_event_name"], e["event_name"], e["arm_num"]) for e in got] == [
        (e["unique_event_name"], e["event_name"], e["arm_num"]) for e in events
    ]
    arms = list(csv.DictReader(io.StringIO(files["arms"])))
    got_arms = as_json(call(token, "arm", format="json"))
    assert [(str(a["arm_num"]), a["name"]) for a in got_arms] == [
        (a["arm_num"], a["name"]) for a in arms
    ]
    mapping = list(csv.DictReader(io.StringIO(files["mapping"])))
    got_mapping = as_csv(call(token, "formEventMapping", format="csv"))
    assert sorted((m["unique_event_name"], m["form"]) for m in got_mapping) == sorted(
        (m["unique_event_name"], m["form"]) for m in mapping
    )
    repeating = as_json(call(token, "repeatingFormsEvents", format="json"))
    assert repeating == list(csv.DictReader(io.StringIO(REPEATING)))
    exported = as_csv(call(token, "record", format="csv"))
    original = list(csv.DictReader(io.StringIO(records)))
    assert {(r["record_id"], r["redcap_event_name"]) for r in exported} == {
        (r["record_id"], r["redcap_event_name"]) for r in original
    }
    first_event = events[0]["unique_event_name"]
    only = as_json(call(token, "record", format="json", **{"events[0]": first_event}))
    assert only
    assert {r["redcap_event_name"] for r in only} == {first_event}
    unknown = call(token, "record", format="json", **{"events[0]": "no_such_arm_9"})
    assert unknown.status_code == 400
    assert "no_such_arm_9" in as_json(unknown)["error"]


# --- records --------------------------------------------------------------------------------


def test_a_coordinator_exports_their_hospitals_records_as_loaded(
    site: Site, demo_export: Any
) -> None:
    token = token_for(site, "coordinator")
    code = site.own.hospital.code
    expected = [
        {k: v for k, v in r.items() if k != "redcap_data_access_group"}
        for r in demo_rows(demo_export, code)
    ]
    got = as_csv(call(token, "record", format="csv"))
    assert got == expected
    as_objects = as_json(call(token, "record", format="json"))
    assert [{k: str(v) for k, v in r.items()} for r in as_objects] == expected
    instances = [r["redcap_repeat_instance"] for r in as_objects if r["redcap_repeat_instrument"]]
    assert instances
    assert all(isinstance(i, int) for i in instances)  # REDCap's JSON writes the instance a number
    with_groups = as_csv(call(token, "record", format="csv", exportDataAccessGroups="true"))
    assert "redcap_data_access_group" not in with_groups[0]  # never a coordinator's


def test_the_data_center_sees_both_hospitals_and_may_ask_for_their_codes(
    site: Site, demo_export: Any
) -> None:
    for role in ("data_manager", "statistician"):
        token = token_for(site, role)
        rows = as_csv(call(token, "record", format="csv", exportDataAccessGroups="true"))
        for record in (site.own, site.other):
            expected = [r for r in demo_rows(demo_export, record.hospital.code)]
            assert [
                r for r in rows if r["redcap_data_access_group"] == record.hospital.code
            ] == expected


def test_another_hospitals_record_looks_like_one_that_does_not_exist(site: Site) -> None:
    token = token_for(site, "coordinator")
    theirs = call(token, "record", format="json", **{"records[0]": site.other.record_id})
    missing = call(token, "record", format="json", **{"records[0]": "NO-SUCH-ID"})
    assert theirs.status_code == missing.status_code == 200
    assert theirs.content == missing.content == b"[]"
    mine = as_json(call(token, "record", format="json", records=site.own.record_id))
    assert {r["record_id"] for r in mine} == {site.own.record_id}


def test_labels_headers_and_checkbox_labels_follow_the_dictionary(site: Site) -> None:
    token = token_for(site, "data_manager")
    rows = dictionary_rows()
    choices: dict[str, dict[str, str]] = {
        r[0]: dict(_code_label(c) for c in r[5].split("|"))
        for r in rows[1:]
        if r and r[3] in ("radio", "dropdown", "checkbox")
    }
    raw = as_json(call(token, "record", format="json", records=site.own.record_id))
    labelled = as_json(
        call(token, "record", format="json", records=site.own.record_id, rawOrLabel="label")
    )
    base_raw, base_label = raw[0], labelled[0]
    assert base_label["sex"] == choices["sex"][base_raw["sex"]]
    statuses = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}  # REDCap's form statuses
    assert base_label["enrollment_complete"] == statuses[base_raw["enrollment_complete"]]
    instance = next(r for r in labelled if r["redcap_repeat_instrument"])
    assert instance["redcap_repeat_instrument"] == "Followup"
    header = call(
        token, "record", format="csv", rawOrLabel="label", rawOrLabelHeaders="label",
        records=site.own.record_id,
    ).content.decode().splitlines()[0]  # fmt: skip
    labels = {r[0]: r[4] for r in rows[1:] if r}
    assert header.startswith(
        f"{labels['record_id']},Repeat Instrument,Repeat Instance,{labels['sex']},"
    )
    assert f"{labels['rel_site']} (choice=Bone marrow)" in header
    ticked = as_json(
        call(token, "record", format="json", rawOrLabel="label", exportCheckboxLabel="true",
             **{"fields[0]": "record_id", "fields[1]": "rel_site"})
    )  # fmt: skip
    plain = as_json(call(token, "record", format="json", **{"fields[0]": "rel_site"}))
    for with_label, row in zip(ticked, plain, strict=True):
        for code, label in choices["rel_site"].items():
            column = f"rel_site___{code}"
            assert with_label[column] == (label if row[column] == "1" else "")


def _code_label(choice: str) -> tuple[str, str]:
    code, label = choice.split(",", 1)
    return code.strip(), label.strip()


def test_fields_and_forms_choose_columns_and_unknown_names_are_refused(site: Site) -> None:
    token = token_for(site, "statistician")
    some = as_json(call(token, "record", format="json", **{"fields[]": ["record_id", "sex"]}))
    assert set(some[0]) == {
        "record_id",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "sex",
    }
    assert not any(r["redcap_repeat_instrument"] for r in some)  # no follow-up column chosen
    no_id = as_json(call(token, "record", format="json", fields="sex,wbc_dx"))
    assert "record_id" not in no_id[0]  # REDCap: the record ID only when asked for
    followups = as_json(call(token, "record", format="json", **{"forms[0]": "followup"}))
    assert {r["redcap_repeat_instrument"] for r in followups} == {"followup"}
    assert "followup_complete" in followups[0]
    for name, values in (("fields[0]", "no_such_field"), ("forms[0]", "no_such_form")):
        refused = call(token, "record", format="json", **{name: values})
        assert refused.status_code == 400
        assert f"'{values}'" in as_json(refused)["error"]
    stranger = call(token, "metadata", format="csv", **{"fields[0]": "rel_site___1"})
    assert stranger.content.startswith(b"ERROR: ")  # an export column is not a field name


def test_dags_and_users_follow_the_role(site: Site) -> None:
    for role in ROLES:
        token = token_for(site, role)
        codes = {d["unique_group_name"] for d in as_json(call(token, "dag", format="json"))}
        mine = Membership.objects.get(user__username=role).hospital
        assert codes == (
            {mine.code} if mine else {site.own.hospital.code, site.other.hospital.code}
        )
        users = call(token, "user", format="json")
        if role != "data_manager":
            assert users.status_code == 403
            continue
        listed = {u["username"]: u for u in as_json(users)}
        assert set(listed) == set(Membership.objects.values_list("user__username", flat=True))
        assert listed["coordinator"]["data_access_group"] == site.own.hospital.code
        assert listed["statistician"]["api_import"] == 0
        assert listed["coordinator"]["api_import"] == 1
        assert listed["statistician"]["forms"]["enrollment"] == 2  # read only
        assert listed["administrator"]["forms_export"]["enrollment"] == 0
        rights = as_csv(call(token, "user", format="csv"))
        forms = next(u for u in rights if u["username"] == "coordinator")["forms"]
        assert forms == "enrollment:1,relapse_questionnaire:1,followup:1"


def test_the_administrators_token_reads_nothing(site: Site) -> None:
    admin = Membership.objects.get(user__username="administrator")
    ApiToken.objects.create(
        user=admin.user, study=site.study, digest=digest("A" * 32), created_by="x"
    )
    assert call("A" * 32, "version").status_code == 200
    for content in ("metadata", "record", "dag", "user", "project"):
        refused = call("A" * 32, content, format="json")
        assert refused.status_code == 403, content
        assert as_json(refused) == {"error": "You do not have API Export privileges"}
    data = json.dumps([{"record_id": site.own.record_id, "wbc_dx": "1"}])
    assert call("A" * 32, "record", format="json", data=data).status_code == 403


def test_every_record_export_is_in_the_trail(site: Site) -> None:
    token = token_for(site, "statistician")
    call(token, "record", format="csv", rawOrLabel="label", **{"fields[0]": "sex"})
    entry = AuditEntry.objects.filter(action="api_export").last()
    assert entry is not None
    assert entry.user == "statistician"
    assert "format=csv" in entry.reason
    assert "labels" in entry.reason
    assert "fields=sex" in entry.reason


# --- tampered requests ----------------------------------------------------------------------

TAMPERED = [
    ({"content": "no_such_content", "format": "json"}, 400, 'parameter "content" is not valid'),
    ({"content": "", "format": "json"}, 400, 'parameter "content" is not valid'),
    ({"content": "record", "format": "xml", "returnFormat": "json"}, 400, "csv or json"),
    ({"content": "record", "format": "odm", "returnFormat": "json"}, 400, '"format" is not valid'),
    ({"content": "record", "format": "json", "type": "eav"}, 400, '"type" is not valid'),
    ({"content": "record", "format": "json", "rawOrLabel": "both"}, 400, '"rawOrLabel"'),
    ({"content": "record", "format": "json", "exportCheckboxLabel": "maybe"}, 400, "true or false"),
    ({"content": "record", "format": "json", "filterLogic": "[sex] = '1'"}, 400, "filterLogic"),
    ({"content": "record", "format": "json", "records[0]": "a\x00b"}, 400, "NUL"),
    ({"content": "record", "format": "json", "action": "delete", "records[0]": "x"}, 403, "delete"),
    ({"content": "record", "format": "json", "action": "purge"}, 400, '"action"'),
    ({"content": "metadata", "format": "json", "data": "[]"}, 403, "imports records only"),
    ({"content": "dag", "format": "json", "action": "import", "data": "[]"}, 403, "records only"),
    ({"content": "metadata", "format": "json", "fields[0]": "sex; DROP TABLE"}, 400, "not valid"),
    ({"content": "exportFieldNames", "format": "json", "field": "nope"}, 400, "not valid"),
    ({"content": "record", "format": "json", "fields": ",".join(map(str, range(6000)))}, 400,
     "more than"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "status", "words"), TAMPERED)
def test_tampered_requests_get_redcaps_error_and_change_nothing(
    site: Site, fields: dict[str, Any], status: int, words: str
) -> None:
    token = token_for(site, "data_manager")
    entries = AuditEntry.objects.count()
    answer = Client().post("/api/", {"token": token, **fields})
    assert answer.status_code == status
    assert words in as_json(answer)["error"]
    assert AuditEntry.objects.count() == entries


def test_errors_follow_return_format_then_format_then_xml(site: Site) -> None:
    token = token_for(site, "data_manager")
    assert call(token, "nothing", format="csv").content == (
        b'ERROR: The value of the parameter "content" is not valid'
    )
    xml = call(token, "nothing").content.decode()
    assert "<hash>" in xml
    assert '<error>The value of the parameter "content" is not valid</error>' in xml
    assert call(token, "nothing", format="csv", returnFormat="json")["Content-Type"].startswith(
        "application/json"
    )


def test_a_huge_request_is_refused_in_redcaps_format(site: Site, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_000
    token = token_for(site, "data_manager")
    entries = AuditEntry.objects.count()
    answer = call(
        token, "record", format="json", returnFormat="json", data="[" + " " * 20_000 + "]"
    )
    assert answer.status_code == 413  # the format asked for is in the body not read: REDCap's xml
    assert b"<error>The request is too large" in refusal_body(answer)
    many = call(token, "record", format="json", **{f"fields[{i}]": "sex" for i in range(1200)})
    assert many.status_code == 413
    assert AuditEntry.objects.count() == entries


def test_an_unexpected_failure_is_an_answer_not_a_traceback(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = token_for(site, "data_manager")

    def broken(*args: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("followup.capture.api_records.export_rows", broken)
    answer = call(token, "record", format="json")
    assert answer.status_code == 500
    error = as_json(answer)["error"]
    assert "nothing was changed" in error
    assert "secret detail" not in error
    assert "Traceback" not in answer.content.decode()


def test_a_japanese_users_script_reads_the_same_english_errors(site: Site) -> None:
    from followup.capture.models import Membership

    Membership.objects.filter(user__username="coordinator").update(language="ja")
    token = token_for(site, "coordinator")
    answer = call(token, "nothing", format="json", returnFormat="json")
    assert answer.status_code == 400
    assert as_json(answer) == {"error": 'The value of the parameter "content" is not valid'}
