"""Gray's K-sample test for cumulative incidence (Gray, Ann Stat 1988;16:1141), as cmprsk::cuminc.

The score and its covariance accumulate over event times with terms that depend on running sums,
so this is cmprsk's Fortran (crstm/crst) transcribed time-vectorised: each per-time quantity is a
(times × groups × groups) array and the running sums are cumulative sums over time.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike
from followup.survival._risk_table import RiskTable, StratumTable, as_risk_table


@dataclass(frozen=True)
class GrayTest:
    """Gray's test of equal cumulative incidence across groups, one row per cause."""

    groups: tuple[Hashable, ...]
    causes: tuple[int, ...]
    statistic: np.ndarray
    df: int
    p: np.ndarray
    rho: float

    def to_frame(self) -> pd.DataFrame:
        """One row per cause, as cuminc's ``Tests`` table."""
        return pd.DataFrame(
            {"cause": list(self.causes), "statistic": self.statistic, "df": self.df, "p": self.p}
        )


def gray_test(
    time: ArrayLike | RiskTable,
    event: ArrayLike | None = None,
    *,
    group: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    rho: float = 0.0,
) -> GrayTest:
    """Gray's test between groups for each cause; matches ``cmprsk::cuminc(...)$Tests``.

    ``rho`` weights the score by (1 − F(t−))^rho. With ``strata`` the scores and variances are
    summed over strata, as cuminc does.
    """
    if not np.isfinite(rho):
        raise InputError("rho", f"rho must be a finite number; got {rho}")
    table = as_risk_table(time, event, group, strata, weights, None, max_cause=None)
    if len(table.groups) < 2:
        raise InputError("group", "gray_test needs a group with at least two distinct values")
    statistics = []
    for k in range(len(table.causes)):
        score = np.zeros(table.n_groups - 1)
        variance = np.zeros((table.n_groups - 1, table.n_groups - 1))
        for stratum in table.strata_tables:
            s, v = _stratum_score(stratum, k, rho)
            score += s
            variance += v
        statistics.append(_statistic(score, variance, table.causes[k]))
    stat = np.array(statistics)
    df = table.n_groups - 1
    return GrayTest(table.groups, table.causes, stat, df, chi2.sf(stat, df), rho)


def _statistic(score: np.ndarray, variance: np.ndarray, cause: int) -> float:
    if np.linalg.matrix_rank(variance) < len(score):
        raise InputError(
            "group",
            f"Gray's test for cause {cause} is undefined: its score variance is singular "
            "(a group has nobody at risk at that cause's event times)",
        )
    return float(score @ np.linalg.solve(variance, score))


def _stratum_score(table: StratumTable, cause: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    at_risk = table.at_risk
    d1 = table.events[cause]
    d2 = table.deaths - d1
    nd1, nd2 = d1.sum(axis=1), d2.sum(axis=1)
    keep = (nd1 + nd2) > 0
    at_risk, d1, d2, nd1, nd2 = at_risk[keep], d1[keep], d2[keep], nd1[keep], nd2[keep]
    present = at_risk > 0
    safe_risk = np.where(present, at_risk, 1.0)

    # Per-group KM (all causes) and cause-specific incidence, left- and right-continuous.
    step = np.where(present, (at_risk - d1 - d2) / safe_risk, 1.0)
    km_after = np.cumprod(step, axis=0)
    km_before = np.vstack((np.ones((1, at_risk.shape[1])), km_after[:-1]))
    cif_step = np.where(present, km_before * d1 / safe_risk, 0.0)
    cif_after = np.cumsum(cif_step, axis=0)
    cif_before = cif_after - cif_step

    ratio = np.where(present, at_risk / np.where(present, km_before, 1.0), 0.0)  # n_i / S_i(t−)
    tr = ratio.sum(axis=1)
    tq = (ratio * (1 - cif_before)).sum(axis=1)
    pooled_after = np.cumsum(nd1 / tr)
    pooled_before = pooled_after - nd1 / tr
    weight = (1 - pooled_before) ** rho

    a = _a_matrix(ratio, tr, weight, present)
    c = np.cumsum(a * (nd1 / (tr * (1 - pooled_before)))[:, None, None], axis=0)
    expected_share = np.where(present, ratio * (1 - cif_before) / tq[:, None], 0.0)
    score = (weight[:, None] * (d1 - nd1[:, None] * expected_share)).sum(axis=0)[:-1]

    v, v2, v3 = _cause_terms(a, c, at_risk, km_before, km_after, pooled_after, tr, nd1, present)
    w, w2, w3 = _other_terms(c, at_risk, km_before, km_after, pooled_after, d2)
    v, v2, v3 = v + w, v2 + w2, v3 + w3
    final = c[-1]
    v = v + np.einsum("ik,jk,k->ij", final, final, v3) + final @ v2.T + v2 @ final.T
    groups = at_risk.shape[1] - 1
    return score, v[:groups, :groups]


def _a_matrix(
    ratio: np.ndarray, tr: np.ndarray, weight: np.ndarray, present: np.ndarray
) -> np.ndarray:
    """a[t, i, j]: −w·r_i·r_j/tr off the diagonal, w·r_i·(1 − r_i/tr) on it (r = n/S(t−))."""
    a = -weight[:, None, None] * ratio[:, :, None] * ratio[:, None, :] / tr[:, None, None]
    diagonal = weight[:, None] * ratio * (1 - ratio / tr[:, None])
    index = np.arange(ratio.shape[1])
    a[:, index, index] = diagonal
    both = present[:, :, None] & present[:, None, :]
    return np.where(both, a, 0.0)


def _cause_terms(
    a: np.ndarray,
    c: np.ndarray,
    at_risk: np.ndarray,
    km_before: np.ndarray,
    km_after: np.ndarray,
    pooled_after: np.ndarray,
    tr: np.ndarray,
    nd1: np.ndarray,
    present: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variance contributions of events from the cause of interest (crst's loop 72)."""
    safe_km = np.where(km_after > 0, km_after, 1.0)
    t4 = np.where(km_after > 0, 1 - (1 - pooled_after[:, None]) / safe_km, 1.0)
    tied = nd1 > 1
    t5 = np.ones_like(km_before)
    t5[tied] = 1 - (nd1[tied, None] - 1) / (tr[tied, None] * km_before[tied] - 1)
    active = present & (nd1 > 0)[:, None]
    t3 = np.where(
        active, t5 * km_before * nd1[:, None] / (tr[:, None] * np.where(present, at_risk, 1.0)), 0.0
    )
    residual = a - t4[:, None, :] * c  # [t, i, k]
    v = np.einsum("tk,tik,tjk->ij", t3, residual, residual)
    v2 = np.einsum("tk,tik->ik", t3 * t4, residual)
    v3 = (t3 * t4**2).sum(axis=0)
    return v, v2, v3


def _other_terms(
    c: np.ndarray,
    at_risk: np.ndarray,
    km_before: np.ndarray,
    km_after: np.ndarray,
    pooled_after: np.ndarray,
    d2: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variance contributions of events from the other causes (crst's loop 82)."""
    active = (km_after > 0) & (d2 > 0)
    safe_km = np.where(active, km_after, 1.0)
    safe_risk = np.where(active, at_risk, 2.0)
    t4 = np.where(active, (1 - pooled_after[:, None]) / safe_km, 0.0)
    t5 = np.where(d2 > 1, 1 - (d2 - 1) / (safe_risk - 1), 1.0)
    t3 = np.where(active, t5 * km_before**2 * d2 / safe_risk**2, 0.0)
    scaled = t4[:, None, :] * c  # [t, i, k]
    v = np.einsum("tk,tik,tjk->ij", t3, scaled, scaled)
    v2 = -np.einsum("tk,tik->ik", t3 * t4, scaled)
    v3 = (t3 * t4**2).sum(axis=0)
    return v, v2, v3
