"""Inputs that once broke the survival core, one line each on what they broke."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from followup.survival import (
    CollinearityError,
    cox_ph,
    cumulative_incidence,
    gray_test,
    kaplan_meier,
    logrank_test,
    reverse_km_followup,
)


def test_negative_zero_is_the_same_time_as_zero() -> None:
    """-0.0 has its sign bit set: as a sort key it once sorted after every positive time."""
    fit = kaplan_meier(np.array([-0.0, 0.0, 1.5, 2.5]), [1, 1, 0, 1]).curves[0]
    assert list(fit.time) == [0.0, 1.5, 2.5]
    assert fit.events[0] == 2


def test_a_group_missing_from_a_stratum() -> None:
    """A cell with no subjects made an empty slice of the merged grid."""
    result = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 0], group=[0, 1, 0, 1, 0, 0],
                          strata=[0, 0, 0, 0, 1, 1])  # fmt: skip
    assert np.isfinite(result.chisq)


def test_everyone_dies_at_the_last_time() -> None:
    """S drops to 0: Greenwood's variance is infinite there, and 0·inf was a silent NaN."""
    curve = kaplan_meier([1, 2, 2], [1, 1, 1]).curves[0]
    assert curve.survival[-1] == 0
    assert np.isnan(curve.std_err[-1])
    assert curve.notes  # the NaN comes with its reason


def test_cumulative_incidence_near_one_has_limits_zero_and_one() -> None:
    """log(F) ≈ 0 overflowed exp() in the log(-log) limits."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = cumulative_incidence(np.arange(1.0, 41.0), np.ones(40, dtype=int))
    curve = fit.curves[0]
    assert np.all((curve.lower[:-1] >= 0) & (curve.upper[:-1] <= 1))


def test_gray_test_when_one_group_ends_early() -> None:
    """A group whose survival reached 0 divided 0 by 0 in the weights n_i / S_i(t-)."""
    time = [1, 2, 3, 4, 5, 6, 7, 8]
    event = [1, 2, 1, 1, 2, 1, 0, 1]
    group = ["a", "a", "a", "b", "b", "b", "b", "b"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gray_test(time, event, group=group)
    assert np.all(np.isfinite(result.statistic))


def test_integer_times_beyond_the_bincount_range_fall_back_to_sorting() -> None:
    """Times of 1e12 made the bincount path ask for terabytes."""
    fit = kaplan_meier(np.array([10**12, 5, 10**12 - 1]), [1, 0, 1]).curves[0]
    assert list(fit.time) == [5, 10**12 - 1, 10**12]


def test_reverse_km_with_every_subject_censored() -> None:
    """No deaths: the reverse KM is the ordinary KM of the censorings and reaches 0."""
    summary = reverse_km_followup([3, 5, 7], [0, 0, 0])
    assert summary.groups[0].median == 5


def test_cox_with_constant_linear_predictor_ties() -> None:
    """A binary covariate gives many tied risk scores: concordance must count them as ties."""
    rng = np.random.default_rng(7)
    x = rng.integers(0, 2, 200)
    time = rng.exponential(5, 200).round(1) + 0.1
    event = rng.integers(0, 2, 200)
    model = cox_ph(time, event, {"x": x})
    assert model.concordance.tied_risk > 0
    assert 0 < model.concordance.estimate < 1


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_inputs(n: int) -> None:
    """One or two subjects once produced empty arrays where a scalar was expected."""
    fit = kaplan_meier(np.arange(1, n + 1), np.ones(n, dtype=int)).curves[0]
    assert fit.survival[-1] == 0


def test_a_level_with_nobody_at_risk_at_any_death() -> None:
    """Its information is exactly 0, and the rank check let an all-zero diagonal through.

    numpy then raised LinAlgError; R's cholesky2 falls back to toler itself and calls the column
    singular, and so does Followup now.
    """
    time = [0.816, 0.4, 3.803, 1.796, 2.571]
    event = [0, 0, 1, 1, 0]
    group = ["after", "before", "after", "after", "after"]  # 'before' leaves before any death
    with pytest.raises(CollinearityError, match="group=before"):
        cox_ph(time, event, {"group": group}, reference={"group": "after"})
