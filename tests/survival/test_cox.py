"""Cox regression against R's coxph, cox.zph and concordance on R's data, at 1e-10.

Following coxfit6's iteration step for step (not just reaching the optimum) is what lets an
iterative fit meet the closed-form bar: the issue asks 1e-7, the fits agree to about 1e-14.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.survival import cox_ph
from tests.reference import RELATIVE, assert_matches, cases, dataset

INPUTS: dict[str, dict[str, Any]] = {
    "aml_x": {"covariates": ["x"]},
    "lung_efron": {"covariates": ["age", "sex", "ph.ecog"]},
    "lung_breslow": {"covariates": ["age", "sex", "ph.ecog"]},
    "lung_weighted": {"covariates": ["age", "sex", "ph.ecog"], "weights": "freq"},
    "lung_robust": {"covariates": ["age", "sex", "ph.ecog", "wt.loss"]},
    "veteran_celltype": {"covariates": ["trt", "celltype", "karno"]},
    "veteran_strata": {"covariates": ["karno", "age"], "strata": "celltype"},
    "veteran_breslow_strata": {"covariates": ["karno", "diagtime"], "strata": "trt"},
    "veteran_mixed_case_levels": {"covariates": ["cell_mixed", "karno"]},
    "lung_age_in_seconds": {"covariates": ["age_seconds", "sex", "ph.ecog"]},
    "veteran_karno": {"covariates": ["karno", "trt", "prior"]},
    "pbc_bilirubin": {"covariates": ["bili", "edema", "female"], "status": "death"},
    "veteran_karno_e6": {"covariates": ["karno_e6", "trt", "prior"]},
    "pbc_bilirubin_e5": {"covariates": ["bili_e5", "edema", "female"], "status": "death"},
}
CASES = cases("cox", "cox")
# A fit on covariates scaled 1e5-1e9 apart, and the same model on its natural scale in R.
NATURAL_SCALE = {
    "lung_age_in_seconds": "lung_efron",
    "veteran_karno_e6": "veteran_karno",
    "pbc_bilirubin_e5": "pbc_bilirubin",
}


def fit(case: dict[str, Any]) -> Any:
    data = dataset(case["dataset"])
    spec = INPUTS[case["name"]]
    return cox_ph(
        data["time"], data[spec.get("status", "status")],
        {name: data[name] for name in spec["covariates"]},
        strata=data[spec["strata"]] if "strata" in spec else None,
        weights=data[spec["weights"]] if "weights" in spec else None,
        ties=case["ties"], reference=case["references"] or None,
    )  # fmt: skip


def r_names(model: Any) -> list[str]:
    """Our column names the way R's model.matrix spells them (celltype=adeno → celltypeadeno)."""
    return [c.replace("=", "") for c in model.columns]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_coefficients_and_variance(case: dict[str, Any]) -> None:
    model = fit(case)
    order = [r_names(model).index(t) for t in case["terms"]]
    assert_matches(model.coefficients[order], case["coef"], RELATIVE, "coef")
    model_based = case["naive_var"] if case["robust"] else case["var"]  # R: var is robust then
    assert_matches(model.variance[np.ix_(order, order)], model_based, RELATIVE, "var")
    lower, upper = model.hazard_ratio_interval(robust=case["robust"])
    assert_matches(lower[order], case["hr_lower"], RELATIVE, "lower .95")
    assert_matches(upper[order], case["hr_upper"], RELATIVE, "upper .95")
    assert_matches([model.loglik_null, model.loglik], case["loglik"], RELATIVE, "loglik")
    assert (model.subjects, model.events) == (case["n"], case["nevent"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_wald_score_and_likelihood_ratio_tests(case: dict[str, Any]) -> None:
    model = fit(case)
    wald = model.robust_wald if case["robust"] else model.wald
    # R's coxph.wtest runs cholesky2 on the unscaled variance and silently drops a column of the
    # scaled fits; the Wald statistic does not depend on scale, so R's fit in natural units says it.
    natural = next((c for c in CASES if c["name"] == NATURAL_SCALE.get(case["name"])), case)
    for ours, theirs in [(wald, natural["wald"]), (model.score, case["score"]),
                         (model.likelihood_ratio, case["lr"])]:  # fmt: skip
        assert_matches(ours.chisq, theirs["chisq"], RELATIVE, "chisq")
        assert ours.df == theirs["df"]
        assert_matches(ours.p, theirs["p"], RELATIVE, "p")


@pytest.mark.parametrize("case", [c for c in CASES if c["robust"]], ids=lambda c: c["name"])
def test_robust_variance(case: dict[str, Any]) -> None:
    model = fit(case)
    order = [r_names(model).index(t) for t in case["terms"]]
    assert_matches(model.robust_variance[np.ix_(order, order)], case["var"], RELATIVE, "robust")
    assert_matches(model.variance[np.ix_(order, order)], case["naive_var"], RELATIVE, "naive")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_concordance(case: dict[str, Any]) -> None:
    ours, theirs = fit(case).concordance, case["concordance"]
    for field, ref in [("concordant", "concordant"), ("discordant", "discordant"),
                       ("tied_risk", "tied_x"), ("tied_time", "tied_y"), ("tied_both", "tied_xy"),
                       ("estimate", "estimate"), ("std_err", "std_err")]:  # fmt: skip
        assert_matches(getattr(ours, field), theirs[ref], RELATIVE, field)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_proportional_hazards_matches_cox_zph(case: dict[str, Any]) -> None:
    if "zph" not in case:
        pytest.skip("R's cox.zph calls this information matrix singular (scales 1e5 apart)")
    test = fit(case).proportional_hazards
    assert list(test.terms) == case["zph"]["terms"]
    assert_matches(test.chisq, case["zph"]["chisq"], RELATIVE, "chisq")
    assert_matches(test.df, case["zph"]["df"], what="df")
    assert_matches(test.p, case["zph"]["p"], RELATIVE, "p")


@settings(max_examples=40, deadline=None)
@given(exponent=st.integers(-6, 9), seed=st.integers(0, 2**32 - 1))
def test_a_covariate_s_unit_changes_only_its_coefficient(exponent: int, seed: int) -> None:
    """Multiplying a covariate by 10^k divides its coefficient by 10^k and changes no test.

    The Cox likelihood is invariant under rescaling; R's coxfit6 keeps it so numerically by
    testing singularity on scaled covariates, and so must we (lung's age in years is the base).
    """
    data = dataset("lung")
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(data["time"]), size=150, replace=False)
    base = {k: data[k][rows] for k in ("age", "sex", "ph.ecog")}
    factor = 10.0**exponent
    scaled = {**base, "age": base["age"] * factor}
    time, status = data["time"][rows], data["status"][rows]
    natural, rescaled = cox_ph(time, status, base), cox_ph(time, status, scaled)
    expected = natural.coefficients / np.array([factor, 1.0, 1.0])
    np.testing.assert_allclose(rescaled.coefficients, expected, rtol=1e-8)
    for ours, theirs in [(rescaled.wald, natural.wald), (rescaled.score, natural.score),
                         (rescaled.likelihood_ratio, natural.likelihood_ratio)]:  # fmt: skip
        np.testing.assert_allclose(ours.chisq, theirs.chisq, rtol=1e-8)
