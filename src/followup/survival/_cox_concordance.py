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
from followup.survival._dominance import earlier_lower_and_higher


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


@dataclass(frozen=True)
class _PairCounts:
    higher: np.ndarray  # per subject: pairs where the other subject has the higher risk score
    lower: np.ndarray
    tied: np.ndarray
    totals: np.ndarray  # higher, lower, tied risk, tied time, tied both (summed over events)


def concordance(data: CoxData, score: np.ndarray) -> Concordance:
    """Concordance of the risk score with survival, pairs within strata (R: coxph's concordance).

    Works on the fit's sorted rows: the tie group of a row is already its time rank.
    """
    n = len(score)
    higher, lower, tied = np.zeros(n), np.zeros(n), np.zeros(n)
    totals = np.zeros(5)
    row_bounds = np.append(data.tie_start, n)[data.strata_bounds]
    for lo, hi in itertools.pairwise(row_bounds):
        rows = slice(int(lo), int(hi))
        tie = data.tie_of_row[rows]
        latest_first = (tie[-1] - tie).astype(np.int64)
        counts = _stratum_counts(latest_first, data.event[rows], data.weights[rows], score[rows])
        higher[rows], lower[rows], tied[rows] = counts.higher, counts.lower, counts.tied
        totals += counts.totals
    # Counts are in R's orientation before coxph's reverse=TRUE: "higher" means the other subject
    # of an event's pair scores higher. Higher risk should fail first, hence the reversal.
    above, below, ties, tied_time, tied_both = totals
    pairs = above + below + ties
    somers = (above - below) / pairs
    weights = data.weights
    dfbeta = weights * ((higher - lower) / pairs - somers / pairs * (higher + lower + tied))
    variance = float(np.sum(dfbeta**2) / 4)
    return Concordance(
        below, above, ties, tied_time, tied_both, 1 - (somers + 1) / 2, float(np.sqrt(variance))
    )


def _stratum_counts(
    latest_first: np.ndarray, event: np.ndarray, weights: np.ndarray, score: np.ndarray
) -> _PairCounts:
    # A time key that encodes "still at risk": with T the rank of time from the latest
    # (0 = latest), key = 2T + event, and subject j is in the risk set of an event i exactly when
    # key_j < key_i (later times, or censored at the same time).
    key = 2 * latest_first + event
    event_weight = np.where(event, weights, 0.0)
    unit = bool(np.all(weights == 1))

    # Risk-score order; among equal scores the higher key first, so that "earlier" never pairs
    # two equal scores the wrong way round for the lower-key count (the other count is
    # corrected below).
    order = score_order(score, key)
    sorted_score = score[order]
    ties = bool(np.any(sorted_score[1:] == sorted_score[:-1]))
    lower_seq, higher_seq = earlier_lower_and_higher(
        key[order], None if unit else weights[order], event[order] if unit else event_weight[order]
    )
    lower_as_event = np.empty(len(key))
    lower_as_event[order] = lower_seq  # risk-set members scoring lower (used for events)
    lower_as_member = np.empty(len(key))
    lower_as_member[order] = higher_seq  # later-key events scoring lower (every subject)
    tied_as_event = np.zeros(len(key))
    tied_as_member = np.zeros(len(key))
    if ties:
        tied_as_event, tied_as_member = _tied_scores(score, key, weights, event_weight)
        lower_as_member -= tied_as_member  # equal scores came earlier but are not lower

    # Per time key: the risk set is everyone with a lower key, the events after it everyone
    # with a higher key and an event.
    per_key = np.bincount(key, weights=None if unit else weights)
    events_per_key = np.bincount(key, weights=event_weight)
    below = np.cumsum(per_key) - per_key
    above = events_per_key.sum() - np.cumsum(events_per_key)
    higher_as_event = below[key] - lower_as_event - tied_as_event
    higher_as_member = above[key] - lower_as_member - tied_as_member

    higher = lower_as_member + higher_as_event * event
    lower = higher_as_member + lower_as_event * event
    tied = tied_as_member + tied_as_event * event
    # Events tied on time: within each key, ((Σw)² − Σw²)/2 pairs.
    squares = np.bincount(key, weights=event_weight * event_weight)
    tied_time = float(np.sum(events_per_key**2 - squares) / 2)
    tied_both = 0.0  # events tied on both time and score need equal scores
    if ties:
        rank = np.unique(score, return_inverse=True)[1]
        w_events = weights[event]
        tied_both = _tied_pairs(key[event] * (int(rank.max()) + 1) + rank[event], w_events)
    totals = np.array(
        [
            event_weight @ higher_as_event,
            event_weight @ lower_as_event,
            event_weight @ tied_as_event,
            tied_time - tied_both,
            tied_both,
        ]
    )
    return _PairCounts(higher, lower, tied, totals)


def score_order(score: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Order by score, ties by key descending: a SIMD sort of (score bits, index) packed in uint64.

    The top bits of an order-preserving integer image of the score carry the sort, the low bits
    the index; runs whose truncated scores collide (exact ties, or differences below ~1e-10
    relative) are then re-sorted exactly. Several times faster than np.argsort.
    """
    n = len(score)
    bits = (score + 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0, a tie with it
    # Flip every bit of a negative number and only the sign bit of a positive one.
    flip = np.uint64(0) - (bits >> np.uint64(63))
    flip |= np.uint64(1 << 63)
    sortable = bits ^ flip
    index_bits = np.uint64(max(1, (n - 1).bit_length()))
    packed = (sortable >> index_bits) << index_bits
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    order = (packed & ((np.uint64(1) << index_bits) - np.uint64(1))).astype(np.intp)
    top = packed >> index_bits
    collide = np.flatnonzero(top[1:] == top[:-1])
    if len(collide):
        in_run = np.zeros(n, dtype=bool)
        in_run[collide] = True
        in_run[collide + 1] = True
        positions = np.flatnonzero(in_run)
        run = np.cumsum(np.concatenate(([True], top[positions][1:] != top[positions][:-1])))
        members = order[positions]
        order[positions] = members[np.lexsort((-key[members], score[members], run))]
    return order


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
