"""Bad input gets an error that names the argument, the position and the value; never a NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from followup.survival import (
    CollinearityError,
    ConvergenceError,
    InputError,
    MonotoneLikelihoodError,
    cox_ph,
    cumulative_incidence,
    kaplan_meier,
    logrank_test,
    reverse_km_followup,
    risk_table,
)
from followup.survival._cox_newton import CoxControl

TIME = [5.0, 8.0, 12.0, 3.0, 9.0]
EVENT = [1, 0, 1, 1, 0]


@pytest.mark.parametrize(
    ("time", "message"),
    [
        (
            [5.0, np.nan, 12.0, 3.0, 9.0],
            r"time has 1 missing or infinite value, first at position 1 \(nan\)",
        ),
        (
            [5.0, 8.0, -12.0, 3.0, -9.0],
            r"time has 2 negative values, first at position 2 \(1 more after it\) \(-12\)",
        ),
        ([5, 8, -12, 3, 9], r"time has 1 negative value, first at position 2 \(-12\)"),
        ([5.0, np.inf, 12.0, 3.0, 9.0], r"missing or infinite value, first at position 1 \(inf\)"),
        (["5", "8", "12", "3", "9"], r"time must be numeric"),
        ([], r"time is empty"),
    ],
)
def test_bad_times_are_named_with_their_position(time: list[object], message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        kaplan_meier(time, EVENT[: len(time)] if time else [])
    assert raised.value.argument == "time"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            [1, 0, 2, 1, 0],
            r"event has an unknown code 2 at position 2; expected 0 \(censored\) or 1 \(event\); "
            r"for competing causes use cumulative_incidence",
        ),
        ([1, 0, -1, 1, 0], r"event has an unknown code -1 at position 2"),
        ([1, 0, 0.5, 1, 0], r"event has a value that is not a whole number at position 2 \(0.5\)"),
        ([1, 0, 1], r"event has 3 values but time has 5"),
    ],
)
def test_bad_event_codes_are_named(event: list[float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        kaplan_meier(TIME, event)


def test_competing_causes_accept_any_positive_code() -> None:
    fit = cumulative_incidence(TIME, [1, 0, 2, 3, 0])
    assert sorted({c.cause for c in fit.curves}) == [1, 2, 3]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"group": ["a", None, "b", "a", "b"]}, r"group has 1 missing label, first at position 1"),
        ({"group": ["a", "b"]}, r"group has 2 values but time has 5"),
        (
            {"weights": [1, 1, -1, 1, 1]},
            r"weights must be finite and non-negative; -1 at position 2",
        ),
        (
            {"entry": [0, 9, 0, 0, 0]},
            r"entry must be before time for every subject; at position 1 entry is 9 and time is 8",
        ),
    ],
)
def test_bad_companion_arguments_are_named(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        kaplan_meier(TIME, EVENT, **arguments)  # type: ignore[arg-type]


def test_arguments_after_time_and_event_are_keyword_only() -> None:
    """lifelines #1641: passing durations where events were meant went unnoticed."""
    for function in (kaplan_meier, logrank_test, reverse_km_followup, cumulative_incidence):
        with pytest.raises(TypeError):
            function(TIME, EVENT, [0, 1, 0, 1, 0])  # type: ignore[misc]


def test_a_risk_table_is_not_mixed_with_rows() -> None:
    table = risk_table(TIME, EVENT)
    with pytest.raises(
        InputError, match="a RiskTable already holds the counts; do not also pass group"
    ):
        kaplan_meier(table, group=[0, 1, 0, 1, 0])


def test_logrank_needs_events_and_two_groups() -> None:
    with pytest.raises(InputError, match="there are no events"):
        logrank_test(TIME, [0, 0, 0, 0, 0], group=[0, 1, 0, 1, 0])
    with pytest.raises(InputError, match="at least two distinct values"):
        logrank_test(TIME, EVENT, group=[1, 1, 1, 1, 1])


def test_a_log_rank_variance_of_zero_is_named_not_a_linear_algebra_error() -> None:
    """R's survdiff stops in solve() on these data; the error here says why."""
    with pytest.raises(InputError, match="the log-rank variance is zero"):
        logrank_test([1.0, 1.0], [1, 1], group=[0, 1])


def test_a_partial_likelihood_reaching_zero_is_r_s_non_convergence() -> None:
    """One event, everyone tied at its time, alone in its group: R's coxph runs out of iterations.

    Newton's steps drive the event's share of its risk set to 1, the log-likelihood to 0; coxfit6
    divides by it as C does (giving inf), and so must the stop rule here, not raise.
    """
    group = ["a"] + ["b"] * 20
    with pytest.raises(ConvergenceError, match="did not converge in 20 iterations"):
        cox_ph(np.ones(21), [1] + [0] * 20, {"g": group})


def _cox_data(n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"time": rng.exponential(10, n).round(1) + 0.1,
                          "event": rng.integers(0, 2, n), "x": rng.normal(size=n)})  # fmt: skip
    frame["sex"] = np.where(rng.random(n) < 0.5, "girl", "boy")
    return frame


def test_a_level_without_events_is_a_monotone_likelihood_error() -> None:
    frame = _cox_data()
    frame.loc[frame.sex == "girl", "event"] = 0
    with pytest.raises(MonotoneLikelihoodError, match=r"sex=girl") as raised:
        cox_ph(frame.time, frame.event, {"sex": frame.sex})
    assert raised.value.terms == ("sex=girl",)


def test_collinear_columns_are_named() -> None:
    frame = _cox_data()
    with pytest.raises(
        CollinearityError, match=r"covariates x_twice are linear combinations"
    ) as raised:
        cox_ph(frame.time, frame.event, {"x": frame.x, "x_twice": 2 * frame.x})
    assert raised.value.terms == ("x_twice",)


def test_running_out_of_iterations_is_an_error() -> None:
    frame = _cox_data()
    with pytest.raises(ConvergenceError, match="did not converge in 1 iterations"):
        cox_ph(frame.time, frame.event, {"x": frame.x}, control=CoxControl(max_iter=1))


def test_missing_covariate_values_are_named() -> None:
    frame = _cox_data()
    frame.loc[7, "x"] = np.nan
    with pytest.raises(
        InputError, match=r"covariate x has 1 missing or infinite value, first at position 7"
    ):
        cox_ph(frame.time, frame.event, {"x": frame.x})


def test_unknown_reference_level_is_named() -> None:
    frame = _cox_data()
    with pytest.raises(
        InputError, match=r"reference level 'other' of sex is not among \['boy', 'girl'\]"
    ):
        cox_ph(frame.time, frame.event, {"sex": frame.sex}, reference={"sex": "other"})


@pytest.mark.parametrize(
    ("option", "value"), [("ties", "exact"), ("ph_transform", "logit")], ids=["ties", "ph"]
)
def test_unknown_cox_options_fail_at_the_call(option: str, value: str) -> None:
    frame = _cox_data()
    with pytest.raises(InputError, match=rf"{option} must be one of .*; got '{value}'"):
        cox_ph(frame.time, frame.event, {"x": frame.x}, **{option: value})  # type: ignore[arg-type]


def test_the_robust_variance_and_ph_test_are_computed_once_on_demand() -> None:
    frame = _cox_data()
    model = cox_ph(frame.time, frame.event, {"x": frame.x})
    assert "robust_variance" not in vars(model)
    assert model.robust_variance is model.robust_variance
    assert model.proportional_hazards is model.proportional_hazards
