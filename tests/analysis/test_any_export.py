"""Any export of the MLL03 dictionary gets a report: subsets of the demo's records, however few.

A record is all its rows: the base row and its follow-up visits.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup.analysis import analyze
from followup.io import load_records
from followup.report import write_report
from followup.study import load_dictionary
from followup.study.plan import load_plan

Files = tuple[Path, Path, Path]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_report_for_any_subset_of_records(
    mll03_files: Files, tmp_path: Path, data: st.DataObject
) -> None:
    dictionary_path, records_path, plan_path = mll03_files
    with records_path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    ids = list(dict.fromkeys(r[0] for r in rows))
    picked = data.draw(st.sets(st.sampled_from(ids), min_size=1, max_size=len(ids)))
    chosen = [r for r in rows if r[0] in picked]
    subset = tmp_path / "subset.csv"
    with subset.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *chosen])
    dictionary = load_dictionary(dictionary_path)
    results = analyze(load_records(subset, dictionary), load_plan(plan_path, dictionary))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        files = write_report(results, tmp_path / "report", pdf=False)
    assert results.flow.treated == results.records == len(picked)
    assert "Results" in files.html.read_text(encoding="utf-8")
