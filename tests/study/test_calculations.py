"""Computed fields as REDCap computes them, checked against the values REDCap itself stored.

Every calc, @CALCTEXT and @CALCDATE value in the corpus's real exports (tests/redcap_corpus) was
computed by REDCap; recomputing each from its formula must give it back. Formulas that read
'today' or 'now' give another value every day, so their stored values are not compared.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from followup.io import load_records, read_records
from followup.study import read_dictionary
from followup.study.calculations import compute, computed_fields, disagrees, number_text
from followup.study.dictionary import load_dictionary
from followup.study.record_context import row_context
from followup.study.validation import validate

CORPUS = Path(__file__).parents[1] / "redcap_corpus"
SOURCES = list(csv.DictReader((CORPUS / "SOURCES.csv").read_text(encoding="utf-8").splitlines()))
MDY = ("rsvc_project1", "phpcap_longitudinal")
# A running sum over instances that reads the event primera_visita_arm_1, which the exported
# project does not have (its events are basal_arm_1 and followup_arm_1): its stored values were
# computed when the project had other events, and cannot be recomputed from this export.
STALE = {("exports/redcapdm_Example1_DATA.csv", "borrar_suma")}
WITH_CALCS = [
    row
    for row in SOURCES
    if row["kind"] == "export_csv"
    and row["pairs_with"]
    and computed_fields(load_dictionary(CORPUS / row["pairs_with"]))
    and not row["notes"].startswith("NEGATIVE")
    and row["file"]
    not in (
        "projects/convertpheno_ibd/convertpheno_redcap_data.csv",  # refused: unknown columns
        "exports/redcapr_simple_data.csv",  # written by R, refused (test_redcap_corpus_exports)
        "exports/redcapr_potentially_problematic_values_data.csv",
        "exports/redcapr_target_simple_data.csv",
    )
]


@pytest.mark.parametrize("source", WITH_CALCS, ids=[row["file"] for row in WITH_CALCS])
def test_stored_calculations_in_real_exports_are_what_their_formulas_give(
    source: dict[str, str],
) -> None:
    dictionary = load_dictionary(CORPUS / source["pairs_with"])
    options = {"date_format": "MDY"} if any(m in source["file"] for m in MDY) else {}
    records = load_records(CORPUS / source["file"], dictionary, **options)
    timeless = [
        f
        for f in computed_fields(dictionary)
        if not any(w in f.computed.text.lower() for w in ("today", "now"))  # type: ignore[union-attr]
        and (source["file"], f.name) not in STALE
    ]
    differ = []
    by_record = records.rows_of()
    for row in records:
        context = row_context(dictionary, by_record[row.record_id], row)
        got = compute(dictionary, row.values, context)
        for field in timeless:
            stored = row.values.get(field.name, "")
            if stored and disagrees(field, stored, got[field.name]):
                differ.append((row.record_id, field.name, stored, got[field.name]))
    assert differ == []


DICTIONARY = read_dictionary(
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
    "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
    "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation\n"
    "record_id,f,,text,ID,,,,,,,,,,,,,\n"
    "bmi,f,,calc,BMI,[weight] / ([height] / 100)^2,,,,,,,,,,,,\n"
    "height,f,,text,Height,,,number,,,,,,,,,,\n"
    "weight,f,,text,Weight,,,number,,,,,,,,,,\n"
    "obese,f,,text,Obese,,,,,,,,,,,,,\"@CALCTEXT(if([bmi] >= 30, 'yes', 'no'))\"\n"
    "visit,f,,text,Visit,,,date_ymd,,,,,,,,,,\n"
    "next_visit,f,,text,Next visit,,,date_ymd,,,,,,,,,,\"@CALCDATE([visit], 6, 'M')\"\n"
)


def test_computed_fields_follow_their_references_and_store_as_redcap_does() -> None:
    order = [f.name for f in computed_fields(DICTIONARY)]
    assert sorted(order) == ["bmi", "next_visit", "obese"]
    assert order.index("bmi") < order.index("obese")  # obese reads bmi
    got = compute(DICTIONARY, {"height": "180", "weight": "100", "visit": "2010-01-01"})
    # 100 / 1.8² = 30.864197530864196…; 6 months of 30.44 days after 1 January 2010.
    assert got == {"bmi": "30.8641975308642", "obese": "yes", "next_visit": "2010-07-02"}
    assert compute(DICTIONARY, {"height": "", "weight": "100"})["bmi"] == ""  # blank in, blank out


@pytest.mark.parametrize(
    ("value", "text"), [(2.0, "2"), (0.1 + 0.2, "0.3"), (-1.5, "-1.5"), ("", ""), (1e21, "1e+21")]
)
def test_a_calc_number_is_written_with_fifteen_significant_digits(value: object, text: str) -> None:
    assert number_text(value) == text  # type: ignore[arg-type]


def test_validation_reports_a_stored_calc_its_formula_disagrees_with() -> None:
    """REDCap's data quality rule H: a calc whose stored value is not what its formula gives."""
    source = CORPUS / "exports" / "redcapr_decimal_dot_data.csv"
    dictionary = load_dictionary(CORPUS / "dictionaries" / "redcapr_decimal_dot_dictionary.csv")
    text = source.read_text(encoding="utf-8-sig")
    as_exported = validate(dictionary, load_records(source, dictionary))
    assert all(f.rule != "calc_stale" for f in as_exported)
    header, first, *rest = text.splitlines()
    cells = next(csv.reader([first]))
    column = next(csv.reader([header])).index("bmi")
    cells[column] = str(float(cells[column]) + 1)
    changed = "\n".join([header, ",".join(cells), *rest]) + "\n"
    stale = [
        f for f in validate(dictionary, read_records(changed, dictionary)) if f.rule == "calc_stale"
    ]
    assert [(f.record, f.field, f.severity) for f in stale] == [(cells[0], "bmi", "warning")]
