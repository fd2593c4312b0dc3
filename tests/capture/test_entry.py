"""Saving a form: validation, required fields, branching, conflicts, locks, reasons, the trail."""

from __future__ import annotations

import html
import re

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


def _url(record: Record, form: str) -> str:
    return f"/records/{record.record_id}/{form}/"


def test_a_status_that_is_not_0_1_or_2_is_refused_and_nothing_is_stored(site: Site) -> None:
    record = site.own
    before = FormEntry.objects.get(record=record, form="enrollment")
    for status in ("-1", "99", "abc", "2.0", ""):
        data = post_data(record, "enrollment", status=status, reason="try")
        response = site.clients["data_manager"].post(_url(record, "enrollment"), data)
        assert response.status_code == 400, status
        assert "status" in response.content.decode()
    after = FormEntry.objects.get(record=record, form="enrollment")
    assert (after.status, after.version, after.values) == (
        before.status,
        before.version,
        before.values,
    )


def test_a_form_the_plan_does_not_ask_for_cannot_be_saved(site: Site) -> None:
    in_remission = next(
        r
        for r in Record.objects.filter(hospital=site.own.hospital)
        if FormEntry.objects.get(record=r, form="enrollment").values.get("relapsed") == "0"
    )
    data = post_data(in_remission, "relapse_questionnaire", rel_date="2008-01-01", status="2")
    response = site.clients["coordinator"].post(_url(in_remission, "relapse_questionnaire"), data)
    assert response.status_code == 400
    assert "does not ask this form for this patient" in response.content.decode()
    assert not FormEntry.objects.filter(record=in_remission, form="relapse_questionnaire").exists()


def test_complete_survives_a_refused_save(site: Site) -> None:
    record = _relapsed(site)
    data = post_data(
        record, "relapse_questionnaire", rel_date="2008-02-31", status="2", reason="from the chart"
    )
    page = site.clients["coordinator"].post(_url(record, "relapse_questionnaire"), data)
    text = page.content.decode()
    assert page.status_code == 400
    assert '<option value="2" selected>' in text  # the status the person chose, still chosen
    assert 'value="from the chart"' in text  # and the reason they typed


def test_still_required_lists_exactly_what_validation_blocks_on(site: Site) -> None:
    record = _relapsed(site)
    entry = FormEntry.objects.get(record=record, form="relapse_questionnaire")
    entry.values = {**entry.values, "sct2": "0", "sct2_date": "", "sct2_remission": ""}
    entry.values = {k: v for k, v in entry.values.items() if not k.startswith("sct2_")}
    entry.values["sct2"] = "0"
    entry.values["cr2"] = ""
    entry.save()
    page = site.clients["coordinator"].get(_url(record, "relapse_questionnaire"))
    text = page.content.decode()
    summary = text[text.index('id="missing-title"') : text.index("</aside>")]
    assert "Second complete remission achieved" in summary  # required, shown, blank
    assert "Date of second SCT" not in summary  # required, but hidden when there was no SCT
    assert "Conditioning regimen of second SCT" not in summary


def test_one_message_per_problem_in_the_coordinators_words(site: Site) -> None:
    record = site.own
    data = post_data(record, "enrollment", age_dx_days="400", reason="typo")
    text = site.clients["coordinator"].post(_url(record, "enrollment"), data).content.decode()
    block = text[text.index('id="q-age_dx_days"') :]
    block = block[: block.index('<div class="question')]
    messages = re.findall(r'<p class="message"[^>]*>(.*?)</p>', block)
    assert messages == ["Enter a value from 0 to 365. You entered “400”."]  # not the rule too
    assert "age_dx_days" not in " ".join(messages)


def test_a_plan_rule_names_its_fields_by_label_with_their_values(site: Site) -> None:
    record = _relapsed(site)
    rel_date = FormEntry.objects.get(record=record, form="relapse_questionnaire").values["rel_date"]
    data = post_data(
        record, "relapse_questionnaire", sct2="1", sct2_date="1999-01-01", reason="check"
    )
    text = site.clients["coordinator"].post(_url(record, "relapse_questionnaire"), data)
    page = html.unescape(text.content.decode())
    expected = (
        f"Second SCT is dated before relapse (Date of second SCT: 1999-01-01; "
        f"Date of relapse: {rel_date})."
    )
    assert expected in page
    assert "[sct2_date]" not in page
    assert "sct2_date =" not in page


def test_save_and_go_to_the_next_form(site: Site) -> None:
    record = _relapsed(site)
    data = post_data(record, "enrollment", then="next", reason="checked")
    response = site.clients["coordinator"].post(_url(record, "enrollment"), data)
    assert response.status_code == 302
    assert response["Location"] == _url(record, "relapse_questionnaire")


def test_a_request_cannot_write_another_forms_fields(site: Site) -> None:
    record = _relapsed(site)
    before = FormEntry.objects.get(record=record, form="followup").values
    data = post_data(record, "enrollment", vital_status="2", reason="sneak")
    site.clients["coordinator"].post(_url(record, "enrollment"), data)
    assert FormEntry.objects.get(record=record, form="followup").values == before
    assert "vital_status" not in FormEntry.objects.get(record=record, form="enrollment").values


def test_the_conflict_page_shows_labels_and_keeps_values_field_by_field(site: Site) -> None:
    record = site.own
    first = post_data(record, "enrollment", wbc_dx="11.1", sex="1", reason="data center")
    second = post_data(record, "enrollment", wbc_dx="22.2", sex="2", reason="hospital")
    site.clients["data_manager"].post(_url(record, "enrollment"), first)
    page = site.clients["coordinator"].post(_url(record, "enrollment"), second)
    text = html.unescape(page.content.decode())
    assert page.status_code == 409
    assert "White blood cell count at diagnosis" in text
    assert "Female (2)" in text
    assert "Male (1)" in text
    mine = re.search(r'name="mine" value="([^"]*)"', page.content.decode())
    version = re.search(r'name="version" value="(\d+)"', text)
    assert mine is not None
    assert version is not None
    site.clients["coordinator"].post(
        f"/records/{record.record_id}/enrollment/resolve/",
        {
            "mine": html.unescape(mine.group(1)),
            "version": version.group(1),
            "status": "2",
            "reason": "hospital's WBC, data center's sex",
            "keep-wbc_dx": "mine",
            "keep-sex": "theirs",
        },
    )
    values = FormEntry.objects.get(record=record, form="enrollment").values
    assert (values["wbc_dx"], values["sex"]) == ("22.2", "1")


def test_missing_data_codes_are_offered_accepted_and_labelled(site: Site) -> None:
    record = site.own
    page = site.clients["coordinator"].get(_url(record, "enrollment")).content.decode()
    assert 'name="wbc_dx__missing"' in page
    assert "UNK — Unknown" in page
    data = post_data(record, "enrollment", wbc_dx="", wbc_dx__missing="UNK", reason="not known")
    response = site.clients["coordinator"].post(_url(record, "enrollment"), data)
    assert response.status_code == 302
    assert FormEntry.objects.get(record=record, form="enrollment").values["wbc_dx"] == "UNK"
    both = post_data(record, "enrollment", wbc_dx="12", wbc_dx__missing="UNK", reason="x")
    refused = site.clients["coordinator"].post(_url(record, "enrollment"), both)
    assert refused.status_code == 400
    assert "not both" in refused.content.decode()


def test_an_answer_longer_than_the_limit_is_refused(site: Site) -> None:
    record = _relapsed(site)
    data = post_data(record, "relapse_questionnaire", rel_chemo_regimen="x" * 70_000, reason="r")
    response = site.clients["coordinator"].post(_url(record, "relapse_questionnaire"), data)
    assert response.status_code == 400
    assert "at most 65535 characters" in response.content.decode()
