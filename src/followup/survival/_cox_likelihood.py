"""Cox partial likelihood, score and information with Breslow or Efron ties, as R's coxfit6.c.

Rows are sorted once by (stratum, time). Per iteration, one multiply and one ``np.add.reduceat``
give each distinct time's sums of r, r·x and r·x·xᵀ (r = w·exp(xβ)); reverse cumulative sums within
the stratum turn them into risk-set sums. Efron's correction expands each time with d deaths into
d terms, k/d of the deaths' risk removed from the k-th (so everything stays vectorised).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Ties = Literal["efron", "breslow"]


@dataclass(frozen=True)
class CoxData:
    """Sorted rows and the bookkeeping that does not change between iterations."""

    x: np.ndarray  # (n, p) centred covariates, rows sorted by (stratum, time)
    weights: np.ndarray  # (n,)
    event: np.ndarray  # (n,) bool
    time: np.ndarray  # (n,) sorted within stratum
    stratum: np.ndarray  # (n,) stratum code of each row
    order: np.ndarray  # (n,) original row of each sorted row
    features: np.ndarray  # (n, 1 + p + p(p+1)/2): 1, x, and the products x_i x_j (i ≤ j)
    tie_start: np.ndarray  # (m,) first sorted row of each distinct (stratum, time)
    tie_of_row: np.ndarray  # (n,) tie group of each sorted row
    strata_bounds: np.ndarray  # (s + 1,) tie-group offsets of the strata
    death_rows: np.ndarray  # sorted rows that are events
    death_tie_start: np.ndarray  # offsets of tie groups within death_rows
    death_ties: np.ndarray  # tie group of each group of deaths
    entry_tie: np.ndarray  # (E,) Efron terms: the tie group of each
    entry_fraction: np.ndarray  # (E,) share k/d of the deaths' risk removed
    entry_weight: np.ndarray  # (E,) weight: deaths' weight / d (Efron) or all of it (Breslow)
    weighted_death_x: np.ndarray  # (p,) Σ w·x over events

    @property
    def n_covariates(self) -> int:
        """Number of design columns."""
        return self.x.shape[1]


@dataclass(frozen=True)
class RiskSetSums:
    """Per Efron term: the risk-set denominator, the weighted mean of x and of x·xᵀ."""

    shift: float
    risk: np.ndarray  # (n,) w·exp(xβ − shift)
    denominator: np.ndarray  # (E,)
    mean: np.ndarray  # (E, p)
    second: np.ndarray  # (E, p(p+1)/2) packed upper triangle


def prepare(
    x: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    stratum: np.ndarray,
    weights: np.ndarray,
    ties: Ties,
) -> CoxData:
    """Sort, centre and index the data once for every iteration that follows."""
    order = np.lexsort((time, stratum))
    xs = x[order] - np.average(x, axis=0, weights=weights)
    ts, ss, es, ws = time[order], stratum[order], event[order].astype(bool), weights[order]
    n, p = xs.shape
    upper_i, upper_j = np.triu_indices(p)
    features = np.empty((n, 1 + p + len(upper_i)))
    features[:, 0] = 1.0
    features[:, 1 : 1 + p] = xs
    np.multiply(xs[:, upper_i], xs[:, upper_j], out=features[:, 1 + p :])
    new_tie = np.concatenate(([True], (ts[1:] != ts[:-1]) | (ss[1:] != ss[:-1])))
    tie_start = np.flatnonzero(new_tie)
    tie_of_row = np.cumsum(new_tie) - 1
    tie_stratum = ss[tie_start]
    strata_bounds = np.searchsorted(tie_stratum, np.arange(int(ss.max()) + 2 if n else 1))
    death_rows = np.flatnonzero(es)
    death_tie = tie_of_row[death_rows]
    new_death_tie = np.concatenate(([True], death_tie[1:] != death_tie[:-1]))
    death_tie_start = np.flatnonzero(new_death_tie)
    death_ties = death_tie[death_tie_start]
    deaths_per_tie = np.diff(np.append(death_tie_start, len(death_rows)))
    death_weight = np.add.reduceat(ws[death_rows], death_tie_start) if len(death_rows) else np.zeros(0)
    entry_tie, entry_fraction, entry_weight = _efron_terms(
        death_ties, deaths_per_tie, death_weight, ties
    )
    weighted_death_x = ws[death_rows] @ xs[death_rows]
    return CoxData(
        xs, ws, es, ts, ss, order, features, tie_start, tie_of_row, strata_bounds, death_rows,
        death_tie_start, death_ties, entry_tie, entry_fraction, entry_weight, weighted_death_x,
    )  # fmt: skip


def _efron_terms(
    death_ties: np.ndarray, deaths: np.ndarray, death_weight: np.ndarray, ties: Ties
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breslow: one term per time. Efron: d terms, removing k/d of the deaths' risk (k < d)."""
    if ties == "breslow":
        return death_ties, np.zeros(len(death_ties)), death_weight
    entry_tie = np.repeat(death_ties, deaths)
    first = np.repeat(np.cumsum(deaths) - deaths, deaths)
    k = np.arange(len(entry_tie)) - first
    per_death = np.repeat(deaths, deaths).astype(np.float64)
    return entry_tie, k / per_death, np.repeat(death_weight / deaths, deaths)


def risk_set_sums(data: CoxData, beta: np.ndarray) -> RiskSetSums:
    """Risk-set sums at every Efron term for coefficients beta."""
    eta = data.x @ beta
    # A constant shift of the linear predictor leaves the partial likelihood unchanged; taking
    # the largest keeps exp() from overflowing for large coefficients.
    shift = float(eta.max())
    risk = data.weights * np.exp(eta - shift)
    weighted = data.features * risk[:, None]
    at_time = np.add.reduceat(weighted, data.tie_start, axis=0)
    from_time_on = _reverse_cumsum_within_strata(at_time, data.strata_bounds)
    deaths = np.zeros_like(at_time[: len(data.death_ties)])
    if len(data.death_rows):
        deaths = np.add.reduceat(weighted[data.death_rows], data.death_tie_start, axis=0)
    death_index = np.searchsorted(data.death_ties, data.entry_tie)
    totals = from_time_on[data.entry_tie] - data.entry_fraction[:, None] * deaths[death_index]
    p = data.n_covariates
    denominator = totals[:, 0]
    return RiskSetSums(
        shift,
        risk,
        denominator,
        totals[:, 1 : 1 + p] / denominator[:, None],
        totals[:, 1 + p :] / denominator[:, None],
    )


def _reverse_cumsum_within_strata(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    result = np.empty_like(values)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        result[lo:hi] = np.cumsum(values[lo:hi][::-1], axis=0)[::-1]
    return result


def partial_likelihood(
    data: CoxData, beta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, RiskSetSums]:
    """Log partial likelihood, score vector and information matrix at beta."""
    sums = risk_set_sums(data, beta)
    weight = data.entry_weight
    eta_deaths = data.x[data.death_rows] @ beta - sums.shift
    loglik = float(data.weights[data.death_rows] @ eta_deaths - weight @ np.log(sums.denominator))
    score = data.weighted_death_x - weight @ sums.mean
    information = unpack_symmetric(weight @ sums.second, data.n_covariates)
    information -= np.einsum("e,ei,ej->ij", weight, sums.mean, sums.mean)
    return loglik, score, information, sums


def unpack_symmetric(packed: np.ndarray, p: int) -> np.ndarray:
    """Full symmetric matrix from its packed upper triangle (np.triu_indices order)."""
    full = np.zeros((p, p))
    upper_i, upper_j = np.triu_indices(p)
    full[upper_i, upper_j] = packed
    full[upper_j, upper_i] = packed
    return full
