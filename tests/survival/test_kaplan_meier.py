"""Kaplan-Meier against R's survfit, summary, quantile and print(rmean=) on R's own data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from followup.survival import InputError, KaplanMeierCurve, kaplan_meier
from tests.reference import assert_matches, cases, dataset

# How each case's R formula reads in our arguments.
INPUTS = {
    "aml_by_x": {"time": "time", "event": "status", "group": "x"},
    "lung_by_sex": {"time": "time", "event": "status", "group": "sex"},
    "veteran_all": {"time": "time", "event": "status"},
    "veteran_by_celltype": {"time": "time", "event": "status", "group": "celltype"},
    "lung_weighted_by_sex": {"time": "time", "event": "status", "group": "sex", "weights": "freq"},
    "heart_entry": {"time": "stop", "event": "event", "entry": "start"},
    "heart_entry_by_surgery": {
        "time": "stop",
        "event": "event",
        "entry": "start",
        "group": "surgery",
    },
}

KM_CASES = cases("kaplan_meier", "kaplan_meier")
CURVES = [
    pytest.param(case, curve, id=f"{case['name']}-{case['conf_type']}-{curve['label']}")
    for case in KM_CASES
    for curve in case["curves"]
]


def fit_curve(
    case: dict[str, Any], curve: dict[str, Any], se_method: str = "greenwood"
) -> KaplanMeierCurve:
    data = dataset(case["dataset"])
    columns = INPUTS[case["name"]]
    arguments = {name: data[column] for name, column in columns.items()}
    fit = kaplan_meier(se_method=se_method, conf_type=case["conf_type"], **arguments)
    if curve["label"] is None:
        (only,) = fit.curves
        return only
    (match,) = [c for c in fit.curves if str(c.group) == curve["label"]]
    return match


@pytest.mark.parametrize(("case", "curve"), CURVES)
def test_rows_match_summary_survfit(case: dict[str, Any], curve: dict[str, Any]) -> None:
    ours = fit_curve(case, curve)
    if case["weights"]:  # R's n counts records; ours counts the subjects the weights represent
        data = dataset(case["dataset"])
        in_curve = data[INPUTS[case["name"]]["group"]].astype(str) == curve["label"]
        assert ours.subjects == data[case["weights"]][in_curve].sum()
    else:
        assert ours.subjects == curve["n"]
    columns = {"time": "time", "at_risk": "n_risk", "events": "n_event", "censored": "n_censor",
               "survival": "surv", "std_err": "std_err", "log_std_err": "log_std_err",
               "lower": "lower", "upper": "upper"}  # fmt: skip
    for field, ref in columns.items():
        assert_matches(getattr(ours, field), curve[ref], what=field)


@pytest.mark.parametrize(("case", "curve"), CURVES)
def test_quantiles_match_quantile_survfit(case: dict[str, Any], curve: dict[str, Any]) -> None:
    quantiles = fit_curve(case, curve).quantiles(curve["quantile"]["probs"])
    assert_matches(quantiles.estimate, curve["quantile"]["estimate"], what="quantile")
    assert_matches(quantiles.lower, curve["quantile"]["lower"], what="lower")
    assert_matches(quantiles.upper, curve["quantile"]["upper"], what="upper")


@pytest.mark.parametrize(("case", "curve"), CURVES)
def test_survival_at_times_matches_summary_times(
    case: dict[str, Any], curve: dict[str, Any]
) -> None:
    expected = curve["at_times"]
    at = fit_curve(case, curve).survival_at(expected["time"])
    for field, ref in [("at_risk", "n_risk"), ("events", "n_event"), ("censored", "n_censor"),
                       ("survival", "surv"), ("std_err", "std_err"), ("lower", "lower"),
                       ("upper", "upper")]:  # fmt: skip
        assert_matches(getattr(at, field), expected[ref], what=field)


@pytest.mark.parametrize(("case", "curve"), CURVES)
def test_numbers_at_risk_count_time_at_or_after(
    case: dict[str, Any], curve: dict[str, Any]
) -> None:
    expected = curve["at_risk_extended"]
    assert_matches(fit_curve(case, curve).at_risk_at(expected["time"]), expected["n_risk"])


@pytest.mark.parametrize(("case", "curve"), CURVES)
def test_restricted_mean_matches_print_rmean(case: dict[str, Any], curve: dict[str, Any]) -> None:
    expected = curve["rmean"]
    result = fit_curve(case, curve).restricted_mean(expected["tau"])
    assert_matches(result.estimate, expected["estimate"], what="rmean")
    assert_matches(result.std_err, expected["std_err"], what="se(rmean)")


@pytest.mark.parametrize(("case", "curve"), CURVES)
def test_peto_standard_errors_and_limits(case: dict[str, Any], curve: dict[str, Any]) -> None:
    """Peto SE = S √((1 − S)/n), the limits from R's own survfit_confint given that SE."""
    ours = fit_curve(case, curve, se_method="peto")
    peto = curve["peto"]
    assert_matches(ours.std_err, peto["std_err"], what="std_err")
    assert_matches(ours.lower, peto["lower"], what="lower")
    assert_matches(ours.upper, peto["upper"], what="upper")
    quantiles = ours.quantiles((0.25, 0.5, 0.75))
    for field in ("estimate", "lower", "upper"):
        assert_matches(getattr(quantiles, field), peto["quantile"][field], what=field)
    at = ours.survival_at(curve["at_times"]["time"])
    for field in ("std_err", "lower", "upper"):
        assert_matches(getattr(at, field), peto["at_times"][field], what=field)


def test_survival_zero_has_explained_nan_standard_error() -> None:
    fit = kaplan_meier([1, 2, 3], [1, 1, 1]).curves[0]
    assert np.isnan(fit.std_err[-1])
    assert fit.survival[-1] == 0
    assert any("undefined" in note for note in fit.notes)


def test_time_beyond_follow_up_is_an_error_unless_extended() -> None:
    fit = kaplan_meier([1, 2, 3], [1, 0, 0]).curves[0]
    with pytest.raises(InputError, match="beyond the last follow-up"):
        fit.survival_at([5])
    extended = fit.survival_at([5], extend=True)
    assert extended.at_risk[0] == 0
    assert extended.survival[0] == fit.survival[-1]
