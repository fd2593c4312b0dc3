"""REDCap raw CSV of stored records: the same file REDCap itself would export."""

from __future__ import annotations

from collections.abc import Iterable

from followup.capture.models import Record, Study
from followup.io import records_csv


def export_csv(study: Study, records: Iterable[Record]) -> str:
    """Header and one row per record, blanks where nothing was entered, forms' statuses included."""
    rows = (
        record.values() | {"redcap_data_access_group": record.hospital.code} for record in records
    )
    return records_csv(study.dictionary, rows)
