"""No CSV Followup writes runs a formula when opened in a spreadsheet (OWASP: CSV injection).

One writer (followup.study.csv_text.SafeWriter / safe_cell) serves the export, findings.csv, the
report's tables and the audit trail; each is checked here with the payloads the campaign used.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from followup.io import records_csv
from followup.report.tables import Table, write_tables
from followup.study import load_dictionary
from followup.study.csv_text import safe_cell
from followup.study.validation import Finding, write_findings

PAYLOADS = [
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1",
]
MLL03 = Path(__file__).parents[2] / "studies" / "mll03" / "dictionary.csv"


@given(st.text(max_size=30))
def test_a_safe_cell_never_starts_a_formula_and_keeps_the_text(text: str) -> None:
    cell = safe_cell(text)
    assert isinstance(cell, str)
    shown = cell[1:] if cell != text else cell
    assert shown == text
    if cell == text and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        float(text)  # only a number may start so


def test_numbers_stay_numbers() -> None:
    assert [safe_cell(v) for v in ("-3", "+2.5", "-0.5e3", "2010-06-30")] == [
        "-3",
        "+2.5",
        "-0.5e3",
        "2010-06-30",
    ]


def test_the_export_findings_and_tables_write_formulas_as_text(tmp_path: Path) -> None:
    dictionary = load_dictionary(MLL03)
    rows = [{"record_id": f"MLL03-{i:03d}", "rel_site_other": p} for i, p in enumerate(PAYLOADS)]
    exported = list(csv.DictReader(io.StringIO(records_csv(dictionary, rows))))
    assert [r["rel_site_other"] for r in exported] == ["'" + p for p in PAYLOADS]
    findings = tmp_path / "findings.csv"
    write_findings([Finding("1", "h1", p, "rule", p, "error") for p in PAYLOADS], findings)
    written = list(csv.DictReader(io.StringIO(findings.read_text(encoding="utf-8"))))
    assert [r["message"] for r in written] == ["'" + p for p in PAYLOADS]
    frame = pd.DataFrame({"level": PAYLOADS, "n": range(len(PAYLOADS))})
    (table,) = write_tables([Table("t", "T", frame)], tmp_path / "tables")
    assert table.csv is not None
    cells = list(csv.DictReader(io.StringIO(table.csv.read_text(encoding="utf-8-sig"))))
    assert [r["level"] for r in cells] == ["'" + p for p in PAYLOADS]
