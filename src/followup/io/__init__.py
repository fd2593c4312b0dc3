"""Files in and out: REDCap record exports, read and written."""

from followup.io.export import export_header, records_csv, write_records
from followup.io.records import RecordsError, RecordSet, load_records, read_records

__all__ = [
    "RecordSet",
    "RecordsError",
    "export_header",
    "load_records",
    "read_records",
    "records_csv",
    "write_records",
]
