"""Longitudinal and repeating exports: each line is one row of a record, placed and checked.

REDCap's rules (REDCAP_FORMAT.md §6): a longitudinal line names its event; a repeating form's
line names the form and instance and holds only that form; other lines hold no repeating form's
value; 'new' numbers an instance after the last one.
"""

from __future__ import annotations

import pytest

from followup.io import RecordsError, read_records
from followup.study import read_dictionary
from followup.study.schedule import Event, Schedule

DICTIONARY = read_dictionary(
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number\n"
    "record_id,enrolment,,text,ID,,,\n"
    "dx_date,enrolment,,text,Diagnosis,,,date_ymd\n"
    'symptoms,enrolment,,checkbox,Symptoms,"1, Fever | 2, Pain",,\n'
    "visit_date,visit,,text,Visit,,,date_ymd\n"
    "alive,visit,,yesno,Alive,,,\n"
)
HEADER = (
    "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,"
    "redcap_data_access_group,dx_date,symptoms___1,symptoms___2,enrolment_complete,"
    "visit_date,alive,visit_complete\n"
)
SCHEDULE = Schedule(
    events=(Event("baseline_arm_1", "Baseline"), Event("follow_up_arm_1", "Follow-up")),
    forms_of={"baseline_arm_1": ("enrolment",), "follow_up_arm_1": ("visit",)},
    repeating=frozenset({("follow_up_arm_1", "visit")}),
)


def test_rows_of_a_longitudinal_repeating_export_are_placed() -> None:
    text = HEADER + (
        "1,baseline_arm_1,,,h1,2010-01-02,1,0,2,,,\n"
        "1,follow_up_arm_1,visit,1,h1,,,,,2011-01-02,1,2\n"
        "1,follow_up_arm_1,visit,2,h1,,,,,2012-01-02,0,2\n"
        "1,follow_up_arm_1,visit,new,h1,,,,,2013-01-02,0,1\n"
    )
    records = read_records(text, DICTIONARY, schedule=SCHEDULE)
    assert [(r.event, r.repeat_form, r.instance) for r in records] == [
        ("baseline_arm_1", "", None),
        ("follow_up_arm_1", "visit", 1),
        ("follow_up_arm_1", "visit", 2),
        ("follow_up_arm_1", "visit", 3),
    ]
    assert records.record_ids() == ("1",)


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("1,,,,h1,2010-01-02,1,0,2,,,", "redcap_event_name", "the event is blank"),
        ("1,week_9_arm_1,,,h1,2010-01-02,1,0,2,,,", "redcap_event_name", "is not an event"),
        ("1,follow_up_arm_1,visit,,h1,,,,,2011-01-02,1,2", "redcap_repeat_instance", "is blank"),
        ("1,follow_up_arm_1,visit,0,h1,,,,,2011-01-02,1,2", "redcap_repeat_instance", "1, 2, 3"),
        (
            "1,follow_up_arm_1,visits,1,h1,,,,,2011-01-02,1,2",
            "redcap_repeat_instrument",
            "not a form",
        ),
        ("1,follow_up_arm_1,visit,1,h1,2010-01-02,,,,2011-01-02,1,2", "dx_date", "only that form"),
        ("1,follow_up_arm_1,,,h1,,,,,2011-01-02,1,2", "visit_date", "its values go on lines"),
        ("1,baseline_arm_1,,,h1,,,,,2011-01-02,,", "visit_date", "not collected at event"),
        (
            "1,baseline_arm_1,enrolment,1,h1,2010-01-02,,,,,,",
            "redcap_repeat_instrument",
            "does not repeat",
        ),
    ],
)
def test_a_misplaced_line_is_named(line: str, column: str, message: str) -> None:
    with pytest.raises(RecordsError, match=message) as refused:
        read_records(HEADER + line + "\n", DICTIONARY, schedule=SCHEDULE)
    first = refused.value.problems[0]
    assert (first.row, first.column) == (2, column)


def test_a_row_twice_and_two_hospitals_for_one_record_are_refused() -> None:
    text = HEADER + (
        "1,follow_up_arm_1,visit,1,h1,,,,,2011-01-02,1,2\n"
        "1,follow_up_arm_1,visit,1,h2,,,,,2011-01-02,1,2\n"
    )
    with pytest.raises(RecordsError) as refused:
        read_records(text, DICTIONARY, schedule=SCHEDULE)
    messages = [p.message for p in refused.value.problems]
    assert any("instance 1 is already in row 2" in m for m in messages)
    assert any("a record belongs to one data access group" in m for m in messages)


def test_without_a_schedule_what_repeats_is_read_from_the_file() -> None:
    header = "record_id,redcap_repeat_instrument,redcap_repeat_instance,dx_date,visit_date\n"
    text = header + "1,,,2010-01-02,\n1,visit,1,,2011-01-02\n1,visit,2,,2012-01-02\n"
    records = read_records(text, DICTIONARY)
    assert [r.instance for r in records] == [None, 1, 2]
    with pytest.raises(RecordsError, match="repeats: its values go on lines"):
        read_records(text + "2,,,2010-01-02,2011-01-02\n", DICTIONARY)


def test_json_eav_and_records_as_columns_read_as_the_flat_export() -> None:
    flat = read_records(
        "record_id,dx_date,symptoms___1,symptoms___2\n7,2010-01-02,1,\n", DICTIONARY
    )
    json = read_records(
        '[{"record_id": "7", "dx_date": "2010-01-02", "symptoms___1": "1"}]', DICTIONARY
    )
    eav = read_records("record,field_name,value\n7,dx_date,2010-01-02\n7,symptoms,1\n", DICTIONARY)
    columns = read_records(
        "Variable / Field Name,Record\nrecord_id,7\ndx_date,2010-01-02\nsymptoms___1,1\n",
        DICTIONARY,
    )
    for other in (json, eav, columns):
        (record,) = other.records
        assert record.record_id == "7"
        assert record["dx_date"] == "2010-01-02"
        assert record["symptoms___1"] == "1"
    assert flat.records[0]["symptoms___1"] == "1"


@pytest.mark.parametrize(
    ("date_format", "written", "stored"),
    [
        ("MDY", "4/14/2023", "2023-04-14"),
        ("DMY", "14.04.2023", "2023-04-14"),
        ("YMD", "2023-04-14", "2023-04-14"),
    ],
)
def test_dates_written_as_the_import_option_says_are_stored_y_m_d(
    date_format: str, written: str, stored: str
) -> None:
    records = read_records(f"record_id,dx_date\n1,{written}\n", DICTIONARY, date_format=date_format)
    assert records.records[0]["dx_date"] == stored
