"""Validation findings: per field (type, range, choice, required when shown, hidden) and rules."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from followup.study import load_dictionary, parse_logic
from followup.study.validation import Rule, findings_table, validate, write_findings

DICTIONARY = load_dictionary(Path(__file__).parents[2] / "studies" / "mll03" / "dictionary.csv")
QUESTIONNAIRE = {"relapse_questionnaire": parse_logic("[relapsed] = '1'")}


@dataclass(frozen=True)
class Row:
    record_id: str
    values: dict[str, str]
    access_group: str = "hospital_a"


BASE = {
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
    "last_contact_date": "2008-01-01",
    "vital_status": "1",
}


def _found(values: dict[str, str], rules: tuple[Rule, ...] = ()) -> set[tuple[str, str, str]]:
    findings = validate(DICTIONARY, [Row("1", {**BASE, **values})], rules, QUESTIONNAIRE)
    return {(f.field, f.rule, f.severity) for f in findings}


def test_a_complete_record_has_no_findings() -> None:
    assert _found({}) == set()


def test_required_fields_are_required_only_when_shown() -> None:
    assert _found({"cr1_date": ""}) == {("cr1_date", "required", "error")}
    assert _found({"cr1": "0", "cr1_date": "", "sct1": "", "relapsed": ""}) == set()


def test_a_value_in_a_hidden_field_is_a_warning() -> None:
    assert _found({"cr1": "0", "sct1": "", "relapsed": ""}) == {
        ("cr1_date", "hidden_value", "warning")
    }


def test_the_questionnaire_is_required_only_for_relapsed_patients() -> None:
    found = _found({"relapsed": "1"})
    assert ("rel_date", "required", "error") in found
    assert ("rel_site", "required", "error") in found
    assert _found({"rel_treatment": "1"}) == {("rel_treatment", "hidden_value", "warning")}


def test_range_type_and_choice() -> None:
    assert _found({"age_dx_days": "400"}) == {("age_dx_days", "range", "error")}
    assert _found({"dx_date": "2003-12-31"}) == {("dx_date", "range", "error")}
    assert _found({"wbc_dx": "lots"}) == {("wbc_dx", "type", "error")}
    assert _found({"sex": "5"}) == {("sex", "choice", "error")}


def test_cross_field_rules_hold_where_their_fields_have_values() -> None:
    rule = Rule("cr1_after_dx", parse_logic("[cr1_date] >= [dx_date]"), "CR1 before diagnosis")
    assert _found({"cr1_date": "2005-01-01"}, (rule,)) == {("cr1_date", "cr1_after_dx", "error")}
    both = Rule(
        "cause_when_dead",
        parse_logic("([vital_status] = '2') = ([death_cause] <> '')"),
        "cause of death must be given exactly when the patient died",
        applies=parse_logic("[vital_status] <> ''"),
    )
    assert _found({"vital_status": "2", "death_cause": ""}, (both,)) >= {
        ("vital_status", "cause_when_dead", "error")
    }


def test_findings_are_written_as_csv_and_a_table(tmp_path: Path) -> None:
    findings = validate(DICTIONARY, [Row("1", {**BASE, "sex": "5"})], (), QUESTIONNAIRE)
    write_findings(findings, tmp_path / "findings.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "findings.csv").read_text())))
    assert rows == [
        {
            "record": "1",
            "access_group": "hospital_a",
            "field": "sex",
            "rule": "choice",
            "message": findings[0].message,
            "severity": "error",
        }
    ]
    assert "sex" in findings_table(findings).splitlines()[1]


CODES = {"UNK": "Unknown", "NASK": "Not asked"}


def test_a_missing_data_code_answers_any_field_but_a_checkbox() -> None:
    record = Row("1", BASE | {"wbc_dx": "UNK", "dx_date": "NASK", "sex": "UNK", "cr1_date": ""})
    found = validate(DICTIONARY, [record], (), QUESTIONNAIRE, CODES)
    assert [(f.field, f.rule) for f in found] == [("cr1_date", "required")]
    without = validate(DICTIONARY, [record], (), QUESTIONNAIRE)
    assert {f.field for f in without} >= {"wbc_dx", "dx_date", "sex"}  # not codes: errors


def test_a_rule_holds_where_its_fields_have_values_and_a_code_is_no_value() -> None:
    rule = Rule(
        "cr1_after_dx", parse_logic("[cr1_date] >= [dx_date]"), "remission before diagnosis"
    )
    record = Row("1", BASE | {"dx_date": "UNK"})
    assert validate(DICTIONARY, [record], [rule], QUESTIONNAIRE, CODES) == []


def test_a_code_in_a_nomissing_field_is_checked_as_a_value() -> None:
    from dataclasses import replace

    fields = tuple(
        replace(f, annotation="@NOMISSING") if f.name == "wbc_dx" else f for f in DICTIONARY
    )
    nomissing = replace(DICTIONARY, fields=fields)
    record = Row("1", BASE | {"wbc_dx": "UNK"})
    found = validate(nomissing, [record], (), QUESTIONNAIRE, CODES)
    assert [(f.field, f.rule) for f in found] == [("wbc_dx", "type")]
