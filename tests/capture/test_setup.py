"""Study set-up from the web: records loaded all or nothing; losing data is refused."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from followup.capture.models import AuditEntry, Record
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
