"""The CSV exports: REDCap's raw and label record exports, and the data dictionary.

The raw file is what REDCap's "CSV (raw data)" writes; the label file what its "CSV (labels)"
writes (see labels.py). Both read back with ``read_records``; the dictionary reads back with
``read_dictionary`` (it is the uploaded dictionary's own rows for the exported fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from followup.io.export import csv_text
from followup.io.export_table import ExportTable
from followup.io.labels import label_header, row_labeller

Files = dict[str, bytes]


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as UTF-8 CSV, through the one safe CSV writer (followup.io.export.csv_text)."""
    return csv_text(rows).encode("utf-8")


def raw_rows(table: ExportTable) -> list[list[str]]:
    """The raw export's header and rows."""
    columns = table.columns
    return [columns, *([row.get(c, "") for c in columns] for row in table.rows)]


def label_rows(table: ExportTable) -> list[list[str]]:
    """The label export's header and rows."""
    columns = table.columns
    labelled = row_labeller(table.dictionary, table.schedule)
    shown = (labelled(row) for row in table.rows)
    return [
        label_header(table.dictionary, columns),
        *([row.get(c, "") for c in columns] for row in shown),
    ]


def raw_csv_files(table: ExportTable, stem: str) -> Files:
    """``<stem>.csv``: REDCap's raw export."""
    return {f"{stem}.csv": csv_bytes(raw_rows(table))}


def label_csv_files(table: ExportTable, stem: str) -> Files:
    """``<stem>_labels.csv``: REDCap's label export."""
    return {f"{stem}_labels.csv": csv_bytes(label_rows(table))}


def dictionary_files(table: ExportTable, stem: str) -> Files:
    """``<stem>_dictionary.csv``: the data dictionary rows of the exported fields."""
    return {f"{stem}_dictionary.csv": csv_bytes(table.dictionary_rows())}
