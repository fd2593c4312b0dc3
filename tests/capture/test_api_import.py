"""Importing records through the API: all or nothing, every problem located, the web app's scope.

Each refused import is checked to have changed nothing at all: no value, no record, no entry of
the trail. Accepted values are in the trail with the token's user and the reason "API import".
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from followup.capture.audit_replay import differences
from followup.capture.models import AuditEntry, FormEntry, Hospital, Record
from tests.capture.conftest import Site
from tests.capture.test_api import _no_counted_failures, as_json, call, token_for

__all__ = ["_no_counted_failures"]  # the fixture, used here too


def _send(token: str, rows: list[dict[str, str]], **options: str) -> Any:
    return call(
        token, "record", format="json", returnFormat="json", data=json.dumps(rows), **options
    )


def _state() -> tuple[list[Any], int, int]:
    """Everything an import could change."""
    values = list(FormEntry.objects.order_by("pk").values_list("values", "status", "version"))
    return values, Record.objects.count(), AuditEntry.objects.count()


def _problems(answer: Any) -> list[list[str]]:
    assert answer.status_code == 400, answer.content[:500]
    return list(csv.reader(io.StringIO(as_json(answer)["error"])))


def _enrollment(record: Record) -> dict[str, str]:
    return dict(FormEntry.objects.get(record=record, form="enrollment").values)


def test_a_coordinators_import_is_saved_with_its_trail(site: Site) -> None:
    token = token_for(site, "coordinator")
    answer = _send(token, [{"record_id": site.own.record_id, "wbc_dx": "123.4"}])
    assert answer.status_code == 200
    assert as_json(answer) == {"count": 1}
    assert _enrollment(site.own)["wbc_dx"] == "123.4"
    entry = AuditEntry.objects.get(record=site.own.record_id, field="wbc_dx", new="123.4")
    assert (entry.user, entry.reason, entry.form) == ("coordinator", "API import", "enrollment")
    assert differences(site.study) == []  # the trail replays to every stored value


def test_csv_data_and_the_ids_answer(site: Site) -> None:
    token = token_for(site, "data_manager")
    data = f"record_id,wbc_dx,cns_dx\n{site.own.record_id},77.7,9\n{site.other.record_id},88.8,\n"
    answer = call(token, "record", format="csv", returnFormat="csv", data=data, returnContent="ids")
    assert answer.status_code == 200, answer.content
    assert answer.content.decode().splitlines() == ["id", site.own.record_id, site.other.record_id]
    assert _enrollment(site.own)["wbc_dx"] == "77.7"
    assert _enrollment(site.own)["cns_dx"] == "9"
    assert _enrollment(site.other)["wbc_dx"] == "88.8"


def test_a_bad_import_lists_every_problem_and_changes_nothing(site: Site) -> None:
    token = token_for(site, "data_manager")
    before = _state()
    answer = _send(
        token,
        [
            {"record_id": site.own.record_id, "wbc_dx": "lots", "sex": "7"},
            {"record_id": site.other.record_id, "cns_dx": "5"},
        ],
    )
    problems = _problems(answer)
    assert [p[:3] for p in problems] == [
        [site.own.record_id, "wbc_dx", "lots"],
        [site.own.record_id, "sex", "7"],
        [site.other.record_id, "cns_dx", "5"],
    ]
    assert "row 2" in problems[0][3]
    assert "not a number" in problems[0][3]
    assert "1 (Male), 2 (Female)" in problems[1][3]  # the dictionary's choices
    assert "row 3" in problems[2][3]
    unknown = _problems(_send(token, [{"record_id": site.other.record_id, "no_such": "1"}]))
    assert unknown[0][1] == "no_such"
    assert "not a field" in unknown[0][3]
    assert _state() == before


def test_all_or_nothing_across_records_and_rules_of_the_form(site: Site) -> None:
    token = token_for(site, "data_manager")
    before = _state()
    answer = _send(
        token,
        [
            {"record_id": site.own.record_id, "wbc_dx": "12.5"},  # good on its own
            {"record_id": site.other.record_id, "wbc_dx": "99999"},  # over the dictionary's 2000
        ],
    )
    problems = _problems(answer)
    assert [p[:3] for p in problems] == [[site.other.record_id, "wbc_dx", "99999"]]
    assert _state() == before


def test_a_value_that_branching_hides_is_refused(site: Site) -> None:
    token = token_for(site, "data_manager")
    before = _state()
    answer = _send(token, [{"record_id": site.own.record_id, "cr1": "0", "cr1_date": "2005-10-31"}])
    problems = _problems(answer)
    assert problems[0][:3] == [site.own.record_id, "cr1_date", "2005-10-31"]
    assert "[cr1] = '1'" in problems[0][3]  # the dictionary's branching logic of cr1_date
    assert _state() == before


def test_other_hospitals_record_is_refused_like_a_missing_one(site: Site) -> None:
    token = token_for(site, "coordinator")
    before = _state()
    theirs = _problems(_send(token, [{"record_id": site.other.record_id, "wbc_dx": "1"}]))
    missing = _problems(_send(token, [{"record_id": "NO-SUCH-ID", "wbc_dx": "1"}]))
    assert [(p[1], p[3]) for p in theirs] == [(p[1], p[3]) for p in missing]
    assert theirs[0][0] == site.other.record_id
    assert _state() == before


@pytest.mark.parametrize("role", ["statistician", "other_coordinator"])
def test_roles_without_rights_on_a_record_import_nothing(site: Site, role: str) -> None:
    token = token_for(site, role)
    before = _state()
    answer = _send(token, [{"record_id": site.own.record_id, "wbc_dx": "1"}])
    if role == "statistician":
        assert answer.status_code == 403
        assert as_json(answer) == {"error": "You do not have API Import privileges"}
    else:
        assert answer.status_code == 400
    assert _state() == before


def test_the_data_manager_adds_a_record_to_a_hospital_but_never_moves_one(site: Site) -> None:
    token = token_for(site, "data_manager")
    code = site.other.hospital.code
    added = _send(token, [{"record_id": "MLL03-900", "redcap_data_access_group": code, "sex": "1"}])
    assert added.status_code == 200, added.content
    record = Record.objects.get(record_id="MLL03-900")
    assert record.hospital.code == code
    assert _enrollment(record)["sex"] == "1"
    assert AuditEntry.objects.filter(record="MLL03-900", action="create", reason="API import")
    before = _state()
    moved = _problems(
        _send(token, [{"record_id": site.own.record_id, "redcap_data_access_group": code}])
    )
    assert moved[0][:3] == [site.own.record_id, "redcap_data_access_group", code]
    unknown = _problems(
        _send(token, [{"record_id": "MLL03-901", "redcap_data_access_group": "hospital_99"}])
    )
    assert "not a data access group" in unknown[0][3]
    case = _problems(_send(token, [{"record_id": "mll03-900", "sex": "2"}]))
    assert "MLL03-900" in case[0][3]
    assert _state() == before
    coordinator = token_for(site, "coordinator")
    refused = _problems(_send(coordinator, [{"record_id": "MLL03-902", "sex": "1"}]))
    assert "new records are added by the data manager" in refused[0][3]
    assert not Hospital.objects.filter(code="hospital_99").exists()
    assert differences(site.study) == []


def test_normal_keeps_stored_values_where_the_import_is_blank_overwrite_blanks_them(
    site: Site,
) -> None:
    token = token_for(site, "data_manager")
    stored = _enrollment(site.own)
    assert stored["wbc_dx"]
    _send(token, [{"record_id": site.own.record_id, "wbc_dx": "", "cns_dx": "9"}])
    assert _enrollment(site.own)["wbc_dx"] == stored["wbc_dx"]
    assert _enrollment(site.own)["cns_dx"] == "9"
    other = _enrollment(site.other)
    answer = _send(
        token,
        [{"record_id": site.own.record_id, "wbc_dx": ""}, {"record_id": site.other.record_id}],
        overwriteBehavior="overwrite",
    )
    assert answer.status_code == 200, answer.content
    assert _enrollment(site.own)["wbc_dx"] == ""
    assert _enrollment(site.other) == other  # a JSON line without the key blanks nothing


def test_a_locked_record_and_a_repeating_instance(site: Site) -> None:
    token = token_for(site, "data_manager")
    count = FormEntry.objects.filter(record=site.own, form="followup").count()
    row = {
        "record_id": site.own.record_id,
        "redcap_repeat_instrument": "followup",
        "redcap_repeat_instance": str(count + 1),
        "last_contact_date": "2012-01-31",
        "vital_status": "1",
    }
    assert _send(token, [row]).status_code == 200
    added = FormEntry.objects.get(record=site.own, form="followup", instance=count + 1)
    assert added.values["last_contact_date"] == "2012-01-31"
    Record.objects.filter(pk=site.own.pk).update(locked=True)
    before = _state()
    problems = _problems(_send(token, [{"record_id": site.own.record_id, "wbc_dx": "3.5"}]))
    assert problems[0][1] == "enrollment"
    assert "locked" in problems[0][3]
    assert _state() == before


def test_dates_in_another_order_and_refused_options(site: Site) -> None:
    token = token_for(site, "data_manager")
    answer = _send(
        token, [{"record_id": site.own.record_id, "cr1_date": "10/31/2005"}], dateFormat="MDY"
    )
    assert answer.status_code == 200, answer.content
    assert _enrollment(site.own)["cr1_date"] == "2005-10-31"
    before = _state()
    for options in (
        {"forceAutoNumber": "true"},
        {"overwriteBehavior": "erase"},
        {"dateFormat": "DDMMYY"},
        {"returnContent": "auto_ids"},
    ):
        refused = _send(token, [{"record_id": site.own.record_id, "wbc_dx": "1"}], **options)
        assert refused.status_code == 400, options
    for data in ("", "not json", '{"record_id": 1', "[1, 2]"):
        refused = call(token, "record", format="json", returnFormat="json", data=data)
        assert refused.status_code == 400, data
        assert "error" in as_json(refused)
    assert _state() == before


READS = {
    "own": {"coordinator", "data_manager", "statistician"},
    "other": {"other_coordinator", "data_manager", "statistician"},
}  # access.py: the data center reads everything, a coordinator their hospital's records
WRITES = {"own": {"coordinator", "data_manager"}, "other": {"other_coordinator", "data_manager"}}


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize(
    "role", ["administrator", "coordinator", "other_coordinator", "data_manager", "statistician"]
)
def test_every_roles_token_on_both_hospitals(site: Site, role: str, whose: str) -> None:
    record = site.own if whose == "own" else site.other
    if role == "administrator":  # the tokens page makes none: one forged in the database
        from followup.capture.api_auth import digest
        from followup.capture.models import ApiToken, Membership

        admin = Membership.objects.get(user__username="administrator")
        token = "B" * 32
        ApiToken.objects.create(user=admin.user, study=site.study, digest=digest(token))
    else:
        token = token_for(site, role)
    exported = call(token, "record", format="json", records=record.record_id)
    if role == "administrator":
        assert exported.status_code == 403
    else:
        assert bool(as_json(exported)) == (role in READS[whose])
    before = _state()
    answer = _send(token, [{"record_id": record.record_id, "wbc_dx": "321.5"}])
    allowed = role in WRITES[whose]
    assert (_enrollment(record)["wbc_dx"] == "321.5") == allowed
    if allowed:
        assert answer.status_code == 200
    else:
        assert answer.status_code == (400 if role.endswith("coordinator") else 403)
        assert _state() == before
