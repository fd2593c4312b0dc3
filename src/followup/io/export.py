"""Writing records as a REDCap flat raw export, the file every REDCap tool reads back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from followup.study import DataDictionary

ACCESS_GROUP = "redcap_data_access_group"


def export_header(dictionary: DataDictionary, *, access_group: bool = True) -> list[str]:
    """Record ID, the hospital column when wanted, then every field's columns and form statuses."""
    columns = list(dictionary.export_columns())
    return [columns[0], ACCESS_GROUP, *columns[1:]] if access_group else columns


def records_csv(
    dictionary: DataDictionary, rows: Iterable[Mapping[str, str]], *, access_group: bool = True
) -> str:
    """Raw values (blank where a row has none) under REDCap's export header, as CSV text."""
    header = export_header(dictionary, access_group=access_group)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue()


def write_records(
    path: str | Path,
    dictionary: DataDictionary,
    rows: Iterable[Mapping[str, str]],
    *,
    access_group: bool = True,
) -> Path:
    """Write the records as a REDCap raw export file (see records_csv)."""
    path = Path(path)
    path.write_text(
        records_csv(dictionary, rows, access_group=access_group), encoding="utf-8", newline=""
    )
    return path
