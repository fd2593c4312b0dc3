"""Harrell's concordance of a Cox model with its infinitesimal-jackknife SE, as R's coxph reports.

A pair is comparable when one subject has the event while the other is still at risk (later time,
or censored at the same time); it is concordant when the earlier event had the higher risk score.
Pairs of events at the same time are tied on time and excluded; equal scores count one half.
The SE follows R's concordancefit: each subject's influence is its share of concordant minus
discordant pairs, so every subject needs its own counts — 2-D dominance counts (see _dominance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._dominance import dominance_sums


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


def concordance(
    time: np.ndarray, event: np.ndarray, stratum: np.ndarray, weights: np.ndarray, score: np.ndarray
) -> Concordance:
    """Concordance of the risk score with survival, pairs within strata (R: coxph's concordance)."""
    n = len(time)
    higher, lower, tied = np.zeros(n), np.zeros(n), np.zeros(n)
    totals = np.zeros(5)
    for s in np.unique(stratum):
        rows = np.flatnonzero(stratum == s)
        counts = _stratum_counts(time[rows], event[rows].astype(bool), weights[rows], score[rows])
        higher[rows], lower[rows], tied[rows] = counts.higher, counts.lower, counts.tied
        totals += counts.totals
    # Counts are in R's orientation before coxph's reverse=TRUE: "higher" means the other subject
    # of an event's pair scores higher. Higher risk should fail first, hence the reversal.
    above, below, ties, tied_time, tied_both = totals
    pairs = above + below + ties
    somers = (above - below) / pairs
    dfbeta = weights * ((higher - lower) / pairs - somers / pairs * (higher + lower + tied))
    variance = float(np.sum(dfbeta**2) / 4)
    return Concordance(
        below, above, ties, tied_time, tied_both, 1 - (somers + 1) / 2, float(np.sqrt(variance))
    )


def _stratum_counts(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray, score: np.ndarray
) -> _PairCounts:
    # Keys that encode "still at risk": with T the rank of time from the latest (0 = latest),
    # subject j is in the risk set of an event i exactly when 2T_j + event_j < 2T_i + 1.
    distinct_times, time_index = np.unique(time, return_inverse=True)
    latest_first = (len(distinct_times) - 1 - time_index).astype(np.int64)
    member_key = 2 * latest_first + event
    event_key = 2 * latest_first[event] + 1
    _, rank = np.unique(score, return_inverse=True)
    rank = rank.astype(np.int64)
    w_events = weights[event]

    # As the event of a pair: risk-set weight with lower and with equal scores.
    risk_set = _weight_below(member_key, weights, event_key)
    lower_as_event = dominance_sums(member_key, rank, weights, event_key, rank[event])
    tied_as_event = _tied_weight(member_key, rank, weights, event_key, rank[event])
    higher_as_event = risk_set - lower_as_event - tied_as_event
    # As the member of an event's risk set: events at earlier times, compared with this subject.
    top = int(event_key.max()) if len(event_key) else 0
    events_after = _weight_below(top - event_key, w_events, top - member_key)
    lower_as_member = dominance_sums(top - event_key, rank[event], w_events, top - member_key, rank)
    tied_as_member = _tied_weight(top - event_key, rank[event], w_events, top - member_key, rank)
    higher_as_member = events_after - lower_as_member - tied_as_member

    higher = lower_as_member.copy()  # the event is below me: from its side, I am the higher one
    lower = higher_as_member.copy()
    tied = tied_as_member.copy()
    higher[event] += higher_as_event
    lower[event] += lower_as_event
    tied[event] += tied_as_event
    tied_time = _tied_pairs(latest_first[event], w_events)
    tied_both = _tied_pairs(latest_first[event] * (int(rank.max()) + 1) + rank[event], w_events)
    totals = np.array(
        [
            w_events @ higher_as_event,
            w_events @ lower_as_event,
            w_events @ tied_as_event,
            tied_time - tied_both,
            tied_both,
        ]
    )
    return _PairCounts(higher, lower, tied, totals)


def _weight_below(point_key: np.ndarray, weights: np.ndarray, query_key: np.ndarray) -> np.ndarray:
    """Σ w_p over points with key < query key (1-D: a sort and a cumulative sum)."""
    order = np.argsort(point_key, kind="stable")
    cumulative = np.concatenate(([0.0], np.cumsum(weights[order])))
    return cumulative[np.searchsorted(point_key[order], query_key, side="left")]


def _tied_weight(
    point_key: np.ndarray,
    point_rank: np.ndarray,
    weights: np.ndarray,
    query_key: np.ndarray,
    query_rank: np.ndarray,
) -> np.ndarray:
    """Σ w_p over points with key < query key and the same score rank."""
    width = int(max(point_key.max(initial=0), query_key.max(initial=0))) + 1
    return _weight_below(point_rank * width + point_key, weights, query_rank * width + query_key) - (
        _weight_below(point_rank * width + point_key, weights, query_rank * width)
    )


def _tied_pairs(group: np.ndarray, weights: np.ndarray) -> float:
    """Σ over groups of Σ_{a<b} w_a w_b = ((Σw)² − Σw²)/2."""
    if len(group) == 0:
        return 0.0
    _, index = np.unique(group, return_inverse=True)
    total = np.bincount(index, weights=weights)
    squares = np.bincount(index, weights=weights**2)
    return float(np.sum(total**2 - squares) / 2)
