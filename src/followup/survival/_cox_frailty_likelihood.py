"""Partial likelihood of a Cox model with one frailty per group, as R's coxfit5.c accumulates it.

The parameters are the coefficients β and the groups' log-frailties w (η = xβ + w_group). R's
sparse computation keeps the covariate block of the information and the covariate × group block
whole but only the diagonal of the group × group block, so those three pieces are what is
returned.

Rows are kept in R's order, the latest time first, so a running sum over the rows is the risk
set exactly as R accumulates it. R then updates one number per group at every death time
(O(groups) per death time). Here every group quantity is a sum over death times of a risk-set sum
a_g(t) = Σ_{i∈g, T_i ≥ t} r_i times a per-time factor c(t); exchanging the sums gives
Σ_{i∈g} r_i·C(T_i), with C the cumulative sum of c over the death times up to T_i, so each costs
one pass over the rows and a ``np.bincount`` by group. The one term quadratic in a_g (the
diagonal's Σ_t c(t)·a_g(t)²) is a sum over pairs of rows of a group,
Σ_{i,l∈g} r_i r_l C(min(T_i, T_l)), taken in (group, time) order as Σ_i r_i C(T_i)(r_i + 2·after_i)
with after_i the risk of the group's later rows: all terms positive, no differences of large sums.
Efron's k-th term of d tied deaths (k = 0 … d−1) removes q = k/d of their risk (q = 0 for
Breslow), and its sums over k reduce to the per-time scalars Σ q^j/den and Σ q^j/den².
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

Ties = Literal["efron", "breslow"]

# exp(η) is formed without a shift while every |η| is below this (as R, which only clamps);
# beyond it the largest η is subtracted first, which the likelihood does not notice.
_SAFE_ETA = 500.0


@dataclass(frozen=True)
class FrailtyData:
    """Rows in R's order (stratum, time descending, deaths last within a time), and bookkeeping."""

    x: np.ndarray  # (p, n) covariates, centred as R centres them, sorted
    group: np.ndarray  # (n,) group code of each sorted row
    n_groups: int
    tie_start: np.ndarray  # (m,) first row of each distinct (stratum, time)
    tie_of_row: np.ndarray  # (n,) its tie group
    strata_bounds: np.ndarray  # (s + 1,) tie-group offsets of the strata
    strata_rows: np.ndarray  # (s + 1,) row offsets of the strata
    death_rows: np.ndarray  # (e,) sorted rows that are deaths
    death_x: np.ndarray  # (p, e) their covariates
    death_group: np.ndarray  # (e,) their groups
    death_ties: np.ndarray  # (g,) tie group of each death time
    death_time_rows: np.ndarray  # (g,) last row of each death time's tie group
    death_start: np.ndarray  # (g,) first of its deaths in death_rows
    death_time_of_death: np.ndarray  # (e,) death time of each death row
    term_fraction: np.ndarray  # (e,) q of each Efron term: k/d, or 0 for Breslow
    deaths_in_group: np.ndarray  # (groups,) d_g
    death_x_total: np.ndarray  # (p,) Σ x over the deaths
    # (stratum, group, time) order for the group-diagonal terms:
    by_group: np.ndarray  # (n,) sorted rows in that order
    group_by_group: np.ndarray  # (n,) their groups
    tie_by_group: np.ndarray  # (n,) their tie groups
    block_end: np.ndarray  # (n,) for each of them, the position after its (stratum, group) block
    run_first: np.ndarray  # (h,) first position of each (stratum, group, time) with deaths
    run_of_death: np.ndarray  # (e,) that run for each death row (in death_rows order)
    run_death_time: np.ndarray  # (h,) death time of each run
    run_group: np.ndarray  # (h,) group of each run


@dataclass(frozen=True)
class Evaluation:
    """Partial likelihood, score and R's sparse information at one (β, w)."""

    loglik: float
    score: np.ndarray  # (p,) covariates
    information: np.ndarray  # (p, p)
    group_score: np.ndarray  # (groups,)
    group_information: np.ndarray  # (groups,) the diagonal of the group block only
    cross_information: np.ndarray  # (p, groups)


def prepare(
    columns: list[np.ndarray],
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    stratum: np.ndarray,
    ties: Ties,
) -> FrailtyData:
    """Sort and index once; centre each covariate by its mean unless it only takes −1, 0 and 1.

    That is R's centring (coxph's ``nocenter = c(-1, 0, 1)``, an unweighted mean); the likelihood
    does not depend on it, but the rounding of exp(η) does.
    """
    died = event.astype(bool)
    order = np.lexsort((died, -time, stratum))  # coxpenal.fit: order(strata, -time, status)
    n = len(order)
    x = np.empty((len(columns), n))
    for row, column in zip(x, columns, strict=True):
        row[:] = column[order]
        if not np.isin(column, (-1.0, 0.0, 1.0)).all():
            row -= column.mean()
    ts, es, ss, gs = time[order], died[order], stratum[order], group[order]
    new_tie = np.ones(n, dtype=bool)
    new_tie[1:] = (ts[1:] != ts[:-1]) | (ss[1:] != ss[:-1])
    tie_start = np.flatnonzero(new_tie)
    tie_of_row = np.cumsum(new_tie) - 1
    strata_bounds = np.searchsorted(ss[tie_start], np.arange(int(ss.max()) + 2))
    death_rows = np.flatnonzero(es)
    tie_of_death = tie_of_row[death_rows]
    first = np.ones(len(death_rows), dtype=bool)
    first[1:] = tie_of_death[1:] != tie_of_death[:-1]
    death_start = np.flatnonzero(first)
    deaths = np.diff(np.append(death_start, len(death_rows)))
    death_time_of_death = np.cumsum(first) - 1
    if ties == "efron":
        term_fraction = (np.arange(len(death_rows)) - death_start[death_time_of_death]) / deaths[
            death_time_of_death
        ]
    else:
        term_fraction = np.zeros(len(death_rows))
    by_group, block_end, run_first, run_of_death, run_death_time = _group_order(
        ts, es, ss, gs, death_rows, death_time_of_death
    )
    return FrailtyData(
        x=x,
        group=gs,
        n_groups=n_groups,
        tie_start=tie_start,
        tie_of_row=tie_of_row,
        strata_bounds=strata_bounds,
        strata_rows=np.append(tie_start, n)[strata_bounds],
        death_rows=death_rows,
        death_x=x[:, death_rows],
        death_group=gs[death_rows],
        death_ties=tie_of_death[death_start],
        death_time_rows=np.append(tie_start[1:] - 1, n - 1)[tie_of_death[death_start]],
        death_start=death_start,
        death_time_of_death=death_time_of_death,
        term_fraction=term_fraction,
        deaths_in_group=np.bincount(gs[death_rows], minlength=n_groups).astype(np.float64),
        death_x_total=x[:, death_rows].sum(axis=1),
        by_group=by_group,
        group_by_group=gs[by_group],
        tie_by_group=tie_of_row[by_group],
        block_end=block_end,
        run_first=run_first,
        run_of_death=run_of_death,
        run_death_time=run_death_time,
        run_group=gs[by_group][run_first],
    )


def _group_order(
    ts: np.ndarray,
    es: np.ndarray,
    ss: np.ndarray,
    gs: np.ndarray,
    death_rows: np.ndarray,
    death_time_of_death: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (stratum, group, time) order, its blocks and the runs of a group's deaths at a time."""
    n = len(ts)
    by_group = np.lexsort((~es, ts, gs, ss))
    bg, bs, bt = gs[by_group], ss[by_group], ts[by_group]
    new_block = np.ones(n, dtype=bool)
    new_block[1:] = (bg[1:] != bg[:-1]) | (bs[1:] != bs[:-1])
    block_starts = np.flatnonzero(new_block)
    block_end = np.repeat(np.append(block_starts[1:], n), np.diff(np.append(block_starts, n)))
    new_run = new_block.copy()
    new_run[1:] |= bt[1:] != bt[:-1]
    run_of_position = np.cumsum(new_run) - 1
    position_of_row = np.empty(n, dtype=np.intp)
    position_of_row[by_group] = np.arange(n)
    runs, run_of_death = np.unique(
        run_of_position[position_of_row[death_rows]], return_inverse=True
    )
    run_first = np.flatnonzero(new_run)[runs]
    run_death_time = np.zeros(len(runs), dtype=np.intp)
    run_death_time[run_of_death] = death_time_of_death
    return by_group, block_end, run_first, run_of_death.ravel(), run_death_time


def evaluate(data: FrailtyData, beta: np.ndarray, frailty: np.ndarray) -> Evaluation:
    """Log partial likelihood, score and sparse information at coefficients β and frailties w."""
    p = len(beta)
    eta = beta @ data.x + frailty[data.group]
    largest = float(np.max(np.abs(eta)))
    shift = float(eta.max()) if largest > _SAFE_ETA else 0.0
    risk = np.exp(eta - shift) if shift else np.exp(eta)
    dead_risk = risk[data.death_rows]
    # Risk sets summed row by row from the last time back, as R's denom += risk does.
    so_far = _moments(risk, data.x)
    for lo, hi in itertools.pairwise(data.strata_rows):
        np.cumsum(so_far[:, lo:hi], axis=1, out=so_far[:, lo:hi])
    at_risk = so_far[:, data.death_time_rows]
    dying = _per_death_time(data, _moments(dead_risk, data.death_x))
    sums = _efron_sums(data, at_risk[0], dying[0])
    inverse, inverse_q, inverse2, inverse2_q, inverse2_q2, log_denominator = sums
    loglik = float(
        eta[data.death_rows].sum() - log_denominator.sum() - shift * len(data.death_rows)
    )
    r1, d1 = at_risk[1 : 1 + p], dying[1 : 1 + p]
    score = data.death_x_total - (r1 @ inverse - d1 @ inverse_q)
    second = _unpack(at_risk[1 + p :] @ inverse - dying[1 + p :] @ inverse_q, p)
    rd = (r1 * inverse2_q) @ d1.T
    information = second - ((r1 * inverse2) @ r1.T - rd - rd.T + (d1 * inverse2_q2) @ d1.T)
    group_score, group_information, cross = _group_terms(
        data, risk, dead_risk, r1, d1, (inverse, inverse_q, inverse2, inverse2_q, inverse2_q2)
    )
    return Evaluation(loglik, score, information, group_score, group_information, cross)


def _moments(risk: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Rows r, r·x_i and r·x_i·x_j (j ≥ i, np.triu_indices order), one column per row of x."""
    p = len(x)
    out = np.empty((1 + p + p * (p + 1) // 2, len(risk)))
    out[0] = risk
    np.multiply(x, risk, out=out[1 : 1 + p])
    row = 1 + p
    for i in range(p):
        np.multiply(out[1 + i], x[i:], out=out[row : row + p - i])
        row += p - i
    return out


def _efron_sums(data: FrailtyData, at_risk: np.ndarray, dying: np.ndarray) -> list[np.ndarray]:
    """Per death time: Σ 1/den, Σ q/den, Σ 1/den², Σ q/den², Σ q²/den², Σ log den over its terms."""
    q = data.term_fraction
    which = data.death_time_of_death
    denominator = at_risk[which] - q * dying[which]
    inverse = 1.0 / denominator
    terms = np.vstack((inverse, q * inverse, inverse**2, q * inverse**2, q * q * inverse**2))
    return list(_per_death_time(data, np.vstack((terms, np.log(denominator)))))


def _per_death_time(data: FrailtyData, per_death: np.ndarray) -> np.ndarray:
    """Sums of each row over the deaths (or Efron terms) of each death time.

    The deaths of a time are contiguous, so ``np.add.reduceat`` does it; but reduceat costs much
    more per group than ``np.bincount``, which is faster once the average time has fewer than
    about 8 deaths (continuous times: nearly every death its own group).
    """
    which, count = data.death_time_of_death, len(data.death_ties)
    if 8 * count < len(which):
        return np.add.reduceat(per_death, data.death_start, axis=1)
    return np.array([np.bincount(which, row, count) for row in per_death]).reshape(
        len(per_death), count
    )


def _group_terms(
    data: FrailtyData,
    risk: np.ndarray,
    dead_risk: np.ndarray,
    r1: np.ndarray,
    d1: np.ndarray,
    sums: tuple[np.ndarray, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score, information diagonal and covariate cross-information of the group frailties."""
    inverse, inverse_q, inverse2, inverse2_q, inverse2_q2 = sums
    p, groups = len(r1), data.n_groups
    # Cumulative per-time factors, C(T_i) of every row: the sums over death times t ≤ T_i.
    per_time = np.vstack((inverse, inverse2, r1 * inverse2 - d1 * inverse2_q))
    up_to = _cumulative_per_tie(data, per_time)
    hazard = up_to[0][data.tie_of_row]
    when = data.death_time_of_death
    expected = np.bincount(data.group, risk * hazard, groups) - np.bincount(
        data.death_group, dead_risk * inverse_q[when], groups
    )
    cross = np.empty((p, groups))
    for j in range(p):
        every_row = risk * (data.x[j] * hazard - up_to[2 + j][data.tie_of_row])
        at_death = dead_risk * (
            data.death_x[j] * inverse_q[when]
            - r1[j, when] * inverse2_q[when]
            + d1[j, when] * inverse2_q2[when]
        )
        cross[j] = np.bincount(data.group, every_row, groups) - np.bincount(
            data.death_group, at_death, groups
        )
    # Σ_t a_g(t)²/den² over the pairs of rows of each group, in (stratum, group, time) order.
    ordered = risk[data.by_group]
    from_here = np.cumsum(ordered[::-1])[::-1]
    tail = np.append(from_here, 0.0)[data.block_end]
    after = from_here - ordered - tail
    hazard2 = up_to[1][data.tie_by_group]
    square = np.bincount(data.group_by_group, ordered * hazard2 * (ordered + 2 * after), groups)
    # The deaths' own share a2_g(t) at the group's death times.
    run_risk = from_here[data.run_first] - tail[data.run_first]  # a_g(t)
    run_dying = np.bincount(data.run_of_death, dead_risk, len(data.run_first))  # a2_g(t)
    t = data.run_death_time
    square += np.bincount(
        data.run_group,
        run_dying * (run_dying * inverse2_q2[t] - 2 * run_risk * inverse2_q[t]),
        groups,
    )
    return data.deaths_in_group - expected, expected - square, cross


def _cumulative_per_tie(data: FrailtyData, per_time: np.ndarray) -> np.ndarray:
    """At each distinct time, the sums of the per-death-time values over death times up to it."""
    at_tie = np.zeros((len(per_time), len(data.tie_start)))
    at_tie[:, data.death_ties] = per_time
    return _reverse_cumsum_within(at_tie, data.strata_bounds)  # ties run from the last time


def _reverse_cumsum_within(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    result = np.empty_like(values)
    for lo, hi in itertools.pairwise(bounds):
        result[:, lo:hi] = np.cumsum(values[:, lo:hi][:, ::-1], axis=1)[:, ::-1]
    return result


def _unpack(packed: np.ndarray, p: int) -> np.ndarray:
    full = np.zeros((p, p))
    upper_i, upper_j = np.triu_indices(p)
    full[upper_i, upper_j] = packed
    full[upper_j, upper_i] = packed
    return full
