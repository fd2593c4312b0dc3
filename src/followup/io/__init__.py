"""Files in and out: REDCap record exports, and (later) Excel questionnaires."""

from followup.io.records import RecordsError, RecordSet, load_records, read_records

__all__ = ["RecordSet", "RecordsError", "load_records", "read_records"]
