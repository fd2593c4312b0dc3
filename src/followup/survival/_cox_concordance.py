"""Harrell's concordance of a Cox model with its infinitesimal-jackknife SE, as R's coxph reports.

A pair is comparable when one subject has the event while the other is still at risk (later time,
or censored at the same time); it is concordant when the earlier event had the higher risk score.
Pairs of events at the same time are tied on time and excluded; equal scores count one half.
The SE follows R's concordancefit: each subject's influence is its share of concordant minus
discordant pairs, so every subject needs its own counts — 2-D dominance counts (see _dominance).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from followup.survival._cox_likelihood import CoxData
from followup.survival._dominance import earlier_counts_in_any_order, earlier_lower_and_higher


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
class _PairCounts:
    """One stratum's per-subject influence terms (in any order) and its pair totals."""

    signed: np.ndarray  # pairs where the other subject scores higher, minus lower (R's orientation)
    comparable: np.ndarray  # all comparable pairs of the subject
    weights: np.ndarray | None  # the subjects' weights, in the same order; None: all one
    totals: np.ndarray  # higher, lower, tied risk, tied time, tied both (summed over events)


def concordance(data: CoxData, score: np.ndarray) -> Concordance:
    """Concordance of the risk score with survival, pairs within strata (R: coxph's concordance).

    Works on the fit's sorted rows: the tie group of a row is already its time rank.
    """
    n = len(score)
    parts = []
    row_bounds = np.append(data.tie_start, n)[data.strata_bounds]
    for lo, hi in itertools.pairwise(row_bounds):
        if hi == lo:
            continue  # a stratum code with no rows
        rows = slice(int(lo), int(hi))
        tie = data.tie_of_row[rows]
        latest_first = (tie[-1] - tie).astype(np.int64)
        counts = _stratum_counts(latest_first, data.event[rows], data.weights[rows], score[rows])
        parts.append(counts)
    # Counts are in R's orientation before coxph's reverse=TRUE: "higher" means the other subject
    # of an event's pair scores higher. Higher risk should fail first, hence the reversal.
    above, below, ties, tied_time, tied_both = np.sum([part.totals for part in parts], axis=0)
    pairs = above + below + ties
    if pairs == 0:  # every event at one time and nobody left at risk: nothing to compare
        return Concordance(below, above, ties, tied_time, tied_both, np.nan, np.nan)
    somers = (above - below) / pairs
    # R's concordancefit: dfbeta = w ((higher − lower) / pairs − somers / pairs · comparable).
    variance = 0.0
    for part in parts:
        dfbeta = part.signed - somers * part.comparable
        if part.weights is not None:
            dfbeta *= part.weights
        variance += float(dfbeta @ dfbeta)
    variance /= 4 * pairs**2
    return Concordance(
        below, above, ties, tied_time, tied_both, 1 - (somers + 1) / 2, float(np.sqrt(variance))
    )


def _stratum_counts(
    latest_first: np.ndarray, event: np.ndarray, weights: np.ndarray, score: np.ndarray
) -> _PairCounts:
    """Per subject, the influence terms; and the stratum's pair totals.

    Subjects come in risk-score order, or in any order when there are neither weights nor tied
    scores (the terms are then summed, and only the dominance counts need the order).
    """
    # A time key that encodes "still at risk": with T the rank of time from the latest
    # (0 = latest), key = 2T + event, and subject j is in the risk set of an event i exactly when
    # key_j < key_i (later times, or censored at the same time). Its low bit is the event flag.
    key: np.ndarray = 2 * latest_first.astype(np.int32 if len(latest_first) < 2**30 else np.int64)
    key += event.astype(key.dtype)
    unit = bool(np.all(weights == 1))
    # Per time key: the risk set is everyone with a lower key, the events after a subject all
    # events with a higher key.
    per_key: np.ndarray
    if unit:
        per_key = np.bincount(key).astype(np.float64)
        events_per_key = per_key * (np.arange(len(per_key)) & 1)
        squares = events_per_key
    else:
        event_weight = np.where(event, weights, 0.0)
        per_key = np.bincount(key, weights=weights)
        events_per_key = np.bincount(key, weights=event_weight)
        squares = np.bincount(key, weights=event_weight * event_weight)
    below = np.cumsum(per_key) - per_key
    above = events_per_key.sum() - np.cumsum(events_per_key)
    # Events tied on time: within each key, ((Σw)² − Σw²)/2 pairs.
    tied_time = float(np.sum(events_per_key**2 - squares) / 2)

    # In risk-score order, among equal scores the higher key first, so that "earlier" never
    # pairs two equal scores the wrong way round for the lower-key count (the other count is
    # corrected for ties below). Everything after this stays in that order.
    order, ties = score_order_and_ties(score, key)
    key = key[order]
    event = (key & 1).astype(bool)
    sorted_weights = None if unit else weights[order]
    # Members of an event's risk set scoring lower; events after a subject scoring lower.
    if unit and not ties:  # everything below is per subject, then summed: any order will do
        key, lower_as_event, lower_as_member = earlier_counts_in_any_order(key, event)
        event = (key & 1).astype(bool)
    else:
        lower_as_event, lower_as_member = earlier_lower_and_higher(
            key, sorted_weights, event if unit else event * sorted_weights
        )
    w_events = event.astype(np.float64) if sorted_weights is None else event * sorted_weights
    risk_set, events_after = below[key], above[key]
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
    return _PairCounts(signed, comparable, sorted_weights, totals)


def score_order_and_ties(score: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, bool]:
    """Order by score, ties by key descending, and whether any scores are equal.

    A SIMD sort of (score bits, index) packed in uint64: the top bits of an order-preserving
    integer image of the score carry the sort, the low bits the index; runs whose truncated
    scores collide (exact ties, or differences below ~1e-10 relative) are then re-sorted exactly.
    Several times faster than np.argsort.
    """
    n = len(score)
    signed = (score + 0.0).view(np.int64)  # + 0.0 turns -0.0 into 0.0, a tie with it
    # Flip every bit of a negative number and only the sign bit of a positive one: the
    # arithmetic shift spreads the sign over the word.
    packed = signed >> 63
    packed |= np.int64(-(1 << 63))
    packed ^= signed
    packed = packed.view(np.uint64)
    index_bits = np.uint64(max(1, (n - 1).bit_length()))
    low = (np.uint64(1) << index_bits) - np.uint64(1)
    packed &= ~low
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    order = (packed & low).view(np.int64).astype(np.intp, copy=False)
    top = packed >> index_bits
    collide = np.flatnonzero(top[1:] == top[:-1])
    if len(collide) == 0:
        return order, False
    in_run = np.zeros(n, dtype=bool)
    in_run[collide] = True
    in_run[collide + 1] = True
    positions = np.flatnonzero(in_run)
    run = np.cumsum(np.concatenate(([True], top[positions][1:] != top[positions][:-1])))
    members = order[positions]
    order[positions] = members[np.lexsort((-key[members], score[members], run))]
    in_order = score[order[positions]]
    ties = bool(np.any((in_order[1:] == in_order[:-1]) & (run[1:] == run[:-1])))
    return order, ties


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
