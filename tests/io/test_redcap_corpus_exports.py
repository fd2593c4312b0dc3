"""Every real REDCap export in tests/redcap_corpus imports as REDCap would import it.

One test per file, against the dictionary SOURCES.csv pairs it with (and the project's events,
arms and form mapping where its repository has them). Files REDCap itself refuses — those its own
validation tests mark NEGATIVE, and the few whose refusal SOURCES.csv explains (written by R with
FALSE for a code, a column the dictionary does not have) — are refused, with the problem named.
An export with no dictionary of its project in the corpus is read as a table.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from followup.io import RecordsError, load_records
from followup.io.record_layouts import LayoutError, flat_table
from followup.study import load_dictionary
from followup.study.schedule import Schedule, load_schedule
from followup.study.validation import validate

CORPUS = Path(__file__).parents[1] / "redcap_corpus"
SOURCES = list(csv.DictReader((CORPUS / "SOURCES.csv").read_text(encoding="utf-8").splitlines()))
EXPORTS = [row for row in SOURCES if row["kind"] in ("export_csv", "export_json")]

# Refused by REDCap, with the reason SOURCES.csv gives, and the problem Followup must name.
REFUSED = {
    "exports/redcapr_simple_data.csv": "'FALSE' is not one of the codes",  # R's FALSE, not a code
    "exports/redcapr_potentially_problematic_values_data.csv": "is not a date",
    "exports/redcapr_target_simple_data.csv": "'mugshot' is not a field",
    "projects/convertpheno_ibd/convertpheno_redcap_data.csv": "'id_heparin' is not a field",
    "projects/rsvc_project1/rsvc_B316700100_DATA_INACCURATE.csv": "the event is blank",
    "projects/rsvc_project1/rsvc_B316800100_WOUT_REPEATS.csv": "form 'text_validation' repeats",
}
# Not an export at all: REDCap-ETL's bundle of several API answers in one object.
NOT_RECORDS = {"exports/redcapetl_visits.json": "a JSON export is a list of records"}
# How a file writes dates (REDCap's import option dateFormat), as SOURCES.csv notes.
MDY = {"date_format": "MDY"}
OPTIONS = {
    "exports/phpcap_longitudinal_data_import.csv": MDY,
    **{
        f"projects/rsvc_project1/{name}": MDY
        for name in (
            "rsvc_B.3.16.2000.100data.csv",
            "rsvc_B.3.16.2200.100dagimport.csv",
            "rsvc_B316700100_DATA_ACCURATE.csv",
            "rsvc_B316700100_DATA_INACCURATE.csv",
            "rsvc_B.3.16.1000_New_Record.csv",
        )
    },
}
API = CORPUS / "projects" / "redcapapi_offline"
LONGITUDINAL = CORPUS / "projects" / "redcapr_longitudinal"
SCHEDULES = {
    "projects/redcapapi_offline/redcapapi_TestRedcapAPI_Records.csv": lambda: load_schedule(
        events=API / "redcapapi_TestRedcapAPI_Events.csv",
        arms=API / "redcapapi_TestRedcapAPI_Arms.csv",
        mapping=API / "redcapapi_TestRedcapAPI_InstrumentDesignations.csv",
    ),
    "projects/redcapr_longitudinal/redcapr_longitudinal_data.csv": lambda: load_schedule(
        events=LONGITUDINAL / "redcapr_longitudinal_event.csv",
        arms=LONGITUDINAL / "redcapr_longitudinal_arm.csv",
    ),
    # RSVC B.3.16.800: once event 1 repeats text_validation, lines without an instance are refused.
    "projects/rsvc_project1/rsvc_B316800100_WOUT_REPEATS.csv": lambda: Schedule(
        repeating=frozenset({("event_1_arm_1", "text_validation")})
    ),
}


@pytest.mark.parametrize("source", EXPORTS, ids=[row["file"] for row in EXPORTS])
def test_a_real_export_imports_as_redcap_imports_it(source: dict[str, str]) -> None:
    name = source["file"]
    path = CORPUS / name
    if name in NOT_RECORDS:
        with pytest.raises(LayoutError, match=NOT_RECORDS[name]):
            flat_table(path.read_text(encoding="utf-8-sig"), "record_id")
        return
    if not source["pairs_with"]:
        header, rows = flat_table(path.read_text(encoding="utf-8-sig"), "record_id")
        assert header[0]
        assert all(len(r) <= len(header) for r in rows)
        return
    dictionary = load_dictionary(CORPUS / source["pairs_with"])
    schedule = SCHEDULES.get(name, Schedule)()
    options = OPTIONS.get(name, {})
    expected = REFUSED.get(name) or ("" if not source["notes"].startswith("NEGATIVE") else "?")
    if expected:
        with pytest.raises(RecordsError) as refused:
            load_records(path, dictionary, schedule=schedule, **options)
        assert expected == "?" or any(expected in p.message for p in refused.value.problems)
        assert all(p.row is not None for p in refused.value.problems)
        return
    records = load_records(path, dictionary, schedule=schedule, **options)
    assert len(records) > 0
    validate(dictionary, records, schedule=schedule)  # every row checked, nothing raised
    header = next(csv.reader([path.read_text(encoding="utf-8-sig").splitlines()[0]]))
    if "redcap_event_name" in header:
        assert all(r.event for r in records)
    if "redcap_repeat_instrument" in header:
        assert any(r.instance is not None for r in records) or not any(
            r.repeat_form for r in records
        )
