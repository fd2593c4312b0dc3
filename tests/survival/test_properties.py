"""Properties every correct implementation has, checked on data hypothesis makes up."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from followup.survival import (
    RiskTable,
    cumulative_incidence,
    kaplan_meier,
    logrank_test,
    risk_table,
)

# Few distinct times, so ties between events, censorings and groups are common.
small_times = st.integers(min_value=0, max_value=12)


@st.composite
def survival_data(draw: st.DrawFn, max_cause: int = 1, min_size: int = 1) -> pd.DataFrame:
    n = draw(st.integers(min_value=min_size, max_value=40))
    time = draw(arrays(np.int64, n, elements=small_times))
    event = draw(arrays(np.int64, n, elements=st.integers(0, max_cause)))
    group = draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    return pd.DataFrame({"time": time, "event": event, "group": group})


@given(survival_data())
def test_survival_is_non_increasing_and_within_zero_and_one(data: pd.DataFrame) -> None:
    for curve in kaplan_meier(data.time, data.event, group=data.group).curves:
        assert np.all((curve.survival >= 0) & (curve.survival <= 1))
        assert np.all(np.diff(curve.survival) <= 0)


@given(survival_data(), st.data())
def test_a_weight_of_two_equals_a_duplicated_row(data: pd.DataFrame, draw: st.DataObject) -> None:
    row = draw.draw(st.integers(0, len(data) - 1))
    weights = np.ones(len(data))
    weights[row] = 2
    duplicated = pd.concat([data, data.iloc[[row]]], ignore_index=True)
    weighted = kaplan_meier(data.time, data.event, weights=weights).curves[0]
    expanded = kaplan_meier(duplicated.time, duplicated.event).curves[0]
    np.testing.assert_allclose(weighted.survival, expanded.survival, rtol=1e-13)
    np.testing.assert_allclose(weighted.std_err, expanded.std_err, rtol=1e-13, equal_nan=True)
    np.testing.assert_array_equal(weighted.at_risk, expanded.at_risk)


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(0, 100, allow_nan=False)))
def test_without_censoring_survival_is_the_empirical_survival_function(time: np.ndarray) -> None:
    curve = kaplan_meier(time, np.ones(len(time), dtype=int)).curves[0]
    empirical = np.array([(time > t).mean() for t in curve.time])
    np.testing.assert_allclose(curve.survival, empirical, rtol=1e-12, atol=1e-15)


@given(survival_data(min_size=2), st.permutations([0, 1, 2]))
def test_relabelling_groups_leaves_the_logrank_statistic_unchanged(
    data: pd.DataFrame, relabel: list[int]
) -> None:
    if data.group.nunique() < 2 or data.event.sum() == 0:
        return
    expected = data.groupby("group").size()
    if (expected > 0).sum() < 2:
        return
    renamed = np.array(["low", "mid", "high"])[np.asarray(relabel)[data.group]]
    try:
        original = logrank_test(data.time, data.event, group=data.group)
    except ValueError:
        return  # only one group at risk at the event times: undefined both ways
    relabelled = logrank_test(data.time, data.event, group=renamed)
    np.testing.assert_allclose(relabelled.chisq, original.chisq, rtol=1e-10)
    assert relabelled.df == original.df


@given(survival_data(max_cause=2))
def test_a_table_rebuilt_from_its_counts_gives_identical_results(data: pd.DataFrame) -> None:
    """What a SQL GROUP BY would hand over: the counts, not the rows."""
    from_rows = risk_table(data.time, data.event, group=data.group, max_cause=2)
    from_counts = RiskTable.from_frame(from_rows.to_frame())
    rows_fit = cumulative_incidence(from_rows)
    counts_fit = cumulative_incidence(from_counts)
    for a, b in zip(rows_fit.curves, counts_fit.curves, strict=True):
        assert (a.group, a.cause) == (b.group, b.cause)
        np.testing.assert_array_equal(a.time, b.time)
        np.testing.assert_array_equal(a.estimate, b.estimate)
        np.testing.assert_array_equal(a.variance, b.variance)


@given(survival_data(), st.data())
def test_delayed_entry_round_trips_through_counts(data: pd.DataFrame, draw: st.DataObject) -> None:
    entry = np.array([draw.draw(st.integers(-1, int(t) - 1)) for t in data.time], dtype=float)
    keep = entry >= 0
    if not keep.any():
        return
    kept = data[keep]
    from_rows = risk_table(kept.time, kept.event, group=kept.group, entry=entry[keep])
    from_counts = RiskTable.from_frame(from_rows.to_frame())
    a = kaplan_meier(from_rows).to_frame()
    b = kaplan_meier(from_counts).to_frame()
    pd.testing.assert_frame_equal(a, b)


@settings(max_examples=60)
@given(
    arrays(np.float64, st.integers(1, 60), elements=st.floats(0, 50, allow_nan=False)),
    st.data(),
)
def test_every_counting_route_gives_the_same_table(time: np.ndarray, draw: st.DataObject) -> None:
    """Whole-number bincount, packed-key sort and lexsort must agree exactly."""
    event = draw.draw(arrays(np.int64, len(time), elements=st.integers(0, 1)))
    group = draw.draw(arrays(np.int64, len(time), elements=st.integers(0, 1)))
    whole = np.floor(time)
    tables = [
        risk_table(whole.astype(np.int64), event, group=group),  # bincount
        risk_table(whole + 0.0, event, group=group),  # floats that are whole numbers: bincount
        risk_table(whole + 0.5, event, group=group),  # real-valued: packed-key sort
        risk_table(whole + 0.5, event, group=group, weights=np.ones(len(time))),  # lexsort
    ]
    reference = tables[0].to_frame()
    for index, table in enumerate(tables[1:], start=1):
        frame = table.to_frame()
        if index >= 2:
            frame["time"] = frame["time"] - 0.5
        pd.testing.assert_frame_equal(frame, reference, check_dtype=False)


@settings(max_examples=60)
@given(
    arrays(np.float64, st.integers(1, 60), elements=st.floats(0, 50, allow_nan=False)),
    st.data(),
)
def test_two_groups_with_distinct_times_count_as_the_general_route(
    time: np.ndarray, draw: st.DataObject
) -> None:
    """Two sorts (all times distinct, two groups) must give the lexsort route's table exactly."""
    event = draw.draw(arrays(np.int64, len(time), elements=st.integers(0, 1)))
    group = draw.draw(arrays(np.int64, len(time), elements=st.integers(0, 1)))
    distinct = np.floor(time) + 0.5 + np.arange(len(time)) / 1024  # real-valued, no two equal
    entry = distinct * draw.draw(st.floats(0, 0.9))
    ones = np.ones(len(time))
    for arguments in ({}, {"entry": entry}):
        fast = risk_table(distinct, event, group=group, **arguments).to_frame()
        general = risk_table(distinct, event, group=group, weights=ones, **arguments).to_frame()
        pd.testing.assert_frame_equal(fast, general, check_dtype=False)
