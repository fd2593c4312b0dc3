"""Choosing forms, fields and hospitals, and de-identifying, as REDCap's export dialog does."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.analysis import analyze
from followup.io import read_records
from followup.io.export_options import (
    SHIFT_DAYS,
    ExportOptions,
    chosen_columns,
    hashed_record_id,
    record_shift,
)
from followup.io.exports import export_files
from followup.study import load_dictionary
from followup.study.inputs import InputError
from followup.study.plan import load_plan
from tests.io.export_cases import CORPUS, mll03_table

KEY = b"a key the data center keeps"


def test_forms_and_fields_choose_the_columns(tmp_path: Path) -> None:
    table = mll03_table(tmp_path, options=ExportOptions(forms=("followup",), fields=("sex",)))
    assert table.columns[:4] == [
        "record_id",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "redcap_data_access_group",
    ]
    followup = [c for f in table.dictionary.form_fields("followup") for c in f.export_columns]
    assert table.columns[4:] == ["sex", *followup, "followup_complete"]


def test_unknown_forms_and_fields_are_named(tmp_path: Path) -> None:
    dictionary = load_dictionary(CORPUS / "dictionaries" / "redcapr_dag_dictionary.csv")
    with pytest.raises(InputError, match=r"'visits' is not a form of the study; the forms are: "):
        chosen_columns(dictionary, ExportOptions(forms=("visits",)))
    with pytest.raises(InputError, match=r"'no_such' is not a field"):
        chosen_columns(dictionary, ExportOptions(fields=("no_such",)))


def test_identifiers_and_free_text_are_removed() -> None:
    dictionary = load_dictionary(CORPUS / "dictionaries" / "redcapr_dag_dictionary.csv")
    identifiers = {f.name for f in dictionary if f.identifier}
    free_text = {
        f.name
        for f in dictionary
        if f.field_type == "notes" or (f.field_type == "text" and f.text_type is None)
    }
    assert identifiers
    assert free_text - {dictionary.record_id}
    kept = chosen_columns(dictionary, ExportOptions(drop_identifiers=True))
    assert identifiers.isdisjoint(kept)
    kept = chosen_columns(dictionary, ExportOptions(remove_free_text=True))
    assert (free_text - {dictionary.record_id}).isdisjoint(kept)
    assert kept[0] == dictionary.record_id  # the record ID stays unless hashed


def test_hospitals_choose_the_rows(tmp_path: Path) -> None:
    table = mll03_table(tmp_path)
    hospital = table.rows[0]["redcap_data_access_group"]
    chosen = mll03_table(tmp_path / "b", options=ExportOptions(hospitals=(hospital,)))
    assert chosen.rows
    assert {r["redcap_data_access_group"] for r in chosen.rows} == {hospital}
    assert len(chosen.rows) == sum(r["redcap_data_access_group"] == hospital for r in table.rows)


def test_shifted_dates_keep_every_interval_so_the_analysis_is_the_same(tmp_path: Path) -> None:
    table = mll03_table(tmp_path)
    shifted = mll03_table(
        tmp_path / "s", options=ExportOptions(shift_dates=True, hash_record_id=True), key=KEY
    )
    dates = [v.name for v in table.variables if v.kind == "date"]
    for before, after in zip(table.rows, shifted.rows, strict=True):
        days = record_shift(KEY, before["record_id"])
        assert (
            after["record_id"] == hashed_record_id(KEY, before["record_id"]) != before["record_id"]
        )
        for column in dates:
            if before.get(column, "") in ("", "UNK", "NASK"):
                assert after.get(column, "") == before.get(column, "")
            else:
                moved = dt.date.fromisoformat(after[column])
                assert dt.date.fromisoformat(before[column]) - moved == dt.timedelta(days=days)
    plan = load_plan(Path("studies/mll03/plan.yaml"), table.dictionary)
    results = []
    for each in (table, shifted):
        text = export_files(each, "csv", "s")["s.csv"].decode("utf-8")
        records = read_records(
            text, each.dictionary, source="s.csv", missing_codes=plan.missing_codes,
            schedule=each.schedule,
        )  # fmt: skip
        results.append(analyze(records, plan, schedule=each.schedule))
    original, deidentified = results
    for before, after in zip(original.endpoints, deidentified.endpoints, strict=True):
        hashed = tuple(
            dataclasses.replace(left, record=hashed_record_id(KEY, left.record))
            for left in before.excluded
        )
        assert dataclasses.replace(before, excluded=hashed) == after


@given(st.text(min_size=1, max_size=40))
def test_a_record_moves_by_0_to_364_days_the_same_in_every_export(record_id: str) -> None:
    days = record_shift(KEY, record_id)
    assert 0 <= days < SHIFT_DAYS
    assert record_shift(KEY, record_id) == days
    assert len(hashed_record_id(KEY, record_id)) == 32


def test_shifting_needs_a_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs a key"):
        mll03_table(tmp_path, options=ExportOptions(shift_dates=True))
