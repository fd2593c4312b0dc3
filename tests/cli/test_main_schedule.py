"""``followup validate`` and ``analyze`` read the plan's schedule and its choice of instances.

The export is MLL03's, written as REDCap writes a classic project whose follow-up form repeats.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from followup.cli import cli
from followup.io import write_records
from followup.study import load_dictionary
from followup.study.schedule import classic
from tests.conftest import STUDY

DICTIONARY = STUDY / "dictionary.csv"
LATEST = "  followup: {take: latest, by: last_contact_date}"


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("mll03_synthetic_cli", STUDY / "synthetic.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("cli") / "records.csv"
    rows = module.generate()
    return write_records(path, load_dictionary(DICTIONARY), rows, schedule=classic(["followup"]))


def _study_copy(tmp_path: Path, plan_text: str, repeating: str | None = None) -> Path:
    """The plan, its dictionary (and repeating.csv) in a folder of their own; the plan's path."""
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "plan.yaml").write_text(plan_text, encoding="utf-8")
    shutil.copy(STUDY / "dictionary.csv", folder / "dictionary.csv")  # the plan names it
    if repeating is None:
        shutil.copy(STUDY / "repeating.csv", folder / "repeating.csv")
    elif repeating:
        (folder / "repeating.csv").write_text(repeating, encoding="utf-8")
    return folder / "plan.yaml"


def _plan_text() -> str:
    return (STUDY / "plan.yaml").read_text(encoding="utf-8")


def _without_instances(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(x for x in lines if not x.startswith(("instances:", LATEST)))


def test_validate_counts_records_not_rows(export: Path) -> None:
    status, _, err = _run("validate", "-d", DICTIONARY, "-r", export, "-p", STUDY / "plan.yaml")
    assert status == 0
    assert "63 records: 0 error(s), 0 warning(s)" in err
    assert "reading the schedule" in err
    _, _, err = _run("validate", "-d", DICTIONARY, "-r", export, "-q")  # what repeats: the file's
    assert "63 records:" in err


def test_analyze_reads_one_patient_per_record(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = STUDY / "plan.yaml"
    status, _, err = _run(
        "analyze", "-d", DICTIONARY, "-r", export, "-p", plan, "-o", out, "--no-pdf", "-q"
    )
    assert status == 0, err
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["records"] == results["flow"]["treated"] == 63


def test_the_schedule_is_the_one_the_export_is_read_against(export: Path, tmp_path: Path) -> None:
    plan = _study_copy(
        tmp_path,
        _without_instances(_plan_text()),
        "form_name,custom_form_label\nrelapse_questionnaire,\n",
    )
    status, _, err = _run("validate", "-d", DICTIONARY, "-r", export, "-p", plan, "-q")
    assert status == 2
    assert "form 'followup' does not repeat" in err
    assert "nothing was imported" in err


def test_the_plans_instances_are_what_its_rules_check(export: Path, tmp_path: Path) -> None:
    plan = _study_copy(
        tmp_path, _plan_text().replace(LATEST, "  followup: {take: first, by: last_contact_date}")
    )
    findings = tmp_path / "findings.csv"
    status, _, _ = _run(
        "validate", "-d", DICTIONARY, "-r", export, "-p", plan, "--findings", findings, "-q"
    )
    with export.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    relapse = {r["record_id"]: r["rel_date"] for r in rows if r["relapsed"] == "1"}
    first_contact: dict[str, str] = {}
    for row in rows:
        if row["redcap_repeat_instrument"] == "followup":
            known = first_contact.get(row["record_id"], row["last_contact_date"])
            first_contact[row["record_id"]] = min(known, row["last_contact_date"])
    expected = sorted(r for r, date in relapse.items() if date > first_contact[r])
    with findings.open(encoding="utf-8", newline="") as handle:
        found = list(csv.DictReader(handle))
    assert expected  # relapses after the first yearly visit
    assert status == 1
    assert sorted(f["record"] for f in found if f["rule"] == "relapse_by_last_contact") == expected


def test_a_missing_schedule_file_is_named_with_its_line(export: Path, tmp_path: Path) -> None:
    plan = _study_copy(tmp_path, _plan_text(), repeating="")
    status, _, err = _run("validate", "-d", DICTIONARY, "-r", export, "-p", plan, "-q")
    assert status == 2
    line = (
        _plan_text()
        .splitlines()
        .index(next(x for x in _plan_text().splitlines() if x.startswith("schedule:")))
    )
    assert f"plan.yaml line {line + 1}: schedule.repeating" in err
    assert "repeating.csv does not exist" in err
    assert "Traceback" not in err


def test_a_form_of_instances_that_does_not_repeat_is_an_error(export: Path, tmp_path: Path) -> None:
    plan = _study_copy(tmp_path, _plan_text(), "form_name,custom_form_label\nenrollment,\n")
    status, _, err = _run(
        "analyze", "-d", DICTIONARY, "-r", export, "-p", plan, "-o", tmp_path / "o"
    )
    assert status == 2
    assert "instances.followup: 'followup' is not a repeating form of the schedule" in err
