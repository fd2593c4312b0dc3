"""Followup's exports against writing the bare table with the same libraries, in one run.

    uv run python benchmarks/exports.py                 # the demo cohort repeated to 10,080 records
    uv run python benchmarks/exports.py --copies 1600   # about 100,000

The peer of each format writes the same rows and columns as a plain pandas table, without what
Followup adds (labels, value labels, missing-data codes, dates as dates, the rename table, the
safe writer): ``DataFrame.to_csv``, ``to_excel`` (openpyxl), ``pyreadstat.write_sav`` /
``write_dta`` / ``write_xport``. The ratio is Followup's time over the peer's: what the labels
and checks cost. Results go to benchmarks/results/exports.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyreadstat

from followup.cli.demo import write_demo_records
from followup.io import load_records
from followup.io.export_table import ExportTable, export_table, record_rows
from followup.io.exports import export_files
from followup.study import load_dictionary
from followup.study.plan import load_plan

RESULTS = Path(__file__).parent / "results"


def _table(folder: Path, copies: int) -> ExportTable:
    dictionary_path, records_path, plan_path = write_demo_records(folder)
    dictionary = load_dictionary(dictionary_path)
    plan = load_plan(plan_path, dictionary)
    schedule = plan.load_schedule()
    records = load_records(
        records_path, dictionary, missing_codes=plan.missing_codes, schedule=schedule
    )
    base = record_rows(records)
    rows = [
        {**row, dictionary.record_id: f"{row[dictionary.record_id]}-{copy}"}
        for copy in range(copies)
        for row in base
    ]
    table = export_table(
        dictionary, base, title="MLL03", schedule=schedule, missing_codes=plan.missing_codes
    )
    return dataclasses.replace(table, rows=tuple(rows))


def _seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _peers(frame: pd.DataFrame, folder: Path) -> dict[str, Callable[[], object]]:
    numeric = frame.apply(pd.to_numeric, errors="coerce").where(frame != "", None)
    mixed = frame.copy()
    for column in frame:
        if numeric[column].notna().sum() == (frame[column] != "").sum():
            mixed[column] = numeric[column]
    return {
        "csv": lambda: frame.to_csv(io.StringIO(), index=False),
        "xlsx": lambda: frame.to_excel(folder / "peer.xlsx", index=False, engine="openpyxl"),
        "spss": lambda: pyreadstat.write_sav(mixed, str(folder / "peer.sav")),
        "stata": lambda: pyreadstat.write_dta(mixed, str(folder / "peer.dta")),
        "sas": lambda: pyreadstat.write_xport(mixed, str(folder / "peer.xpt")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=160, help="copies of the 63 demo records")
    parser.add_argument("--out", type=Path, default=RESULTS / "exports.md", help="results file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        table = _table(folder, args.copies)
        frame = pd.DataFrame([[r.get(c, "") for c in table.columns] for r in table.rows])
        frame.columns = table.columns
        peers = _peers(frame, folder)
        records = len({r[table.dictionary.record_id] for r in table.rows})
        lines = [
            f"# Exports: {records:,} records ({len(table.rows):,} rows, "
            f"{len(table.columns)} columns)",
            "",
            "| format | Followup (s) | plain table (s) | ratio |",
            "|---|---:|---:|---:|",
        ]
        for format_name in ("csv", "labels", "xlsx", "spss", "stata", "sas", "r", "odm"):
            ours = _seconds(lambda f=format_name: export_files(table, f, "bench"))
            peer_name = "csv" if format_name in ("labels", "r", "odm") else format_name
            theirs = _seconds(peers[peer_name])
            lines.append(
                f"| {format_name} | {ours:.2f} | {theirs:.2f} ({peer_name}) | {ours / theirs:.1f} |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
