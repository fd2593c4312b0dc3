"""The pairs that (start, stop] data remove from concordance, as R's concordance4 removes them.

For counting-process data R's concordancefit pairs an event at t with the rows at risk then:
start < t, and stop > t (or stop = t, censored). The stop condition alone is what right-censored
data use (see _cox_concordance); the rows it wrongly admits are those with start ≥ t, which have
not yet entered. This module counts, split by risk score, exactly those pairs, so that they can
be subtracted from every per-row influence term: for an event, the rows that enter at or after
it; for a row, the events at or before its start. Both are 2-D dominance counts (earlier in score
order, on the right side in time), solved in one pass of _dominance over the events and the entries
merged in score order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._dominance import earlier_lower_and_higher, score_order_and_ties


@dataclass(frozen=True)
class LatePairs:
    """Per row of a stratum (input order), the weight of its not-yet-entered pairs by score.

    As an event (zero for other rows): rows whose start is at or after its time, scoring lower,
    equal, and in all. As a member: events at or before its start, scoring lower, equal, in all.
    """

    event_lower: np.ndarray
    event_tied: np.ndarray
    event_total: np.ndarray
    member_lower: np.ndarray
    member_tied: np.ndarray
    member_total: np.ndarray


def late_pairs(
    score: np.ndarray,
    time_index: np.ndarray,
    entered_after: np.ndarray,
    event: np.ndarray,
    weights: np.ndarray | None,
) -> LatePairs:
    """Pairs (event i, row j) with t_i ≤ start_j, i.e. time_index_i < entered_after_j.

    time_index is the rank of each row's stop among the stratum's distinct stop times (from 0),
    entered_after the number of those times at or before its start; weights None: all one.
    """
    n = len(score)
    events = np.flatnonzero(event)
    late = np.flatnonzero(entered_after > 0)
    e = len(events)
    w = np.ones(n) if weights is None else weights
    # Keys that never tie between an event (odd) and an entry (even): entry j is on the later
    # side of event i exactly when key_j > key_i.
    key = np.concatenate((2 * time_index[events] + 1, 2 * entered_after[late]))
    is_event = np.zeros(len(key), dtype=bool)
    is_event[:e] = True
    # Score order, events before entries among equal scores: an event then sees only entries
    # scoring strictly lower, and an entry sees the events scoring lower or equal.
    merged_score = np.concatenate((score[events], score[late]))
    order, tied_scores = score_order_and_ties(merged_score, is_event.view(np.int8))
    if tied_scores:  # a row that is both an event and an entry ties with itself: no pair
        row = np.concatenate((events, late))[order]
        in_order = merged_score[order]
        tied_scores = bool(np.any((in_order[1:] == in_order[:-1]) & (row[1:] != row[:-1])))
    ordered_key, ordered_event = key[order], is_event[order]
    if weights is None:  # whole counts: two runs of the faster unit-weight solver
        _, higher = earlier_lower_and_higher(ordered_key, None, ~ordered_event)
        _, lower = earlier_lower_and_higher(int(key.max()) - ordered_key, None, ordered_event)
    else:
        lower, higher = earlier_lower_and_higher(
            ordered_key,
            np.where(ordered_event, w[np.concatenate((events, late))][order], 0.0),
            np.where(ordered_event, 0.0, w[np.concatenate((events, late))][order]),
        )
    as_event, as_member = np.empty(len(key)), np.empty(len(key))
    as_event[order] = higher
    as_member[order] = lower
    event_lower, event_tied, event_total = np.zeros(n), np.zeros(n), np.zeros(n)
    member_lower, member_tied, member_total = np.zeros(n), np.zeros(n), np.zeros(n)
    event_lower[events] = as_event[:e]
    member_lower[late] = as_member[e:]
    # Totals: entries with a higher key than each event, events with a lower key than each entry.
    size = int(key.max()) + 1
    entry_per_key = np.bincount(key[e:], weights=w[late], minlength=size)
    event_per_key = np.bincount(key[:e], weights=w[events], minlength=size)
    event_total[events] = (entry_per_key.sum() - np.cumsum(entry_per_key))[key[:e]]
    member_total[late] = (np.cumsum(event_per_key) - event_per_key)[key[e:]]
    if tied_scores:
        rank = np.unique(merged_score, return_inverse=True)[1].astype(np.int64)
        width = size + 1
        combined = rank * width + key
        base = rank * width
        event_tied[events] = _weight_in(combined[e:], w[late], combined[:e] + 1, base[:e] + width)
        member_tied[late] = _weight_in(combined[:e], w[events], base[e:], combined[e:])
        member_lower[late] -= member_tied[late]
    return LatePairs(event_lower, event_tied, event_total, member_lower, member_tied, member_total)


def _weight_in(
    point_key: np.ndarray, weights: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Per query, Σ weights of points with low ≤ key < high."""
    order = np.argsort(point_key, kind="stable")
    sorted_key = point_key[order]
    cumulative = np.concatenate(([0.0], np.cumsum(weights[order])))
    return np.asarray(
        cumulative[np.searchsorted(sorted_key, high)] - cumulative[np.searchsorted(sorted_key, low)]
    )
