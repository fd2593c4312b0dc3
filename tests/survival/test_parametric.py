"""Parametric AFT models against R's survreg and predict.survreg, on lung, ovarian and veteran.

R ran with survreg.control(rel.tolerance = 1e-12, iter.max = 100), as Followup does by default, so
both sides stop at the optimum; the cases with R's default control hold Followup to R's own
iteration path (same iterations, same not-fully-converged estimates). Survival at times and the
Weibull proportional-hazards form were computed by hand in make_parametric.R (delta method).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from followup.survival import (
    CollinearityError,
    ConvergenceError,
    InputError,
    ModelFitError,
    MonotoneLikelihoodError,
)
from followup.survival._parametric import ParametricModel, parametric_survival
from followup.survival._parametric_newton import ParametricControl
from tests.reference import ITERATIVE, RELATIVE, assert_matches, load

REFERENCE = load("parametric")
CASES: list[dict[str, Any]] = REFERENCE["cases"]
R_DEFAULT_CONTROL = ParametricControl(rel_tolerance=1e-9, max_iter=30)


def dataset(name: str) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in REFERENCE["datasets"][name].items()}


def fit(case: dict[str, Any]) -> ParametricModel:
    data = dataset(case["dataset"])
    return parametric_survival(
        data["time"], data["status"],
        {name: data[name] for name in case["covariates"]} or None,
        distribution=case["distribution"],
        strata=data[case["strata"]] if case["strata"] else None,
        weights=data[case["weights"]] if case["weights"] else None,
        scale=case["fixed_scale"] or None,
        control=None if case["tight"] else R_DEFAULT_CONTROL,
    )  # fmt: skip


def profiles(case: dict[str, Any]) -> tuple[pd.DataFrame, np.ndarray | None]:
    frame = pd.DataFrame(case["profiles"])
    strata = frame[case["strata"]].to_numpy() if case["strata"] else None
    return frame, strata


def ids(case: dict[str, Any]) -> str:
    return str(case["name"])


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_coefficients_scale_and_variance(case: dict[str, Any]) -> None:
    model = fit(case)
    assert [c.replace("=", "") for c in model.columns] == case["columns"]
    assert_matches(model.coefficients, case["coef"], ITERATIVE, "coef")
    assert_matches(model.scale, case["scale"], ITERATIVE, "scale")
    assert_matches(model.variance, case["var"], ITERATIVE, "var (with the Log(scale) rows)")
    assert (model.subjects, model.events) == (case["n"], case["events"])
    assert model.scale_fixed == (case["fixed_scale"] > 0 or case["distribution"] == "exponential")


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_summary_table(case: dict[str, Any]) -> None:
    frame = fit(case).to_frame()
    table = case["table"]
    assert_matches(frame["value"], table["value"], ITERATIVE, "Value")
    assert_matches(frame["std_err"], table["std_err"], ITERATIVE, "Std. Error")
    assert_matches(frame["z"], table["z"], ITERATIVE, "z")
    assert_matches(frame["p"], table["p"], ITERATIVE, "p")
    half = norm.ppf(0.975) * np.asarray(table["std_err"])
    assert_matches(frame["lower"], np.asarray(table["value"]) - half, ITERATIVE, "lower")
    assert_matches(frame["upper"], np.asarray(table["value"]) + half, ITERATIVE, "upper")


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_loglik_likelihood_ratio_and_iterations(case: dict[str, Any]) -> None:
    model = fit(case)
    assert_matches([model.loglik_null, model.loglik], case["loglik"], ITERATIVE, "loglik")
    assert model.likelihood_ratio.df == case["df"]
    if case["df"] > 0:
        assert_matches(model.likelihood_ratio.chisq, case["chisq"], ITERATIVE, "chisq")
        assert_matches(model.likelihood_ratio.p, case["chisq_p"], ITERATIVE, "p")
    assert model.iterations == case["iterations"]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_predicted_quantiles(case: dict[str, Any]) -> None:
    frame, strata = profiles(case)
    predicted = fit(case).predict_quantiles(frame, p=case["quantile"]["p"], strata=strata)
    expected = np.asarray(case["quantile"]["estimate"])
    se = np.asarray(case["quantile"]["std_err"])
    assert_matches(predicted.estimate, expected, ITERATIVE, "quantile")
    assert_matches(predicted.std_err, se, ITERATIVE, "se.fit")
    # Limits on the log scale, from R's se.fit / quantile (the SE of the log quantile).
    q = norm.ppf(0.975)
    assert_matches(predicted.lower, expected * np.exp(-q * se / expected), ITERATIVE, "lower")
    assert_matches(predicted.upper, expected * np.exp(q * se / expected), ITERATIVE, "upper")
    assert len(predicted.to_frame()) == expected.size


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_predicted_survival(case: dict[str, Any]) -> None:
    frame, strata = profiles(case)
    expected = case["survival"]
    predicted = fit(case).predict_survival(frame, expected["times"], strata=strata)
    for field in ("surv", "std_err", "lower", "upper"):
        actual = predicted.survival if field == "surv" else getattr(predicted, field)
        assert_matches(actual, np.asarray(expected[field]), ITERATIVE, field)
    assert len(predicted.to_frame()) == np.asarray(expected["surv"]).size


WEIBULL = [c for c in CASES if "weibull_hazards" in c]


@pytest.mark.parametrize("case", WEIBULL, ids=ids)
def test_weibull_proportional_hazards_form(case: dict[str, Any]) -> None:
    hazards = fit(case).weibull_hazards()
    expected = case["weibull_hazards"]
    for field in ("shape", "shape_std_err", "rate", "rate_std_err"):
        assert_matches(getattr(hazards, field), expected[field], ITERATIVE, field)
    frame = hazards.to_frame()
    assert len(frame) == len(case["columns"]) - 1
    for field in ("log_hazard_ratio", "std_err", "hazard_ratio", "lower", "upper", "z", "p"):
        assert_matches(frame[field], expected[field], ITERATIVE, field)


@pytest.mark.parametrize("distribution", ["weibull", "lognormal"])
def test_with_r_default_control_both_stop_at_the_same_point_short_of_the_optimum(
    distribution: str,
) -> None:
    """R's 1e-9 leaves the coefficients ~1e-10 off the optimum; Followup stops at R's point."""
    by_name = {c["name"]: c for c in CASES}
    short, tight = by_name[f"lung_{distribution}_default_control"], by_name[f"lung_{distribution}"]
    expected = np.asarray(short["coef"])
    off_optimum = np.max(np.abs(expected - tight["coef"]) / np.abs(expected))
    ours = np.max(np.abs(fit(short).coefficients - expected) / np.abs(expected))
    assert off_optimum > 5e-11
    assert ours < off_optimum / 1000


def test_names_of_the_log_scale_rows_follow_the_strata() -> None:
    case = next(c for c in CASES if c["name"] == "veteran_strata_weibull")
    model = fit(case)
    assert model.parameter_names[-2:] == ("Log(scale) 1", "Log(scale) 2")
    assert model.strata == (1, 2)
    assert list(model.to_frame()["term"])[:2] == ["(Intercept)", "celltype=large"]


# ------------------------------------------------------------------------ properties ---
@st.composite
def survival_data(draw: st.DrawFn) -> dict[str, np.ndarray]:
    n = draw(st.integers(8, 40))
    time = draw(st.lists(st.floats(0.05, 500, allow_nan=False), min_size=n, max_size=n))
    event = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    x = draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=n, max_size=n))
    weights = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    assume(sum(event) >= 3)
    return {
        "time": np.asarray(time),
        "event": np.asarray(event, dtype=int),
        "x": np.asarray(x),
        "weights": np.asarray(weights, dtype=float),
    }


@settings(max_examples=40, deadline=None)
@given(survival_data())
def test_exponential_is_the_weibull_with_scale_fixed_at_1(data: dict[str, np.ndarray]) -> None:
    assume(np.ptp(data["x"]) > 0)
    try:
        exponential = parametric_survival(
            data["time"], data["event"], {"x": data["x"]}, distribution="exponential"
        )
        weibull = parametric_survival(
            data["time"], data["event"], {"x": data["x"]}, distribution="weibull", scale=1.0
        )
    except ModelFitError:
        assume(False)
        raise
    assert_matches(exponential.coefficients, weibull.coefficients, ITERATIVE, "coef")
    assert_matches(exponential.variance, weibull.variance, ITERATIVE, "var")
    assert_matches(exponential.loglik, weibull.loglik, ITERATIVE, "loglik")
    # By hand: the exponential's score equations sum x (event - t exp(-x'b)) = 0 at the MLE.
    design = np.column_stack([np.ones(len(data["x"])), data["x"]])
    residual = data["event"] - data["time"] * np.exp(-design @ exponential.coefficients)
    scale = np.abs(design).T @ (
        data["event"] + data["time"] * np.exp(-design @ exponential.coefficients)
    )
    assert np.all(np.abs(design.T @ residual) <= 1e-8 * scale)


@settings(max_examples=40, deadline=None)
@given(survival_data())
def test_intercept_only_exponential_rate_is_events_over_total_time(
    data: dict[str, np.ndarray],
) -> None:
    weights = data["weights"]
    model = parametric_survival(
        data["time"], data["event"], distribution="exponential", weights=weights
    )
    events = float(weights @ data["event"])
    total_time = float(weights @ data["time"])
    rate = events / total_time
    assert_matches(np.exp(-model.coefficients[0]), rate, RELATIVE, "rate = d / T")
    assert_matches(model.variance[0, 0], 1 / events, ITERATIVE, "var = 1 / d")
    assert_matches(
        model.loglik, events * (np.log(rate) - 1), ITERATIVE, "loglik = d (log rate - 1)"
    )
    assert model.likelihood_ratio.df == 0


# ---------------------------------------------------------------------------- errors ---
LUNG = dataset("lung")


def test_a_zero_time_is_named_with_its_row() -> None:
    time = LUNG["time"].astype(float).copy()
    time[[7, 20]] = 0
    with pytest.raises(InputError, match=r"time is 0 at position 7 \(1 more after it\)") as raised:
        parametric_survival(time, LUNG["status"])
    assert raised.value.argument == "time"
    assert raised.value.position == 7


@pytest.mark.parametrize(
    ("kwargs", "argument", "message"),
    [
        ({"distribution": "gamma"}, "distribution", r"one of weibull, exponential"),
        ({"distribution": "exponential", "scale": 2.0}, "scale", r"fixed at 1"),
        ({"scale": -1.0}, "scale", r"positive number"),
        ({"scale": 1.0, "strata": LUNG["sex"]}, "scale", r"cannot be combined with strata"),
        ({"conf_level": 1.5}, "conf_level", r"between 0 and 1"),
        ({"weights": np.zeros(len(LUNG["time"]))}, "weights", r"finite and positive"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], argument: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        parametric_survival(LUNG["time"], LUNG["status"], {"age": LUNG["age"]}, **kwargs)
    assert raised.value.argument == argument


def test_equal_times_leave_the_scale_unidentified_but_not_a_fixed_one() -> None:
    with pytest.raises(InputError, match="every time is 3") as raised:
        parametric_survival([3, 3, 3], [1, 0, 1])
    assert raised.value.argument == "time"
    model = parametric_survival([3, 3, 3], [1, 0, 1], distribution="exponential")
    assert_matches(np.exp(model.coefficients), [9 / 2], RELATIVE, "T / d by hand")


def test_no_events_and_a_stratum_without_events_are_refused() -> None:
    with pytest.raises(InputError, match="there are no events") as raised:
        parametric_survival(LUNG["time"], np.zeros(len(LUNG["time"]), dtype=int))
    assert raised.value.argument == "event"
    stratum = np.where(LUNG["status"] == 0, "censored", "died")
    with pytest.raises(InputError, match="stratum 'censored' has no events") as raised:
        parametric_survival(LUNG["time"], LUNG["status"], strata=stratum)
    assert raised.value.argument == "strata"


def test_a_group_without_events_is_a_monotone_likelihood() -> None:
    group = np.zeros(len(LUNG["time"]))
    group[np.flatnonzero(LUNG["status"] == 0)[:15]] = 1  # 15 censored subjects, no event
    for distribution in ("weibull", "exponential", "lognormal", "loglogistic"):
        with pytest.raises(MonotoneLikelihoodError, match="coefficient of group runs to infinity"):
            parametric_survival(
                LUNG["time"], LUNG["status"], {"age": LUNG["age"], "group": group},
                distribution=distribution,
            )  # fmt: skip


def test_running_out_of_iterations_is_an_error() -> None:
    with pytest.raises(ConvergenceError, match="did not converge in 2 iterations"):
        parametric_survival(
            LUNG["time"], LUNG["status"], {"age": LUNG["age"]},
            control=ParametricControl(max_iter=2),
        )  # fmt: skip


def test_dependent_and_constant_covariates_are_collinear() -> None:
    with pytest.raises(CollinearityError, match="covariates age2") as raised:
        parametric_survival(
            LUNG["time"], LUNG["status"], {"age": LUNG["age"], "age2": 2 * LUNG["age"] + 1}
        )
    assert raised.value.terms == ("age2",)
    with pytest.raises(CollinearityError, match="covariates one"):
        parametric_survival(LUNG["time"], LUNG["status"], {"one": np.full(len(LUNG["time"]), 3.0)})


def test_bad_profiles_are_named() -> None:
    case = next(c for c in CASES if c["name"] == "veteran_strata_weibull")
    model = fit(case)
    frame, strata = profiles(case)
    with pytest.raises(InputError, match="profiles has no column karno"):
        model.predict_quantiles(frame.drop(columns="karno"), strata=strata)
    odd = frame.assign(celltype=["adeno", "oat", "large"])
    with pytest.raises(InputError, match=r"celltype has 'oat' at position 1") as raised:
        model.predict_survival(odd, [30.0], strata=strata)
    assert raised.value.position == 1
    with pytest.raises(InputError, match="a scale per stratum"):
        model.predict_quantiles(frame)
    with pytest.raises(InputError, match=r"strata has 3 at position 0"):
        model.predict_quantiles(frame, strata=[3, 1, 2])
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        model.predict_quantiles(frame, p=[0.5, 1.0], strata=strata)
    with pytest.raises(InputError, match="hazard ratios differ between strata"):
        model.weibull_hazards()


def test_hazard_ratios_only_for_weibull_and_exponential() -> None:
    case = next(c for c in CASES if c["name"] == "lung_lognormal")
    with pytest.raises(InputError, match="only Weibull and exponential") as raised:
        fit(case).weibull_hazards()
    assert raised.value.argument == "distribution"
