"""File and signature fields, as a coordinator attaches a signed consent form.

An upload is checked, kept outside the database, in the trail, downloaded as an attachment and
exported as REDCap's [document]; removing it from the field keeps the file.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from followup.capture import files
from followup.capture.export import export_csv
from followup.capture.models import AuditEntry, FormEntry, Hospital, Record, Role, StoredFile
from followup.capture.people import create_user
from followup.capture.setup import create_study

from .conftest import PASSWORD

DICTIONARY = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number\n"
    "record_id,consent,,text,ID,,,\n"
    "consent_form,consent,,file,Signed consent form,,,\n"
    "signature,consent,,file,Signature,,,signature\n"
)
PDF = b"%PDF-1.4\n% a consent form\n"


@pytest.fixture
def client(db: None) -> Client:
    study = create_study("files", DICTIONARY)
    hospital = Hospital.objects.create(study=study, code="h1", name="H1")
    Record.objects.create(study=study, record_id="7", hospital=hospital)
    user = create_user(study, "manager", Role.DATA_MANAGER, password=PASSWORD)
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, **fields: object) -> int:
    entry = FormEntry.objects.filter(form="consent").first()
    data = {"version": str(entry.version if entry else 0), "status": "0", "then": "stay"}
    return client.post("/records/7/consent/", data | fields).status_code


def test_an_upload_is_kept_audited_downloaded_and_exported(client: Client) -> None:
    assert _post(client, consent_form=SimpleUploadedFile("consent.pdf", PDF)) == 302
    entry = FormEntry.objects.get(form="consent")
    assert entry.values["consent_form"] == "[document]"
    kept = StoredFile.objects.get(field="consent_form")
    assert kept.sha256 == hashlib.sha256(PDF).hexdigest()
    assert files.content_path(kept.sha256).read_bytes() == PDF
    line = AuditEntry.objects.get(field="consent_form", action="upload")
    assert kept.sha256 in line.new
    download = client.get("/records/7/consent/file/consent_form/")
    assert download.content == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    study = entry.record.study
    assert "[document]" in export_csv(study, Record.objects.all())
    assert _post(client, consent_form__clear="on") == 302
    assert FormEntry.objects.get(form="consent").values["consent_form"] == ""
    assert StoredFile.objects.filter(field="consent_form").exists()  # nothing is lost
    assert client.get("/records/7/consent/file/consent_form/").status_code == 404


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("page.html", b"<script>alert(1)</script>"), "cannot be attached"),
        (SimpleUploadedFile("run.exe", b"MZ"), "cannot be attached"),
    ],
)
def test_a_file_of_another_kind_is_refused_at_its_field(
    client: Client, upload: SimpleUploadedFile, message: str
) -> None:
    response = client.post(
        "/records/7/consent/", {"version": "0", "status": "0", "signature": upload}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StoredFile.objects.exists()


def test_a_file_larger_than_the_limit_is_refused(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "FILE_LIMIT", 10)
    response = client.post(
        "/records/7/consent/",
        {"version": "0", "status": "0", "consent_form": SimpleUploadedFile("a.pdf", PDF)},
    )
    assert response.status_code == 400
    assert "is larger than" in response.content.decode()
    assert not StoredFile.objects.exists()
