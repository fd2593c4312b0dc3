"""Cox partial likelihood, score and information with Breslow or Efron ties, as R's coxfit6.c.

Rows are sorted once by (stratum, time), each covariate kept as one contiguous row. Per iteration
a few multiplies and ``np.add.reduceat`` give each distinct time's sums of r, r·x and r·x·xᵀ
(r = w·exp(xβ)); reverse cumulative sums within the stratum turn them into risk-set sums R₀, R₁, R₂,
and the same over the time's deaths gives D₀, D₁, D₂. The products x_i·x_j are formed on the fly:
storing them costs more in first-touch page faults than recomputing them does.

Efron's k-th term (k = 0 … d−1) removes the fraction q = k/d of the deaths' risk: its denominator is
R₀ − q·D₀ and its numerators are linear in q. So every sum over the terms of a time reduces to five
scalar sums of 1/den and q/den (and their squares) times the time's vectors: the work per term is a
few scalars, and the vectors and matrices are touched once per distinct death time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np

from followup.survival._parallel import in_background

Ties = Literal["efron", "breslow"]


@dataclass(frozen=True)
class CoxData:
    """Sorted rows and the bookkeeping that does not change between iterations."""

    x: np.ndarray  # (p, n) centred covariates, one contiguous row each, sorted by (stratum, time)
    weights: np.ndarray  # (n,)
    event: np.ndarray  # (n,) bool
    time: np.ndarray  # (n,) sorted within stratum
    order: np.ndarray  # (n,) original row of each sorted row
    tie_start: np.ndarray  # (m,) first sorted row of each distinct (stratum, time)
    tie_of_row: np.ndarray  # (n,) tie group of each sorted row
    strata_bounds: np.ndarray  # (s + 1,) tie-group offsets of the strata
    death_rows: np.ndarray  # sorted rows that are events (first within their time)
    segments: np.ndarray  # starts of the non-empty (time, died) row segments, for reduceat
    segment_tie: np.ndarray  # tie group of each segment
    segment_died: np.ndarray  # whether each segment holds the time's deaths
    tie_first_segment: np.ndarray  # first segment of each tie group
    death_ties: np.ndarray  # (g,) tie group of each death time
    deaths: np.ndarray  # (g,) number of events at each death time
    term_weight: np.ndarray  # (g,) R's weight per term: Σw/d (Efron) or Σw (Breslow)
    term_start: np.ndarray  # (g,) first Efron term of each death time
    term_fraction: np.ndarray  # (terms,) q = k/d, the share of the deaths' risk removed
    weighted_death_x: np.ndarray  # (p,) Σ w·x over events

    @property
    def n_covariates(self) -> int:
        """Number of design columns."""
        return self.x.shape[0]


@dataclass(frozen=True)
class RiskSetSums:
    """Per death time: risk-set and death sums, and Efron's scalar sums over its terms."""

    shift: float  # the linear predictor was shifted by this to keep exp() finite
    risk: np.ndarray  # (n,) w·exp(xβ − shift)
    at_risk: np.ndarray  # (g, k) R: Σ over the risk set of r·(1, x, x xᵀ)
    dying: np.ndarray  # (g, k) D: the same over the time's deaths
    inverse: np.ndarray  # (g,) Σ_k 1/den_k
    inverse_q: np.ndarray  # (g,) Σ_k q_k/den_k
    inverse2: np.ndarray  # (g, 3) Σ_k q_k^j/den_k², j = 0, 1, 2
    log_denominator: np.ndarray  # (g,) Σ_k log den_k


def prepare(
    columns: list[np.ndarray],
    time: np.ndarray,
    event: np.ndarray,
    stratum: np.ndarray,
    weights: np.ndarray | None,
    ties: Ties,
) -> CoxData:
    """Sort, centre and index the data once for every iteration that follows.

    ``columns`` are the design's covariate columns; ``weights=None`` means every row weighs one.
    """
    died = event.astype(bool)
    order = _sort_order(time, died, stratum)
    x = np.empty((len(columns), len(order)))
    # Gathering the covariates in time order is random access: half of them on another core.
    gathered = [
        in_background(partial(_gather_centred, column, order, weights, row))
        for row, column in list(zip(x, columns, strict=True))[1::2]
    ]
    for row, column in list(zip(x, columns, strict=True))[::2]:
        _gather_centred(column, order, weights, row)
    ts, es = time[order], died[order]
    ws = np.ones(len(ts)) if weights is None else weights[order]
    for job in gathered:
        job.result()
    new_tie = np.empty(len(ts), dtype=bool)
    new_tie[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new_tie[1:])
    ss = np.zeros(1, dtype=np.intp)
    if stratum.max() > 0:
        ss = stratum[order]
        new_tie[1:] |= ss[1:] != ss[:-1]
    tie_start = np.flatnonzero(new_tie)
    tie_of_row = np.cumsum(new_tie) - 1
    strata_bounds = (
        np.array([0, len(tie_start)])
        if len(ss) == 1
        else np.searchsorted(ss[tie_start], np.arange(int(ss.max()) + 2))
    )
    death_rows = np.flatnonzero(es)
    death_tie = tie_of_row[death_rows]
    death_group_start = np.flatnonzero(np.diff(death_tie, prepend=-1))
    death_ties = death_tie[death_group_start]
    deaths = np.diff(np.append(death_group_start, len(death_rows)))
    death_weight = np.add.reduceat(ws[death_rows], death_group_start)
    if ties == "efron":
        term_weight, n_terms = death_weight / deaths, deaths
    else:
        term_weight, n_terms = death_weight, np.ones_like(deaths)
    term_start = np.cumsum(n_terms) - n_terms
    k = np.arange(int(n_terms.sum())) - np.repeat(term_start, n_terms)
    term_fraction = k / np.repeat(deaths, n_terms) if ties == "efron" else np.zeros(len(k))
    segments, segment_tie, segment_died = _segments(tie_start, len(ts), death_ties, deaths)
    return CoxData(
        x, ws, es, ts, order, tie_start, tie_of_row, strata_bounds, death_rows, segments,
        segment_tie, segment_died, np.flatnonzero(np.diff(segment_tie, prepend=-1)), death_ties,
        deaths, term_weight, term_start, term_fraction, x @ (ws * es),
    )  # fmt: skip


def _gather_centred(
    column: np.ndarray, order: np.ndarray, weights: np.ndarray | None, out: np.ndarray
) -> None:
    """out = column[order] − its (weighted) mean, centred as R's coxfit6 centres."""
    np.take(column, order, out=out)
    out -= column.mean() if weights is None else (weights @ column) / weights.sum()


def _sort_order(time: np.ndarray, died: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """Order by (stratum, time, deaths first); one radix pass when times are small whole days."""
    if stratum.max() == 0:
        whole = time.astype(np.int64)
        if whole.max() < 32768 and np.array_equal(whole, time):
            key = (whole << 1).astype(np.uint16)
            key += ~died
            return np.argsort(key, kind="stable")
        deaths_first = np.argsort(~died, kind="stable")
        return deaths_first[np.argsort(time[deaths_first], kind="stable")]
    return np.lexsort((~died, time, stratum))


def _segments(
    tie_start: np.ndarray, n: int, death_ties: np.ndarray, deaths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each time's rows split into its deaths (first) and the rest; empty parts dropped."""
    size = np.diff(np.append(tie_start, n))
    died = np.zeros(len(tie_start), dtype=np.int64)
    died[death_ties] = deaths
    start = np.stack((tie_start, tie_start + died), axis=1).ravel()
    length = np.stack((died, size - died), axis=1).ravel()
    kind = np.tile([True, False], len(tie_start))
    keep = length > 0
    return start[keep], np.repeat(np.arange(len(tie_start)), 2)[keep], kind[keep]


def risk_set_sums(data: CoxData, beta: np.ndarray) -> RiskSetSums:
    """Risk-set sums at every death time for coefficients beta."""
    eta = beta @ data.x
    # A constant shift of the linear predictor leaves the partial likelihood unchanged; taking
    # the largest keeps exp() from overflowing for large coefficients.
    shift = float(eta.max())
    n_segments = len(data.segments)
    parts = np.empty((n_segments, 1 + len(beta) * (len(beta) + 3) // 2))
    # The rows split at a segment boundary into halves with no sum in common: two cores.
    middle = int(np.searchsorted(data.segments, len(eta) // 2)) if len(eta) >= _SPLIT else 0
    halves = [(0, middle), (middle, n_segments)] if 0 < middle < n_segments else [(0, n_segments)]
    pending = [
        in_background(partial(_segment_sums, data, eta, shift, parts, first, last))
        for first, last in halves[1:]
    ]
    _segment_sums(data, eta, shift, parts, *halves[0])
    for job in pending:
        job.result()
    risk = eta  # _segment_sums turned eta into w·exp(eta − shift) in place
    at_time = np.add.reduceat(parts, data.tie_first_segment, axis=0)
    dying_all = np.zeros_like(at_time)
    dying_all[data.segment_tie[data.segment_died]] = parts[data.segment_died]
    from_time_on = _reverse_cumsum_within_strata(at_time, data.strata_bounds)[data.death_ties]
    dying = dying_all[data.death_ties]
    n_terms = n_terms_of(data)
    q = data.term_fraction
    denominator = np.repeat(from_time_on[:, 0], n_terms) - q * np.repeat(dying[:, 0], n_terms)
    inverse = 1.0 / denominator
    inverse_q = q * inverse
    inverse_sq = inverse * inverse
    inverse_sq_q = q * inverse_sq

    def per_time(values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, data.term_start)

    squares = np.column_stack(
        (per_time(inverse_sq), per_time(inverse_sq_q), per_time(q * inverse_sq_q))
    )
    log_denominator = per_time(np.log(denominator, out=denominator))
    return RiskSetSums(
        shift, risk, from_time_on, dying, per_time(inverse), per_time(inverse_q), squares,
        log_denominator,
    )  # fmt: skip


_SPLIT = 1 << 18


def _segment_sums(
    data: CoxData,
    eta: np.ndarray,
    shift: float,
    parts: np.ndarray,
    first: int,
    last: int,
) -> None:
    """Fill parts[first:last] with each (time, died) segment's sums of r, r·x and r·x·xᵀ.

    Works on the rows of those segments only, turning eta into r = w·exp(eta − shift) there.
    """
    lo = int(data.segments[first]) if first < len(data.segments) else len(eta)
    hi = int(data.segments[last]) if last < len(data.segments) else len(eta)
    starts = data.segments[first:last] - lo
    risk = eta[lo:hi]
    risk -= shift
    np.exp(risk, out=risk)
    risk *= data.weights[lo:hi]
    x = data.x[:, lo:hi]
    weighted_x = [row * risk for row in x]
    block = parts[first:last]
    for column, row in enumerate([risk, *weighted_x]):
        block[:, column] = np.add.reduceat(row, starts)
    column = 1 + len(x)
    product = np.empty_like(risk)
    for i, j in zip(*np.triu_indices(len(x)), strict=True):
        np.multiply(weighted_x[i], x[j], out=product)
        block[:, column] = np.add.reduceat(product, starts)
        column += 1


def _reverse_cumsum_within_strata(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    result = np.empty_like(values)
    for lo, hi in itertools.pairwise(bounds):
        result[lo:hi] = np.cumsum(values[lo:hi][::-1], axis=0)[::-1]
    return result


def term_means(sums: RiskSetSums, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Σ_k mean_k and Σ_k mean_k/den_k per death time: R₁·S − D₁·S_q for S = Σ1/den, Σ1/den²."""
    r1, d1 = sums.at_risk[:, 1 : 1 + p], sums.dying[:, 1 : 1 + p]
    first = r1 * sums.inverse[:, None] - d1 * sums.inverse_q[:, None]
    second = r1 * sums.inverse2[:, :1] - d1 * sums.inverse2[:, 1:2]
    return first, second


def information_per_time(sums: RiskSetSums, p: int) -> np.ndarray:
    """Each death time's Σ_k (E_k[x xᵀ] − E_k[x] E_k[x]ᵀ), before R's per-term weight: (g, p, p)."""
    r1, d1 = sums.at_risk[:, 1 : 1 + p], sums.dying[:, 1 : 1 + p]
    packed = (
        sums.at_risk[:, 1 + p :] * sums.inverse[:, None]
        - sums.dying[:, 1 + p :] * sums.inverse_q[:, None]
    )
    second = unpack_symmetric(packed, p)
    c0, c1, c2 = (sums.inverse2[:, j, None, None] for j in range(3))
    outer_rr = r1[:, :, None] * r1[:, None, :]
    outer_rd = r1[:, :, None] * d1[:, None, :]
    outer_dd = d1[:, :, None] * d1[:, None, :]
    return second - (outer_rr * c0 - (outer_rd + outer_rd.transpose(0, 2, 1)) * c1 + outer_dd * c2)


def partial_likelihood(
    data: CoxData, beta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, RiskSetSums]:
    """Log partial likelihood, score vector and information matrix at beta."""
    sums = risk_set_sums(data, beta)
    p = data.n_covariates
    weight = data.term_weight
    # Σ w·xβ over the deaths is β·(Σ w·x), computed once; the shift cancels as in the sums.
    loglik = float(
        beta @ data.weighted_death_x
        - sums.shift * data.term_weight @ n_terms_of(data)
        - weight @ sums.log_denominator
    )
    mean_sum, _ = term_means(sums, p)
    score = data.weighted_death_x - weight @ mean_sum
    information = np.einsum("g,gij->ij", weight, information_per_time(sums, p))
    return loglik, score, information, sums


def n_terms_of(data: CoxData) -> np.ndarray:
    """Number of Efron terms at each death time (1 for Breslow)."""
    return np.diff(np.append(data.term_start, len(data.term_fraction)))


def unpack_symmetric(packed: np.ndarray, p: int) -> np.ndarray:
    """Full symmetric matrices from packed upper triangles (np.triu_indices order), last axis."""
    full = np.zeros((*packed.shape[:-1], p, p))
    upper_i, upper_j = np.triu_indices(p)
    full[..., upper_i, upper_j] = packed
    full[..., upper_j, upper_i] = packed
    return full
