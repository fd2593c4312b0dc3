"""A time-dependent exposure split into intervals, checked against the dates read by hand."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd

from followup.analysis.dataset import study_data
from followup.analysis.endpoints import endpoint_data
from followup.analysis.exposures import exposure_intervals
from followup.io import load_records
from followup.study import load_dictionary
from followup.study.plan import load_plan
from followup.study.plan_schema import Exposure

YEAR = 365.25
SECOND_SCT = Exposure(
    label="second SCT",
    date="sct2_date",
    when="[sct2] = '1'",
    levels="sct2_remission",
    before="no second SCT",
)


def _intervals(files: tuple[Path, Path, Path]) -> tuple[object, object]:
    dictionary_path, records_path, plan_path = files
    dictionary = load_dictionary(dictionary_path)
    plan = load_plan(plan_path, dictionary)
    data = study_data(load_records(records_path, dictionary), plan)
    spec = plan.model.endpoints["os_after_relapse"]
    endpoint = endpoint_data(data, "os_after_relapse", spec, "years", YEAR)
    return data, exposure_intervals(data, spec, endpoint, "sct2", SECOND_SCT, YEAR), endpoint


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_each_patient_is_unexposed_until_the_second_sct_then_in_its_remission_state(
    mll03_files: tuple[Path, Path, Path],
) -> None:
    data, intervals, endpoint = _intervals(mll03_files)
    with (mll03_files[0]).open(encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.reader(handle) if r[0] == "sct2_remission")
    labels = dict(c.strip().split(", ", 1) for c in row[5].split("|"))  # the dictionary's choices
    expected = []
    for record, row in endpoint.frame.iterrows():
        raw = data.raw.loc[record]
        follow = (_day(raw["last_contact_date"]) - _day(raw["rel_date"])).days / YEAR
        died = int(row["event"] == 1)
        sct = raw["sct2"] == "1" and raw["sct2_date"] and raw["sct2_remission"]
        at = (_day(raw["sct2_date"]) - _day(raw["rel_date"])).days / YEAR if sct else None
        if at is not None and 0 < at < follow:
            expected.append((record, 0.0, at, 0, "no second SCT"))
            expected.append((record, at, follow, died, labels[raw["sct2_remission"]]))
        elif at is not None and at <= 0 < follow:
            expected.append((record, 0.0, follow, died, labels[raw["sct2_remission"]]))
        else:
            expected.append((record, 0.0, follow, died, "no second SCT"))
    got = intervals.frame[["record_id", "start", "stop", "event", "state"]]
    want = pd.DataFrame(expected, columns=got.columns).sort_values(["record_id", "start"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    assert intervals.states == ("no second SCT", labels["1"], labels["0"])


def test_the_state_at_a_time_is_the_state_of_the_interval_holding_it(
    mll03_files: tuple[Path, Path, Path],
) -> None:
    _, intervals, _ = _intervals(mll03_files)
    frame = intervals.frame
    for time in (0.25, 0.5, 1.0, 3.0):
        holding = frame[(frame["start"] < time) & (frame["stop"] >= time)]
        state = intervals.state_at(time)
        assert len(holding) > 0
        for record, interval_state in zip(holding["record_id"], holding["state"], strict=True):
            assert state[record] == interval_state
