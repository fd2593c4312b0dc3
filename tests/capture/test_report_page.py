"""The report page: built once per state of the data, with the way back and its downloads.

Defect 15 of the review: the report page took ~6 s for 63 records on every visit and had no
header, no way back and no PDF.
"""

from __future__ import annotations

import io
import json
import zipfile

import docx
import pytest

from followup.capture import report_cache
from tests.capture.conftest import Site, post_data


def test_the_report_is_built_once_and_served_from_its_folder(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    statistician = site.clients["statistician"]
    first = statistician.get("/report/")
    assert first.status_code == 200

    def no_second_build(*args: object) -> None:
        raise AssertionError("the report was analysed again for unchanged data")

    monkeypatch.setattr(report_cache, "analyze", no_second_build)
    again = statistician.get("/report/")
    assert again.content == first.content


def test_a_saved_change_makes_a_new_report(site: Site) -> None:
    statistician = site.clients["statistician"]
    before = statistician.get("/report/json/").content
    data = post_data(site.own, "enrollment", wbc_dx="777", reason="from the chart")
    site.clients["data_manager"].post(f"/records/{site.own.record_id}/enrollment/", data)
    after = statistician.get("/report/json/").content
    assert before != after
    assert json.loads(after)["records"] == json.loads(before)["records"]


def test_the_report_page_has_the_way_back_and_the_downloads(site: Site) -> None:
    response = site.clients["data_manager"].get("/report/")
    page = response.content.decode()
    assert 'href="/records/"' in page
    assert 'href="/report/pdf/"' in page
    policy = response["Content-Security-Policy"]
    assert "'sha256-" in policy  # the report's own inline style, allowed by its hash alone
    assert "unsafe-inline" not in policy
    pdf = site.clients["data_manager"].get("/report/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert 'filename="report.pdf"' in pdf["Content-Disposition"]
    assert site.clients["data_manager"].get("/report/nothing/").status_code == 404


def test_the_report_page_keeps_its_own_content_policy(site: Site) -> None:
    page = site.clients["statistician"].get("/report/").content.decode()
    assert ' style="' not in page  # an inline style attribute would break the policy


def test_the_report_downloads_as_word_for_the_data_center_only(site: Site) -> None:
    page = site.clients["statistician"].get("/report/").content.decode()
    assert 'href="/report/docx/"' in page
    for role in ("data_manager", "statistician"):
        response = site.clients[role].get("/report/docx/")
        assert response["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        assert 'filename="report.docx"' in response["Content-Disposition"]
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            assert "word/document.xml" in archive.namelist()
        assert docx.Document(io.BytesIO(response.content)).tables  # Word tables, not pictures
    for role in ("coordinator", "other_coordinator", "administrator"):
        response = site.clients[role].get("/report/docx/")
        assert response.status_code == 403, role
        assert not response.content.startswith(b"PK")
    assert site.clients["anonymous"].get("/report/docx/").status_code == 302  # to sign in
