"""A REDCap label export of the same records gives the same analysis as the raw export."""

from __future__ import annotations

import csv
from pathlib import Path

from followup.analysis import StudyResults, analyze
from followup.io import load_records
from followup.study import load_dictionary
from followup.study.plan import load_plan
from followup.study.values import FORM_STATUS

YESNO = {"1": "Yes", "0": "No"}


def _as_labels(raw: Path, target: Path, dictionary_path: Path) -> None:
    dictionary = load_dictionary(dictionary_path)
    owner = dictionary.column_owner()
    with raw.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    out = [header]
    for row in rows:
        cells = []
        for column, cell in zip(header, row, strict=True):
            field = owner.get(column)
            if not cell:
                cells.append(cell)
            elif column.endswith("_complete"):
                cells.append(FORM_STATUS[cell])
            elif field is not None and field.field_type == "checkbox":
                cells.append("Checked" if cell == "1" else "Unchecked")
            elif field is not None and field.field_type == "yesno":
                cells.append(YESNO[cell])
            elif field is not None and field.choices:
                cells.append(field.label_of(cell) or cell)
            else:
                cells.append(cell)
        out.append(cells)
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(out)


def test_label_export_gives_the_same_results(
    mll03_files: tuple[Path, Path, Path], mll03_results: StudyResults, tmp_path: Path
) -> None:
    dictionary_path, records_path, plan_path = mll03_files
    labels = tmp_path / "labels.csv"
    _as_labels(records_path, labels, dictionary_path)
    assert "Female" in labels.read_text()
    dictionary = load_dictionary(dictionary_path)
    again = analyze(load_records(labels, dictionary), load_plan(plan_path, dictionary))
    assert again.endpoint("os_after_relapse") == mll03_results.endpoint("os_after_relapse")
    assert again.characteristics == mll03_results.characteristics
