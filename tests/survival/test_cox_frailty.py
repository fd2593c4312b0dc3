"""Shared gamma frailty Cox model against R's coxph(... + frailty(group)), at 1e-8.

Every expected number comes from tests/reference/cox_frailty.json (make_cox_frailty.R), except
the group sizes (counted here from the data) and the slow twin below: a line-by-line port of
R's coxfit5.c accumulation loop, against which the cumulative-sum evaluation is checked on data
hypothesis makes up.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.survival._cox_frailty import FrailtyCoxModel, cox_frailty
from followup.survival._cox_frailty_likelihood import evaluate, prepare
from followup.survival._cox_frailty_newton import FrailtyControl
from followup.survival._errors import ConvergenceError, InputError
from tests.reference import ITERATIVE, RELATIVE, assert_matches, load

REFERENCE = load("cox_frailty")
CASES = {case["name"]: case for case in REFERENCE["cases"]}
CONVERGED = [name for name, case in CASES.items() if case["done"]]


def inputs(case: dict[str, Any]) -> dict[str, Any]:
    """The case's rows as cox_frailty's arguments; a factor keeps R's level order."""
    data = {k: np.asarray(v) for k, v in REFERENCE["datasets"][case["dataset"]].items()}
    covariates: dict[str, Any] = {}
    for name in case["covariates"]:
        levels = case["levels"].get(name) if case["levels"] else None
        covariates[name] = data[name] if levels is None else pd.Categorical(data[name], levels)
    theta = case["theta_fixed"]
    return {
        "time": data["time"],
        "event": data["status"],
        "covariates": covariates,
        "group": data[case["group"]],
        "strata": data[case["strata"]] if case["strata"] else None,
        "theta": None if np.isnan(theta) else theta,
        "ties": case["ties"],
        "control": FrailtyControl(outer_max=int(case["outer_max"])),
    }


def fit(case: dict[str, Any]) -> FrailtyCoxModel:
    arguments = inputs(case)
    return cox_frailty(
        arguments.pop("time"), arguments.pop("event"), arguments.pop("covariates"), **arguments
    )


@pytest.fixture(scope="module", params=CONVERGED)
def fitted(request: pytest.FixtureRequest) -> tuple[dict[str, Any], FrailtyCoxModel]:
    case = CASES[request.param]
    return case, fit(case)


def test_coefficients_and_both_standard_errors(
    fitted: tuple[dict[str, Any], FrailtyCoxModel],
) -> None:
    case, model = fitted
    assert_matches(model.coefficients, case["coef"], ITERATIVE, "coef")
    assert_matches(model.variance, case["var"], ITERATIVE, "var")
    assert_matches(model.variance2, case["var2"], ITERATIVE, "var2")
    table = model.to_frame()
    covariate_rows = table.iloc[:-1]
    assert_matches(covariate_rows["std_err"], case["se"], ITERATIVE, "se(coef)")
    assert_matches(covariate_rows["std_err2"], case["se2"], ITERATIVE, "se2")
    assert_matches(covariate_rows["chisq"], case["chisq"], ITERATIVE, "Chisq")
    assert_matches(covariate_rows["p"], case["p"], ITERATIVE, "p")
    assert_matches(covariate_rows["lower"], case["hr_lower"], ITERATIVE, "lower .95")
    assert_matches(covariate_rows["upper"], case["hr_upper"], ITERATIVE, "upper .95")


def test_frailty_row_and_degrees_of_freedom(fitted: tuple[dict[str, Any], FrailtyCoxModel]) -> None:
    case, model = fitted
    frailty_row = model.to_frame().iloc[-1]
    assert frailty_row["term"] == "frailty"
    assert np.isnan(frailty_row["coef"])
    assert np.isnan(frailty_row["std_err"])
    assert_matches(frailty_row["chisq"], case["frailty_chisq"], ITERATIVE, "frailty Chisq")
    assert_matches(frailty_row["df"], case["frailty_df"], ITERATIVE, "frailty DF")
    assert_matches(frailty_row["p"], case["frailty_p"], ITERATIVE, "frailty p")
    assert_matches(model.df, case["df"], ITERATIVE, "df per term")


def test_frailties_and_their_variances(fitted: tuple[dict[str, Any], FrailtyCoxModel]) -> None:
    case, model = fitted
    assert_matches(model.frailty, case["frail"], ITERATIVE, "frail")
    assert_matches(model.frailty_variance, case["fvar"], ITERATIVE, "fvar")
    groups = model.frailty_frame()
    assert_matches(groups["log_frailty"], case["frail"], ITERATIVE, "frail")
    assert_matches(groups["frailty"], np.exp(case["frail"]), ITERATIVE, "exp(frail)")
    assert_matches(groups["std_err"], np.sqrt(case["fvar"]), ITERATIVE, "sqrt(fvar)")
    data = inputs(case)
    labels, codes = np.unique(data["group"], return_inverse=True)  # R sorts the groups
    assert list(groups["group"]) == list(labels)
    assert list(groups["subjects"]) == list(np.bincount(codes))
    assert list(groups["events"]) == list(np.bincount(codes, weights=data["event"]).astype(int))


def test_variance_likelihoods_and_tests(fitted: tuple[dict[str, Any], FrailtyCoxModel]) -> None:
    case, model = fitted
    assert_matches(model.theta, case["theta"], ITERATIVE, "Variance of random effect")
    assert_matches(model.i_likelihood, case["i_likelihood"], ITERATIVE, "I-likelihood")
    assert_matches([model.loglik_null, model.loglik], case["loglik"], ITERATIVE, "loglik")
    assert_matches(model.penalty, case["penalty"][1], ITERATIVE, "penalty")
    assert_matches(model.wald_chisq, case["wald"], ITERATIVE, "wald.test")
    lr = model.likelihood_ratio
    assert_matches(
        [lr.chisq, lr.df, lr.p], [case["lr"][k] for k in ("chisq", "df", "p")], ITERATIVE
    )
    assert (model.subjects, model.events) == (case["n"], case["nevent"])


def test_the_search_for_theta_step_for_step(fitted: tuple[dict[str, Any], FrailtyCoxModel]) -> None:
    case, model = fitted
    assert [model.outer_iterations, model.newton_iterations] == case["iter"]
    if model.theta_fixed:
        assert model.history == ()
        return
    history = [[h.theta, h.loglik, h.i_likelihood] for h in model.history]
    assert_matches(history, case["history"], ITERATIVE, "history")
    assert_matches(model.penalised_loglik, case["history"][-1][1], ITERATIVE, "penalised")
    warned = [int(i) for w in case["warnings"] for i in re.findall(r"\d+", w)]
    assert list(model.inner_failures) == warned  # R's "Inner loop failed to coverge for ..."


def test_an_unconverged_search_raises_where_r_returns_silently() -> None:
    """R stops its search for theta after outer.max = 10 with history$done FALSE."""
    default = CASES["multicentre_default"]
    assert not default["done"]
    with pytest.raises(ConvergenceError, match="outer_max"):
        fit(default)
    # The same search allowed 30 outer iterations walks R's ten first steps exactly.
    longer = fit(CASES["multicentre"])
    history = [[h.theta, h.loglik, h.i_likelihood] for h in longer.history[:10]]
    assert_matches(history, default["history"], ITERATIVE, "first ten steps")


# ------------------------------------------------------------------------- slow twin ---


def coxfit5_accumulation(
    x: np.ndarray,
    time: np.ndarray,
    status: np.ndarray,
    group: np.ndarray,
    strata: np.ndarray,
    beta: np.ndarray,
    frailty: np.ndarray,
    efron: bool,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """R's coxfit5_b accumulation loop, statement for statement: loglik, u, fdiag, jmat."""
    n, p = x.shape
    nf = len(frailty)
    sort = np.lexsort((status, -time, strata))  # coxpenal.fit: order(strata, -time, status)
    mark = np.zeros(n)
    for i in range(n):
        same = (time == time[i]) & (strata == strata[i])
        after = [k for k in sort[list(sort).index(i) + 1 :] if same[k]]
        if status[i] == 1 and not after:
            mark[i] = status[same].sum()
    loglik, u = 0.0, np.zeros(nf + p)
    fdiag, jmat = np.zeros(nf), np.zeros((p, nf + p))
    for position, row in enumerate(sort):
        if position == 0 or strata[row] != strata[sort[position - 1]]:
            denom = efron_wt = 0.0
            a, a2 = np.zeros(nf + p), np.zeros(nf + p)
            cmat, cmat2 = np.zeros((p, nf + p)), np.zeros((p, nf + p))
        g = group[row]
        zbeta = frailty[g] + x[row] @ beta
        risk = np.exp(zbeta)
        denom += risk
        a[g] += risk
        a[nf:] += risk * x[row]
        cmat[:, g] += risk * x[row]
        cmat[:, nf:] += risk * np.outer(x[row], x[row])
        if status[row] == 1:
            efron_wt += risk
            loglik += zbeta
            u[g] += 1
            a2[g] += risk
            u[nf:] += x[row]
            a2[nf:] += risk * x[row]
            cmat2[:, g] += risk * x[row]
            cmat2[:, nf:] += risk * np.outer(x[row], x[row])
        if mark[row] > 0:
            dead = int(mark[row])
            for k in range(dead):
                temp = k * efron / dead
                d2 = denom - temp * efron_wt
                loglik -= np.log(d2)
                tmean = (a - temp * a2) / d2
                u -= tmean
                fdiag += tmean[:nf] * (1 - tmean[:nf])
                for ii in range(p):
                    for j in range(nf + ii + 1):
                        jmat[ii, j] += (cmat[ii, j] - temp * cmat2[ii, j]) / d2 - tmean[
                            nf + ii
                        ] * tmean[j]
            efron_wt = 0.0
            a2, cmat2 = np.zeros(nf + p), np.zeros((p, nf + p))
    return loglik, u, fdiag, jmat


@st.composite
def frailty_data(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(4, 30))
    p = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 5))
    small = st.floats(-1.5, 1.5, allow_nan=False)
    return {
        "time": np.array(draw(st.lists(st.integers(1, 6), min_size=n, max_size=n)), float),
        "status": np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))),
        "group": np.array(draw(st.lists(st.integers(0, groups - 1), min_size=n, max_size=n))),
        "strata": np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))),
        "x": np.array(
            draw(st.lists(st.lists(small, min_size=p, max_size=p), min_size=n, max_size=n))
        ),
        "beta": np.array(draw(st.lists(small, min_size=p, max_size=p))),
        "frailty": np.array(draw(st.lists(small, min_size=groups, max_size=groups))),
        "efron": draw(st.booleans()),
    }


@settings(max_examples=60, deadline=None)
@given(frailty_data())
def test_cumulative_sums_equal_r_accumulation_loop(case: dict[str, Any]) -> None:
    strata = np.unique(case["strata"], return_inverse=True)[1].ravel()
    data = prepare(
        list(case["x"].T), case["time"], case["status"], case["group"], len(case["frailty"]),
        strata, "efron" if case["efron"] else "breslow",
    )  # fmt: skip
    # prepare centres the covariates (as R does); the likelihood does not notice.
    ev = evaluate(data, case["beta"], case["frailty"])
    loglik, u, fdiag, jmat = coxfit5_accumulation(
        case["x"], case["time"], case["status"], case["group"], strata, case["beta"],
        case["frailty"], case["efron"],
    )  # fmt: skip
    nf, p = len(case["frailty"]), len(case["beta"])
    lower = np.tril_indices(p)
    np.testing.assert_allclose(ev.loglik, loglik, rtol=RELATIVE, atol=1e-12)
    np.testing.assert_allclose(ev.score, u[nf:], rtol=RELATIVE, atol=1e-12)
    np.testing.assert_allclose(ev.group_score, u[:nf], rtol=RELATIVE, atol=1e-12)
    np.testing.assert_allclose(ev.group_information, fdiag, rtol=RELATIVE, atol=1e-12)
    np.testing.assert_allclose(ev.cross_information, jmat[:, :nf], rtol=RELATIVE, atol=1e-12)
    np.testing.assert_allclose(
        ev.information[lower], jmat[:, nf:][lower], rtol=RELATIVE, atol=1e-12
    )


def test_relabelling_the_groups_only_reorders_the_frailties() -> None:
    """Group labels are names: renaming them (and so R's sorted order) changes nothing else."""
    case = CASES["rats_litter"]
    model = fit(case)
    arguments = inputs(case)
    renamed = np.random.default_rng(7).permutation(np.unique(arguments["group"]))
    arguments["group"] = renamed[np.searchsorted(np.unique(arguments["group"]), arguments["group"])]
    relabelled = call(arguments)
    assert_matches(relabelled.coefficients, model.coefficients, ITERATIVE)
    assert_matches(relabelled.theta, model.theta, ITERATIVE)
    position = np.searchsorted(relabelled.groups, renamed)  # old group k is now renamed[k]
    assert_matches(relabelled.frailty[position], model.frailty, ITERATIVE)


# ---------------------------------------------------------------------- bad inputs ---


def rats(**changes: Any) -> dict[str, Any]:
    arguments = inputs(CASES["rats_litter_theta"])
    arguments.update(changes)
    return arguments


def call(arguments: dict[str, Any]) -> FrailtyCoxModel:
    return cox_frailty(
        arguments.pop("time"), arguments.pop("event"), arguments.pop("covariates"), **arguments
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ties": "exact"}, "ties", "ties must be one of efron, breslow"),
        ({"theta": 0.0}, "theta", "must be a positive number"),
        ({"theta": float("nan")}, "theta", "must be a positive number"),
        ({"conf_level": 1.5}, "conf_level", "between 0 and 1"),
        ({"group": np.arange(300) % 5}, "group", "group has 5 distinct values"),
        ({"group": np.arange(299)}, "group", "group has 299 values but time has 300"),
        ({"event": np.zeros(300)}, "event", "there are no events"),
        ({"time": -np.ones(300)}, "time", "negative"),
        ({"control": FrailtyControl(outer_max=0)}, "control", "outer_max of at least 1"),
    ],
)
def test_bad_input_names_the_argument(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as raised:
        call(rats(**changes))
    assert raised.value.argument == field


def test_a_missing_group_label_is_located() -> None:
    group = inputs(CASES["rats_litter"])["group"].astype(object)
    group[7] = None
    with pytest.raises(InputError, match="position 7") as raised:
        call(rats(group=group))
    assert raised.value.argument == "group"
