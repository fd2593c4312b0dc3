"""One record's rows merged as the plan reads them: hand-built cases, then properties.

Expected values are written out by hand for each small case (which instance is the latest, which
event's value wins), and for generated records computed by a plain re-statement of the rule.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.io import load_records
from followup.study import load_dictionary, parse_logic, read_dictionary
from followup.study.record_view import InstanceChoice, record_view, record_views
from followup.study.schedule import Event, Schedule, classic
from followup.study.validation import Rule, validate

MLL03 = load_dictionary(Path(__file__).parents[2] / "studies" / "mll03" / "dictionary.csv")
DICTIONARY = read_dictionary(
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number\n"
    "record_id,enrolment,,text,ID,,,\n"
    "dx_date,enrolment,,text,Diagnosis,,,date_ymd\n"
    'symptoms,enrolment,,checkbox,Symptoms,"1, Fever | 2, Pain",,\n'
    "visit_date,visit,,text,Visit,,,date_ymd\n"
    "alive,visit,,yesno,Alive,,,\n"
    "relapse_date,relapse,,text,Relapse,,,date_ymd\n"
    "relapse_number,relapse,,text,Which relapse,,,integer\n"
)
EVENTS = ("baseline_arm_1", "year_1_arm_1", "year_2_arm_1")
SCHEDULE = Schedule(
    events=tuple(Event(name, name) for name in EVENTS),
    repeating=frozenset({("", "visit"), ("", "relapse")}),
)
LATEST_VISIT = InstanceChoice("latest", "visit_date")


@dataclass(frozen=True)
class Row:
    record_id: str
    values: dict[str, str]
    access_group: str = "h1"
    row: int = 2
    event: str = ""
    repeat_form: str = ""
    instance: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _visit(number: int, date: str, alive: str = "1", record: str = "1") -> Row:
    values = {"record_id": record, "visit_date": date, "alive": alive, "visit_complete": "2"}
    return Row(record, values, repeat_form="visit", instance=number)


BASE = Row("1", {"record_id": "1", "dx_date": "2010-01-02", "symptoms___1": "1"})


def test_a_classic_row_is_its_own_view() -> None:
    row = Row("7", {"record_id": "7", "dx_date": "2010-01-02", "symptoms___1": "0"}, "h3")
    view = record_view([row], DICTIONARY)
    assert dict(view.values) == row.values | {"symptoms___2": ""}  # a field's columns all there
    assert (view.record_id, view.access_group, dict(view.chosen)) == ("7", "h3", {})


def test_latest_is_the_latest_date_not_the_highest_number() -> None:
    rows = [BASE, _visit(1, "2011-01-05"), _visit(2, "2013-02-01", "0"), _visit(3, "2012-01-05")]
    view = record_view(rows, DICTIONARY, instances={"visit": LATEST_VISIT})
    assert view.chosen == {"visit": 2}
    assert (view.values["visit_date"], view.values["alive"]) == ("2013-02-01", "0")
    assert view.values["dx_date"] == "2010-01-02"  # the base row's values stay


def test_a_form_the_plan_does_not_name_gives_its_highest_instance() -> None:
    rows = [BASE, _visit(1, "2011-01-05"), _visit(2, "2013-02-01", "0"), _visit(3, "2012-01-05")]
    view = record_view(rows, DICTIONARY)
    assert view.chosen == {"visit": 3}
    assert view.values["visit_date"] == "2012-01-05"


def test_first_is_the_earliest_date() -> None:
    rows = [BASE, _visit(1, "2011-01-05"), _visit(2, "2010-06-01"), _visit(3, "2012-01-05")]
    first = InstanceChoice("first", "visit_date")
    assert record_view(rows, DICTIONARY, instances={"visit": first}).chosen == {"visit": 2}


def test_ties_go_to_the_highest_number_for_latest_and_lowest_for_first() -> None:
    rows = [
        BASE,
        _visit(1, "2012-01-05", "1"),
        _visit(2, "2012-01-05", "0"),
        _visit(3, "2011-01-01"),
    ]
    latest = record_view(rows, DICTIONARY, instances={"visit": LATEST_VISIT})
    assert (latest.chosen, latest.values["alive"]) == ({"visit": 2}, "0")
    first = InstanceChoice("first", "visit_date")
    rows = [BASE, _visit(1, "2012-01-05"), _visit(2, "2011-01-01"), _visit(3, "2011-01-01")]
    assert record_view(rows, DICTIONARY, instances={"visit": first}).chosen == {"visit": 2}


def test_an_instance_without_its_date_is_not_placed_in_time() -> None:
    rows = [BASE, _visit(1, "2011-01-05"), _visit(2, "")]
    assert record_view(rows, DICTIONARY, instances={"visit": LATEST_VISIT}).chosen == {"visit": 1}
    view = record_view([BASE, _visit(1, "")], DICTIONARY, instances={"visit": LATEST_VISIT})
    assert view.chosen == {"visit": None}
    assert view.values.get("visit_date", "") == ""


def _relapse(number: int, date: str, which: str) -> Row:
    values = {"record_id": "1", "relapse_date": date, "relapse_number": which}
    return Row("1", values, repeat_form="relapse", instance=number)


def test_when_picks_the_first_second_relapse() -> None:
    second = InstanceChoice("first", "relapse_date", parse_logic("[relapse_number] = '2'"))
    rows = [
        BASE,
        _relapse(1, "2011-03-01", "1"),
        _relapse(2, "2013-07-01", "2"),  # entered late, dated before the third
        _relapse(3, "2012-09-01", "2"),
        _relapse(4, "2014-01-01", "3"),
    ]
    view = record_view(rows, DICTIONARY, instances={"relapse": second})
    assert view.chosen == {"relapse": 3}
    assert view.values["relapse_date"] == "2012-09-01"
    none = record_view(rows[:2], DICTIONARY, instances={"relapse": second})
    assert none.chosen == {"relapse": None}
    assert none.values.get("relapse_date", "") == ""


def test_when_reads_the_records_other_values() -> None:
    after_dx = InstanceChoice("first", "visit_date", parse_logic("[visit_date] > [dx_date]"))
    rows = [BASE, _visit(1, "2009-12-01"), _visit(2, "2010-05-01"), _visit(3, "2011-05-01")]
    assert record_view(rows, DICTIONARY, instances={"visit": after_dx}).chosen == {"visit": 2}


def test_each_repeating_form_gets_its_own_instance() -> None:
    rows = [BASE, _visit(1, "2011-01-05"), _relapse(1, "2011-03-01", "1"), _visit(2, "2012-01-01")]
    view = record_view(rows, DICTIONARY)
    assert view.chosen == {"visit": 2, "relapse": 1}
    assert (view.values["visit_date"], view.values["relapse_date"]) == ("2012-01-01", "2011-03-01")


def _event(name: str, **values: str) -> Row:
    return Row("1", {"record_id": "1", **values}, event=name)


def test_events_merge_in_the_schedules_order_and_the_last_value_wins() -> None:
    rows = [  # in the file's order, not the schedule's
        _event("year_2_arm_1", dx_date="2010-01-03", symptoms___1="0", symptoms___2="0"),
        _event("baseline_arm_1", dx_date="2010-01-02", symptoms___1="1", symptoms___2="0"),
        _event("year_1_arm_1", dx_date="", symptoms___1="0", symptoms___2="0"),
    ]
    view = record_view(rows, DICTIONARY, schedule=SCHEDULE)
    assert view.values["dx_date"] == "2010-01-03"  # year 2 differs from baseline: the last wins
    assert view.differing == ("dx_date",)
    # a checkbox of zeros has no value: baseline's ticked fever stays
    assert (view.values["symptoms___1"], view.values["symptoms___2"]) == ("1", "0")


def test_a_value_collected_once_is_the_records_value() -> None:
    rows = [_event("baseline_arm_1", dx_date="2010-01-02"), _event("year_1_arm_1", dx_date="")]
    view = record_view(rows, DICTIONARY, schedule=SCHEDULE)
    assert (view.values["dx_date"], view.differing) == ("2010-01-02", ())


def test_rows_of_a_repeating_event_are_instances_of_the_forms_they_hold() -> None:
    visit = {"record_id": "1", "visit_date": "2012-01-01", "alive": "1"}
    rows = [
        _event("baseline_arm_1", dx_date="2010-01-02"),
        Row("1", visit, event="year_1_arm_1", instance=1),
        Row(
            "1",
            {**visit, "visit_date": "2013-01-01", "alive": "0"},
            event="year_1_arm_1",
            instance=2,
        ),
    ]
    view = record_view(rows, DICTIONARY, schedule=SCHEDULE, instances={"visit": LATEST_VISIT})
    assert view.chosen == {"visit": 2}
    assert (view.values["dx_date"], view.values["alive"]) == ("2010-01-02", "0")


def test_the_hospital_is_the_first_a_row_names() -> None:
    rows = [Row("1", {"record_id": "1"}, ""), Row("1", {}, "h2", repeat_form="visit", instance=1)]
    assert record_view(rows, DICTIONARY).access_group == "h2"


def test_records_are_grouped_in_order_of_their_first_row() -> None:
    rows = [
        BASE,
        Row("2", {"record_id": "2"}),
        _visit(1, "2011-01-01"),
        _visit(1, "2012-01-01", record="2"),
    ]
    views = record_views(rows, DICTIONARY)
    assert [(v.record_id, v.values["visit_date"]) for v in views] == [
        ("1", "2011-01-01"),
        ("2", "2012-01-01"),
    ]


# Rules between fields are checked on the merged view, once per record.

FOLLOW_UP = classic(["followup"])
BY_LAST_CONTACT = Rule(
    "dx_by_last_contact", parse_logic("[dx_date] <= [last_contact_date]"), "dx after last contact"
)
MLL03_BASE = {
    "record_id": "1",
    "sex": "1",
    "age_dx_days": "100",
    "dx_date": "2005-01-10",
    "wbc_dx": "50",
    "cns_dx": "0",
    "mll_status": "1",
    "cr1": "1",
    "cr1_date": "2005-02-10",
    "sct1": "0",
    "relapsed": "0",
}


def _contact(number: int, date: str) -> Row:
    values = {"record_id": "1", "last_contact_date": date, "vital_status": "1"}
    values["disease_status_last"] = "1"
    return Row("1", values, repeat_form="followup", instance=number, row=2 + number)


QUESTIONNAIRE = {"relapse_questionnaire": parse_logic("[relapsed] = '1'")}


def test_a_rule_sees_the_latest_follow_up_beside_the_base_rows_values() -> None:
    rows = [Row("1", MLL03_BASE), _contact(1, "2006-01-01"), _contact(2, "2004-12-01")]
    latest = {"followup": InstanceChoice("latest", "last_contact_date")}
    rules = [BY_LAST_CONTACT]
    found = validate(MLL03, rows, rules, QUESTIONNAIRE, schedule=FOLLOW_UP, instances=latest)
    assert found == []  # the latest contact (instance 1, 2006) is after diagnosis
    found = validate(MLL03, rows, rules, QUESTIONNAIRE, schedule=FOLLOW_UP)
    assert [(f.record, f.rule, f.field) for f in found] == [
        ("1", "dx_by_last_contact", "dx_date")  # by number: instance 2, before diagnosis
    ]
    assert "last_contact_date = 2004-12-01" in found[0].message


def test_a_rule_is_checked_once_per_record_after_its_base_rows_findings() -> None:
    rows = [
        Row("1", {**MLL03_BASE, "sex": ""}),
        _contact(1, "2004-01-01"),
        _contact(2, "2004-02-01"),
    ]
    found = validate(MLL03, rows, [BY_LAST_CONTACT], QUESTIONNAIRE, schedule=FOLLOW_UP)
    assert [(f.record, f.field, f.rule) for f in found] == [
        ("1", "sex", "required"),
        ("1", "dx_date", "dx_by_last_contact"),
    ]


def test_a_record_of_repeats_only_gets_its_rules_after_its_last_row() -> None:
    rows = [_contact(1, "2004-01-01"), _contact(2, "2004-06-01"), Row("2", {"record_id": "2"})]
    rule = Rule("since_2005", parse_logic("[last_contact_date] >= '2005-01-01'"), "too early")
    found = validate(MLL03, rows, [rule], QUESTIONNAIRE, schedule=FOLLOW_UP)
    assert [(f.record, f.rule) for f in found if f.rule != "required"] == [("1", "since_2005")]
    assert found.index(next(f for f in found if f.rule == "since_2005")) == 0  # before record 2's


# Properties, against a plain re-statement of the rules.

DATES = st.one_of(st.just(""), st.dates().map(lambda d: d.isoformat()))


@st.composite
def _records(draw: st.DrawFn) -> tuple[list[Row], dict[str, str], int | None]:
    """A record's rows in some order, the expected base values and the latest visit."""
    events = draw(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=3, unique=True))
    base = []
    for name in events:
        values = {
            "record_id": "1",
            "dx_date": draw(DATES),
            "symptoms___1": draw(st.sampled_from(["0", "1"])),
            "symptoms___2": draw(st.sampled_from(["0", "1"])),
        }
        base.append(Row("1", values, event=name))
    numbers = draw(st.lists(st.integers(1, 9), max_size=5, unique=True))
    visits = [
        Row(
            "1",
            {"record_id": "1", "visit_date": draw(DATES), "alive": draw(st.sampled_from("01"))},
            repeat_form="visit",
            instance=n,
        )
        for n in numbers
    ]
    in_order = sorted(base, key=lambda r: EVENTS.index(r.event))
    dated = [r for r in in_order if r.values["dx_date"]]
    ticked = [r for r in in_order if "1" in (r.values["symptoms___1"], r.values["symptoms___2"])]
    expected = {
        "dx_date": dated[-1].values["dx_date"] if dated else "",
        "symptoms": ",".join((ticked or in_order)[-1].values[f"symptoms___{c}"] for c in "12"),
    }
    candidates = [v for v in visits if v.values["visit_date"]]
    latest = max(candidates, key=lambda v: (v.values["visit_date"], v.instance), default=None)
    rows = base + visits
    random.Random(draw(st.integers(0, 1000))).shuffle(rows)
    return rows, expected, latest.instance if latest is not None else None


@settings(max_examples=300)
@given(_records())
def test_generated_records_merge_as_the_rules_say(
    record: tuple[list[Row], dict[str, str], int | None],
) -> None:
    rows, expected, latest = record
    view = record_view(rows, DICTIONARY, schedule=SCHEDULE, instances={"visit": LATEST_VISIT})
    assert view.values["dx_date"] == expected["dx_date"]
    symptoms = ",".join(view.values[f"symptoms___{c}"] for c in "12")
    assert symptoms == expected["symptoms"]
    visits = {r.instance: r for r in rows if r.repeat_form == "visit"}
    if visits:
        assert view.chosen == {"visit": latest}
    if latest is not None:
        assert view.values["visit_date"] == visits[latest].values["visit_date"]
        assert view.values["alive"] == visits[latest].values["alive"]


@given(_records(), st.randoms(use_true_random=False))
def test_the_order_of_the_rows_does_not_matter(
    record: tuple[list[Row], dict[str, str], int | None], shuffle: random.Random
) -> None:
    rows = record[0]
    again = list(rows)
    shuffle.shuffle(again)
    choices = {"visit": LATEST_VISIT}
    view = record_view(rows, DICTIONARY, schedule=SCHEDULE, instances=choices)
    assert view == record_view(again, DICTIONARY, schedule=SCHEDULE, instances=choices)


@given(
    st.fixed_dictionaries(
        {
            "record_id": st.just("1"),
            "dx_date": DATES,
            "visit_date": DATES.filter(bool),
            "alive": st.sampled_from(["", "0", "1"]),
        }
    ),
    st.lists(DATES.filter(bool), max_size=4),
)
def test_a_flat_record_split_into_visits_merges_back_to_itself(
    flat: dict[str, str], earlier: list[str]
) -> None:
    """The flat record's visit is the latest; visits dated before it (or with it) change nothing."""
    base = Row("1", {k: v for k, v in flat.items() if k in ("record_id", "dx_date")})
    last = {k: v for k, v in flat.items() if k in ("record_id", "visit_date", "alive")}
    before = [d for d in earlier if d <= flat["visit_date"]]
    visits = [
        Row("1", {"record_id": "1", "visit_date": d, "alive": "1"}, repeat_form="visit", instance=n)
        for n, d in enumerate(before, start=1)
    ]
    visits.append(Row("1", last, repeat_form="visit", instance=len(visits) + 1))
    view = record_view([*visits, base], DICTIONARY, instances={"visit": LATEST_VISIT})
    assert {k: view.values.get(k, "") for k in flat} == flat
    assert view.chosen == {"visit": len(visits)}


# Every real export of the corpus that imports: one view per record, no value invented.


def _importable() -> list[dict[str, str]]:
    from tests.io.test_redcap_corpus_exports import EXPORTS, NOT_RECORDS, REFUSED

    return [
        row
        for row in EXPORTS
        if row["pairs_with"]
        and row["file"] not in REFUSED
        and row["file"] not in NOT_RECORDS
        and not row["notes"].startswith("NEGATIVE")
    ]


@pytest.mark.parametrize("source", _importable(), ids=lambda row: row["file"])
def test_a_real_export_gives_one_view_per_record(source: dict[str, str]) -> None:
    from tests.io.test_redcap_corpus_exports import CORPUS, OPTIONS, SCHEDULES

    dictionary = load_dictionary(CORPUS / source["pairs_with"])
    schedule = SCHEDULES.get(source["file"], Schedule)()
    records = load_records(
        CORPUS / source["file"], dictionary, schedule=schedule, **OPTIONS.get(source["file"], {})
    )
    views = record_views(records, dictionary, schedule=schedule)
    assert tuple(v.record_id for v in views) == records.record_ids()
    for view, rows in zip(views, records.rows_of().values(), strict=True):
        assert view.access_group == next((r.access_group for r in rows if r.access_group), "")
        for column, value in view.values.items():
            assert value in {"", *(r.values.get(column, "") for r in rows)}, column
