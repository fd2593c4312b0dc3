"""Cox regression against R's coxph, cox.zph and concordance on R's data, at 1e-10.

Following coxfit6's iteration step for step (not just reaching the optimum) is what lets an
iterative fit meet the closed-form bar: the issue asks 1e-7, the fits agree to about 1e-14.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

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
}
CASES = cases("cox", "cox")


def fit(case: dict[str, Any]) -> Any:
    data = dataset(case["dataset"])
    spec = INPUTS[case["name"]]
    return cox_ph(
        data["time"], data["status"], {name: data[name] for name in spec["covariates"]},
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
    for ours, theirs in [(wald, case["wald"]), (model.score, case["score"]),
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
    test = fit(case).proportional_hazards
    assert list(test.terms) == case["zph"]["terms"]
    assert_matches(test.chisq, case["zph"]["chisq"], RELATIVE, "chisq")
    assert_matches(test.df, case["zph"]["df"], what="df")
    assert_matches(test.p, case["zph"]["p"], RELATIVE, "p")
