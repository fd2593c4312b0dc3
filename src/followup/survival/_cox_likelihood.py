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
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Literal

import numpy as np

from followup.survival._parallel import on_two_cores

Ties = Literal["efron", "breslow"]


@dataclass(frozen=True)
class CoxData:
    """Sorted rows and the bookkeeping that does not change between iterations."""

    x: np.ndarray  # (p, n) centred covariates, one contiguous row each, sorted by (stratum, time)
    weights: np.ndarray  # (n,)
    event: np.ndarray  # (n,) bool
    tie_time: np.ndarray  # (m,) the time of each distinct (stratum, time)
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
    reach: np.ndarray  # (p,) max |x| of each centred covariate: |xβ| ≤ reach·|β|
    unit_weights: bool  # every row weighs one (weights is then a read-only broadcast one)
    # Counting-process data (start, stop]: who is not yet at risk at each death time; None for
    # right-censored data, where everyone is at risk from time 0.
    entry: Entries | None = None
    centre: np.ndarray | None = None  # (p,) the (weighted) mean each covariate was centred by

    @property
    def n_covariates(self) -> int:
        """Number of design columns."""
        return self.x.shape[0]

    @cached_property
    def time(self) -> np.ndarray:
        """(n,) each row's time, sorted within stratum; for cox.zph only, so built on demand."""
        return self.tie_time[self.tie_of_row]


@dataclass(frozen=True)
class Entries:
    """Rows that enter late, (start, stop] with start at or after a death time of their stratum.

    A row is at risk at t when start < t ≤ stop (R's agreg). The sums over stop ≥ t count it from
    its stop back to time 0, so each death time's risk-set sums lose the rows with start ≥ t:
    rows grouped by the last death time at or before their start, then a reverse cumulative sum
    over death times (as R's agfit4 subtracts rows as its walk back in time passes their start).
    """

    start: np.ndarray  # (n,) each sorted row's start time
    last_death: np.ndarray  # (n,) last death time (index into death_ties) ≤ start, −1 if none
    rows: np.ndarray  # sorted rows with last_death ≥ 0, ordered by last_death
    x: np.ndarray  # (p, e) data.x of those rows, contiguous
    weights: np.ndarray | None  # (e,) their weights; None when every row weighs one
    segments: np.ndarray  # first entry of each run with one last_death
    segment_death: np.ndarray  # that death time of each run
    death_strata_bounds: np.ndarray  # (s + 1,) death-time offsets of the strata


@dataclass(frozen=True)
class RiskSetSums:
    """Per death time: risk-set and death sums, and Efron's scalar sums over its terms."""

    beta: np.ndarray  # the coefficients these sums are for
    shift: float  # the linear predictor was shifted by this to keep exp() finite
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
    order, day_key = _sort_order(time, died, stratum)
    n = len(order)
    x = np.empty((len(columns), n))
    # Unit weights are one read-only value seen n times: no array to fill, and nothing can write it.
    ws = np.broadcast_to(np.float64(1.0), (n,)) if weights is None else np.empty(n)
    gathers = [(column, row) for row, column in zip(x, columns, strict=True)]
    if day_key is None:
        ts, es = np.empty(n), np.empty(n, dtype=bool)
        gathers += [(time.astype(np.float64, copy=False), ts), (died, es)]
    if weights is not None:
        gathers.append((weights, ws))
    # Gathering rows in time order is random access: each array in halves, one on each core.
    half = n // 2
    on_two_cores(
        [
            partial(np.take, source[:], order[part], out=out[part])
            for source, out in gathers
            for part in (slice(0, half), slice(half, n))
        ]
    )
    if day_key is None:
        structure = _tie_structure(ts, es, stratum[order] if stratum.max() > 0 else None)
    else:  # whole days: the sorted keys, and so everything about ties, follow from their counts
        structure = _whole_day_structure(day_key)
        es = structure.event
    centre = np.array(
        [
            column.mean() if weights is None else (weights @ column) / weights.sum()
            for column in columns
        ]
    )
    for row, mean in zip(x, centre, strict=True):  # centred as R's coxfit6 centres them
        row -= mean
    tie_start, death_ties, deaths = structure.tie_start, structure.death_ties, structure.deaths
    death_rows = structure.death_rows
    if weights is None:
        death_weight = deaths.astype(np.float64)
    else:
        death_weight = np.add.reduceat(ws[death_rows], np.cumsum(deaths) - deaths)
    if ties == "efron":
        term_weight, n_terms = death_weight / deaths, deaths
    else:
        term_weight, n_terms = death_weight, np.ones_like(deaths)
    term_start = np.cumsum(n_terms) - n_terms
    if ties == "efron":  # q = k/d for the k-th of d deaths; in place, it is a million terms
        term_fraction = np.arange(int(n_terms.sum()), dtype=np.float64)
        term_fraction -= np.repeat(term_start.astype(np.float64), n_terms)
        term_fraction /= np.repeat(deaths.astype(np.float64), n_terms)
    else:
        term_fraction = np.zeros(len(deaths))
    segments, segment_tie, segment_died = _segments(tie_start, n, death_ties, deaths)
    return CoxData(
        x, ws, es, structure.tie_time, order, tie_start, structure.tie_of_row,
        structure.strata_bounds,
        death_rows, segments, segment_tie, segment_died,
        np.flatnonzero(np.diff(segment_tie, prepend=-1)), death_ties, deaths, term_weight,
        term_start, term_fraction,
        linear_combination(x, es if weights is None else ws * es),
        np.maximum(x.max(axis=1), -x.min(axis=1)),
        weights is None,
        None,
        centre,
    )  # fmt: skip


@dataclass(frozen=True)
class _TieStructure:
    """Where each distinct (stratum, time) starts, and its deaths, in the sorted rows."""

    event: np.ndarray  # (n,) bool, deaths first within each time
    tie_time: np.ndarray  # (m,) the time of each distinct (stratum, time)
    tie_start: np.ndarray  # (m,) first row of each distinct (stratum, time)
    tie_of_row: np.ndarray  # (n,) int32: tie group of each row
    strata_bounds: np.ndarray  # (s + 1,) tie-group offsets of the strata
    death_ties: np.ndarray  # (g,) tie groups with deaths
    deaths: np.ndarray  # (g,) their numbers of deaths
    death_rows: np.ndarray  # rows that are deaths, the first rows of their tie group


def _tie_structure(ts: np.ndarray, es: np.ndarray, ss: np.ndarray | None) -> _TieStructure:
    """From sorted times, events and strata (None: a single stratum)."""
    n = len(ts)
    new_tie = np.empty(n, dtype=bool)
    new_tie[0] = True
    np.not_equal(ts[1:], ts[:-1], out=new_tie[1:])
    if ss is not None:
        new_tie[1:] |= ss[1:] != ss[:-1]
    tie_start = np.flatnonzero(new_tie)
    tie_of_row: np.ndarray = np.cumsum(new_tie, dtype=np.int32 if n < 2**31 else np.int64)
    tie_of_row -= 1
    strata_bounds = (
        np.array([0, len(tie_start)])
        if ss is None
        else np.searchsorted(ss[tie_start], np.arange(int(ss.max()) + 2))
    )
    death_rows = np.flatnonzero(es)
    death_tie = tie_of_row[death_rows]
    death_group_start = np.flatnonzero(np.diff(death_tie, prepend=death_tie.dtype.type(-1)))
    deaths = np.diff(np.append(death_group_start, len(death_rows)))
    return _TieStructure(
        es, ts[tie_start], tie_start, tie_of_row, strata_bounds, death_tie[death_group_start],
        deaths, death_rows,
    )  # fmt: skip


def _whole_day_structure(day_key: np.ndarray) -> _TieStructure:
    """The same from the unsorted keys day << 1 | censored: a count per key says it all.

    Sorted, the keys are runs of equal values in increasing order, so every array here is a
    repeat of per-key or per-day values: no pass over a million sorted rows looks anything up.
    """
    per_key = np.bincount(day_key)
    keys = np.flatnonzero(per_key)
    rows_of_key = per_key[keys]
    day = keys >> 1
    first_key = np.flatnonzero(np.diff(day, prepend=-1))  # of each day, ascending
    rows_of_day = np.add.reduceat(rows_of_key, first_key)
    tie_start = np.cumsum(rows_of_day) - rows_of_day
    n, m = int(rows_of_day.sum()), len(first_key)
    # A day's deaths are its key with the censored bit clear, which sorts first.
    deaths_of_day = np.where(keys[first_key] & 1 == 0, rows_of_key[first_key], 0)
    death_ties = np.flatnonzero(deaths_of_day)
    deaths = deaths_of_day[death_ties]
    before = np.cumsum(deaths) - deaths
    death_rows = np.arange(int(deaths.sum())) + np.repeat(tie_start[death_ties] - before, deaths)
    return _TieStructure(
        np.repeat(keys & 1 == 0, rows_of_key),
        day[first_key].astype(np.float64),
        tie_start,
        np.repeat(np.arange(m, dtype=np.int32 if n < 2**31 else np.int64), rows_of_day),
        np.array([0, m]),
        death_ties,
        deaths,
        death_rows,
    )


def linear_predictor(data: CoxData, beta: np.ndarray) -> np.ndarray:
    """xβ of every sorted row."""
    return np.einsum("i,ij->j", beta, data.x)  # see linear_combination


def linear_combination(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_j x[:, j]·weights[j] per covariate row.

    einsum, not BLAS: OpenBLAS splits a long matrix-vector product over every core, and its
    threads then spin, waiting for more, long enough to slow the two-core work that follows.
    """
    return np.einsum("ij,j->i", x, weights)


def _sort_order(
    time: np.ndarray, died: np.ndarray, stratum: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Order by (stratum, time, deaths first), and for small whole days the key sorted on.

    Small whole days take one radix pass over a 2-byte key, day << 1 | censored.
    """
    if stratum.max() == 0:
        if time.max() < 32768:
            day = time.astype(np.uint16)
            if time.dtype.kind in "iu" or np.array_equal(day, time):
                day <<= 1
                day += ~died
                return np.argsort(day, kind="stable"), day
        deaths_first = np.argsort(~died, kind="stable")
        return deaths_first[np.argsort(time[deaths_first], kind="stable")], None
    return np.lexsort((~died, time, stratum)), None


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
    # A constant shift of the linear predictor leaves the partial likelihood unchanged; one at
    # least the largest xβ keeps exp() from overflowing for large coefficients. The bound
    # reach·|β| needs no pass over the rows, so xβ is formed chunk by chunk in cache; it is used
    # while every exp(xβ − shift) stays far above underflow, else the exact maximum.
    bound = float(data.reach @ np.abs(beta))
    eta = None
    if bound <= _SAFE_SHIFT:
        shift = bound
    else:
        eta = linear_predictor(data, beta)
        shift = float(eta.max())
    width = 1 + len(beta) * (len(beta) + 3) // 2
    parts = np.empty((len(data.segments), width))
    # One core: in cache-sized chunks this is fast enough that a second core, sharing the memory
    # bandwidth, measured no faster.
    weights = None if data.unit_weights else data.weights
    _segment_sums(data.x, weights, data.segments, beta, shift, eta, parts)
    at_time = np.add.reduceat(parts, data.tie_first_segment, axis=0)
    dying_all = np.zeros_like(at_time)
    dying_all[data.segment_tie[data.segment_died]] = parts[data.segment_died]
    from_time_on = _reverse_cumsum_within_strata(at_time, data.strata_bounds)[data.death_ties]
    if data.entry is not None:
        from_time_on -= _not_yet_entered(data.entry, beta, shift, eta, len(data.death_ties), width)
    dying = dying_all[data.death_ties]
    efron = _efron_sums(data, from_time_on[:, 0], dying[:, 0])
    return RiskSetSums(
        beta, shift, from_time_on, dying, efron[:, 0], efron[:, 1], efron[:, 2:5], efron[:, 5]
    )


# exp(xβ − shift) ≥ e^(−2·300): normal doubles, and the shift costs the log-likelihood at most
# two of its sixteen digits.
_SAFE_SHIFT = 300.0


def _efron_sums(data: CoxData, at_risk: np.ndarray, dying: np.ndarray) -> np.ndarray:
    """Per death time, over its terms: Σ 1/den, Σ q/den, Σ q^j/den² (j = 0, 1, 2), Σ log den.

    In chunks of whole death times, so that the per-term values stay in cache; they are the rows
    of one array, so one reduceat sums them all.
    """
    n_terms = n_terms_of(data)
    q, term_start = data.term_fraction, data.term_start
    out = np.empty((len(term_start), 6))
    terms = np.empty((6, _CHUNK_ROWS))
    for lo, hi, first, last in _chunks(term_start, len(q)):
        if last - first > terms.shape[1]:  # one death time with more deaths than a chunk
            terms = np.empty((6, last - first))
        inverse, inverse_q, inverse2, inverse2_q, inverse2_q2, log = terms[:, : last - first]
        counts, fraction = n_terms[lo:hi], q[first:last]
        denominator = log  # R₀ − q·D₀, its log taken last
        np.multiply(fraction, np.repeat(dying[lo:hi], counts), out=denominator)
        np.subtract(np.repeat(at_risk[lo:hi], counts), denominator, out=denominator)
        np.divide(1.0, denominator, out=inverse)
        np.multiply(fraction, inverse, out=inverse_q)
        np.multiply(inverse, inverse, out=inverse2)
        np.multiply(inverse2, fraction, out=inverse2_q)
        np.multiply(inverse2_q, fraction, out=inverse2_q2)
        np.log(denominator, out=log)
        out[lo:hi] = np.add.reduceat(terms[:, : last - first], term_start[lo:hi] - first, axis=1).T
    return out


def _not_yet_entered(
    entry: Entries, beta: np.ndarray, shift: float, eta: np.ndarray | None, g: int, width: int
) -> np.ndarray:
    """(g, width): per death time, the sums of r·(1, x, x xᵀ) over rows with start ≥ that time."""
    per_death = np.zeros((g, width))
    if len(entry.rows):
        parts = np.empty((len(entry.segments), width))
        entry_eta = None if eta is None else eta[entry.rows]
        _segment_sums(entry.x, entry.weights, entry.segments, beta, shift, entry_eta, parts)
        per_death[entry.segment_death] = parts
    return _reverse_cumsum_within_strata(per_death, entry.death_strata_bounds)


def _segment_sums(
    xs: np.ndarray,
    ws: np.ndarray | None,
    segments: np.ndarray,
    beta: np.ndarray,
    shift: float,
    eta: np.ndarray | None,
    parts: np.ndarray,
) -> None:
    """Fill parts with each segment's sums of r, r·x and r·x·xᵀ, r = w·exp(xβ − shift).

    Segments are runs of the columns of xs (weights ws, None: all one), e.g. each time's deaths
    and the rest. In chunks of whole segments small enough that every product stays in cache:
    whole-length products would make this memory-bound. Each chunk's terms are the rows of one
    array, so one reduceat sums them all; xβ comes from eta if given, else is formed per chunk.
    """
    n = xs.shape[1]
    p = xs.shape[0]
    # Rows of the terms: r, r·x_i, then r·x_i·x_j for j ≥ i in np.triu_indices order.
    product_rows = np.cumsum([1 + p] + [p - i for i in range(p)])
    terms = np.empty((len(parts[0]), _CHUNK_ROWS))
    for lo, hi, row_lo, row_hi in _chunks(segments, n):
        if row_hi - row_lo > terms.shape[1]:  # one segment longer than a chunk
            terms = np.empty((len(parts[0]), row_hi - row_lo))
        chunk = terms[:, : row_hi - row_lo]
        x = xs[:, row_lo:row_hi]
        risk, weighted_x = chunk[0], chunk[1 : 1 + p]
        if eta is None:  # the rows of x·β, summed: two calls, where einsum's loop order is slow
            np.multiply(x, beta[:, None], out=weighted_x)
            np.sum(weighted_x, axis=0, out=risk)
        else:
            risk[:] = eta[row_lo:row_hi]
        risk -= shift
        np.exp(risk, out=risk)
        if ws is not None:
            risk *= ws[row_lo:row_hi]
        np.multiply(x, risk, out=weighted_x)
        for i in range(p):
            np.multiply(weighted_x[i], x[i:], out=chunk[product_rows[i] : product_rows[i + 1]])
        parts[lo:hi] = np.add.reduceat(chunk, segments[lo:hi] - row_lo, axis=1).T


_CHUNK_ROWS = 1 << 14


def _chunks(starts: np.ndarray, total: int) -> Iterator[tuple[int, int, int, int]]:
    """Runs of whole groups (group g spans starts[g] to the next start) of about _CHUNK_ROWS.

    Yields the groups lo:hi and the rows first:last they span; a group longer than a chunk
    comes alone.
    """
    lo = 0
    while lo < len(starts):
        first = int(starts[lo])
        hi = max(int(np.searchsorted(starts, first + _CHUNK_ROWS)), lo + 1)
        yield lo, hi, first, int(starts[hi]) if hi < len(starts) else total
        lo = hi


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
