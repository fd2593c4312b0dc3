"""The pairs that (start, stop] data remove from concordance, as R's concordance4 removes them.

For counting-process data R's concordancefit pairs an event at t with the rows at risk then:
start < t, and stop > t (or stop = t, censored). The stop condition alone is what right-censored
data use (see _cox_concordance); the rows it wrongly admits are those with start ≥ t, which have
not yet entered. This module counts, split by risk score, exactly those pairs, so that they can
be subtracted from every per-row influence term: for an event, the rows that enter at or after
it; for a row, the events at or before its start. Both are 2-D dominance counts (earlier in score
order, on the right side in time), solved in one pass of _dominance over the events and the entries
merged in score order.

With unit weights and no tied scores (continuous covariates: the large data sets),
unit_counting_influence does the whole stratum in two such passes instead of three, and no
second score sort: see its docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._dominance import earlier_lower_and_higher, score_order_and_ties


@dataclass(frozen=True)
class CountingInfluence:
    """A stratum's per-row influence terms in risk-score order, and its pair totals."""

    signed: np.ndarray  # other scores higher minus lower, as event and as member (R's orientation)
    comparable: np.ndarray  # all comparable pairs of the row
    higher: float  # over events: members of the risk set scoring higher
    lower: float  # ... and scoring lower
    order: np.ndarray  # the stratum's row of each term


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
    if e == 0:  # a stratum without events: no pairs at all, late or not
        zero = np.zeros(n)
        return LatePairs(zero, zero, zero, zero, zero, zero)
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


def unit_counting_influence(
    score: np.ndarray,
    key: np.ndarray,
    event: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray],
    death_of_rank: np.ndarray,
    entry: tuple[np.ndarray, int],
) -> CountingInfluence | None:
    """All influence terms of a stratum of unit-weight (start, stop] rows; None if scores tie.

    key is 2·(stop's rank from the latest) + event, as for right-censored data, and tables the
    risk set and the events after each key (stop only); death_of_rank the stratum's index of the
    death time at each rank of key >> 1; entry each row's last death time at or before its start
    (an index into all strata's death times, below the second value: none), and the stratum's
    first death time.

    R's at-risk count at t is (rows with stop ≥ t) − (rows with start ≥ t): as in R's
    concordance4 and agreg, the rows not yet entered come off the stop count. Both counts run
    in one risk-score order. The stop pass (as for right-censored data) counts, per event, the
    rows scoring lower with a later stop, and per row the events scoring lower before its stop.
    The entry pass runs over the events and the late entries merged in that same order (an
    interleaving, not a sort), keyed by death index: 2d + 1 for an event, 2·(last death + 1) for
    an entry, so that neither ties the other. Its one solve gives each event the earlier entries
    and events with a lower key, and each entry the earlier events with a higher key; the events
    part of the first is the stop pass's count of events scoring lower at an earlier time, and
    the rest is a complement of a count by position: no second solve and no second score sort.
    """
    order, ties = score_order_and_ties(score, key)
    if ties:
        return None
    risk_sets, events_after_key = tables
    last_death, first_death = entry
    stop_key = key[order]
    is_event = event[order]
    lower, higher = earlier_lower_and_higher(stop_key, None, is_event)
    events = np.flatnonzero(is_event)
    # 1 + the stratum's index of the last death at or before entry (0: none), narrowed before
    # it is gathered at random: half the memory to fetch.
    entry_code = last_death - (first_death - 1)
    np.maximum(entry_code, 0, out=entry_code)
    entry_code = entry_code.astype(np.int32)[order]
    entries = np.flatnonzero(entry_code)
    entry_death = entry_code[entries] - 1
    event_key = stop_key[events]
    death = death_of_rank[event_key >> 1]
    # The entry pass: each row's event, then its entry, in risk-score order.
    per_row = is_event.astype(np.intp)
    per_row[entries] += 1
    end = np.cumsum(per_row)
    size = int(end[-1])
    at_event, at_entry = end[events] - per_row[events], end[entries] - 1
    merged_key = np.empty(size, dtype=np.int32)
    merged_key[at_event] = 2 * death + 1
    merged_key[at_entry] = 2 * entry_death + 2
    flag = np.zeros(size, dtype=bool)
    flag[at_event] = True
    entered, later = earlier_lower_and_higher(merged_key, None, flag)
    # Per event, the rows scoring lower that have not entered by its time: the entries before it
    # less those with a lower key (its lower count less the events part).
    not_entered = at_event - np.arange(len(events)) - entered[at_event] + higher[events]
    # Per entry, the events scoring lower at or before its start: the events before it less
    # those with a higher key (later).
    before_start = at_entry - np.arange(len(entries)) - later[at_entry]
    # The same over every score: entries at or after each death time, events up to each.
    length = len(death_of_rank)  # more than any death index
    entering = np.cumsum(np.bincount(entry_death, minlength=length)[::-1])[::-1]
    events_through = np.cumsum(np.bincount(death, minlength=length)).astype(np.float64)
    # As an event: its risk set and the members scoring lower.
    risk_set = risk_sets[event_key] - entering[death]
    lower_as_event = lower[events] - not_entered
    # As a member: the events whose risk sets hold it, and those scoring lower.
    events_after = events_after_key[stop_key]
    events_after[entries] -= events_through[entry_death]
    higher[entries] -= before_start
    signed = higher  # in place from here: at a million rows fresh arrays cost
    signed *= 2
    signed -= events_after
    signed[events] += risk_set - 2 * lower_as_event
    comparable = events_after
    comparable[events] += risk_set
    lower_total = float(lower_as_event.sum())
    return CountingInfluence(
        signed, comparable, float(risk_set.sum()) - lower_total, lower_total, order
    )
