"""Missing-data codes are kept out of the statistics: a record coded UNK counts as a blank one."""

from __future__ import annotations

import csv
from pathlib import Path

from followup.analysis import analyze
from followup.io import load_records
from followup.study import load_dictionary
from followup.study.plan import load_plan


def _rewrite(source: Path, target: Path, value: str) -> None:
    """Every third record's WBC and every fifth's CNS status given as ``value``."""
    with source.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    wbc, cns = header.index("wbc_dx"), header.index("cns_dx")
    repeat = header.index("redcap_repeat_instrument")
    base = [row for row in rows if not row[repeat]]  # follow-up visits hold neither field
    for number, row in enumerate(base):
        if number % 3 == 0:
            row[wbc] = value
        if number % 5 == 0:
            row[cns] = value
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])


def test_coded_values_give_the_analysis_of_blank_ones(
    mll03_files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    dictionary_path, records_path, plan_path = mll03_files
    dictionary = load_dictionary(dictionary_path)
    plan = load_plan(plan_path, dictionary)
    assert set(plan.missing_codes) == {"UNK", "NASK"}  # the study's setting, from its plan
    results = []
    for value in ("UNK", "NASK", ""):
        path = tmp_path / f"records_{value or 'blank'}.csv"
        _rewrite(records_path, path, value)
        records = load_records(path, dictionary, missing_codes=plan.missing_codes)
        results.append(analyze(records, plan).write_json(tmp_path / f"{value or 'blank'}.json"))
    coded_unk, coded_nask, blank = (p.read_text() for p in results)
    assert coded_unk.replace("records_UNK.csv", "X") == blank.replace("records_blank.csv", "X")
    assert coded_nask.replace("records_NASK.csv", "X") == blank.replace("records_blank.csv", "X")
