"""Predicted survival curves of a Cox model against R's survfit(coxph, newdata = profiles)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from followup.survival import CoxModel, InputError, cox_ph
from followup.survival._cox_survival import CoxSurvival, cox_survival
from followup.survival._nelson_aalen import nelson_aalen
from tests.reference import ITERATIVE, assert_matches, load

REFERENCE = load("curves")

# Each case's model in our arguments: dataset, time, event, covariates, weights, strata, cluster.
MODELS = {
    "lung_efron": ("lung", "time", "status", ["age", "sex", "ph.ecog"], None, None, None),
    "lung_breslow": ("lung", "time", "status", ["age", "sex", "ph.ecog"], None, None, None),
    "lung_efron_loglog": ("lung", "time", "status", ["age", "sex", "ph.ecog"], None, None, None),
    "lung_weighted_efron": ("lung", "time", "status", ["age", "sex", "ph.ecog"], "freq", None,
                            None),
    "lung_clustered_efron": ("lung", "time", "status", ["age", "sex"], None, None, "ph.ecog"),
    "lung_weighted_breslow": ("lung", "time", "status", ["age", "sex"], "w", None, None),
    "veteran_efron": ("veteran", "time", "status", ["karno", "celltype", "trt"], None, None, None),
    "veteran_strata_breslow": ("veteran", "time", "status", ["karno", "celltype"], None, "trt",
                               None),
    "veteran_strata_efron": ("veteran", "time", "status", ["karno", "celltype"], None, "trt", None),
    "aml_efron": ("aml", "time", "status", ["x"], None, None, None),
    "ovarian_breslow": ("ovarian", "futime", "fustat", ["age", "rx"], None, None, None),
    "ovarian_efron": ("ovarian", "futime", "fustat", ["age", "rx", "ecog_ps"], None, None, None),
}  # fmt: skip


def fit_model(case: dict[str, Any]) -> CoxModel:
    dataset, time, event, covariates, weights, strata, cluster = MODELS[case["name"]]
    data = REFERENCE["datasets"][dataset]

    def column(name: str | None) -> np.ndarray | None:
        return None if name is None else np.asarray(data[name])

    return cox_ph(
        np.asarray(data[time]),
        np.asarray(data[event]),
        pd.DataFrame({c: data[c] for c in covariates}),
        ties=case["ties"],
        weights=column(weights),
        strata=column(strata),
        cluster=column(cluster),
    )


def predict(case: dict[str, Any]) -> CoxSurvival:
    profiles = pd.DataFrame(case["profiles"]).rename(columns={"ecog.ps": "ecog_ps"})
    return cox_survival(fit_model(case), profiles, conf_type=case["conf_type"])


CASES = [pytest.param(case, id=case["name"]) for case in REFERENCE["cox_survival"]]


def _stratum(curve: dict[str, Any]) -> int | None:
    return None if np.isnan(curve["stratum"]) else int(curve["stratum"])


@pytest.mark.parametrize("case", CASES)
def test_coefficients_match_coxph(case: dict[str, Any]) -> None:
    assert_matches(fit_model(case).coefficients, case["coefficients"], ITERATIVE)


@pytest.mark.parametrize("case", CASES)
def test_curves_match_survfit(case: dict[str, Any]) -> None:
    result = predict(case)
    assert len(result.curves) == len(case["curves"])
    columns = {"time": "time", "at_risk": "n_risk", "events": "n_event", "censored": "n_censor",
               "cumulative_hazard": "cumhaz", "survival": "surv", "log_std_err": "log_std_err",
               "lower": "lower", "upper": "upper"}  # fmt: skip
    for expected in case["curves"]:
        ours = result.curve(expected["profile"], _stratum(expected))
        for field, ref in columns.items():
            assert_matches(getattr(ours, field), expected[ref], ITERATIVE, what=field)


@pytest.mark.parametrize("case", CASES)
def test_values_at_times_match_summary_times(case: dict[str, Any]) -> None:
    result = predict(case)
    columns = {"time": "time", "at_risk": "n_risk", "events": "n_event",
               "cumulative_hazard": "cumhaz", "survival": "surv", "std_err": "std_err",
               "lower": "lower", "upper": "upper"}  # fmt: skip
    for expected in case["curves"]:
        at = result.curve(expected["profile"], _stratum(expected)).survival_at(
            expected["at_times"]["time"]
        )
        for field, ref in columns.items():
            assert_matches(getattr(at, field), expected["at_times"][ref], ITERATIVE, what=field)


def test_times_argument_reads_the_curves_there() -> None:
    case = REFERENCE["cox_survival"][0]
    model = fit_model(case)
    profiles = pd.DataFrame(case["profiles"])
    expected = case["curves"][1]["at_times"]
    at = cox_survival(model, profiles, times=expected["time"]).curve(1)
    assert_matches(at.survival, expected["surv"], ITERATIVE)
    assert_matches(at.std_err, expected["std_err"], ITERATIVE)


def test_frame_stacks_profiles() -> None:
    case = REFERENCE["cox_survival"][0]
    result = cox_survival(fit_model(case), pd.DataFrame(case["profiles"]), times=[100, 200])
    frame = result.to_frame()
    assert frame.profile.tolist() == [0, 0, 1, 1, 2, 2]
    assert {"cumulative_hazard", "survival", "std_err", "lower", "upper"} <= set(frame.columns)


@st.composite
def doubled_data(draw: st.DrawFn) -> pd.DataFrame:
    """Each subject twice, once with x = 0 and once with x = 1.

    The partial likelihood's score is exactly 0 at β = 0, so the fit has β = 0 and its baseline
    is the one-group estimate.
    """
    n = draw(st.integers(min_value=2, max_value=25))
    time = draw(arrays(np.int64, n, elements=st.integers(1, 8)))
    event = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    weight = draw(arrays(np.int64, n, elements=st.integers(1, 3)))
    event[0] = 1
    return pd.DataFrame(
        {
            "time": np.repeat(time, 2),
            "event": np.repeat(event, 2),
            "weight": np.repeat(weight, 2),
            "x": np.tile([0.0, 1.0], n),
        }
    )


@settings(deadline=None)
@given(doubled_data(), st.sampled_from(["breslow", "efron"]), st.booleans())
def test_a_null_fit_predicts_the_one_group_cumulative_hazard(
    data: pd.DataFrame, ties: str, weighted: bool
) -> None:
    weights = data.weight if weighted else None
    model = cox_ph(data.time, data.event, data[["x"]], ties=ties, weights=weights)  # type: ignore[arg-type]
    assert model.coefficients[0] == pytest.approx(0.0, abs=1e-12)
    curve = cox_survival(model, pd.DataFrame({"x": [0.5]})).curve(0)
    method = "nelson-aalen" if ties == "breslow" else "fleming-harrington"
    hazard = nelson_aalen(data.time, data.event, weights=weights, method=method).curve()  # type: ignore[arg-type]
    np.testing.assert_array_equal(curve.time, hazard.time)
    np.testing.assert_allclose(curve.cumulative_hazard, hazard.cumulative_hazard, rtol=1e-10)
    np.testing.assert_allclose(curve.log_std_err, hazard.std_err, rtol=1e-10)


@settings(deadline=None, max_examples=30)
@given(st.floats(min_value=-50, max_value=50), st.floats(min_value=0.01, max_value=100))
def test_a_covariate_unit_or_origin_does_not_change_the_prediction(
    shift: float, factor: float
) -> None:
    case = REFERENCE["cox_survival"][1]  # lung, Breslow
    data = REFERENCE["datasets"]["lung"]
    age = np.asarray(data["age"], dtype=float)
    profiles = pd.DataFrame(case["profiles"])
    original = cox_survival(fit_model(case), profiles)
    covariates = pd.DataFrame({"age": age * factor + shift, "sex": data["sex"],
                               "ph.ecog": data["ph.ecog"]})  # fmt: skip
    model = cox_ph(data["time"], data["status"], covariates, ties="breslow")
    moved = cox_survival(model, profiles.assign(age=profiles.age * factor + shift))
    for a, b in zip(original.curves, moved.curves, strict=True):
        np.testing.assert_allclose(b.survival, a.survival, rtol=1e-8)
        np.testing.assert_allclose(b.log_std_err, a.log_std_err, rtol=1e-7)


@pytest.fixture(scope="module")
def veteran_model() -> CoxModel:
    return fit_model(REFERENCE["cox_survival"][6])


def test_a_missing_covariate_is_named(veteran_model: CoxModel) -> None:
    with pytest.raises(InputError, match="no column 'celltype'") as error:
        cox_survival(veteran_model, pd.DataFrame({"karno": [60], "trt": [1]}))
    assert error.value.argument == "profiles"


def test_an_unseen_level_is_named(veteran_model: CoxModel) -> None:
    profiles = pd.DataFrame({"karno": [60, 70], "celltype": ["adeno", "oat"], "trt": [1, 1]})
    with pytest.raises(InputError, match="level 'oat' at position 1") as error:
        cox_survival(veteran_model, profiles)
    assert error.value.argument == "celltype"


def test_text_for_a_numeric_covariate_is_refused(veteran_model: CoxModel) -> None:
    profiles = pd.DataFrame({"karno": ["sixty"], "celltype": ["adeno"], "trt": [1]})
    with pytest.raises(InputError, match="must be numeric") as error:
        cox_survival(veteran_model, profiles)
    assert error.value.argument == "karno"


def test_a_missing_value_is_refused(veteran_model: CoxModel) -> None:
    profiles = pd.DataFrame({"karno": [60, np.nan], "celltype": ["adeno"] * 2, "trt": [1, 1]})
    with pytest.raises(InputError, match="position 1") as error:
        cox_survival(veteran_model, profiles)
    assert error.value.argument == "karno"


def test_profiles_must_be_a_table(veteran_model: CoxModel) -> None:
    with pytest.raises(InputError, match="must be a DataFrame") as error:
        cox_survival(veteran_model, [60, "adeno", 1])  # type: ignore[arg-type]
    assert error.value.argument == "profiles"


def test_times_past_follow_up_and_bad_options_are_refused(veteran_model: CoxModel) -> None:
    profiles = pd.DataFrame({"karno": [60], "celltype": ["adeno"], "trt": [1]})
    with pytest.raises(InputError, match="beyond the last follow-up") as error:
        cox_survival(veteran_model, profiles, times=[10_000])
    assert error.value.argument == "times"
    with pytest.raises(InputError) as error:
        cox_survival(veteran_model, profiles, conf_type="logit")  # type: ignore[arg-type]
    assert error.value.argument == "conf_type"


def test_counting_process_fits_are_refused() -> None:
    data = pd.DataFrame({"start": [0, 0, 2, 0, 1], "stop": [3, 2, 5, 4, 6],
                         "event": [1, 0, 1, 1, 0], "x": [1.0, 0.0, 0.0, 1.0, 2.0]})  # fmt: skip
    model = cox_ph(data.stop, data.event, data[["x"]], start=data.start)
    with pytest.raises(InputError, match=r"\(start, time\] intervals") as error:
        cox_survival(model, pd.DataFrame({"x": [1.0]}))
    assert error.value.argument == "model"
