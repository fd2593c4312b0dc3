"""Nelson-Aalen and Fleming-Harrington cumulative hazards against R's survfit(ctype = 1, 2)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from followup.survival import InputError, RiskTable, kaplan_meier
from followup.survival._nelson_aalen import CumulativeHazardCurve, HazardMethod, nelson_aalen
from tests.reference import RELATIVE, assert_matches, load

REFERENCE = load("curves")

# How each case's R formula reads in our arguments (the strata of ph.ecog + sex are ph.ecog).
INPUTS = {
    "aml_by_x": {"time": "time", "event": "status", "group": "x"},
    "lung_by_sex": {"time": "time", "event": "status", "group": "sex"},
    "veteran_all": {"time": "time", "event": "status"},
    "lung_ecog_by_sex": {"time": "time", "event": "status", "group": "sex", "strata": "ph.ecog"},
    "lung_weighted_by_sex": {"time": "time", "event": "status", "group": "sex", "weights": "freq"},
    "lung_fractional_weights": {"time": "time", "event": "status", "weights": "w"},
    "heart_entry": {"time": "stop", "event": "event", "entry": "start"},
}
METHODS = {"ctype1": "nelson-aalen", "ctype2": "fleming-harrington"}

CURVES = [
    pytest.param(case, ctype, curve, id=f"{case['name']}-{ctype}-{curve['label']}")
    for case in REFERENCE["nelson_aalen"]
    for ctype in METHODS
    for curve in case[ctype]
]


def fit_curve(case: dict[str, Any], ctype: str, curve: dict[str, Any]) -> CumulativeHazardCurve:
    data = REFERENCE["datasets"][case["dataset"]]
    arguments = {name: np.asarray(data[column]) for name, column in INPUTS[case["name"]].items()}
    fit = nelson_aalen(method=METHODS[ctype], **arguments)  # type: ignore[arg-type]
    if curve["label"] is None:
        (only,) = fit.curves
        return only
    (match,) = [c for c in fit.curves if _r_label(case, c) == curve["label"]]
    return match


def _r_label(case: dict[str, Any], curve: CumulativeHazardCurve) -> str:
    """R's curve name: 'x=Maintained', or 'ph.ecog=1, sex=2' for the stratified case."""
    columns = INPUTS[case["name"]]
    parts = []
    if curve.stratum is not None:
        parts.append(f"{columns['strata']}={curve.stratum}")
    if curve.group is not None:
        parts.append(f"{columns['group']}={curve.group}")
    return ", ".join(parts)


@pytest.mark.parametrize(("case", "ctype", "curve"), CURVES)
def test_rows_match_survfit(case: dict[str, Any], ctype: str, curve: dict[str, Any]) -> None:
    ours = fit_curve(case, ctype, curve)
    columns = {"time": "time", "at_risk": "n_risk", "events": "n_event", "censored": "n_censor",
               "cumulative_hazard": "cumhaz", "std_err": "std_chaz", "lower": "lower",
               "upper": "upper"}  # fmt: skip
    for field, ref in columns.items():
        assert_matches(getattr(ours, field), curve[ref], RELATIVE, what=field)


@pytest.mark.parametrize(("case", "ctype", "curve"), CURVES)
def test_values_at_times_match_summary_times(
    case: dict[str, Any], ctype: str, curve: dict[str, Any]
) -> None:
    expected = curve["at_times"]
    at = fit_curve(case, ctype, curve).hazard_at(expected["time"])
    columns = {"time": "time", "at_risk": "n_risk", "events": "n_event", "censored": "n_censor",
               "cumulative_hazard": "cumhaz", "std_err": "std_chaz", "lower": "lower",
               "upper": "upper"}  # fmt: skip
    for field, ref in columns.items():
        assert_matches(getattr(at, field), expected[ref], RELATIVE, what=field)


# Hand-worked: times 1, 2, 2, 3 with events at 1 and twice at 2. At 1: 1 of 4 dies. At 2: 2 of 3.
# Nelson-Aalen adds 2/3 with variance 2/9; Fleming-Harrington lets them leave one by one:
# 1/3 + 1/2 with variance 1/9 + 1/4.
HAND_TIME, HAND_EVENT = [1, 2, 2, 3], [1, 1, 1, 0]


def test_nelson_aalen_by_hand() -> None:
    curve = nelson_aalen(HAND_TIME, HAND_EVENT).curve()
    np.testing.assert_allclose(curve.cumulative_hazard, [1 / 4, 1 / 4 + 2 / 3, 1 / 4 + 2 / 3])
    variance = [1 / 16, 1 / 16 + 2 / 9, 1 / 16 + 2 / 9]
    np.testing.assert_allclose(curve.std_err, np.sqrt(variance))


def test_fleming_harrington_by_hand() -> None:
    curve = nelson_aalen(HAND_TIME, HAND_EVENT, method="fleming-harrington").curve()
    np.testing.assert_allclose(curve.cumulative_hazard, [1 / 4, 1 / 4 + 5 / 6, 1 / 4 + 5 / 6])
    variance = [1 / 16, 1 / 16 + 1 / 9 + 1 / 4, 1 / 16 + 1 / 9 + 1 / 4]
    np.testing.assert_allclose(curve.std_err, np.sqrt(variance))


def test_a_risk_table_gives_the_same_curves() -> None:
    table = RiskTable.from_counts([1, 2, 3], [1, 2, 0], [0, 0, 1])
    methods: tuple[HazardMethod, ...] = ("nelson-aalen", "fleming-harrington")
    for method in methods:
        from_rows = nelson_aalen(HAND_TIME, HAND_EVENT, method=method).curve()
        from_table = nelson_aalen(table, method=method).curve()
        np.testing.assert_array_equal(from_table.cumulative_hazard, from_rows.cumulative_hazard)
        np.testing.assert_array_equal(from_table.std_err, from_rows.std_err)


def test_frame_has_one_row_per_time_and_the_labels() -> None:
    frame = nelson_aalen([1, 2, 3, 4], [1, 0, 1, 1], group=["a", "a", "b", "b"]).to_frame()
    assert list(frame.columns) == ["group", "time", "at_risk", "events", "censored",
                                   "cumulative_hazard", "std_err", "lower", "upper"]  # fmt: skip
    assert frame.group.tolist() == ["a", "a", "b", "b"]


def test_unknown_method_is_refused() -> None:
    with pytest.raises(InputError, match="method must be one of") as error:
        nelson_aalen([1, 2], [1, 1], method="breslow")  # type: ignore[arg-type]
    assert error.value.argument == "method"


def test_fleming_harrington_needs_whole_event_counts_from_a_table() -> None:
    table = RiskTable.from_counts([1.0, 2.0], [0.5, 1.0], [0.0, 1.0])
    with pytest.raises(InputError, match="not whole numbers") as error:
        nelson_aalen(table, method="fleming-harrington")
    assert error.value.argument == "method"


def test_times_past_the_last_follow_up_are_refused() -> None:
    curve = nelson_aalen([1, 2, 3], [1, 1, 0]).curve()
    with pytest.raises(InputError, match="beyond the last follow-up") as error:
        curve.hazard_at([1, 10])
    assert error.value.argument == "times"


def test_bad_conf_level_and_negative_times_name_their_argument() -> None:
    with pytest.raises(InputError) as error:
        nelson_aalen([1, 2], [1, 1], conf_level=1.5)
    assert error.value.argument == "conf_level"
    with pytest.raises(InputError) as error:
        nelson_aalen([1, -2], [1, 1])
    assert error.value.argument == "time"


@st.composite
def survival_data(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=40))
    time = draw(arrays(np.int64, n, elements=st.integers(0, 12)))
    event = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    return pd.DataFrame({"time": time, "event": event})


@given(survival_data())
def test_without_tied_events_both_methods_agree(data: pd.DataFrame) -> None:
    events = data.time[data.event == 1]
    assume(not events.duplicated().any())
    plain = nelson_aalen(data.time, data.event).curve()
    corrected = nelson_aalen(data.time, data.event, method="fleming-harrington").curve()
    np.testing.assert_allclose(corrected.cumulative_hazard, plain.cumulative_hazard, rtol=1e-14)
    np.testing.assert_allclose(corrected.std_err, plain.std_err, rtol=1e-14)


@given(survival_data())
def test_tie_correction_never_lowers_the_hazard(data: pd.DataFrame) -> None:
    plain = nelson_aalen(data.time, data.event).curve()
    corrected = nelson_aalen(data.time, data.event, method="fleming-harrington").curve()
    assert np.all(corrected.cumulative_hazard >= plain.cumulative_hazard * (1 - 1e-14))


@given(survival_data())
def test_exp_minus_nelson_aalen_lies_above_kaplan_meier(data: pd.DataFrame) -> None:
    """1 − x ≤ e^(−x) step by step, so ∏(1 − d/n) ≤ exp(−Σ d/n)."""
    hazard = nelson_aalen(data.time, data.event).curve()
    km = kaplan_meier(data.time, data.event).curve()
    np.testing.assert_array_equal(hazard.time, km.time)
    assert np.all(hazard.survival >= km.survival * (1 - 1e-14))
