"""Study set-up from the web: records loaded all or nothing; losing data is refused."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from followup.capture.audit import verify
from followup.capture.models import AuditEntry, Record, Study
from followup.io import export_header
from tests.capture.conftest import STUDY, Site


def _csv(site: Site, rows: list[dict[str, str]]) -> SimpleUploadedFile:
    header = export_header(site.study.dictionary)
    lines = [",".join(header), *(",".join(r.get(c, "") for c in header) for r in rows)]
    return SimpleUploadedFile("new.csv", "\n".join(lines).encode(), content_type="text/csv")


def test_new_records_are_loaded_and_audited(site: Site) -> None:
    code = site.own.hospital.code
    rows = [
        {
            "record_id": "NEW-001",
            "redcap_data_access_group": code,
            "sex": "1",
            "enrollment_complete": "0",
        }
    ]
    response = site.clients["data_manager"].post(
        "/setup/", {"action": "records", "records": _csv(site, rows)}
    )
    assert response.status_code == 302
    assert Record.objects.filter(record_id="NEW-001", hospital=site.own.hospital).exists()
    assert AuditEntry.objects.filter(record="NEW-001", field="sex", new="1").exists()


def test_a_bad_row_loads_nothing_and_says_where(site: Site) -> None:
    code = site.own.hospital.code
    rows = [
        {"record_id": "NEW-002", "redcap_data_access_group": code, "sex": "1"},
        {"record_id": "NEW-003", "redcap_data_access_group": code, "sex": "7"},
    ]
    response = site.clients["data_manager"].post(
        "/setup/", {"action": "records", "records": _csv(site, rows)}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "row 3" in page
    assert "sex" in page
    assert not Record.objects.filter(record_id__in=["NEW-002", "NEW-003"]).exists()


def test_records_already_in_the_study_are_refused(site: Site) -> None:
    rows = [{"record_id": site.own.record_id, "redcap_data_access_group": site.own.hospital.code}]
    response = site.clients["data_manager"].post(
        "/setup/", {"action": "records", "records": _csv(site, rows)}
    )
    assert "already in the study" in response.content.decode()


def test_a_dictionary_that_drops_a_field_with_data_is_refused(site: Site) -> None:
    text = (STUDY / "dictionary.csv").read_text()
    without_wbc = (
        "\n".join(line for line in text.splitlines() if not line.startswith("wbc_dx,")) + "\n"
    )
    upload = SimpleUploadedFile("d.csv", without_wbc.encode(), content_type="text/csv")
    response = site.clients["data_manager"].post(
        "/setup/", {"action": "definition", "dictionary": upload}
    )
    assert "wbc_dx" in response.content.decode()
    site.study.refresh_from_db()
    assert "wbc_dx," in site.study.dictionary_csv


def test_set_up_is_the_data_managers(site: Site) -> None:
    for role in ("coordinator", "statistician", "administrator"):
        assert site.clients[role].get("/setup/").status_code == 403


def _load(site: Site, rows: list[dict[str, str]]) -> object:
    return site.clients["data_manager"].post(
        "/setup/", {"action": "records", "records": _csv(site, rows)}
    )


@pytest.mark.parametrize(
    ("record_id", "why"),
    [
        ("A<b>1</b>", "angle bracket"),
        ("A/1", "slash"),
        ("A&1", "ampersand"),
        ("A#1", "number sign"),
        ("A+1", "plus sign"),
        ("A'1", "apostrophe"),
        ("A\x001", "NUL character"),
        ("A\u200b1", "U+200B"),
        ("A\u202e1", "U+202E"),
        ("x" * 101, "longer than 100 bytes"),
        ("..", "cannot be a record ID"),
    ],
)
def test_record_ids_follow_redcaps_rule(site: Site, record_id: str, why: str) -> None:
    records = Record.objects.count()
    rows = [{"record_id": record_id, "redcap_data_access_group": "x"}]
    header = export_header(site.study.dictionary)
    quoted = '"' + record_id + '"'
    text = (
        ",".join(header)
        + "\n"
        + ",".join(quoted if c == "record_id" else (rows[0].get(c, "")) for c in header)
    )
    upload = SimpleUploadedFile("ids.csv", text.encode(), content_type="text/csv")
    response = site.clients["data_manager"].post(
        "/setup/", {"action": "records", "records": upload}
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "row 2" in page
    assert why in page
    assert Record.objects.count() == records  # (PostgreSQL cannot even look up a NUL)


def test_spaces_and_japanese_are_fine_in_a_record_id(site: Site) -> None:
    code = site.own.hospital.code
    response = _load(site, [{"record_id": "東京 017", "redcap_data_access_group": code}])
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert Record.objects.filter(record_id="東京 017").exists()


def test_record_ids_differing_only_in_case_are_one_record(site: Site) -> None:
    code = site.own.hospital.code
    upper = site.own.record_id.upper()
    lower = site.own.record_id.lower()
    response = _load(site, [{"record_id": lower, "redcap_data_access_group": code}])
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "already in the study" in page
    assert f"stored as {upper}" in page or upper == lower
    assert not Record.objects.filter(record_id=lower).exclude(record_id=upper).exists()


def test_an_access_group_that_is_not_a_code_is_refused(site: Site) -> None:
    response = _load(site, [{"record_id": "NEW-9", "redcap_data_access_group": "<i>x</i>"}])
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert not Record.objects.filter(record_id="NEW-9").exists()


def test_the_trail_names_the_file_not_a_server_path(site: Site) -> None:
    code = site.own.hospital.code
    rows = [{"record_id": "NEW-010", "redcap_data_access_group": code, "sex": "2"}]
    upload = _csv(site, rows)
    upload.name = "/home/dm/secret/folder/new.csv"
    site.clients["data_manager"].post("/setup/", {"action": "records", "records": upload})
    entry = AuditEntry.objects.get(record="NEW-010", field="sex")
    assert entry.reason == "imported from new.csv"
    page = site.clients["data_manager"].get("/records/NEW-010/trail/").content.decode()
    assert "Female (2)" in page  # values as labels
    assert "Sex [sex]" in page
    assert "/home/dm" not in page


def test_replacing_the_dictionary_and_plan_is_in_the_trail(site: Site) -> None:
    text = (STUDY / "dictionary.csv").read_text()
    extra = text.rstrip("\n") + "\nextra_note,followup,,notes,Anything else,,,,,,,,,,,,,\n"
    upload = SimpleUploadedFile("dictionary_v2.csv", extra.encode(), content_type="text/csv")
    response = site.clients["data_manager"].post(
        "/setup/", {"action": "definition", "dictionary": upload}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="definition", field="data dictionary")
    assert entry.user == "data_manager"
    assert "dictionary_v2.csv" in entry.reason
    assert "added: extra_note" in entry.reason
    assert entry.old.startswith("sha256:")
    assert entry.new.startswith("sha256:")
    assert verify().ok


def test_changes_in_the_admin_are_in_the_trail(site: Site) -> None:
    hospital = site.own.hospital
    admin = site.clients["administrator"]
    response = admin.post(
        f"/admin/capture/hospital/{hospital.pk}/change/",
        {"study": site.study.pk, "code": hospital.code, "name": "Renamed hospital"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin_change", field=f"hospital:{hospital.pk}.name")
    assert (entry.old, entry.new, entry.user) == (
        hospital.name,
        "Renamed hospital",
        "administrator",
    )
    assert verify().ok


def test_a_translation_is_loaded_checked_and_audited(site: Site) -> None:
    good = (
        "section,type,name,index,kind,text\n"
        'fieldTranslations,label,sex,,translation,"性別"\n'
        'fieldTranslations,enum,sex,2,translation,"女"\n'
    )
    upload = SimpleUploadedFile("ja.csv", good.encode("utf-8-sig"), content_type="text/csv")
    response = site.clients["data_manager"].post(
        "/setup/", {"action": "translation", "language": "ja", "translation": upload}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="definition", field="translation:ja").exists()
    bad = good + 'fieldTranslations,label,no_such_field,,translation,"x"\n'
    upload = SimpleUploadedFile("ja.csv", bad.encode(), content_type="text/csv")
    response = site.clients["data_manager"].post(
        "/setup/", {"action": "translation", "language": "ja", "translation": upload}
    )
    assert response.status_code == 400
    assert "row 4" in response.content.decode()
    assert "no_such_field" in response.content.decode()


@pytest.mark.parametrize(
    ("action", "files", "expected"),
    [
        ("definition", {"plan": "[" * 100_000 + "]" * 100_000}, "nested too deeply"),
        (  # 4.5 million characters of indentation: past the plan's size limit first
            "definition",
            {"plan": "".join(f"{' ' * n}a:\n" for n in range(3000))},
            "1,000,000 characters (the limit)",
        ),
        ("records", {"records": "record_id\n" + "x" * 200_000 + "\n"}, "longer than 100 bytes"),
    ],
)
def test_an_upload_that_cannot_be_read_is_a_message_not_a_crash(
    site: Site, action: str, files: dict[str, str], expected: str
) -> None:
    data: dict[str, object] = {"action": action}
    if action == "definition":
        data["dictionary"] = SimpleUploadedFile("d.csv", (STUDY / "dictionary.csv").read_bytes())
    for name, text in files.items():
        data[name] = SimpleUploadedFile(f"{name}.txt", text.encode())
    response = site.clients["data_manager"].post("/setup/", data)
    assert response.status_code == 400
    assert expected in response.content.decode()


def test_the_schedule_files_are_replaced_from_the_set_up_page(site: Site) -> None:
    """REDCap's repeatingFormsEvents CSV, uploaded beside the dictionary, says what repeats."""
    dm = site.clients["data_manager"]
    dictionary = (STUDY / "dictionary.csv").read_bytes()
    bad = "event_name,form_name,custom_form_label\nweek_9_arm_1,followup,\n"
    response = dm.post(
        "/setup/",
        {
            "action": "definition",
            "dictionary": SimpleUploadedFile("dictionary.csv", dictionary),
            "events": SimpleUploadedFile(
                "events.csv", b"event_name,arm_num,unique_event_name\nBaseline,1,baseline_arm_1\n"
            ),
            "repeating": SimpleUploadedFile("repeating.csv", bad.encode()),
        },
    )
    assert response.status_code == 400
    assert "&#x27;week_9_arm_1&#x27; is not an event" in response.content.decode()
    site.study.refresh_from_db()
    assert set(site.study.schedule_files) == {"repeating"}  # nothing changed
    good = "form_name,custom_form_label\nfollowup,\nrelapse_questionnaire,\n"
    response = dm.post(
        "/setup/",
        {
            "action": "definition",
            "dictionary": SimpleUploadedFile("dictionary.csv", dictionary),
            "repeating": SimpleUploadedFile("repeating.csv", good.encode()),
        },
    )
    assert response.status_code == 302
    study = Study.objects.get(pk=site.study.pk)
    assert study.schedule.repeats_form("", "relapse_questionnaire")
    assert AuditEntry.objects.filter(field="schedule", action="definition").exists()
    assert verify().ok


def test_a_form_is_added_from_an_instrument_zip(site: Site) -> None:
    """A real instrument (tests/redcap_corpus), packed as REDCap's Shared Library ZIP."""
    import io
    import zipfile
    from pathlib import Path

    medications = (
        Path(__file__).parents[1] / "redcap_corpus" / "instruments" / "ctsit_medications.csv"
    )
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("instrument.csv", medications.read_bytes())
    dm = site.clients["data_manager"]
    upload = SimpleUploadedFile("medications.zip", packed.getvalue())
    response = dm.post("/setup/", {"action": "instrument", "instrument": upload})
    assert response.status_code == 302
    study = Study.objects.get(pk=site.study.pk)
    assert study.dictionary.forms[-1] == "medications"
    assert AuditEntry.objects.filter(field="data dictionary", action="definition").exists()
    bad = SimpleUploadedFile("x.zip", b"not a zip")
    response = dm.post("/setup/", {"action": "instrument", "instrument": bad})
    assert response.status_code == 400
    assert "is not a ZIP file" in response.content.decode()
