"""``followup export``: every format from the files, clear errors, the key for date shifts."""

from __future__ import annotations

from pathlib import Path

import pyreadstat
from click.testing import CliRunner

from followup.cli import cli
from followup.cli.demo import write_demo_records
from followup.io.exports import FORMATS


def _export(tmp_path: Path, *arguments: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    (tmp_path / "in").mkdir(parents=True)
    dictionary, records, plan = write_demo_records(tmp_path / "in")
    runner = CliRunner()
    return runner.invoke(
        cli,
        ["export", "-d", str(dictionary), "-r", str(records), "-p", str(plan), *arguments],
        env=env,
    )


def test_every_format_is_written(tmp_path: Path) -> None:
    formats = [part for name in FORMATS for part in ("-f", name)]
    result = _export(tmp_path, *formats, "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert {
        "mll03_records.sav",
        "mll03_records.dta",
        "mll03_records.xpt",
        "mll03_records.r",
    } <= written
    frame, meta = pyreadstat.read_sav(str(tmp_path / "out" / "mll03_records.sav"))
    assert meta.column_labels[0] == "Study patient ID"
    assert len(set(frame["record_id"])) == 63


def test_an_unknown_form_is_named_with_the_forms_there_are(tmp_path: Path) -> None:
    result = _export(tmp_path, "-f", "csv", "-o", str(tmp_path / "out"), "--forms", "visits")
    assert result.exit_code == 2
    assert "'visits' is not a form of the study; the forms are: enrollment" in result.output


def test_shifted_dates_follow_the_key(tmp_path: Path) -> None:
    outputs = []
    for folder in ("a", "b"):
        result = _export(
            tmp_path / folder,
            "-f", "csv", "-o", str(tmp_path / folder / "out"), "--shift-dates",
            env={"FOLLOWUP_EXPORT_KEY": "kept by the data center"},
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / folder / "out" / "mll03_records.csv").read_text())
    assert outputs[0] == outputs[1]
    unkeyed = _export(tmp_path / "c", "-f", "csv", "-o", str(tmp_path / "c"), "--shift-dates")
    assert "FOLLOWUP_EXPORT_KEY is not set" in unkeyed.output


def test_an_unknown_hospital_is_named_with_the_hospitals_there_are(tmp_path: Path) -> None:
    result = _export(tmp_path, "-f", "csv", "-o", str(tmp_path / "out"), "--hospitals", "nowhere")
    assert result.exit_code == 2
    assert "'nowhere' is not a hospital of the records; their data access groups are: " in (
        result.output
    )


def test_the_command_line_starts_without_the_export_libraries() -> None:
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, followup.cli; print(sorted(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "'pyreadstat'" not in loaded
    assert "'followup.io.stats_files'" not in loaded
