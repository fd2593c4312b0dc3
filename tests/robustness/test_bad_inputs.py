"""The bad-input catalogue: each input a data manager might give `followup`, and what it gets.

Every case is exit status 2 (or a clean run where the input is valid after all) with a message
that names the file and where in it — never a traceback, never "internal error". The cases are
the bad-input campaign's findings (issue #14) and stay here so they stay fixed.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from followup.cli import cli

Files = tuple[Path, Path, Path]


def _run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stderr + result.stdout


def _records_with(records: Path, tmp_path: Path, column: str, value: str) -> Path:
    rows = list(csv.reader(io.StringIO(records.read_text(encoding="utf-8"))))
    rows[1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "records.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _plan_with(plan: Path, tmp_path: Path, edit: Callable[[str], str]) -> Path:
    """An edited copy of the plan, with the files it names beside it."""
    for name in ("dictionary.csv", "repeating.csv"):
        shutil.copy(plan.parent / name, tmp_path / name)
    path = tmp_path / "edited-plan.yaml"
    path.write_text(edit(plan.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def test_records_with_cr_only_line_endings_are_read(mll03_files: Files, tmp_path: Path) -> None:
    dictionary, records, plan = mll03_files
    old_mac = tmp_path / "records.csv"
    old_mac.write_text(records.read_text(encoding="utf-8").replace("\n", "\r"), encoding="utf-8")
    status, out = _run("validate", "-d", dictionary, "-r", old_mac, "-p", plan, "-q")
    assert status == 0, out


def test_a_long_note_is_a_value_and_a_cell_past_the_limit_is_named(
    mll03_files: Files, tmp_path: Path
) -> None:
    dictionary, records, _ = mll03_files
    note = _records_with(records, tmp_path, "rel_chemo_regimen", "x" * 200_000)
    status, out = _run("validate", "-d", dictionary, "-r", note, "-q")
    assert status in (0, 1), out  # read: a 200 KB note is a value
    huge = _records_with(records, tmp_path, "rel_chemo_regimen", "x" * (16 * 1024 * 1024 + 1))
    status, out = _run("validate", "-d", dictionary, "-r", huge, "-q")
    assert status == 2
    assert "records.csv" in out
    assert "16,777,216 characters (the limit)" in out


@pytest.mark.parametrize(
    "logic",
    [
        "(" * 900 + "1" + ")" * 900,
        "-" * 900 + "1",
        "2" + "^2" * 900,
        "abs(" * 900 + "1" + ")" * 900,
    ],
)
def test_logic_nested_past_the_limit_is_named_in_the_dictionary(
    mll03_files: Files, tmp_path: Path, logic: str
) -> None:
    dictionary, records, _ = mll03_files
    rows = list(csv.reader(io.StringIO(dictionary.read_text(encoding="utf-8"))))
    rows[2][11] = logic
    path = tmp_path / "dictionary.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    status, out = _run("validate", "-d", path, "-r", records, "-q")
    assert status == 2
    assert "row 3, column 'Branching Logic (Show field only if...)'" in out
    assert "nested more than 60 deep (the limit)" in out


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("study: JPLSG", "study: once\nstudy: JPLSG", 1), "appears twice"),
        (
            lambda t: t.replace("dictionary: dictionary.csv", "dictionary: missing.csv"),
            "missing.csv",
        ),
        (lambda t: t.replace("time_points: [3, 4, 5]", "time_points: [3, .inf, 5]"), "time_points"),
        (lambda t: t.replace("time_points: [3, 4, 5]", "time_points: [3, .nan, 5]"), "time_points"),
        (lambda t: t.replace("time_points: [3, 4, 5]", "time_points: [-1, 4, 5]"), "time_points"),
        (lambda t: t.replace("time_points: [3, 4, 5]", "time_points: [1e400]"), "time_points"),
        (lambda t: t + "deep: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested"),
        (
            lambda t: t.replace(
                "population: \"[cr1] = '1'\"",
                'population: "' + "(" * 900 + "1" + ")" * 900 + '"',
                1,
            ),
            "nested more than 60 deep",
        ),
    ],
)
def test_a_bad_plan_is_named_with_its_line(
    mll03_files: Files, tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    dictionary, records, plan = mll03_files
    edited = _plan_with(plan, tmp_path, edit)
    status, out = _run("validate", "-d", dictionary, "-r", records, "-p", edited, "-q")
    assert status == 2, out
    assert edited.name in out
    assert message in out


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("record_id", "MLL03-\x00001", "NUL"),
        ("age_dx_days", "１２", "is not a whole number"),  # full-width digits are not a number
        ("wbc_dx", "١٢", "is not a number"),  # nor are Arabic-Indic ones
    ],
)
def test_a_bad_value_is_named_not_taken(
    mll03_files: Files, tmp_path: Path, column: str, value: str, message: str
) -> None:
    dictionary, records, _ = mll03_files
    edited = _records_with(records, tmp_path, column, value)
    status, out = _run("validate", "-d", dictionary, "-r", edited, "-q")
    assert status == 2, out
    assert f"column '{column}'" in out
    assert message in out


def test_a_file_that_is_not_a_regular_file_is_refused_without_reading_it(
    mll03_files: Files,
) -> None:
    dictionary, _, _ = mll03_files
    status, out = _run("validate", "-d", dictionary, "-r", "/dev/zero", "-q")
    assert status == 2
    assert "/dev/zero" in out
    assert "not a regular file" in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere; the other cases still run")
def test_an_output_folder_that_cannot_be_written_is_named(
    mll03_files: Files, tmp_path: Path
) -> None:
    dictionary, records, plan = mll03_files
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    status, out = _run(
        "analyze", "-d", dictionary, "-r", records, "-p", plan, "-o", locked / "x", "--no-pdf", "-q"
    )
    assert status == 2
    assert str(locked) in out


@pytest.mark.parametrize("where", ["under_a_file", "too_long"])
def test_an_output_path_that_cannot_be_made_is_named(
    mll03_files: Files, tmp_path: Path, where: str
) -> None:
    dictionary, records, plan = mll03_files
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    out_path = a_file / "report" if where == "under_a_file" else tmp_path / ("x" * 300)
    status, out = _run(
        "analyze", "-d", dictionary, "-r", records, "-p", plan, "-o", out_path, "--no-pdf", "-q"
    )
    assert status == 2, out
    assert "error:" in out
    assert "Traceback" not in out
    findings = tmp_path / "a-file" / "findings.csv"
    status, out = _run(
        "validate", "-d", dictionary, "-r", records, "-p", plan, "--findings", findings, "-q"
    )
    assert status == 2, out
    assert "findings.csv" in out


def test_a_clean_export_validates_clean_without_a_plan(mll03_files: Files) -> None:
    """Without a plan a form applies where it was started, as REDCap's rules see it.

    The relapse questionnaire is not required of patients who never relapsed.
    """
    dictionary, records, _ = mll03_files
    status, out = _run("validate", "-d", dictionary, "-r", records, "-q")
    assert status == 0, out
    assert "0 error(s)" in out


def test_an_expression_past_the_length_limit_is_named_as_such() -> None:
    from followup.study import LogicError, parse_logic

    chain = " or ".join(f"[a] = '{n}'" for n in range(100_000))  # the campaign's 100k-term chain
    try:
        parse_logic(chain)
    except LogicError as error:
        said = error.reason
    else:
        said = "parsed"
    assert said == "the expression is longer than 200,000 characters (the limit)"
    assert parse_logic(" or ".join(f"[a] = '{n}'" for n in range(10_000))).show({"a": "9999"})


def test_rounding_to_absurd_places_gives_redcaps_answer_not_an_error() -> None:
    from followup.study import parse_logic

    values = {"a": "123.456"}
    assert parse_logic("round([a], 400)").value(values) == 123.456  # nothing left to round
    assert parse_logic("round([a], -400)").value(values) == 0.0  # to 10^400: zero
    assert parse_logic("round([a], -2)").value(values) == 100.0
