"""Log-rank, stratified and Fleming-Harrington tests against R's survdiff; trend from O, E, V."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from followup.survival import InputError, logrank_test
from tests.reference import assert_matches, cases, dataset

INPUTS = {
    "aml_by_x": ("aml", "x", None),
    "lung_by_sex": ("lung", "sex", None),
    "lung_by_sex_rho1": ("lung", "sex", None),
    "veteran_by_celltype": ("veteran", "celltype", None),
    "veteran_by_celltype_rho0.5": ("veteran", "celltype", None),
    "veteran_by_trt_strata_celltype": ("veteran", "trt", "celltype"),
    "veteran_by_trt_strata_celltype_rho1": ("veteran", "trt", "celltype"),
    "lung_by_ecog": ("lung", "ph.ecog", None),
    "lung_trend_ecog": ("lung", "ph.ecog", None),
    "lung_trend_ecog_strata_sex": ("lung", "ph.ecog", "sex"),
}


def _run(case: dict[str, Any], **options: Any) -> Any:
    name, group, strata = INPUTS[case["name"]]
    data = dataset(name)
    return logrank_test(
        data["time"], data["status"], group=data[group],
        strata=data[strata] if strata else None, rho=case["rho"], **options,
    )  # fmt: skip


def _groups(case: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_run(case).groups)


def _r_order(ours: tuple[Any, ...], r_groups: list[str]) -> np.ndarray:
    """Index that puts our groups in R's level order."""
    labels = [str(g) for g in ours]
    return np.array([labels.index(g) for g in r_groups])


@pytest.mark.parametrize("case", cases("logrank", "logrank"), ids=lambda c: c["name"])
def test_survdiff(case: dict[str, Any]) -> None:
    result = _run(case)
    order = _r_order(result.groups, case["groups"])
    assert_matches(result.subjects[order], case["n"], what="n")
    assert_matches(result.observed[order], case["observed"], what="observed")
    assert_matches(result.expected[order], case["expected"], what="expected")
    assert_matches(result.variance[np.ix_(order, order)], case["variance"], what="variance")
    assert_matches(result.chisq, case["chisq"], what="chisq")
    assert result.df == case["df"]
    assert_matches(result.p, case["p"], what="p")


@pytest.mark.parametrize("case", cases("logrank", "trend"), ids=lambda c: c["name"])
def test_trend(case: dict[str, Any]) -> None:
    scores = dict(zip(case["groups"], case["scores"], strict=True))
    result = _run(case, trend_scores=[scores[str(g)] for g in _groups(case)])
    assert result.trend is not None
    assert_matches(result.trend.statistic, case["statistic"], what="U")
    assert_matches(result.trend.variance, case["variance"], what="V")
    assert_matches(result.trend.chisq, case["chisq"], what="chisq")
    assert_matches(result.trend.p, case["p"], what="p")


def test_a_group_without_events_is_a_valid_comparison() -> None:
    """The seed's four extramedullary relapses all survived: that group still gets compared."""
    result = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 0, 0], group=[0, 0, 0, 1, 1, 1])
    assert result.observed[1] == 0
    assert result.p < 1


def test_no_events_at_all_is_an_error() -> None:
    with pytest.raises(InputError, match="no events"):
        logrank_test([1, 2, 3], [0, 0, 0], group=["a", "b", "a"])
