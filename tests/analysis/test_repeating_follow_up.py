"""MLL03's follow-up repeats: the analysis reads one patient per record, with the plan's instance.

The expected values come from the export itself, by plain code: the same cohort written flat (one
row per patient with its latest contact, as a classic project exports it) must give exactly the
same results, and other choices of instance must count the deaths the chosen contacts show.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

from followup.analysis import StudyResults, analyze, study_data
from followup.io import RecordSet, load_records, write_records
from followup.study import load_dictionary
from followup.study.plan import Plan, load_plan, read_plan
from tests.conftest import STUDY

DICTIONARY = load_dictionary(STUDY / "dictionary.csv")
PLAN = load_plan(STUDY / "plan.yaml", DICTIONARY)
LATEST = "  followup: {take: latest, by: last_contact_date}"
REPEAT = ("redcap_repeat_instrument", "redcap_repeat_instance")


def _generate() -> list[dict[str, str]]:
    spec = importlib.util.spec_from_file_location("mll03_synthetic_rf", STUDY / "synthetic.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    rows: list[dict[str, str]] = module.generate()
    return rows


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo cohort as REDCap exports a classic project with a repeating form."""
    path = tmp_path_factory.mktemp("repeating") / "records.csv"
    return write_records(path, DICTIONARY, _generate(), schedule=PLAN.load_schedule())


@pytest.fixture(scope="module")
def records(export: Path) -> RecordSet:
    return load_records(export, DICTIONARY, schedule=PLAN.load_schedule())


@pytest.fixture(scope="module")
def results(records: RecordSet) -> StudyResults:
    return analyze(records, PLAN, schedule=PLAN.load_schedule())


def _patients(export: Path) -> dict[str, tuple[dict[str, str], list[dict[str, str]]]]:
    """Each record's base row and its follow-up visits, as the CSV has them."""
    with export.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    patients: dict[str, tuple[dict[str, str], list[dict[str, str]]]] = {}
    for row in rows:
        if row["redcap_repeat_instrument"]:
            patients[row["record_id"]][1].append(row)
        else:
            patients[row["record_id"]] = (row, [])
    return patients


def _flat(export: Path, target: Path) -> Path:
    """One row per patient: the base row with its latest contact's follow-up filled in."""
    with export.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    owner = DICTIONARY.column_owner()
    follow_up = [
        c
        for c in header
        if c == "followup_complete" or (c in owner and owner[c].form == "followup")
    ]
    flat_header = [c for c in header if c not in REPEAT]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, flat_header, extrasaction="ignore")
        writer.writeheader()
        for base, visits in _patients(export).values():
            last = max(visits, key=lambda v: v["last_contact_date"])
            writer.writerow(base | {c: last[c] for c in follow_up})
    return target


def test_one_row_per_patient_not_per_visit(records: RecordSet, results: StudyResults) -> None:
    assert len(records) > len(records.record_ids()) == 63  # base rows and visits
    data = study_data(records, PLAN)
    assert list(data.raw.index) == list(records.record_ids())
    assert results.records == results.flow.treated == 63


def test_the_repeating_export_gives_the_flat_exports_results(
    export: Path, results: StudyResults, tmp_path: Path
) -> None:
    flat = load_records(_flat(export, tmp_path / "flat.csv"), DICTIONARY)
    assert len(flat) == 63
    from_flat = analyze(flat, PLAN).to_dict()
    from_visits = results.to_dict()
    assert from_flat.pop("source") != from_visits.pop("source")
    assert from_flat == from_visits


def _with_instances(line: str) -> Plan:
    text = (STUDY / "plan.yaml").read_text(encoding="utf-8")
    assert LATEST in text
    return read_plan(text.replace(LATEST, line), DICTIONARY, folder=STUDY)


def test_the_first_contact_counts_only_deaths_at_a_first_contact(
    records: RecordSet, export: Path
) -> None:
    plan = _with_instances("  followup: {take: first, by: last_contact_date}")
    first = analyze(records, plan).endpoint("os_from_diagnosis").overall
    expected = sum(
        min(visits, key=lambda v: v["last_contact_date"])["vital_status"] == "2"
        for _, visits in _patients(export).values()
    )
    deaths = sum(
        any(v["vital_status"] == "2" for v in visits) for _, visits in _patients(export).values()
    )
    assert first.events == expected < deaths  # patients who died after a yearly visit: alive


def test_when_keeps_only_the_instances_where_it_holds(records: RecordSet, export: Path) -> None:
    plan = _with_instances(
        "  followup: {take: latest, by: last_contact_date, when: \"[vital_status] = '1'\"}"
    )
    endpoint = analyze(records, plan).endpoint("os_from_diagnosis")
    never_seen_alive = [
        record
        for record, (_, visits) in _patients(export).items()
        if all(v["vital_status"] == "2" for v in visits)
    ]
    assert endpoint.overall.events == 0  # the last contact alive of everyone
    assert sorted(e.record for e in endpoint.excluded) == sorted(never_seen_alive)
    assert endpoint.patients == 63 - len(never_seen_alive)
