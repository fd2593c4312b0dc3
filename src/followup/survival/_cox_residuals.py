"""Score residuals and the robust (sandwich) variance, as R's coxscore2.c and coxph(robust=TRUE).

A subject's score residual sums, over the event times it was at risk for, x minus the risk-set mean
weighted by the hazard increment; with Efron ties the subjects dying at a time share its terms.
Per death time these are a handful of sums (see _cox_likelihood), cumulated within strata, so the
whole matrix costs O(n·p). A (start, stop] row (R's agscore2) takes the sums from its start to
its stop: the cumulated sums at its stop less those at the last death time before its start.
With clusters, the residuals are summed within each (R's coxph(cluster=): grouped dfbeta).
"""

from __future__ import annotations

import itertools

import numpy as np

from followup.survival._cox_likelihood import CoxData, RiskSetSums, linear_predictor, term_means


def score_residuals(data: CoxData, sums: RiskSetSums) -> np.ndarray:
    """Unweighted score residuals (R's type='score'), shape (p, n), subjects in sorted order."""
    p = data.n_covariates
    weight = data.term_weight
    r1, d1 = sums.at_risk[:, 1 : 1 + p], sums.dying[:, 1 : 1 + p]
    c0, c1, c2 = sums.inverse2.T
    mean_sum, hazard_mean = term_means(sums, p)
    # H, M: hazard increment and hazard-weighted mean at each death time (subjects at risk).
    increment = weight * sums.inverse
    weighted_mean = weight[:, None] * hazard_mean
    # H', M': the same for the subjects dying then, who keep (1 − q) of the k-th Efron term.
    kept_increment = weight * (sums.inverse - sums.inverse_q)
    kept_mean = weight[:, None] * (r1 * (c0 - c1)[:, None] - d1 * (c1 - c2)[:, None])
    n_terms = np.diff(np.append(data.term_start, len(data.term_fraction)))
    mean_of_means = mean_sum / n_terms[:, None]

    per_tie = np.zeros((len(data.tie_start), 1 + p))
    per_tie[data.death_ties, 0] = increment
    per_tie[data.death_ties, 1:] = weighted_mean
    tie_size = np.diff(np.append(data.tie_start, len(data.event)))
    cumulative = _cumsum_within_strata(per_tie, data.strata_bounds)
    hazard_so_far = np.repeat(cumulative[:, 0], tie_size)
    entry = data.entry
    before_entry = None
    if entry is not None:  # what had accrued before the row entered does not count
        entered = entry.last_death >= 0
        before_entry = np.where(
            entered[:, None], cumulative[data.death_ties[entry.last_death]], 0.0
        )
        hazard_so_far -= before_entry[:, 0]
    # exp(xβ − shift): the shift cancels against the hazard's
    score = np.exp(linear_predictor(data, sums.beta) - sums.shift)
    rows = data.death_rows
    group = np.repeat(np.arange(len(data.deaths)), data.deaths)
    residual = np.empty((p, len(score)))
    for j in range(p):
        x = data.x[j]
        column = residual[j]
        np.multiply(x, hazard_so_far, out=column)
        column -= np.repeat(cumulative[:, 1 + j], tie_size)
        if before_entry is not None:
            column += before_entry[:, 1 + j]
        column *= -score
        column[rows] += (x[rows] - mean_of_means[group, j]) - score[rows] * (
            x[rows] * (kept_increment - increment)[group]
            - (kept_mean[:, j] - weighted_mean[:, j])[group]
        )
    return residual


def _cumsum_within_strata(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    result = np.empty_like(values)
    for lo, hi in itertools.pairwise(bounds):
        result[lo:hi] = np.cumsum(values[lo:hi], axis=0)
    return result


def clustered_scores(
    residuals: np.ndarray, weights: np.ndarray, cluster: np.ndarray | None
) -> np.ndarray:
    """Weighted score residuals, (p, n), or summed within clusters, (p, k) (R's rowsum)."""
    weighted = residuals * weights
    if cluster is None:
        return weighted
    groups = int(cluster.max()) + 1 if len(cluster) else 0
    return np.stack([np.bincount(cluster, weights=row, minlength=groups) for row in weighted])


def robust_variance(scores: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Sandwich variance D'D, D = dfbeta = scores·V (R: robust=TRUE, with or without cluster)."""
    return variance @ (scores @ scores.T) @ variance
