"""Harrell's concordance of a Cox model with its infinitesimal-jackknife SE, as R's coxph reports.

A pair is comparable when one subject has the event while the other is still at risk (later time,
or censored at the same time); it is concordant when the earlier event had the higher risk score.
Pairs of events at the same time are tied on time and excluded; equal scores count one half.
The SE follows R's concordancefit: each subject's influence is its share of concordant minus
discordant pairs, so every subject needs its own counts — 2-D dominance counts (see _dominance).
With clusters the influences are summed within each before squaring (R's cluster=); with
(start, stop] rows the pairs with a member not yet entered are taken out (see
_cox_counting_concordance: with unit weights and distinct scores, the common case of continuous
covariates, its unit_counting_influence does the whole stratum in one score order; tied
scores or weights take the general path, _late_pairs and _stratum_counts).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from followup.survival._cox_counting_concordance import (
    LatePairs,
    late_pairs,
    unit_counting_influence,
)
from followup.survival._cox_likelihood import CoxData
from followup.survival._dominance import (
    BlockCounts,
    earlier_counts_reduced,
    earlier_lower_and_higher,
)
from followup.survival._dominance import (
    score_order_and_ties as score_order_and_ties,  # re-exported: tests import it from here
)


@dataclass(frozen=True)
class Concordance:
    """Weighted pair counts, the concordance C = (concordant + tied/2) / comparable, and its SE."""

    concordant: float
    discordant: float
    tied_risk: float
    tied_time: float
    tied_both: float
    estimate: float
    std_err: float

    @property
    def notes(self) -> tuple[str, ...]:
        """Why the estimate may be NaN."""
        if self.concordant + self.discordant + self.tied_risk == 0:
            return ("no comparable pairs (all events at one time): concordance is undefined",)
        return ()


@dataclass(frozen=True)
class _Influence:
    """One stratum's per-subject influence terms (in risk-score order) and its pair totals."""

    signed: np.ndarray  # pairs where the other subject scores higher, minus lower (R's orientation)
    comparable: np.ndarray  # all comparable pairs of the subject
    weights: np.ndarray | None  # the subjects' weights, in the same order; None: all one
    totals: np.ndarray  # higher, lower, tied risk, tied time, tied both (summed over events)
    rows: np.ndarray  # the sorted row of each subject, in the same order

    def dfbeta(self, somers: Fraction | float) -> np.ndarray:
        """Each subject's w·(signed − somers·comparable)."""
        dfbeta = self.signed - float(somers) * self.comparable
        if self.weights is not None:
            dfbeta *= self.weights
        return dfbeta

    def squared(self, somers: Fraction | float) -> float:
        """Σ over subjects of (w·(signed − somers·comparable))²."""
        dfbeta = self.dfbeta(somers)
        return float(dfbeta @ dfbeta)


@dataclass(frozen=True)
class _InfluenceMoments:
    """The same for unit weights, as exact integer sums: the terms themselves are never kept."""

    signed2: int  # Σ signed²
    cross: int  # Σ signed·comparable
    comparable2: int  # Σ comparable²
    totals: np.ndarray

    def squared(self, somers: Fraction | float) -> Fraction | float:
        """Σ (signed − somers·comparable)², exact when somers is a fraction."""
        return self.signed2 - 2 * somers * self.cross + somers * somers * self.comparable2


def concordance(data: CoxData, score: np.ndarray, cluster: np.ndarray | None = None) -> Concordance:
    """Concordance of the risk score with survival, pairs within strata (R: coxph's concordance).

    Works on the fit's sorted rows: the tie group of a row is already its time rank. cluster
    gives each sorted row's cluster code, whose influences are summed before squaring.
    """
    n = len(score)
    parts: list[_Influence | _InfluenceMoments] = []
    row_bounds = np.append(data.tie_start, n)[data.strata_bounds]
    tie_deaths = np.zeros(len(data.tie_start), dtype=np.int64)
    tie_deaths[data.death_ties] = data.deaths
    # Rows per tie group: censored, then deaths.
    per_tie = np.stack((np.diff(np.append(data.tie_start, n)) - tie_deaths, tie_deaths), axis=1)
    for s, (lo, hi) in enumerate(itertools.pairwise(row_bounds)):
        if hi > lo:  # else a stratum code with no rows
            parts.append(_stratum(data, score, s, slice(int(lo), int(hi)), per_tie, cluster))
    # Counts are in R's orientation before coxph's reverse=TRUE: "higher" means the other subject
    # of an event's pair scores higher. Higher risk should fail first, hence the reversal.
    above, below, ties, tied_time, tied_both = np.sum([part.totals for part in parts], axis=0)
    pairs = above + below + ties
    if pairs == 0:  # every event at one time and nobody left at risk: nothing to compare
        return Concordance(below, above, ties, tied_time, tied_both, np.nan, np.nan)
    somers = (above - below) / pairs
    # R's concordancefit: dfbeta = w ((higher − lower) / pairs − somers / pairs · comparable).
    # With unit weights every count is a whole number: the sum of squares is then exact.
    if cluster is not None:
        dfbeta = np.zeros(n)
        for part in parts:
            assert isinstance(part, _Influence)  # arrays=True above
            dfbeta[part.rows] = part.dfbeta(somers)
        grouped = np.bincount(cluster, weights=dfbeta)
        variance = float(grouped @ grouped) / (4 * pairs**2)
    elif all(isinstance(part, _InfluenceMoments) for part in parts):
        ratio = Fraction(int(above - below), int(pairs))
        squares = sum((part.squared(ratio) for part in parts), start=Fraction(0))
        variance = float(squares / (4 * Fraction(int(pairs)) ** 2))
    else:
        variance = sum(float(part.squared(somers)) for part in parts) / (4 * pairs**2)
    return Concordance(
        below, above, ties, tied_time, tied_both, 1 - (somers + 1) / 2, float(np.sqrt(variance))
    )


def _stratum(
    data: CoxData,
    score: np.ndarray,
    s: int,
    rows: slice,
    per_tie: np.ndarray,
    cluster: np.ndarray | None,
) -> _Influence | _InfluenceMoments:
    """One stratum's influence terms, or their sums (see _stratum_counts)."""
    ties = slice(int(data.strata_bounds[s]), int(data.strata_bounds[s + 1]))
    # A time key that encodes "still at risk": with T the rank of time from the latest
    # (0 = latest), key = 2T + event, and subject j is in the risk set of an event i exactly
    # when key_j < key_i (later times, or censored at the same time). Its low bit is the
    # event flag.
    tie = data.tie_of_row[rows]
    key = tie[-1] - tie if rows.stop - rows.start < 2**30 else tie[-1] - tie.astype(np.int64)
    key <<= 1
    key += data.event[rows]
    unit = data.unit_weights or bool(np.all(data.weights[rows] == 1))
    # Rows per key, from the tie groups (latest first): censored at 2T, deaths at 2T + 1.
    per_key = per_tie[ties][::-1].ravel()[: int(key[0]) + 1]  # the earliest time: the largest key
    if data.entry is not None and unit:
        counted = _unit_counting(data, score, rows, s, key, per_key)
        if counted is not None:  # else scores tie
            return counted
    late = None if data.entry is None else _late_pairs(data, score, rows, ties, unit)
    part = _stratum_counts(
        key, data.event[rows], data.weights[rows], score[rows], unit, per_key,
        late, arrays=late is not None or cluster is not None,
    )  # fmt: skip
    if isinstance(part, _Influence):
        part = replace(part, rows=part.rows + rows.start)
    return part


def _unit_counting(
    data: CoxData,
    score: np.ndarray,
    rows: slice,
    stratum: int,
    key: np.ndarray,
    per_key: np.ndarray,
) -> _Influence | None:
    """The stratum's terms from one risk-score order (unit weights); None if scores tie."""
    assert data.entry is not None
    first_death = int(data.entry.death_strata_bounds[stratum])
    ties = slice(int(data.strata_bounds[stratum]), int(data.strata_bounds[stratum + 1]))
    death_of_tie = np.zeros(ties.stop - ties.start, dtype=np.int64)
    deaths = slice(first_death, int(data.entry.death_strata_bounds[stratum + 1]))
    death_of_tie[data.death_ties[deaths] - ties.start] = np.arange(deaths.stop - deaths.start)
    rows_per_key = per_key.astype(np.float64)
    events_per_key = rows_per_key * (np.arange(len(per_key)) & 1)
    tables = _risk_sets_and_events_after(rows_per_key, events_per_key)
    found = unit_counting_influence(
        score[rows], key, data.event[rows], tables, death_of_tie[::-1],
        (data.entry.last_death[rows], first_death),
    )  # fmt: skip
    if found is None:
        return None
    tied_time = float(events_per_key @ (events_per_key - 1)) / 2
    totals = np.array([found.higher, found.lower, 0.0, tied_time, 0.0])
    return _Influence(found.signed, found.comparable, None, totals, found.order + rows.start)


def _late_pairs(
    data: CoxData, score: np.ndarray, rows: slice, ties: slice, unit: bool
) -> LatePairs:
    """The stratum's pairs whose member had not yet entered, for (start, stop] rows."""
    assert data.entry is not None
    time_index = data.tie_of_row[rows] - ties.start
    entered_after = np.searchsorted(data.tie_time[ties], data.entry.start[rows], side="right")
    weights = None if unit else data.weights[rows]
    return late_pairs(score[rows], time_index, entered_after, data.event[rows], weights)


def _stratum_counts(
    key: np.ndarray,
    event: np.ndarray,
    weights: np.ndarray,
    score: np.ndarray,
    unit: bool,
    rows_per_key: np.ndarray,
    late: LatePairs | None = None,
    *,
    arrays: bool = False,
) -> _Influence | _InfluenceMoments:
    """The stratum's influence terms (with unit weights and no tied scores, their exact sums).

    Also the stratum's pair totals. key is 2·(time rank from the latest) + event, in time order.
    late: the (start, stop] pairs to take out; arrays: keep the per-subject terms (for clusters).
    """
    # In risk-score order, among equal scores the higher key first, so that "earlier" never
    # pairs two equal scores the wrong way round for the lower-key count (the other count is
    # corrected for ties below). Everything after this stays in that order.
    order, ties = score_order_and_ties(score, key)
    if unit and not ties and not arrays:
        packed = key << 1  # the dominance counts' key << 1 | flag, the flag being the event
        packed |= event
        return _unit_moments(packed[order], rows_per_key)
    per_key: np.ndarray
    if unit:
        per_key = rows_per_key.astype(np.float64)
        events_per_key = per_key * (np.arange(len(per_key)) & 1)
        squares = events_per_key
    else:
        event_weight = np.where(event, weights, 0.0)
        per_key = np.bincount(key, weights=weights)
        events_per_key = np.bincount(key, weights=event_weight)
        squares = np.bincount(key, weights=event_weight * event_weight)
    below, above = _risk_sets_and_events_after(per_key, events_per_key)
    # Events tied on time: within each key, ((Σw)² − Σw²)/2 pairs.
    tied_time = float(np.sum(events_per_key**2 - squares) / 2)

    key = key[order]
    event = (key & 1).astype(bool)
    sorted_weights = None if unit else weights[order]
    # Members of an event's risk set scoring lower; events after a subject scoring lower.
    lower_as_event, lower_as_member = earlier_lower_and_higher(
        key, sorted_weights, event if unit else event * sorted_weights
    )
    w_events = event.astype(np.float64) if sorted_weights is None else event * sorted_weights
    risk_set, events_after = below[key], above[key]
    if late is not None:  # pairs whose member had not yet entered are no pairs
        risk_set = risk_set - late.event_total[order]
        lower_as_event -= late.event_lower[order]
        events_after = events_after - late.member_total[order]
        # lower_as_member also holds the equal scores (taken out below), so both go here
        lower_as_member -= late.member_lower[order] + late.member_tied[order]
    # As an event, a subject's pairs are its risk set: higher, lower or tied on score. As a
    # member of other risk sets, its pairs are the events after it. signed = higher − lower:
    # as a member 2·(lower as member) − (events after) − (ties as member), as an event
    # higher − lower of its risk set.
    higher_as_event = risk_set - lower_as_event
    signed = lower_as_member  # in place from here: at a million subjects fresh arrays cost
    signed *= 2
    signed -= events_after
    tied_risk = tied_both = 0.0  # events tied on both time and score need equal scores
    if ties:
        sorted_score = score[order]
        all_weights = np.ones(len(key)) if sorted_weights is None else sorted_weights
        tied_as_event, tied_as_member = _tied_scores(sorted_score, key, all_weights, w_events)
        if late is not None:
            tied_as_event -= late.event_tied[order]
            tied_as_member -= late.member_tied[order]
        # Equal scores came earlier in the order but are neither lower nor higher.
        higher_as_event -= tied_as_event
        signed -= tied_as_member
        tied_risk = float(w_events @ tied_as_event)
        rank = np.unique(sorted_score, return_inverse=True)[1]
        tied_both = _tied_pairs(key[event] * (int(rank.max()) + 1) + rank[event], w_events[event])
    totals = np.array(
        [
            w_events @ higher_as_event,
            w_events @ lower_as_event,
            tied_risk,
            tied_time - tied_both,
            tied_both,
        ]
    )
    as_event = higher_as_event
    as_event -= lower_as_event
    as_event *= event
    signed += as_event
    comparable = risk_set
    comparable *= event
    comparable += events_after
    return _Influence(signed, comparable, sorted_weights, totals, order)


def _risk_sets_and_events_after(
    per_key: np.ndarray, events_per_key: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per time key: the weight of the risk set and of the events after it.

    The risk set of an event is everyone with a lower key; a subject is in the risk sets of the
    events with a higher key.
    """
    return np.cumsum(per_key) - per_key, events_per_key.sum() - np.cumsum(events_per_key)


def _unit_moments(packed: np.ndarray, per_key: np.ndarray) -> _InfluenceMoments:
    """Unit weights and no tied scores, key << 1 | event in risk-score order: all whole numbers.

    The same terms as the weighted path, summed block by block where the dominance counts are
    solved, so no per-subject array outlives its block. Of a subject's terms, comparable pairs
    depend on its key alone, and signed pairs on its key plus its own counts: the key's part goes
    into a table, so only the counts' part is a pass over the block.
    """
    n = len(packed)
    is_event = np.arange(len(per_key)) & 1
    events_per_key = per_key * is_event
    below, above = _risk_sets_and_events_after(per_key, events_per_key)
    comparable = is_event * below + above  # an event's risk set, plus the events after it
    tied_time = int(events_per_key @ (events_per_key - 1)) // 2

    def sums(counts: BlockCounts) -> tuple[int, int, int]:
        # lower: an event's risk-set members scoring lower; higher: as a member, the events after
        # it scoring lower (the solver's orientation). signed = higher − lower of an event's risk
        # set, plus 2·(as member, lower) − events after: with both counts split into a per-key
        # and a per-element part, the per-key parts of signed form one table.
        keys_size = len(per_key)
        lower_of_key = counts.lower_of_key[:keys_size]
        signed_of_key = 2 * counts.higher_of_key[:keys_size] - above
        signed_of_key += is_event * (below - 2 * lower_of_key)
        keys, event = counts.keys, counts.packed & 1
        own_lower = counts.lower_extra * event
        signed = signed_of_key[keys]
        twice = counts.higher_extra - own_lower
        twice <<= 1
        signed += twice
        lower_total = int(own_lower.sum(dtype=np.int64))
        lower_total += int((is_event * lower_of_key) @ counts.elements_of_key[:keys_size])
        return (
            lower_total,
            _exact_dot(signed, signed, 9 * n * n),
            _exact_dot(signed, comparable[keys], 6 * n * n),
        )

    blocks = earlier_counts_reduced(packed, sums)
    lower_total, signed2, cross = (sum(column) for column in zip(*blocks, strict=True))
    risk_total = int(events_per_key @ below)
    comparable2 = int((per_key * comparable) @ comparable)
    totals = np.array([risk_total - lower_total, lower_total, 0, tied_time, 0], dtype=np.float64)
    return _InfluenceMoments(signed2, cross, comparable2, totals)


def _exact_dot(a: np.ndarray, b: np.ndarray, bound: int) -> int:
    """Σ a·b of int64 arrays whose products are at most bound, in chunks too short to overflow."""
    chunk = max(1, (2**63 - 1) // max(bound, 1))
    return sum(int(a[i : i + chunk] @ b[i : i + chunk]) for i in range(0, len(a), chunk))


def _tied_scores(
    score: np.ndarray, key: np.ndarray, weights: np.ndarray, event_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Among equal scores: risk-set weight (key below) and event weight (key above)."""
    rank = np.unique(score, return_inverse=True)[1].astype(np.int64)
    width = int(key.max()) + 2
    combined = rank * width + key
    as_event = _sorted_below(combined, weights, combined) - _sorted_below(
        combined, weights, rank * width
    )
    as_member = _sorted_below(combined, event_weight, rank * width + width) - _sorted_below(
        combined, event_weight, combined + 1
    )
    return as_event, as_member


def _sorted_below(point_key: np.ndarray, weights: np.ndarray, query_key: np.ndarray) -> np.ndarray:
    """Σ w_p over points with key < query key (1-D: a sort and a cumulative sum)."""
    order = np.argsort(point_key, kind="stable")
    cumulative = np.concatenate(([0.0], np.cumsum(weights[order])))
    return cumulative[np.searchsorted(point_key[order], query_key, side="left")]


def _tied_pairs(group: np.ndarray, weights: np.ndarray) -> float:
    """Σ over groups of Σ_{a<b} w_a w_b = ((Σw)² − Σw²)/2; groups are non-negative integers."""
    if len(group) == 0:
        return 0.0
    index = (
        group if group.max() < 4 * len(group) + 1024 else np.unique(group, return_inverse=True)[1]
    )
    total = np.bincount(index, weights=weights)
    squares = np.bincount(index, weights=weights**2)
    return float(np.sum(total**2 - squares) / 2)
