"""Fixtures shared across layers: the MLL03 demo cohort, its analysis and its report, made once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from followup.analysis import StudyResults, analyze
from followup.cli.demo import demo_notes, write_demo_records
from followup.io import load_records
from followup.report import ReportFiles, write_report
from followup.study import load_dictionary
from followup.study.plan import load_plan

STUDY = Path(__file__).parents[1] / "studies" / "mll03"


@pytest.fixture(scope="session")
def published() -> dict:
    """The seed's figures, read at test time: the independent source every MLL03 test checks."""
    return yaml.safe_load((STUDY / "published_results.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def mll03_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Dictionary, synthetic records (REDCap raw export) and plan of the demo."""
    return write_demo_records(tmp_path_factory.mktemp("mll03"))


@pytest.fixture(scope="session")
def mll03_results(mll03_files: tuple[Path, Path, Path]) -> StudyResults:
    dictionary_path, records_path, plan_path = mll03_files
    dictionary = load_dictionary(dictionary_path)
    return analyze(load_records(records_path, dictionary), load_plan(plan_path, dictionary))


@pytest.fixture(scope="session")
def mll03_report(
    mll03_results: StudyResults, tmp_path_factory: pytest.TempPathFactory
) -> ReportFiles:
    return write_report(mll03_results, tmp_path_factory.mktemp("report"), notes=demo_notes())
