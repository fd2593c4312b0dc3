"""Cumulative incidence and Gray's test against cmprsk::cuminc and timepoints on R's mgus2 data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from followup.survival import cumulative_incidence, gray_test
from tests.reference import as_float, assert_matches, cases, dataset

INPUTS = {
    "mgus2_by_sex": ("mgus2", "etime", "event", "sex", None),
    "mgus2_by_sex_rho1": ("mgus2", "etime", "event", "sex", None),
    "mgus2_all": ("mgus2", "etime", "event", None, None),
    "example_groups_strata": ("cuminc_example", "time", "status", "group", "strata"),
    "example_groups": ("cuminc_example", "time", "status", "group", None),
}
CASES = cases("competing_risks", "cumulative_incidence")


def _arguments(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    name, time, event, group, strata = INPUTS[case["name"]]
    data = dataset(name)
    return (
        data[time], data[event],
        data[group] if group else None, data[strata] if strata else None,
    )  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_estimates_and_variances_match_cuminc(case: dict[str, Any]) -> None:
    time, event, group, _ = _arguments(case)
    fit = cumulative_incidence(time, event, group=group)
    for expected in case["curves"]:
        label = None if group is None else expected["group"]
        curve = fit.curve(int(expected["cause"]), label)
        jumps = (len(expected["time"]) - 2) // 2  # cuminc: 0, then (t, t) per jump, then the end
        jump_rows = np.flatnonzero(curve.events > 0)
        assert len(jump_rows) == jumps
        assert_matches(curve.time[jump_rows], expected["time"][2::2][:jumps], what="time")
        assert_matches(curve.estimate[jump_rows], expected["est"][2::2][:jumps], what="est")
        assert_matches(curve.variance[jump_rows], expected["var"][2::2][:jumps], what="var")
        assert_matches(curve.time[-1], expected["time"][-1], what="last follow-up")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_timepoints(case: dict[str, Any]) -> None:
    time, event, group, _ = _arguments(case)
    fit = cumulative_incidence(time, event, group=group)
    points = case["timepoints"]
    for row, label in enumerate(points["labels"]):
        group_label, cause = label.split(" ")
        curve = fit.curve(int(cause), None if group is None else group_label)
        estimate = as_float(points["est"][row])
        known = ~np.isnan(estimate)
        at = curve.at(np.asarray(points["times"])[known])
        assert_matches(at["estimate"], estimate[known], what=f"{label} est")
        assert_matches(at["variance"], as_float(points["var"][row])[known], what=f"{label} var")
        assert_matches(at["lower"], as_float(points["lower"][row])[known], what=f"{label} lower")
        assert_matches(at["upper"], as_float(points["upper"][row])[known], what=f"{label} upper")


@pytest.mark.parametrize("case", [c for c in CASES if c["tests"]], ids=lambda c: c["name"])
def test_gray_test_matches_cuminc_tests(case: dict[str, Any]) -> None:
    time, event, group, strata = _arguments(case)
    result = gray_test(time, event, group=group, strata=strata, rho=case["rho"])
    assert list(result.causes) == case["tests"]["cause"]
    assert_matches(result.statistic, case["tests"]["stat"], what="stat")
    assert_matches(result.p, case["tests"]["p"], what="p")
    assert [result.df] * len(result.causes) == case["tests"]["df"]


def test_a_variance_that_cancels_to_zero_is_not_negative() -> None:
    """Everyone has the one cause: at F = 1 the three variance terms cancel.

    Rounding once left -2e-16 there (found by hypothesis), whose square root is no standard error.
    """
    curve = cumulative_incidence([5, 2, 3, 2, 4, 5, 2], [1, 1, 1, 1, 1, 1, 1]).curves[0]
    assert curve.estimate[-1] == pytest.approx(1)
    assert (curve.variance >= 0).all()
    assert np.isfinite(curve.std_err).all()
