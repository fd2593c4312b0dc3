"""Fine–Gray pseudo-likelihood, score, information and crr's sandwich variance, in O(n log n).

Fine & Gray (JASA 1999;94:496) keep a subject who failed from a competing cause in the risk set
after its failure, weighted by Ĝ(t−)/Ĝ(tᵢ−), Ĝ the Kaplan–Meier curve of the censoring times (one
per censoring group). cmprsk's Fortran (crr.f: crrfsv, crrf, crrvv, crrfit) forms every risk set
afresh, O(n²) per iteration and O(n³) for the variance. Here the sums split in two parts that are
each a cumulative sum over the time-sorted rows:

* the subjects still followed at τ: a reverse cumulative sum of r·(1, x, x xᵀ), r = exp(xβ);
* the competing failures before τ: a forward cumulative sum of r·(1, x, x xᵀ)/Ĝ_g(tᵢ−) per
  censoring group g, multiplied by Ĝ_g(τ−) at each failure time τ.

The variance is crrvv's Ĥ⁻¹ (Σᵢ (ηᵢ + ψᵢ)(ηᵢ + ψᵢ)ᵀ) Ĥ⁻¹: η the score residuals, ψ the term for
the estimated censoring distribution (Fine & Gray's section 3); both become cumulative sums too.
Ties are Breslow's, as in crr: every failure at τ sees the same risk set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class FineGrayData:
    """Time-sorted rows and everything about them that does not change with β."""

    x: np.ndarray  # (n, p) covariates centred on their means, rows sorted by time
    centre: np.ndarray  # (p,) the means subtracted
    moments: np.ndarray  # (n, k) per row (1, x, x_a·x_b for a ≤ b): what the sums are sums of
    time: np.ndarray  # (n,) sorted times
    status: np.ndarray  # (n,) crr's codes: 1 the cause, 2 a competing cause, 0 censored
    group: np.ndarray  # (n,) censoring group 0 … G−1
    row_survival: np.ndarray  # (n,) Ĝ_g(tᵢ−) of the row's own censoring group
    failure_time: np.ndarray  # (m,) distinct times of the cause (crr's uftime)
    failure_start: np.ndarray  # (m,) first sorted row at each failure time
    failures: np.ndarray  # (m,) number failing from the cause at each
    group_failures: np.ndarray  # (G, m) the same by censoring group
    failure_survival: np.ndarray  # (G, m) Ĝ_g(τ−) at each failure time
    failure_x: np.ndarray  # (p,) Σ x over the cause's failures
    distinct_time: np.ndarray  # (M,) every distinct time
    distinct_start: np.ndarray  # (M,) first sorted row at each
    row_distinct: np.ndarray  # (n,) distinct-time index of each row
    row_failure_count: np.ndarray  # (n,) number of failure times ≤ the row's time

    @property
    def n_covariates(self) -> int:
        """Number of design columns."""
        return self.x.shape[1]

    @property
    def n_groups(self) -> int:
        """Number of censoring groups."""
        return self.failure_survival.shape[0]


@dataclass(frozen=True)
class Sums:
    """The pseudo-likelihood and its derivatives at β, with the risk-set sums they came from."""

    loglik: float
    score: np.ndarray  # (p,)
    information: np.ndarray  # (p, p)
    s0: np.ndarray  # (m,) Σ over the risk set of w·exp(xβ − shift)
    mean: np.ndarray  # (m, p) the risk set's weighted mean of x (centred)
    risk: np.ndarray  # (n,) exp(xβ − shift) per sorted row
    shift: float


def censoring_survival(time: np.ndarray, censored: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Kaplan–Meier of the censoring times just before ``at``, evaluated as crr evaluates it.

    crr calls ``approx(c(min(0, t) − 10ε, t, max(t)(1 + 10ε)), c(1, S, 0), xout = at(1 − 100ε),
    method = "constant")``: the curve at the last distinct time ≤ at·(1 − 100ε), 1 before the
    first time and 0 beyond the group's last time.
    """
    distinct, counts = np.unique(time, return_counts=True)
    at_risk = len(time) - np.concatenate(([0], np.cumsum(counts)[:-1]))
    censorings = np.bincount(np.searchsorted(distinct, time[censored]), minlength=len(distinct))
    curve = np.cumprod(1.0 - censorings / at_risk)
    where = at * (1 - 100 * EPS)
    index = np.searchsorted(distinct, where, side="right") - 1
    value = np.where(index >= 0, curve[np.maximum(index, 0)], 1.0)
    return np.where(where >= distinct[-1] * (1 + 10 * EPS), 0.0, value)


def prepare(
    columns: list[np.ndarray], time: np.ndarray, status: np.ndarray, group: np.ndarray
) -> FineGrayData:
    """Sort by time (stably, as R's order), centre, and find the failure times and weights."""
    order = np.argsort(time, kind="stable")
    ts, ss, gs = time[order].astype(np.float64), status[order], group[order]
    x = np.column_stack([np.asarray(c, dtype=np.float64)[order] for c in columns])
    centre = x.mean(axis=0)
    x -= centre
    p = x.shape[1]
    pairs = [(a, b) for a in range(p) for b in range(a, p)]
    moments = np.column_stack([np.ones(len(ts)), x] + [x[:, a] * x[:, b] for a, b in pairs])
    n_groups = int(gs.max()) + 1
    survival = np.vstack(
        [censoring_survival(ts[gs == g], ss[gs == g] == 0, ts) for g in range(n_groups)]
    )
    new_time = np.concatenate(([True], ts[1:] != ts[:-1]))
    distinct_start = np.flatnonzero(new_time)
    row_distinct = np.cumsum(new_time) - 1
    failed = ss == 1
    failure_rows = np.flatnonzero(failed)
    failure_start = distinct_start[np.unique(row_distinct[failure_rows])]
    failure_time = ts[failure_start]
    failure_index = np.searchsorted(failure_time, ts[failure_rows])
    group_failures = np.zeros((n_groups, len(failure_time)))
    np.add.at(group_failures, (gs[failure_rows], failure_index), 1.0)
    return FineGrayData(
        x=x,
        centre=centre,
        moments=moments,
        time=ts,
        status=ss,
        group=gs,
        row_survival=survival[gs, np.arange(len(ts))],
        failure_time=failure_time,
        failure_start=failure_start,
        failures=group_failures.sum(axis=0),
        group_failures=group_failures,
        failure_survival=survival[:, failure_start],
        failure_x=x[failed].sum(axis=0),
        distinct_time=ts[distinct_start],
        distinct_start=distinct_start,
        row_distinct=row_distinct,
        row_failure_count=np.searchsorted(failure_time, ts, side="right"),
    )


def _carried_weight(data: FineGrayData, risk: np.ndarray) -> np.ndarray:
    """r/Ĝ_g(tᵢ−) for competing failures (kept in the risk set afterwards), 0 for the others."""
    carried = np.zeros(len(risk))
    competing = data.status == 2
    carried[competing] = risk[competing] / data.row_survival[competing]
    return carried


def _exclusive_cumsum(values: np.ndarray) -> np.ndarray:
    """Row i of the result is the sum of rows before i; one extra row holds the total."""
    out = np.zeros((len(values) + 1, *values.shape[1:]))
    np.cumsum(values, axis=0, out=out[1:])
    return out


def risk_set_sums(data: FineGrayData, beta: np.ndarray) -> Sums:
    """crrfsv: minus the pseudo-log-likelihood, score and information, here with signs flipped.

    S_k = Σ_{tᵢ ≥ τ_k} rᵢ mᵢ + Σ_g Ĝ_g(τ_k−) Σ_{tᵢ < τ_k, competing, gᵢ = g} rᵢ mᵢ / Ĝ_g(tᵢ−), with
    m = (1, x, x xᵀ); loglik = Σ_failures xβ − Σ_k d_k log S0_k (Breslow), as crr's ``loglik``.
    """
    p = data.n_covariates
    eta = data.x @ beta
    shift = float(eta.max())
    risk = np.exp(eta - shift)
    weighted = data.moments * risk[:, None]
    followed = np.cumsum(weighted[::-1], axis=0)[::-1][data.failure_start]
    sums = followed
    carried = _carried_weight(data, risk)
    for g in range(data.n_groups):
        in_group = (data.group == g) & (carried > 0)
        if not in_group.any():
            continue
        before = _exclusive_cumsum(data.moments * (carried * in_group)[:, None])
        sums = sums + data.failure_survival[g][:, None] * before[data.failure_start]
    s0 = sums[:, 0]
    mean = sums[:, 1 : 1 + p] / s0[:, None]
    second = np.zeros((len(s0), p, p))
    column = 1 + p
    for a in range(p):
        for b in range(a, p):
            second[:, a, b] = second[:, b, a] = sums[:, column] / s0
            column += 1
    d = data.failures
    covariance = second - mean[:, :, None] * mean[:, None, :]
    return Sums(
        loglik=float(data.failure_x @ beta - d @ (np.log(s0) + shift)),
        score=data.failure_x - d @ mean,
        information=np.einsum("k,kab->ab", d, covariance),
        s0=s0,
        mean=mean,
        risk=risk,
        shift=shift,
    )


def loglik_only(data: FineGrayData, beta: np.ndarray) -> float:
    """crrf: the pseudo-log-likelihood alone, for the line search."""
    eta = data.x @ beta
    shift = float(eta.max())
    risk = np.exp(eta - shift)
    s0 = np.cumsum(risk[::-1])[::-1][data.failure_start]
    carried = _carried_weight(data, risk)
    for g in range(data.n_groups):
        before = np.concatenate(([0.0], np.cumsum(carried * (data.group == g))))
        s0 = s0 + data.failure_survival[g] * before[data.failure_start]
    return float(data.failure_x @ beta - data.failures @ (np.log(s0) + shift))


def score_residuals(data: FineGrayData, sums: Sums) -> np.ndarray:
    """crrvv's ηᵢ: dNᵢ(x − x̄) minus the row's share of every failure time's risk set."""
    x, mean, risk = data.x, sums.mean, sums.risk
    rate = data.failures / sums.s0  # dΛ₀ on the shifted scale
    counted = data.row_failure_count
    # Failure times up to tᵢ: weight rᵢ, the row was still followed.
    up_to = _exclusive_cumsum(rate)[counted]
    up_to_mean = _exclusive_cumsum(rate[:, None] * mean)[counted]
    eta = -risk[:, None] * (x * up_to[:, None] - up_to_mean)
    # Failure times after a competing failure: weight rᵢ Ĝ_g(τ−)/Ĝ_g(tᵢ−).
    carried = _carried_weight(data, risk)
    for g in range(data.n_groups):
        rows = np.flatnonzero((data.group == g) & (carried > 0))
        if len(rows) == 0:
            continue
        grate = rate * data.failure_survival[g]
        after = np.cumsum(grate[::-1])[::-1]
        after_mean = np.cumsum((grate[:, None] * mean)[::-1], axis=0)[::-1]
        after = np.append(after, 0.0)[counted[rows]]
        after_mean = np.vstack([after_mean, np.zeros((1, x.shape[1]))])[counted[rows]]
        eta[rows] -= carried[rows, None] * (x[rows] * after[:, None] - after_mean)
    failed = np.flatnonzero(data.status == 1)
    eta[failed] += x[failed] - mean[counted[failed] - 1]
    return eta


def censoring_terms(data: FineGrayData, sums: Sums) -> np.ndarray:
    """crrvv's ψᵢ, the score's dependence on the estimated censoring distribution Ĝ_g.

    q_g(u) = Σ_{τ_k ≥ u, failures in g} (d_kg/S0_k) Ĝ_g(τ_k−) Σ_{tⱼ < u, competing in g}
    rⱼ (xⱼ − x̄_k)/Ĝ_g(tⱼ−); ψᵢ = −Σ_{u ≤ tᵢ} q_g(u) dN^c_g(u)/Y_g(u)² + δ^c_i q_g(tᵢ)/Y_g(tᵢ).
    crrvv counts only the cause's failures in the row's own censoring group in q_g; so does this.
    """
    n, p = data.x.shape
    psi = np.zeros((n, p))
    carried = _carried_weight(data, sums.risk)
    starts = data.distinct_start
    first_failure = np.searchsorted(data.failure_time, data.distinct_time, side="left")
    for g in range(data.n_groups):
        in_group = data.group == g
        censored_here = np.bincount(
            data.row_distinct[in_group & (data.status == 0)], minlength=len(starts)
        )
        if not censored_here.any():
            continue
        count_at = np.bincount(data.row_distinct[in_group], minlength=len(starts))
        at_risk = np.cumsum(count_at[::-1])[::-1].astype(np.float64)
        before = _exclusive_cumsum(data.moments[:, : 1 + p] * (carried * in_group)[:, None])
        before = before[starts]
        grate = data.group_failures[g] * data.failure_survival[g] / sums.s0
        e = np.append(np.cumsum(grate[::-1])[::-1], 0.0)[first_failure]
        f = np.vstack(
            [np.cumsum((grate[:, None] * sums.mean)[::-1], axis=0)[::-1], np.zeros((1, p))]
        )[first_failure]
        q = before[:, 1:] * e[:, None] - before[:, :1] * f
        safe = np.maximum(at_risk, 1.0)
        increment = -q * (censored_here / safe**2)[:, None]
        cumulative = np.cumsum(increment, axis=0)
        rows = np.flatnonzero(in_group)
        where = data.row_distinct[rows]
        psi[rows] = cumulative[where]
        own = rows[data.status[rows] == 0]
        psi[own] += q[data.row_distinct[own]] / safe[data.row_distinct[own], None]
    return psi


def sandwich_middle(data: FineGrayData, sums: Sums) -> np.ndarray:
    """crrvv's v2 = Σᵢ (ηᵢ + ψᵢ)(ηᵢ + ψᵢ)ᵀ."""
    total = score_residuals(data, sums) + censoring_terms(data, sums)
    return total.T @ total


def baseline_jumps(data: FineGrayData, sums: Sums, beta: np.ndarray) -> np.ndarray:
    """crrfit's bfitj: d_k / S0_k on the covariates' own (uncentred) scale."""
    return data.failures / sums.s0 * np.exp(-sums.shift - float(data.centre @ beta))
