"""Test of proportional hazards from Schoenfeld residuals, as R's cox.zph (survival ≥ 3.0).

R's modern cox.zph is a score test for adding x·g(t) to the model, evaluated at the fitted
coefficients: the score of the new terms is Σ g(t)·(Schoenfeld residual), and the information
for (x, x·g(t)) reuses the risk-set variances already computed for the fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import chi2, rankdata

from followup.survival._cox_design import Term
from followup.survival._cox_likelihood import (
    CoxData,
    RiskSetSums,
    information_per_time,
    term_means,
)
from followup.survival._errors import InputError

PhTransform = Literal["km", "rank", "identity", "log"]
PH_TRANSFORMS: tuple[PhTransform, ...] = ("km", "rank", "identity", "log")


@dataclass(frozen=True)
class ProportionalHazardsTest:
    """Chi-square per term and overall (GLOBAL): a small p says the hazard ratio changes in time."""

    terms: tuple[str, ...]
    chisq: np.ndarray
    df: np.ndarray
    p: np.ndarray
    transform: PhTransform

    def to_frame(self) -> pd.DataFrame:
        """One row per term, then GLOBAL, as ``print(cox.zph(fit))``."""
        return pd.DataFrame(
            {"term": list(self.terms), "chisq": self.chisq, "df": self.df, "p": self.p}
        )


def proportional_hazards_test(
    data: CoxData,
    sums: RiskSetSums,
    information: np.ndarray,
    terms: tuple[Term, ...],
    transform: PhTransform,
) -> ProportionalHazardsTest:
    """cox.zph(fit, transform=) with terms=TRUE: one test per term and a global test."""
    if transform not in PH_TRANSFORMS:
        raise InputError(
            "ph_transform", f"ph_transform must be one of {PH_TRANSFORMS}; got {transform!r}"
        )
    g_row = _time_transform(data, transform)
    g_row = g_row - g_row[data.event].mean()
    g_time = g_row[data.tie_start][data.death_ties]  # g(t) of each death time
    weight = data.term_weight
    p = data.n_covariates
    deaths = data.death_rows
    mean_sum, _ = term_means(sums, p)
    u2 = data.x[:, deaths] @ (data.weights[deaths] * g_row[deaths]) - (weight * g_time) @ mean_sum
    per_time = information_per_time(sums, p)
    full = np.zeros((2 * p, 2 * p))
    full[:p, :p] = information
    cross = np.einsum("g,gij->ij", weight * g_time, per_time)
    full[:p, p:] = cross
    full[p:, :p] = cross.T
    full[p:, p:] = np.einsum("g,gij->ij", weight * g_time**2, per_time)
    u = np.concatenate((np.zeros(p), u2))
    names, stats, dfs = [], [], []
    start = 0
    for term in terms:
        width = len(term.columns)
        keep = np.concatenate((np.arange(p), p + np.arange(start, start + width)))
        sub_u = u[keep]
        stats.append(float(sub_u @ np.linalg.solve(full[np.ix_(keep, keep)], sub_u)))
        names.append(term.name)
        dfs.append(width)
        start += width
    stats.append(float(u @ np.linalg.solve(full, u)))
    names.append("GLOBAL")
    dfs.append(p)
    chisq, df = np.array(stats), np.array(dfs)
    p_values = np.asarray(chi2.sf(chisq, df))
    return ProportionalHazardsTest(tuple(names), chisq, df, p_values, transform)


def _time_transform(data: CoxData, transform: PhTransform) -> np.ndarray:
    """g(t) per sorted row; 'km' is 1 − S(t−), S the KM of all rows (no strata or weights).

    For (start, stop] rows the KM's risk set at t is the rows with start < t ≤ stop, as R's
    survfitKM on a counting-process Surv.
    """
    time = data.time
    if transform == "identity":
        return time.astype(float)
    if transform == "log":
        return np.log(time)
    if transform == "rank":
        return rankdata(time)
    distinct, inverse, exits = np.unique(time, return_inverse=True, return_counts=True)
    deaths = np.bincount(inverse, weights=data.event.astype(float), minlength=len(distinct))
    at_risk = np.cumsum(exits[::-1])[::-1]
    if data.entry is not None:  # less the rows that have not entered by t (start ≥ t)
        starts = np.sort(data.entry.start)
        at_risk = at_risk - (len(starts) - np.searchsorted(starts, distinct, side="left"))
    survival = np.cumprod(1 - deaths / at_risk)
    before = np.concatenate(([1.0], survival[:-1]))
    return 1 - before[inverse]
