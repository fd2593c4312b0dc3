"""The real clients against a live ``followup serve``: PyCap (and REDCapR when R has it).

The server runs as people run it, a separate process on a loopback port with the demo study;
the data manager creates the tokens on the tokens page through a browser-like client; PyCap
exports metadata and records and imports a record, and what it reads and writes is checked
against the server's database file itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redcap

from tests.capture.conftest import STUDY
from tests.cli.test_serve import ENV, Browser, Server, _serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    data = tmp_path_factory.mktemp("api_live") / "data"
    # The server as people run it, on SQLite in its data folder, also when the suite itself runs
    # on PostgreSQL (make postgres sets DATABASE_URL): the test reads that file.
    running = _serve(data, env={k: v for k, v in ENV.items() if k != "DATABASE_URL"})
    try:
        yield running, data
    finally:
        running.stop()


def _token(server: Server, username: str) -> str:
    """The data manager signs in and creates ``username``'s token on the tokens page."""
    manager = Browser(server.url)
    status, _ = manager.post(
        "/login/", {"username": "datamanager", "password": server.passwords()["datamanager"]}
    )
    assert status == 302
    _, page = manager.get("/api/tokens/")
    option = re.search(rf'<option value="(\d+)">{username} \(', page)
    assert option is not None, page[:2000]
    status, created = manager.post("/api/tokens/", {"user": option.group(1)}, page)
    assert status == 200
    token = re.search(r'<code id="new-token">([0-9A-F]{32})</code>', created)
    assert token is not None
    return token.group(1)


def _stored(data: Path, record_id: str, form: str) -> dict[str, str]:
    """A form's values as the server's database holds them (instance 1)."""
    with sqlite3.connect(data / "followup.sqlite3") as db:
        row = db.execute(
            'SELECT e."values" FROM'
            " capture_formentry e JOIN capture_record r ON e.record_id = r.id "
            "WHERE r.record_id = ? AND e.form = ? AND e.instance = 1",
            (record_id, form),
        ).fetchone()
    return dict(json.loads(row[0])) if row else {}


def _hospital_records(data: Path, code: str) -> set[str]:
    with sqlite3.connect(data / "followup.sqlite3") as db:
        rows = db.execute(
            "SELECT r.record_id FROM capture_record r "
            "JOIN capture_hospital h ON r.hospital_id = h.id WHERE h.code = ?",
            (code,),
        ).fetchall()
    return {r[0] for r in rows}


def test_pycap_exports_metadata_and_records_and_imports_a_record(
    server: tuple[Server, Path],
) -> None:
    running, data = server
    project = redcap.Project(f"{running.url}/api/", _token(running, "coordinator1"))
    dictionary = list(csv.DictReader(io.StringIO((STUDY / "dictionary.csv").read_text())))
    metadata = project.export_metadata()
    assert [m["field_name"] for m in metadata] == [r["Variable / Field Name"] for r in dictionary]
    assert [m["field_label"] for m in metadata] == [r["Field Label"] for r in dictionary]
    assert project.def_field == "record_id"
    assert project.is_longitudinal is False  # read from REDCap's error for a classic project
    records = project.export_records()
    base = [r for r in records if not r["redcap_repeat_instrument"]]
    assert {r["record_id"] for r in base} == _hospital_records(data, "hospital_01")
    for row in base[:20]:
        stored = _stored(data, row["record_id"], "enrollment")
        assert {k: row[k] for k in stored} == stored
    chosen = base[0]["record_id"]
    answer = project.import_records([{"record_id": chosen, "wbc_dx": "42.5"}])
    assert answer == {"count": 1}
    assert _stored(data, chosen, "enrollment")["wbc_dx"] == "42.5"
    with sqlite3.connect(data / "followup.sqlite3") as db:
        trail = db.execute(
            "SELECT user, reason FROM capture_auditentry WHERE record = ? AND field = 'wbc_dx' "
            "AND new = '42.5'",
            (chosen,),
        ).fetchall()
    assert trail == [("coordinator1", "API import")]
    again = project.export_records(records=[chosen], fields=["wbc_dx"])
    assert again[0]["wbc_dx"] == "42.5"
    assert project.export_version() is not None


def test_pycap_sees_redcaps_errors(server: tuple[Server, Path]) -> None:
    running, data = server
    coordinator = redcap.Project(f"{running.url}/api/", _token(running, "coordinator1"))
    theirs = sorted(_hospital_records(data, "hospital_02"))[0]
    with pytest.raises(redcap.RedcapError, match="not a record of your hospital"):
        coordinator.import_records([{"record_id": theirs, "wbc_dx": "1"}])
    assert coordinator.export_records(records=[theirs]) == []
    with pytest.raises(redcap.RedcapError, match="User Rights"):
        coordinator.export_users()
    statistician = redcap.Project(f"{running.url}/api/", _token(running, "statistician"))
    with pytest.raises(redcap.RedcapError, match="API Import privileges"):
        statistician.import_records([{"record_id": theirs, "wbc_dx": "1"}])
    wrong = redcap.Project(f"{running.url}/api/", "0" * 32)
    with pytest.raises(redcap.RedcapError, match="permissions to use the API"):
        wrong.export_metadata()


def test_pycap_reads_a_dataframe(server: tuple[Server, Path]) -> None:
    pytest.importorskip("pandas")
    running, data = server
    project = redcap.Project(f"{running.url}/api/", _token(running, "datamanager"))
    frame = project.export_records(format_type="df")
    assert set(frame.index) == _all_records(data)  # the data manager's: every hospital


def _all_records(data: Path) -> set[str]:
    with sqlite3.connect(data / "followup.sqlite3") as db:
        return {r[0] for r in db.execute("SELECT record_id FROM capture_record").fetchall()}


def test_redcapr_when_r_has_it(server: tuple[Server, Path]) -> None:
    rscript = shutil.which("Rscript")
    has = (
        subprocess.run([rscript, "-e", "library(REDCapR)"], capture_output=True, check=False)
        if rscript
        else None
    )
    if has is None or has.returncode != 0:
        pytest.skip("REDCapR is not installed in R here (Rscript -e 'library(REDCapR)' fails)")
    running, data = server
    token = _token(running, "statistician")
    script = (
        "library(REDCapR); "
        f"d <- redcap_read_oneshot(redcap_uri='{running.url}/api/', token='{token}')$data; "
        "cat(nrow(d))"
    )
    out = subprocess.run([str(rscript), "-e", script], capture_output=True, text=True, check=True)
    with sqlite3.connect(data / "followup.sqlite3") as db:
        lines = db.execute(
            "SELECT COUNT(*) FROM capture_formentry WHERE form = 'followup'"
        ).fetchone()[0] + len(_all_records(data))
    assert int(out.stdout.strip()) == lines
