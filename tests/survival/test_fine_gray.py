"""Fine–Gray regression against cmprsk::crr and survival::finegray (make_fine_gray.R).

Beside R: a plain transcription of crr's Fortran loops (the slow twin of the cumulative sums),
and the property that with no competing failures the model is Cox's with Breslow ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from followup.survival import CollinearityError, ConvergenceError, InputError, ModelFitError
from followup.survival._cox import cox_ph
from followup.survival._cox_newton import CoxControl
from followup.survival._fine_gray import FineGrayModel, fine_gray
from followup.survival._fine_gray_data import fine_gray_data
from followup.survival._fine_gray_sums import (
    FineGrayData,
    censoring_terms,
    prepare,
    risk_set_sums,
    score_residuals,
)
from tests.reference import ITERATIVE, RELATIVE, assert_matches, load

REFERENCE = load("fine_gray")
AT_OPTIMUM = [c for c in REFERENCE["crr"] if not c["name"].endswith("_crr_defaults")]
CRR_DEFAULTS = [c for c in REFERENCE["crr"] if c["name"].endswith("_crr_defaults")]


def _fit(case: dict[str, Any]) -> FineGrayModel:
    data = REFERENCE["datasets"][case["dataset"]]
    scaled = case.get("scale", {})
    covariates = {
        name: np.asarray(data[f"{name}_seconds" if name in scaled else name])
        for name in case["covariates"]
    }
    group = None if case["cengroup"] is None else np.asarray(data[case["cengroup"]])
    return fine_gray(
        np.asarray(data[case["time"]]),
        np.asarray(data[case["status"]]),
        covariates,
        cause=int(case["cause"]),
        censoring_group=group,
    )


@pytest.mark.parametrize("case", AT_OPTIMUM, ids=lambda c: c["name"])
def test_coefficients_variance_and_likelihoods_match_crr(case: dict[str, Any]) -> None:
    model = _fit(case)
    frame = model.to_frame()
    assert model.subjects == case["n"]
    for ours, key in [
        (model.coefficients, "coef"), (model.variance, "var"), (frame.std_err, "se"),
        (frame.z, "z"), (frame.p, "p"), (frame.hazard_ratio, "hr"), (frame.lower, "lower"),
        (frame.upper, "upper"), (model.loglik, "loglik"), (model.loglik_null, "loglik_null"),
        (model.likelihood_ratio.chisq, "logtest"), (model.information, "inf"),
        (model.baseline_jumps, "bfitj"),
    ]:  # fmt: skip
        assert_matches(ours, case[key], ITERATIVE, what=key)
    assert_matches(model.failure_time, case["uftime"], RELATIVE, what="uftime")


@pytest.mark.parametrize("case", CRR_DEFAULTS, ids=lambda c: c["name"])
def test_crr_default_stop_is_within_its_gtol_of_the_optimum(case: dict[str, Any]) -> None:
    # crr's default gtol = 1e-6 stops short of the optimum fine_gray converges to: 1e-5 relative
    # in ?crr's example (R's own polished optimum is the example_cause1 case, matched at 1e-8).
    assert_matches(_fit(case).coefficients, case["coef"], 1e-4, what="coef")


@pytest.mark.parametrize("case", [c for c in AT_OPTIMUM if "predict" in c], ids=lambda c: c["name"])
def test_predicted_cumulative_incidence_matches_predict_crr(case: dict[str, Any]) -> None:
    profiles = pd.DataFrame(case["profiles"])
    predicted = _fit(case).predict(profiles)
    assert list(predicted.columns) == ["time", *profiles.index]
    assert_matches(predicted.time, case["predict"]["time"], RELATIVE, what="time")
    assert_matches(
        predicted.drop(columns="time").to_numpy(), case["predict"]["incidence"], ITERATIVE
    )


def test_text_covariate_is_expanded_against_its_first_level() -> None:
    (case,) = [c for c in AT_OPTIMUM if c["name"] == "mgus2_progression"]
    frame = _fit(case).to_frame()
    assert list(frame.term) == ["age", "sex=M", "hgb"]  # R's model.matrix: age, sexM, hgb
    assert frame.reference.tolist()[1] == "F"


def test_no_competing_failures_is_coxph_breslow_with_robust_variance() -> None:
    (case,) = [c for c in AT_OPTIMUM if c["name"] == "mgus2_no_competing"]
    model = _fit(case)
    breslow = REFERENCE["breslow"]  # R: coxph(ties = "breslow", robust = TRUE) on the same rows
    assert_matches(model.coefficients, breslow["coef"], ITERATIVE, what="coef")
    assert_matches(model.variance, breslow["robust_var"], ITERATIVE, what="robust var")
    assert_matches(model.loglik, breslow["loglik"], ITERATIVE, what="loglik")


@pytest.mark.parametrize("case", REFERENCE["finegray"], ids=lambda c: c["name"])
def test_expanded_rows_match_finegray_row_for_row(case: dict[str, Any]) -> None:
    data = REFERENCE["datasets"][case["dataset"]]
    covariates = pd.DataFrame({name: data[name] for name in case["covariates"]})
    rows = fine_gray_data(
        np.asarray(data[case["time"]]), np.asarray(data[case["status"]]), covariates,
        cause=int(case["cause"]),
    )  # fmt: skip
    expected = case["rows"]
    assert list(rows.columns) == ["row", *case["covariates"], "fgstart", "fgstop", "fgstatus",
                                  "fgwt"]  # fmt: skip
    assert len(rows) == len(expected["row"])
    np.testing.assert_array_equal(rows.row, expected["row"])
    np.testing.assert_array_equal(rows.fgstatus, expected["fgstatus"])
    for column in ("fgstart", "fgstop", "fgwt"):
        assert_matches(rows[column], expected[column], RELATIVE, what=column)
    first = covariates.iloc[rows.row].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows[case["covariates"]], first)


@pytest.mark.parametrize("case", REFERENCE["finegray"], ids=lambda c: c["name"])
def test_weighted_cox_on_the_expanded_rows_is_r_s_coxph_on_finegray(case: dict[str, Any]) -> None:
    """coxph(Surv(fgstart, fgstop, fgstatus) ~ ..., weights = fgwt) at R's eps = 1e-11.

    R's var for non-integer weights is the sandwich with each row its own cluster, which is
    cox_ph's robust variance of counting-process rows without a cluster.
    """
    data = REFERENCE["datasets"][case["dataset"]]
    covariates = pd.DataFrame({name: data[name] for name in case["covariates"]})
    rows = fine_gray_data(
        np.asarray(data[case["time"]]), np.asarray(data[case["status"]]), covariates,
        cause=int(case["cause"]),
    )  # fmt: skip
    model = cox_ph(
        rows.fgstop, rows.fgstatus, rows[case["covariates"]], start=rows.fgstart,
        weights=rows.fgwt, control=CoxControl(eps=1e-11, max_iter=100),
    )  # fmt: skip
    expected = case["weighted_coxph"]
    assert [c.replace("=", "") for c in model.columns] == expected["columns"]
    assert_matches(model.coefficients, expected["coef"], ITERATIVE, what="coef")
    assert_matches(model.robust_variance, expected["var"], ITERATIVE, what="var")
    assert_matches([model.loglik_null, model.loglik], expected["loglik"], ITERATIVE, "loglik")


# ------------------------------------------------------------------ the slow twin ---
@dataclass(frozen=True)
class Rows:
    """Time-sorted rows as crr.f sees them, and the slow twin's loops over them."""

    time: np.ndarray
    status: np.ndarray  # 1 the cause, 2 competing, 0 censored
    x: np.ndarray
    group: np.ndarray
    risk: np.ndarray  # exp(xβ)

    def km_before(self, g: int, t: float) -> float:
        """Ĝ_g(t−) by its product formula, and 0 beyond the group's last time (crr's approx)."""
        mine, codes = self.time[self.group == g], self.status[self.group == g]
        if t > mine.max():
            return 0.0
        value = 1.0
        for s in np.unique(mine[mine < t]):
            value *= 1 - np.sum((mine == s) & (codes == 0)) / np.sum(mine >= s)
        return value

    def weight(self, i: int, t: float) -> float:
        """Row i's weight in the risk set of a failure at t (crrfsv's twt / exp(wk))."""
        if self.time[i] >= t:
            return 1.0
        if self.status[i] == 2:
            g = int(self.group[i])
            return self.km_before(g, t) / self.km_before(g, float(self.time[i]))
        return 0.0

    def sums(self, t: float) -> tuple[float, np.ndarray, np.ndarray]:
        """S0, S1, S2 of the risk set at t, formed afresh."""
        w = np.array([self.weight(i, t) for i in range(len(self.time))]) * self.risk
        return float(w.sum()), w @ self.x, (self.x * w[:, None]).T @ self.x

    def q(self, u: float, g: int) -> np.ndarray:
        """crrvv's qu(·, g) at u, loop for loop."""
        total = np.zeros(self.x.shape[1])
        cause = np.flatnonzero((self.status == 1) & (self.time >= u) & (self.group == g))
        competing = np.flatnonzero((self.status == 2) & (self.time < u) & (self.group == g))
        for j1 in cause:
            s0, s1, _ = self.sums(float(self.time[j1]))
            for j2 in competing:
                w = self.km_before(g, float(self.time[j1])) / self.km_before(g, self.time[j2])
                total += self.risk[j2] * w * (self.x[j2] - s1 / s0) / s0
        return total


def _slow_likelihood(rows: Rows, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """crrfsv: loglik, score and information, one failure time at a time."""
    p = rows.x.shape[1]
    loglik, score, information = 0.0, np.zeros(p), np.zeros((p, p))
    for t in np.unique(rows.time[rows.status == 1]):
        dying = (rows.time == t) & (rows.status == 1)
        s0, s1, s2 = rows.sums(float(t))
        loglik += rows.x[dying].sum(axis=0) @ beta - dying.sum() * np.log(s0)
        score += rows.x[dying].sum(axis=0) - dying.sum() * s1 / s0
        information += dying.sum() * (s2 / s0 - np.outer(s1, s1) / s0**2)
    return loglik, score, information


def _slow_eta(rows: Rows) -> np.ndarray:
    """crrvv's η: the dN part and the dΛ part, each failure row separately."""
    eta = np.zeros(rows.x.shape)
    for i in range(len(rows.time)):
        if rows.status[i] == 1:
            s0, s1, _ = rows.sums(float(rows.time[i]))
            eta[i] += rows.x[i] - s1 / s0
        for j in np.flatnonzero(rows.status == 1):
            s0, s1, _ = rows.sums(float(rows.time[j]))
            share = rows.weight(i, float(rows.time[j])) * rows.risk[i] / s0
            eta[i] -= share * (rows.x[i] - s1 / s0)
    return eta


def _slow_psi(rows: Rows) -> np.ndarray:
    """crrvv's ψ: −Σ_{censorings u ≤ tᵢ} q(u)/Y(u)², plus q(tᵢ)/Y(tᵢ) if row i is censored."""
    psi = np.zeros(rows.x.shape)
    for i in range(len(rows.time)):
        g = int(rows.group[i])
        mine = rows.time[rows.group == g]
        censorings = (rows.status == 0) & (rows.group == g) & (rows.time <= rows.time[i])
        for j in np.flatnonzero(censorings):
            psi[i] -= rows.q(float(rows.time[j]), g) / np.sum(mine >= rows.time[j]) ** 2
        if rows.status[i] == 0:
            psi[i] += rows.q(float(rows.time[i]), g) / np.sum(mine >= rows.time[i])
    return psi


@st.composite
def competing_data(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(min_value=4, max_value=14))
    time = draw(arrays(np.int64, n, elements=st.integers(1, 6)))  # few times: many ties
    status = draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    group = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    x = draw(arrays(np.float64, (n, 2), elements=st.floats(-2, 2, width=16)))
    beta = draw(arrays(np.float64, 2, elements=st.floats(-1, 1, width=16)))
    return time, status, group, x, beta


@settings(max_examples=40, deadline=None)
@given(competing_data())
def test_cumulative_sums_equal_crrs_loops(case: tuple[np.ndarray, ...]) -> None:
    time, status, group, x, beta = case
    assume((status == 1).any())
    assume(np.all(np.bincount(group, minlength=2) > 0))
    data: FineGrayData = prepare([x[:, 0], x[:, 1]], time, status.astype(np.int8), group)
    sums = risk_set_sums(data, beta)
    order = np.argsort(time, kind="stable")
    rows = Rows(
        time[order].astype(float), status[order], x[order], group[order], np.exp(x[order] @ beta)
    )
    loglik, score, information = _slow_likelihood(rows, beta)
    eta, psi = _slow_eta(rows), _slow_psi(rows)
    assert_matches(sums.loglik, loglik, 1e-12, what="loglik")
    np.testing.assert_allclose(sums.score, score, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sums.information, information, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(score_residuals(data, sums), eta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(censoring_terms(data, sums), psi, rtol=1e-10, atol=1e-12)


@st.composite
def single_cause_data(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(min_value=12, max_value=40))
    time = draw(arrays(np.int64, n, elements=st.integers(1, 10)))
    event = draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    x = draw(arrays(np.float64, (n, 2), elements=st.floats(-2, 2, width=16)))
    return time, event, x


@settings(max_examples=40, deadline=None)
@given(single_cause_data())
def test_without_competing_failures_fine_gray_is_breslow_cox(case: tuple[np.ndarray, ...]) -> None:
    """With causes 0 and 1 only, Fine–Gray is Cox with Breslow ties and the robust variance.

    Nobody is carried past a failure, so the pseudo-likelihood is Breslow's partial likelihood
    (every failure at τ sees the whole risk set: d·log S0), and ψ = 0 (no weights were
    estimated from censoring), so crr's sandwich is coxph's robust variance.
    """
    time, event, x = case
    covariates = {"a": x[:, 0], "b": x[:, 1]}
    try:
        cox = cox_ph(time, event, covariates, ties="breslow",
                     control=CoxControl(eps=1e-12, max_iter=60))  # fmt: skip
        fine = fine_gray(time, event, covariates)
    except (ModelFitError, InputError, RuntimeWarning):
        # RuntimeWarning: cox_ph overflows on some monotone-likelihood data instead of raising
        # MonotoneLikelihoodError (reported to the lead); those data have no finite estimate.
        assume(False)
        raise
    # Nearly collinear covariates leave the optimum flat: both stop within a sliver of an SE.
    assume(np.linalg.cond(fine.information) < 1e8)
    np.testing.assert_allclose(fine.coefficients, cox.coefficients, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fine.variance, cox.robust_variance, rtol=1e-6, atol=1e-10)


# ------------------------------------------------------------------------- errors ---
TIME = np.array([5.0, 3, 8, 2, 9, 4, 7, 6])
EVENT = np.array([1, 2, 0, 1, 1, 2, 0, 1])
X = {"age": np.array([61.0, 70, 55, 48, 66, 59, 73, 50])}


@pytest.mark.parametrize(
    ("arguments", "field", "words"),
    [
        ({"cause": 3}, "cause", "no subject has event code 3"),
        ({"cause": 0}, "cause", "cause number"),
        ({"event": np.array([1, 2, 0, 1, -1, 2, 0, 1])}, "event", "unknown code"),
        ({"time": np.array([5.0, 3, np.nan, 2, 9, 4, 7, 6])}, "time", "missing"),
        ({"time": np.array([5.0, 3, -8, 2, 9, 4, 7, 6])}, "time", "negative"),
        ({"covariates": {"age": np.array([61.0, 70, 55, np.nan, 66, 59, 73, 50])}}, "age",
         "position 3"),
        ({"censoring_group": np.array([1, 2, 1])}, "censoring_group", "values"),
        ({"conf_level": 1.5}, "conf_level", "between 0 and 1"),
        ({"reference": {"sex": "F"}}, "reference", "not covariates"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(arguments: dict[str, Any], field: str, words: str) -> None:
    call: dict[str, Any] = {"time": TIME, "event": EVENT, "covariates": X, **arguments}
    with pytest.raises(InputError, match=words) as raised:
        fine_gray(call.pop("time"), call.pop("event"), call.pop("covariates"), **call)
    assert raised.value.argument == field


def test_dependent_covariates_are_refused() -> None:
    with pytest.raises(CollinearityError, match="age_again"):
        fine_gray(TIME, EVENT, {**X, "age_again": 2 * X["age"]})


def test_a_covariate_that_separates_the_failures_does_not_return_coefficients() -> None:
    never = (EVENT != 1).astype(float)  # 1 exactly for the subjects who never fail of the cause
    with pytest.raises(ConvergenceError, match=r"did not converge|line search"):
        fine_gray(TIME, EVENT, {"never": never})


def test_predict_refuses_unknown_profiles() -> None:
    model = fine_gray(TIME, EVENT, {**X, "sex": np.array(list("FMFMFMFF"))})
    with pytest.raises(InputError, match="no column 'sex'") as missing:
        model.predict(pd.DataFrame({"age": [60.0]}))
    assert missing.value.argument == "profiles"
    with pytest.raises(InputError, match="level 'X' of sex"):
        model.predict(pd.DataFrame({"age": [60.0], "sex": ["X"]}))


def test_fine_gray_data_refuses_bad_input() -> None:
    with pytest.raises(InputError, match="no subject has event code 4") as raised:
        fine_gray_data(TIME, EVENT, cause=4)
    assert raised.value.argument == "cause"
    with pytest.raises(InputError, match="3 rows but time has 8") as rows:
        fine_gray_data(TIME, EVENT, pd.DataFrame({"a": [1, 2, 3]}))
    assert rows.value.argument == "covariates"
