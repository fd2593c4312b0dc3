"""REDCap raw CSV of stored records: the same file REDCap itself would export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from followup.capture.models import Record, Study
from followup.io import export_header


def export_csv(study: Study, records: Iterable[Record]) -> str:
    """Header and one row per record, blanks where nothing was entered, forms' statuses included."""
    header = export_header(study.dictionary)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        values = record.values() | {"redcap_data_access_group": record.hospital.code}
        writer.writerow([values.get(column, "") for column in header])
    return out.getvalue()
