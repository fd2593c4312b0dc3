"""The followup command as a data manager meets it: help, exit status, no tracebacks."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from followup.cli import cli

Files = tuple[Path, Path, Path]


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _edited(
    records: Path, tmp_path: Path, record: str, column: str, value: str
) -> tuple[Path, int]:
    """A copy of the records with one cell changed; returns it and the changed row's number."""
    with records.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    row = next(i for i, r in enumerate(rows) if r[0] == record)
    rows[row][rows[0].index(column)] = value
    path = tmp_path / "edited.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path, row + 1


@pytest.mark.parametrize("command", [[], ["demo"], ["validate"], ["analyze"]])
def test_every_command_has_help(command: list[str]) -> None:
    status, out, _ = _run(*command, "--help")
    assert status == 0
    assert "Usage: followup" in out
    assert "--help" in out


def test_validate_clean_records(mll03_files: Files) -> None:
    dictionary, records, plan = mll03_files
    status, _, err = _run("validate", "-d", dictionary, "-r", records, "-p", plan, "-q")
    assert status == 0
    assert "63 records: 0 error(s), 0 warning(s)" in err


def test_unreadable_date_names_row_and_column(mll03_files: Files, tmp_path: Path) -> None:
    dictionary, records, _ = mll03_files
    edited, row = _edited(records, tmp_path, "MLL03-007", "dx_date", "2005-13-01")
    status, _, err = _run("validate", "-d", dictionary, "-r", edited, "-q")
    assert status == 2
    assert f"row {row}, column 'dx_date'" in err
    assert "2005-13-01" in err
    assert "nothing was imported" in err


def test_cross_field_rule_is_a_finding_with_status_1(mll03_files: Files, tmp_path: Path) -> None:
    dictionary, records, plan = mll03_files
    edited, _ = _edited(records, tmp_path, "MLL03-007", "cr1_date", "2004-01-01")
    findings = tmp_path / "findings.csv"
    status, out, err = _run(
        "validate", "-d", dictionary, "-r", edited, "-p", plan, "--findings", findings, "-q"
    )
    assert status == 1
    assert "MLL03-007" in out
    assert "cr1_after_diagnosis" in out
    assert "1 error(s)" in err
    assert "cr1_after_diagnosis" in findings.read_text()


def test_analyze_refuses_records_with_errors(mll03_files: Files, tmp_path: Path) -> None:
    dictionary, records, plan = mll03_files
    edited, _ = _edited(records, tmp_path, "MLL03-007", "cr1_date", "2004-01-01")
    out_dir = tmp_path / "out"
    status, _, err = _run(
        "analyze", "-d", dictionary, "-r", edited, "-p", plan, "-o", out_dir, "-q"
    )
    assert status == 1
    assert "not analysed" in err
    assert (out_dir / "findings.csv").exists()
    assert not (out_dir / "report.html").exists()


def test_a_typo_in_the_plan_is_a_clear_error(mll03_files: Files, tmp_path: Path) -> None:
    dictionary, records, plan = mll03_files
    broken = tmp_path / "plan.yaml"
    broken.write_text(plan.read_text().replace("characteristics:", "charactersitics:"))
    status, _, err = _run(
        "analyze", "-d", dictionary, "-r", records, "-p", broken, "-o", tmp_path / "o", "-q"
    )
    assert status == 2
    assert "line" in err
    assert "did you mean 'characteristics'" in err


def test_analyze_writes_the_report(mll03_files: Files, tmp_path: Path) -> None:
    dictionary, records, plan = mll03_files
    out_dir = tmp_path / "out"
    status, out, err = _run(
        "analyze", "-d", dictionary, "-r", records, "-p", plan, "-o", out_dir, "--no-pdf"
    )
    assert status == 0
    assert f"report: {out_dir / 'report.html'}" in out
    assert "analysing" in err  # the progress lines
    assert (out_dir / "results.json").exists()
    assert (out_dir / "figures" / "os_after_relapse.svg").exists()


def test_demo_prints_the_report_path(tmp_path: Path) -> None:
    status, out, _ = _run("demo", "--out", tmp_path, "--no-pdf", "-q")
    assert status == 0
    assert f"report: {tmp_path / 'report.html'}" in out
    assert "synthetic" in (tmp_path / "report.html").read_text()


def test_console_script_gives_no_traceback(mll03_files: Files, tmp_path: Path) -> None:
    dictionary, _, _ = mll03_files
    bad = tmp_path / "records.csv"
    bad.write_text("record_id,no_such_column\nMLL03-001,1\n", encoding="utf-8")
    script = "from followup.cli import main; main()"
    command = [sys.executable, "-c", script, "validate", "-d", str(dictionary), "-r", str(bad)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "no_such_column" in result.stderr


def test_a_dictionary_redcap_would_fix_is_read_with_its_warnings_shown(
    mll03_files: Files, tmp_path: Path
) -> None:
    dictionary, records, plan = mll03_files
    text = dictionary.read_text(encoding="utf-8").replace("\nsex,", "\nSex,", 1)
    fixed = tmp_path / "dictionary.csv"
    fixed.write_text(text, encoding="utf-8")
    status, _, err = _run("validate", "-d", fixed, "-r", records, "-p", plan, "-q")
    assert status == 0
    assert "warning:" in err
    assert "field name 'Sex' becomes 'sex'" in err
