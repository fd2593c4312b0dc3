"""Saving a form: validation, required fields, branching, conflicts, locks, reasons, the trail."""

from __future__ import annotations

from django.test import Client

from followup.capture.models import AuditEntry, FormEntry, Membership, Record
from tests.capture.conftest import Site, post_data


def _relapsed(site: Site) -> Record:
    return next(
        r
        for r in Record.objects.filter(hospital=site.own.hospital)
        if FormEntry.objects.filter(record=r, form="relapse_questionnaire").exists()
    )


def test_a_bad_date_is_refused_next_to_its_field(site: Site) -> None:
    record = _relapsed(site)
    before = FormEntry.objects.get(record=record, form="relapse_questionnaire").values
    data = post_data(record, "relapse_questionnaire", rel_date="2008-02-31", reason="typo")
    response = site.clients["coordinator"].post(
        f"/records/{record.record_id}/relapse_questionnaire/", data
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in page
    assert 'id="m-rel_date"' in page
    assert FormEntry.objects.get(record=record, form="relapse_questionnaire").values == before


def test_hidden_fields_are_blanked_on_the_server_too(site: Site) -> None:
    record = _relapsed(site)
    data = post_data(
        record, "relapse_questionnaire", sct2="0", sct2_date="2009-01-01", reason="no second SCT"
    )
    site.clients["coordinator"].post(f"/records/{record.record_id}/relapse_questionnaire/", data)
    values = FormEntry.objects.get(record=record, form="relapse_questionnaire").values
    assert values["sct2"] == "0"
    assert values.get("sct2_date", "") == ""
    assert values.get("sct2_remission", "") == ""


def test_a_complete_form_needs_a_reason(site: Site) -> None:
    record = site.own
    data = post_data(record, "enrollment", wbc_dx="99.9")
    response = site.clients["coordinator"].post(f"/records/{record.record_id}/enrollment/", data)
    assert "give a reason" in response.content.decode()
    assert FormEntry.objects.get(record=record, form="enrollment").values["wbc_dx"] != "99.9"


def test_every_change_is_in_the_trail_with_old_new_and_reason(site: Site) -> None:
    record = site.own
    old = FormEntry.objects.get(record=record, form="enrollment").values["wbc_dx"]
    data = post_data(record, "enrollment", wbc_dx="99.9", reason="re-read the lab sheet")
    site.clients["coordinator"].post(f"/records/{record.record_id}/enrollment/", data)
    entry = AuditEntry.objects.filter(record=record.record_id, field="wbc_dx").last()
    assert entry is not None
    assert (entry.user, entry.old, entry.new, entry.reason) == (
        "coordinator",
        old,
        "99.9",
        "re-read the lab sheet",
    )
    trail = (
        site.clients["coordinator"]
        .get(f"/records/{record.record_id}/trail/?format=csv")
        .content.decode()
    )
    assert "re-read the lab sheet" in trail


def test_the_second_of_two_saves_gets_a_conflict_page(site: Site) -> None:
    record = site.own
    first = post_data(record, "enrollment", wbc_dx="11.1", reason="data center correction")
    second = post_data(
        record, "enrollment", wbc_dx="22.2", reason="hospital correction"
    )  # same version
    assert (
        site.clients["data_manager"]
        .post(f"/records/{record.record_id}/enrollment/", first)
        .status_code
        == 302
    )
    response = site.clients["coordinator"].post(f"/records/{record.record_id}/enrollment/", second)
    page = response.content.decode()
    assert response.status_code == 409
    assert "11.1" in page
    assert "22.2" in page
    assert FormEntry.objects.get(record=record, form="enrollment").values["wbc_dx"] == "11.1"


def test_a_locked_record_cannot_be_changed_by_anyone(site: Site) -> None:
    record = site.own
    site.clients["data_manager"].post(
        f"/records/{record.record_id}/lock/", {"action": "lock", "reason": "data cleaned"}
    )
    for role in ("coordinator", "data_manager"):
        data = post_data(record, "enrollment", wbc_dx="33.3", reason="try")
        site.clients[role].post(f"/records/{record.record_id}/enrollment/", data)
        assert FormEntry.objects.get(record=record, form="enrollment").values["wbc_dx"] != "33.3"
    site.clients["data_manager"].post(
        f"/records/{record.record_id}/lock/", {"action": "unlock", "reason": "a correction"}
    )
    actions = list(
        AuditEntry.objects.filter(
            record=record.record_id, action__in=["lock", "unlock"]
        ).values_list("action", "user")
    )
    assert actions == [("lock", "data_manager"), ("unlock", "data_manager")]


def test_a_query_thread(site: Site) -> None:
    record = site.own
    dm, coordinator = site.clients["data_manager"], site.clients["coordinator"]
    dm.post(
        f"/records/{record.record_id}/enrollment/query/",
        {"field": "wbc_dx", "text": "Please check the WBC."},
    )
    query = record.queries.get()
    coordinator.post(
        f"/records/{record.record_id}/queries/{query.pk}/reply/", {"text": "Checked: it is right."}
    )
    query.refresh_from_db()
    assert query.status == "answered"
    dm.post(
        f"/records/{record.record_id}/queries/{query.pk}/reply/", {"text": "Thanks.", "close": "1"}
    )
    query.refresh_from_db()
    assert query.status == "closed"
    assert [m.user for m in query.messages.all()] == ["data_manager", "coordinator", "data_manager"]


def test_the_patient_list_says_which_questionnaires_are_not_needed(site: Site) -> None:
    page = site.clients["data_manager"].get("/records/").content.decode()
    in_remission = next(
        r
        for r in Record.objects.all()
        if FormEntry.objects.get(record=r, form="enrollment").values.get("relapsed") == "0"
    )
    row = page[page.index(f">{in_remission.record_id}") :]
    row = row[: row.index("</tr>")]
    assert "not needed" in row


def test_an_invitation_mails_a_link_that_signs_in(site: Site, mailoutbox: list) -> None:  # type: ignore[type-arg]
    dm = site.clients["data_manager"]
    dm.post(
        "/people/invite/",
        {
            "hospital": site.own.hospital.pk,
            "username": "newcoord",
            "email": "coordinator@hospital.example",
        },
    )
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["coordinator@hospital.example"]
    link = next(word for word in mail.body.split() if "/password/" in word)
    path = link[link.index("/password/") :]
    page = Client().get(path, follow=True)
    assert "Choose your password" in page.content.decode()


def test_a_reminder_lists_what_is_still_open(site: Site, mailoutbox: list) -> None:  # type: ignore[type-arg]
    user = Membership.objects.get(role="coordinator", hospital=site.own.hospital).user
    user.email = "coordinator@hospital.example"
    user.save()
    FormEntry.objects.filter(record=site.own, form="followup").update(status=0)
    site.clients["data_manager"].post(f"/dashboard/remind/{site.own.hospital.pk}/")
    assert len(mailoutbox) == 1
    assert f"{site.own.record_id}: Followup" in mailoutbox[0].body
    assert site.other.record_id not in mailoutbox[0].body


def test_a_choice_that_is_not_one_is_refused_by_the_django_form(site: Site) -> None:
    record = site.own
    before = FormEntry.objects.get(record=record, form="enrollment").values
    data = post_data(record, "enrollment", sex="7", reason="try")
    response = site.clients["coordinator"].post(f"/records/{record.record_id}/enrollment/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in page
    assert 'id="m-sex"' in page
    assert FormEntry.objects.get(record=record, form="enrollment").values == before
