"""Cox regression on (start, stop] data and with clusters, against R's coxph, cox.zph and tmerge.

References from tests/reference/make_cox_counting.R: survival's heart, jasa1, cgd, pbc + pbcseq
(tmerge, as the "timedep" vignette) and lung with artificial entry times; Efron and Breslow,
strata, weights, cluster = subject or institution, and right-censored data with a cluster.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, reject, settings
from hypothesis import strategies as st

from followup.survival import (
    CollinearityError,
    ConvergenceError,
    InputError,
    MonotoneLikelihoodError,
    cox_ph,
)
from followup.survival._cox_likelihood import Ties
from followup.survival._intervals import split_intervals
from tests.reference import ITERATIVE, assert_matches, load

REFERENCE = load("cox_counting")
CASES = REFERENCE["cox"]


def data_of(case: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in REFERENCE["datasets"][case["dataset"]].items()}


def fit(case: dict[str, Any], **extra: Any) -> Any:
    d, spec = data_of(case), case["inputs"]
    return cox_ph(
        d[spec["stop"]], d[spec["event"]], {name: d[name] for name in spec["covariates"]},
        start=d[spec["start"]] if spec["start"] else None,
        cluster=d[case["cluster"]] if case["cluster"] else None,
        strata=d[case["strata"]] if case["strata"] else None,
        weights=d[case["weights"]] if case["weights"] else None,
        ties=case["ties"], reference=spec["references"] or None, **extra,
    )  # fmt: skip


def order_of(model: Any, case: dict[str, Any]) -> list[int]:
    """Our columns in R's order; R spells treat=rIFN-g as treatrIFN-g."""
    names = [c.replace("=", "") for c in model.columns]
    return [names.index(t) for t in case["terms"]]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_coefficients_variance_and_loglik(case: dict[str, Any]) -> None:
    model = fit(case)
    order = order_of(model, case)
    assert_matches(model.coefficients[order], case["coef"], ITERATIVE, "coef")
    assert_matches(model.variance[np.ix_(order, order)], case["var"], ITERATIVE, "var")
    assert_matches([model.loglik_null, model.loglik], case["loglik"], ITERATIVE, "loglik")
    lower, upper = model.hazard_ratio_interval(robust=case["robust"])
    assert_matches(lower[order], case["hr_lower"], ITERATIVE, "lower .95")
    assert_matches(upper[order], case["hr_upper"], ITERATIVE, "upper .95")
    assert (model.subjects, model.events, model.iterations) == (
        case["n"], case["nevent"], case["iter"],
    )  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_wald_score_and_likelihood_ratio_tests(case: dict[str, Any]) -> None:
    model = fit(case)
    wald = model.robust_wald if case["robust"] else model.wald  # R: robust when clustered
    for ours, theirs in [(wald, case["wald"]), (model.score, case["score"]),
                         (model.likelihood_ratio, case["lr"])]:  # fmt: skip
        assert_matches(ours.chisq, theirs["chisq"], ITERATIVE, "chisq")
        assert ours.df == theirs["df"]
        assert_matches(ours.p, theirs["p"], ITERATIVE, "p")


@pytest.mark.parametrize("case", [c for c in CASES if c["robust"]], ids=lambda c: c["name"])
def test_clustered_robust_variance_and_score_test(case: dict[str, Any]) -> None:
    model = fit(case)
    order = order_of(model, case)
    assert_matches(model.robust_variance[np.ix_(order, order)], case["robust_var"], ITERATIVE)
    assert_matches(model.robust_std_err[order], case["robust_se"], ITERATIVE, "robust se")
    ours, theirs = model.robust_score, case["robust_score"]
    assert_matches(ours.chisq, theirs["chisq"], ITERATIVE, "robust score")
    assert ours.df == theirs["df"]
    assert_matches(ours.p, theirs["p"], ITERATIVE, "robust score p")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_concordance(case: dict[str, Any]) -> None:
    ours, theirs = fit(case).concordance, case["concordance"]
    for field, ref in [("concordant", "concordant"), ("discordant", "discordant"),
                       ("tied_risk", "tied_x"), ("tied_time", "tied_y"), ("tied_both", "tied_xy"),
                       ("estimate", "estimate"), ("std_err", "std_err")]:  # fmt: skip
        assert_matches(getattr(ours, field), theirs[ref], ITERATIVE, field)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
@pytest.mark.parametrize("transform", ["km", "identity", "rank"])
def test_proportional_hazards_matches_cox_zph(case: dict[str, Any], transform: str) -> None:
    test = fit(case, ph_transform=transform).proportional_hazards
    theirs = case["zph" if transform == "km" else f"zph_{transform}"]
    assert list(test.terms) == theirs["terms"]
    assert_matches(test.chisq, theirs["chisq"], ITERATIVE, "chisq")
    assert_matches(test.p, theirs["p"], ITERATIVE, "p")


def test_to_frame_reports_robust_columns_with_a_cluster() -> None:
    case = next(c for c in CASES if c["name"] == "cgd_cluster")
    model = fit(case)
    frame = model.to_frame().set_index("term").loc[[c.replace("treatr", "treat=r").replace(
        "inheritX", "inherit=X") for c in case["terms"]]]  # fmt: skip
    assert model.clusters == len(np.unique(data_of(case)["id"]))
    assert_matches(frame["robust_std_err"], case["robust_se"], ITERATIVE, "robust se")
    assert_matches(frame["lower"], case["hr_lower"], ITERATIVE, "lower uses the robust SE")


# ----------------------------------------------------------------- tmerge ---
@pytest.mark.parametrize("case", REFERENCE["tmerge"], ids=lambda c: c["name"])
def test_split_intervals_matches_tmerge_row_for_row(case: dict[str, Any]) -> None:
    subjects = {k: np.asarray(v, dtype=float) for k, v in case["subjects"].items()}
    names = [k for k in case["rows"] if k not in ("id", "start", "stop", "event")]
    frame = split_intervals(
        id=subjects["id"], time=subjects["time"], event=subjects["status"],
        changes={name: subjects[name] for name in names},
    )  # fmt: skip
    assert list(frame.columns) == ["id", "start", "stop", "event", *names]
    for column, expected in case["rows"].items():
        np.testing.assert_array_equal(frame[column].to_numpy(dtype=float), expected, column)


def test_split_intervals_then_cox_matches_r_on_its_rows() -> None:
    """The builder's rows of the Stanford transplant data fit as R's rows do (same rows)."""
    case = next(c for c in REFERENCE["tmerge"] if c["name"] == "jasa")
    s = {k: np.asarray(v, dtype=float) for k, v in case["subjects"].items()}
    rows = split_intervals(id=s["id"], time=s["time"], event=s["status"], changes={"trt": s["trt"]})
    r = case["rows"]
    ours = cox_ph(rows["stop"], rows["event"], {"trt": rows["trt"]}, start=rows["start"])
    theirs = cox_ph(np.asarray(r["stop"]), np.asarray(r["event"]), {"trt": np.asarray(r["trt"])},
                    start=np.asarray(r["start"]))  # fmt: skip
    np.testing.assert_array_equal(ours.coefficients, theirs.coefficients)


# --------------------------------------------------------------- properties ---
@st.composite
def split_follow_up(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Subjects in whole days with constant covariates, and the same cut at arbitrary days."""
    n = draw(st.integers(8, 30))
    days = st.integers(1, 40)
    time = np.array(draw(st.lists(days, min_size=n, max_size=n)), dtype=float)
    event = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    x = np.array(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), dtype=float)
    group = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=float)
    cuts = np.array(draw(st.lists(st.floats(0.5, 45), min_size=n, max_size=n)))
    more = np.array(draw(st.lists(st.floats(0.5, 45), min_size=n, max_size=n)))
    whole = pd.DataFrame({"id": np.arange(n), "start": 0.0, "stop": time, "event": event,
                          "x": x, "group": group})  # fmt: skip
    rows = split_intervals(id=np.arange(n), time=time, event=event,
                           changes={"cut": cuts, "again": more})  # fmt: skip
    rows["x"], rows["group"] = x[rows["id"]], group[rows["id"]]
    return whole, rows


@settings(max_examples=40, deadline=None)
@given(split_follow_up(), st.sampled_from(["efron", "breslow"]))
def test_splitting_follow_up_changes_nothing(
    data: tuple[pd.DataFrame, pd.DataFrame], ties: Ties
) -> None:
    whole, rows = data
    assume(whole["event"].sum() >= 2 and whole["x"].nunique() > 1 and whole["group"].nunique() > 1)
    try:
        expected = cox_ph(whole["stop"], whole["event"], whole[["x", "group"]], ties=ties)
    except (CollinearityError, ConvergenceError, MonotoneLikelihoodError):
        reject()  # a sample the plain fit refuses proves nothing about splitting
    got = cox_ph(rows["stop"], rows["event"], rows[["x", "group"]], start=rows["start"],
                 cluster=rows["id"], ties=ties)  # fmt: skip
    np.testing.assert_allclose(got.coefficients, expected.coefficients, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.variance, expected.variance, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.loglik, expected.loglik, rtol=1e-12)
    # One cluster per subject: the sandwich of the split rows is the unsplit one.
    np.testing.assert_allclose(got.robust_variance, expected.robust_variance, rtol=1e-8, atol=1e-12)
    if _risk_ties_are_rounding(whole[["x", "group"]].to_numpy(float), expected.coefficients):
        return  # two covariate patterns tie only through equal coefficients: a last-bit matter
    for field in ("concordant", "discordant", "tied_risk", "tied_time", "tied_both"):
        np.testing.assert_allclose(getattr(got.concordance, field),
                                   getattr(expected.concordance, field), atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(got.concordance.std_err, expected.concordance.std_err, rtol=1e-9)


def _risk_ties_are_rounding(x: np.ndarray, beta: np.ndarray) -> bool:
    """Whether different covariate patterns have risk scores within rounding of each other.

    Concordance counts a pair as tied in risk only when the scores are equal to the last bit;
    when two patterns tie through coefficients that are equal (here, by symmetry of the data),
    the split and the unsplit fit may differ in that bit and move a pair between tied and not.
    """
    patterns = np.unique(x, axis=0)
    scores = patterns @ beta
    gaps = np.abs(scores[:, None] - scores[None, :])
    different = ~np.eye(len(patterns), dtype=bool)
    return bool((different & (gaps <= 1e-9 * max(1.0, float(np.abs(scores).max())))).any())


# ------------------------------------------------------------------- errors ---
def test_start_not_before_stop_is_an_input_error() -> None:
    with pytest.raises(InputError, match="start") as caught:
        cox_ph([5.0, 6.0, 7.0], [1, 0, 1], {"x": [1.0, 2.0, 3.0]}, start=[0.0, 6.0, 1.0])
    assert caught.value.argument == "start"
    assert "position 1" in str(caught.value)


@pytest.mark.parametrize(
    ("start", "message"),
    [([0.0, np.nan, 1.0], "missing"), ([0.0, -1.0, 1.0], "negative"), ([0.0, 1.0], "values")],
)
def test_bad_start_times_name_the_field(start: list[float], message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        cox_ph([5.0, 6.0, 7.0], [1, 0, 1], {"x": [1.0, 2.0, 3.0]}, start=start)
    assert caught.value.argument == "start"


def test_missing_cluster_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        cox_ph([5.0, 6.0, 7.0], [1, 0, 1], {"x": [1.0, 2.0, 3.0]}, cluster=["a", None, "b"])
    assert caught.value.argument == "cluster"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"id": [1, 1], "time": [3.0, 4.0], "event": [1, 0]}, "id"),
        ({"id": [1, 2], "time": [0.0, 4.0], "event": [1, 0]}, "time"),
        ({"id": [1, 2], "time": [3.0, 4.0], "event": [1]}, "event"),
    ],
)
def test_split_intervals_bad_input_names_the_field(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        split_intervals(**arguments, changes={"sct": [1.0, 2.0]})
    assert caught.value.argument == field


def test_split_intervals_refuses_reserved_names_and_text_times() -> None:
    with pytest.raises(InputError, match="clash") as caught:
        split_intervals(id=[1], time=[3.0], event=[1], changes={"start": [1.0]})
    assert caught.value.argument == "changes"
    with pytest.raises(InputError, match="numbers") as caught:
        split_intervals(id=[1], time=[3.0], event=[1], changes={"sct": ["2020-01-01"]})
    assert caught.value.argument == "sct"
