"""Score residuals and the robust (sandwich) variance, as R's coxscore2.c and coxph(robust=TRUE).

A subject's score residual sums, over the event times it was at risk for, x minus the risk-set mean
weighted by the hazard increment; with Efron ties the subjects dying at a time share its terms.
The per-time sums are cumulated within strata, so the whole matrix costs O(n·p).
"""

from __future__ import annotations

import numpy as np

from followup.survival._cox_likelihood import CoxData, RiskSetSums


def score_residuals(data: CoxData, sums: RiskSetSums) -> np.ndarray:
    """Unweighted score residuals, rows in the caller's original order (R's type='score')."""
    hazard = data.entry_weight / sums.denominator
    kept = 1 - data.entry_fraction  # Efron: a dying subject keeps (1 − k/d) of the k-th term
    n_ties = len(data.tie_start)
    p = data.n_covariates

    term_groups = np.flatnonzero(np.diff(data.entry_tie, prepend=-1))

    def per_tie(values: np.ndarray) -> np.ndarray:
        out = np.zeros((n_ties,) + values.shape[1:])
        if len(values):
            out[data.entry_tie[term_groups]] = np.add.reduceat(values, term_groups, axis=0)
        return out

    increment = per_tie(hazard)
    weighted_mean = per_tie(hazard[:, None] * sums.mean)
    kept_increment = per_tie(hazard * kept)
    kept_mean = per_tie((hazard * kept)[:, None] * sums.mean)
    terms_per_tie = np.maximum(per_tie(np.ones(len(hazard))), 1.0)
    mean_of_means = per_tie(sums.mean) / terms_per_tie[:, None]

    cumulative = _cumsum_within_strata(
        np.column_stack((increment, weighted_mean)), data.strata_bounds
    )
    tie = data.tie_of_row
    score = sums.risk / data.weights  # exp(xβ − shift); the shift cancels against the hazard
    x = data.x
    residual = -score[:, None] * (x * cumulative[tie, :1] - cumulative[tie, 1 : 1 + p])
    deaths = data.death_rows
    dt = tie[deaths]
    residual[deaths] += (x[deaths] - mean_of_means[dt]) - score[deaths, None] * (
        x[deaths] * (kept_increment[dt] - increment[dt])[:, None]
        - (kept_mean[dt] - weighted_mean[dt])
    )
    original = np.empty_like(residual)
    original[data.order] = residual
    return original


def _cumsum_within_strata(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    result = np.empty_like(values)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        result[lo:hi] = np.cumsum(values[lo:hi], axis=0)
    return result


def robust_variance(residuals: np.ndarray, weights: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Sandwich variance D'D, D = weighted dfbeta = w · residuals · V (R: robust=TRUE, no cluster)."""
    dfbeta = (weights[:, None] * residuals) @ variance
    return dfbeta.T @ dfbeta


def robust_score_statistic(residuals_at_zero: np.ndarray, weights: np.ndarray) -> float:
    """R's robust score test: u'(A'A)⁻¹u with A the weighted score residuals at beta = 0."""
    weighted = weights[:, None] * residuals_at_zero
    u = weighted.sum(axis=0)
    return float(u @ np.linalg.solve(weighted.T @ weighted, u))
