"""An Excel questionnaire with one problem of each kind: refused whole, every problem located.

The workbook is the hospital's own, downloaded and then spoiled with openpyxl as a person (or a
person who removed the sheet protection) could: each problem must come back with its sheet,
row, column and field label, and nothing of the workbook may be saved, not even its good cells.
"""

from __future__ import annotations

import datetime as dt

from followup.capture.models import FormEntry, Record
from followup.capture.workbook_problems import Problem
from tests.capture.conftest import Site, post_data
from tests.capture.workbook_helpers import (
    book_of,
    column,
    download,
    row_of,
    saved,
    set_value,
    stored_state,
    upload,
)


def _label(site: Site, name: str) -> str:
    return site.study.dictionary.field(name).label


def test_one_problem_of_each_kind_is_located_and_nothing_is_saved(site: Site) -> None:
    own = site.own
    second = Record.objects.filter(hospital=own.hospital).exclude(pk=own.pk).first()
    assert second is not None
    book = book_of(download(site, own.hospital.code))
    enrollment, follow = book["Enrollment"], book["Followup"]
    row, row2 = row_of(enrollment, own.record_id), row_of(enrollment, second.record_id)
    new = max(FormEntry.objects.filter(record=own, form="followup").values_list(
        "instance", flat=True)) + 1  # fmt: skip
    first_follow, new_follow = row_of(follow, own.record_id, 1), row_of(follow, own.record_id, new)
    second_follow = row_of(follow, second.record_id, 1)

    set_value(book, "Enrollment", own.record_id, "wbc_dx", "lots")  # wrong type
    set_value(book, "Enrollment", own.record_id, "sex", "Maybe")  # unknown choice
    set_value(book, "Enrollment", own.record_id, "age_dx_days", 400)  # out of range
    set_value(book, "Enrollment", own.record_id, "cns_dx", "Unknown")  # good, but not saved
    set_value(book, "Enrollment", second.record_id, "wbc_dx", 150)  # will conflict
    set_value(book, "Followup", own.record_id, "vital_status", "Alive", new)
    set_value(book, "Followup", own.record_id, "death_cause", "Other", new)  # hidden: alive
    follow[f"A{first_follow}"] = "XYZ"  # a changed key
    follow[f"{column(follow, 'last_contact_date')}{second_follow}"] = "=TODAY()"  # a formula
    extra = enrollment.max_row + 1
    enrollment[f"A{extra}"] = site.other.record_id  # another hospital's patient
    enrollment[f"{column(enrollment, 'sex')}{extra}"] = "Male"
    del book["Relapse questionnaire"]  # a sheet missing
    web = post_data(second, "enrollment", wbc_dx="99.9", reason="from the chart")
    assert (
        site.clients["coordinator"]
        .post(f"/records/{second.record_id}/enrollment/", web)
        .status_code
        == 302
    )  # saved in the web after the download

    before = stored_state()
    response = upload(site, saved(book))
    assert response.status_code == 400
    assert stored_state() == before  # nothing, not even cns_dx, was saved
    problems: tuple[Problem, ...] = response.context["result"].problems
    located = {(p.sheet, p.row, p.column, p.label) for p in problems}

    def at(sheet: str, number: int | None, name: str) -> tuple[str, int | None, str, str]:
        letter = column(book[sheet], name) if name != "record_id" else "A"
        label = "Record ID" if name == "record_id" else _label(site, name)
        return (sheet, number, letter, label)

    expected = {
        at("Enrollment", row, "wbc_dx"),
        at("Enrollment", row, "sex"),
        at("Enrollment", row, "age_dx_days"),
        at("Enrollment", row2, "wbc_dx"),
        at("Followup", new_follow, "death_cause"),
        at("Followup", first_follow, "record_id"),
        at("Followup", second_follow, "last_contact_date"),
        at("Enrollment", extra, "record_id"),
        ("Relapse questionnaire", None, "", ""),
    }
    assert located == expected
    messages = {(p.sheet, p.row, p.column): p.message for p in problems}

    def message(place: tuple[str, int | None, str, str]) -> str:
        return messages[place[:3]]

    assert message(at("Enrollment", row, "wbc_dx")).startswith("Enter a number")
    assert "“Maybe” is not one of the choices: Male, Female" in message(
        at("Enrollment", row, "sex")
    )
    age = site.study.dictionary.field("age_dx_days")
    assert f"from {age.minimum} to {age.maximum}" in message(at("Enrollment", row, "age_dx_days"))
    assert message(at("Enrollment", row2, "wbc_dx")).startswith("Conflict:")
    hidden = message(at("Followup", new_follow, "death_cause"))
    assert f"only if “{_label(site, 'vital_status')}” = “Dead”" in hidden
    assert "“XYZ”" in message(at("Followup", first_follow, "record_id"))
    assert "formula" in message(at("Followup", second_follow, "last_contact_date"))
    assert f"“{site.other.record_id}” is not a patient of {own.hospital.name}" in message(
        at("Enrollment", extra, "record_id")
    )
    assert "is missing" in message(("Relapse questionnaire", None, "", ""))
    page = response.content.decode()
    assert all(p.message.split("“")[0] in page for p in problems)


def test_a_value_left_where_a_changed_answer_now_hides_it_is_refused(site: Site) -> None:
    own = site.own
    entry = FormEntry.objects.get(record=own, form="enrollment")
    entry.values = {**entry.values, "cr1": "1", "cr1_date": "2005-04-02"}
    entry.save()
    book = book_of(download(site, own.hospital.code))
    set_value(book, "Enrollment", own.record_id, "cr1", "No")  # cr1_date is asked only if Yes
    before = stored_state()
    response = upload(site, saved(book))
    assert response.status_code == 400
    after = {**entry.values, "cr1": "0"}
    hidden = {  # what the dictionary's branching hides once cr1 is No, and still holds a value
        column(book["Enrollment"], f.name)
        for f in site.study.dictionary.form_fields("enrollment")
        if after.get(f.name, "") and not f.branching.show(after)
    }
    problems = response.context["result"].problems
    assert column(book["Enrollment"], "cr1_date") in hidden
    assert {p.column for p in problems} == hidden
    assert all(p.message.startswith("Filled, but the form asks this only if") for p in problems)
    assert stored_state() == before


def test_a_locked_record_is_not_changed_by_a_workbook(site: Site) -> None:
    book = book_of(download(site, site.own.hospital.code))
    Record.objects.filter(pk=site.own.pk).update(locked=True)
    set_value(book, "Enrollment", site.own.record_id, "wbc_dx", 150)
    before = stored_state()
    response = upload(site, saved(book))
    assert response.status_code == 400
    assert "locked" in response.content.decode()
    assert stored_state() == before


def test_a_workbook_of_another_study_or_with_its_hidden_sheets_gone_is_refused(
    site: Site,
) -> None:
    book = book_of(download(site, site.own.hospital.code))
    book["_followup"]["B2"] = "999"  # the study's id
    assert "questionnaire of another study" in upload(site, saved(book)).content.decode()
    book = book_of(download(site, site.own.hospital.code))
    del book["_followup_rows"]
    assert (
        "not an Excel questionnaire downloaded from Followup"
        in upload(site, saved(book)).content.decode()
    )


def test_a_date_typed_as_text_is_read_as_a_date(site: Site) -> None:
    own = site.own
    book = book_of(download(site, own.hospital.code))
    set_value(book, "Enrollment", own.record_id, "dx_date", "2005-03-01")
    response = upload(site, saved(book))
    assert response.status_code == 200, response.content.decode()[-1500:]
    assert FormEntry.objects.get(record=own, form="enrollment").values["dx_date"] == "2005-03-01"
    book = book_of(download(site, own.hospital.code))
    sheet = book["Enrollment"]
    cell = sheet[f"{column(sheet, 'dx_date')}{row_of(sheet, own.record_id)}"]
    assert cell.value == dt.datetime(2005, 3, 1)
