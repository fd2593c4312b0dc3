"""The export page: every format for every data role, within the role's hospitals, audited."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyreadstat
import pytest

from followup.capture.models import AuditEntry, Record
from followup.io.exports import FORMATS
from tests.capture.conftest import Site


def _post(site: Site, role: str, **data: object) -> object:
    return site.clients[role].post("/export/", {"format": "csv", **data})


@pytest.mark.parametrize("format_name", list(FORMATS))
def test_the_data_manager_exports_every_format_and_each_is_audited(
    site: Site, format_name: str
) -> None:
    before = AuditEntry.objects.filter(action="export").count()
    response = _post(site, "data_manager", format=format_name)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "attachment" in response["Content-Disposition"]  # type: ignore[index]
    entry = AuditEntry.objects.filter(action="export").last()
    assert AuditEntry.objects.filter(action="export").count() == before + 1
    assert entry is not None
    assert (entry.user, entry.field) == ("data_manager", format_name)
    assert "forms: all" in entry.new


def test_an_spss_export_opens_in_pyreadstat(site: Site, tmp_path: Path) -> None:
    response = _post(site, "data_manager", format="spss")
    content = response.content  # type: ignore[attr-defined]
    if response["Content-Type"] == "application/zip":  # type: ignore[index]
        content = next(
            zipfile.ZipFile(io.BytesIO(content)).read(n)
            for n in zipfile.ZipFile(io.BytesIO(content)).namelist()
            if n.endswith(".sav")
        )
    path = tmp_path / "x.sav"
    path.write_bytes(content)
    frame, meta = pyreadstat.read_sav(str(path))
    assert set(frame["record_id"]) == set(Record.objects.values_list("record_id", flat=True))
    assert meta.variable_value_labels["sex"] == {1.0: "Male", 2.0: "Female"}


def test_a_coordinator_exports_only_their_hospital(site: Site) -> None:
    text = _post(site, "coordinator").content.decode()  # type: ignore[attr-defined]
    assert site.own.record_id in text
    assert site.other.record_id not in text
    refused = _post(site, "coordinator", hospitals=[site.other.hospital.code])
    assert refused.status_code == 400  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "tampered",
    [
        {"format": "exe"},
        {"forms": ["no_such_form"]},
        {"hospitals": ["no_such_hospital"]},
        {"fields": ["no_such_field"]},
        {"format": ""},
    ],
)
def test_tampered_fields_are_refused_and_nothing_is_audited(site: Site, tampered: dict) -> None:  # type: ignore[type-arg]
    before = AuditEntry.objects.count()
    assert _post(site, "data_manager", **tampered).status_code == 400  # type: ignore[attr-defined]
    assert AuditEntry.objects.count() == before


def test_a_deidentified_export_hashes_ids_and_drops_chosen_forms(site: Site) -> None:
    response = _post(
        site, "statistician", forms=["enrollment"], hash_record_id="on", shift_dates="on"
    )
    text = response.content.decode()  # type: ignore[attr-defined]
    header = text.splitlines()[0].split(",")
    assert "rel_date" not in header
    assert "dx_date" in header
    assert site.own.record_id not in text
    entry = AuditEntry.objects.filter(action="export").last()
    assert entry is not None
    assert "dates shifted, record IDs hashed" in entry.new


@pytest.mark.parametrize("role", ["anonymous", "administrator"])
def test_who_has_no_data_exports_nothing(site: Site, role: str) -> None:
    response = _post(site, role)
    assert response.status_code in (302, 403)  # type: ignore[attr-defined]


def test_chosen_fields_are_the_only_data_columns(site: Site) -> None:
    text = _post(site, "data_manager", fields=["sex", "vital_status"]).content.decode()  # type: ignore[attr-defined]
    header = text.splitlines()[0].split(",")
    assert header[-2:] == ["sex", "vital_status"]
    assert "dx_date" not in header


def test_the_page_offers_every_format_form_and_field(site: Site) -> None:
    page = site.clients["coordinator"].get("/export/").content.decode()
    for name in FORMATS:
        assert f'value="{name}"' in page
    assert 'value="wbc_dx"' in page
    assert site.other.hospital.name not in page  # a coordinator chooses no hospital


def test_the_page_names_every_format_of_the_exporter() -> None:
    from followup.capture.views.exports import FORMAT_TITLES

    assert list(FORMAT_TITLES) == list(FORMATS)
