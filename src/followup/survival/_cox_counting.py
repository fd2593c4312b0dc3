"""Counting-process data (start, stop] for the Cox model, as R's agreg.fit and agfit4.

A row is at risk at a death time t when start < t ≤ stop: time-varying covariates (one row per
constant stretch), delayed entry (left truncation) and recurrent events all take this form. The
fit sorts the rows by stop, as for right-censored data, and adds which rows have not yet entered
at each death time (see _cox_likelihood.Entries): two sorted orders and cumulative sums, so a fit
costs O(n log n) once and O(n p²) per iteration.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from followup.survival._cox_likelihood import CoxData, Entries, Ties, prepare
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike, as_times, as_vector, check_length, factorize


def as_start_times(start: ArrayLike, stop: np.ndarray) -> np.ndarray:
    """Check entry times: numeric, finite, not negative, and before each row's stop."""
    starts = as_times(start, "start")
    if len(starts) != len(stop):
        raise InputError(
            "start",
            f"start has {len(starts)} values but time has {len(stop)}; give one (start, stop] "
            "interval per row",
        )
    empty = starts >= stop
    if empty.any():
        position = int(np.flatnonzero(empty)[0])
        raise InputError(
            "start",
            f"start is not before time (the stop) in {int(empty.sum())} row"
            f"{'s' if empty.sum() > 1 else ''}, first at position {position} "
            f"({starts[position]:g} ≥ {stop[position]:g}); an interval (start, stop] must have "
            "start < stop: drop empty intervals or fix their dates",
            position,
        )
    return starts


def prepare_counting(
    columns: list[np.ndarray],
    start: np.ndarray,
    stop: np.ndarray,
    event: np.ndarray,
    stratum: np.ndarray,
    weights: np.ndarray | None,
    ties: Ties,
) -> CoxData:
    """prepare() on the stop times, plus the rows not yet at risk at each death time."""
    data = prepare(columns, stop, event, stratum, weights, ties)
    return replace(data, entry=entries(data, start))


def entries(data: CoxData, start: np.ndarray) -> Entries:
    """For each sorted row, the last death time of its stratum at or before its start."""
    sorted_start = start[data.order].astype(np.float64)
    n = len(sorted_start)
    death_time = data.tie_time[data.death_ties]
    death_bounds = np.searchsorted(data.death_ties, data.strata_bounds)
    row_bounds = np.append(data.tie_start, n)[data.strata_bounds]
    last_death = np.full(n, -1, dtype=np.int64)
    for (lo, hi), (d_lo, d_hi) in zip(
        itertools.pairwise(row_bounds), itertools.pairwise(death_bounds), strict=True
    ):
        before = _deaths_at_or_before(death_time[d_lo:d_hi], sorted_start[lo:hi])
        last_death[lo:hi] = np.where(before > 0, d_lo + before - 1, -1)
    late = np.flatnonzero(last_death >= 0)
    # A stable sort of small integers is numpy's radix sort.
    key = last_death[late]
    rows = late[
        np.argsort(key.astype(np.uint16) if len(death_time) < 65536 else key, kind="stable")
    ]
    death_of_row = last_death[rows]
    segments = np.flatnonzero(np.diff(death_of_row, prepend=-1))
    return Entries(
        start=sorted_start,
        last_death=last_death,
        rows=rows,
        x=np.ascontiguousarray(data.x[:, rows]),
        weights=None if data.unit_weights else data.weights[rows],
        segments=segments,
        segment_death=death_of_row[segments],
        death_strata_bounds=death_bounds,
    )


def _deaths_at_or_before(death_time: np.ndarray, start: np.ndarray) -> np.ndarray:
    """How many of the sorted death times are ≤ each start; a table lookup for whole days."""
    if len(start) and start.max() < 32768 and np.array_equal(start, np.floor(start)):
        days = np.arange(int(start.max()) + 1)
        return np.searchsorted(death_time, days, side="right")[start.astype(np.intp)]
    return np.searchsorted(death_time, start, side="right")


def counting_scale(columns: list[np.ndarray], data: CoxData) -> np.ndarray:
    """R's agfit4 scale, which only its singularity test sees: 1 / the weighted mean |x − x₀|.

    agfit4 uses the rows that span a death time of their stratum (agreg.fit drops the others),
    and (as its centring loop is written) x₀ is the value of the first of them in its sort by
    (stratum, stop descending). Columns of −1, 0 and 1 only keep scale 1 (coxph's nocenter).
    """
    assert data.entry is not None
    entry = data.entry
    is_death_tie = np.zeros(len(data.tie_start), dtype=bool)
    is_death_tie[data.death_ties] = True
    through_stop = (np.cumsum(is_death_tie) - 1)[data.tie_of_row]  # last death ≤ stop, any stratum
    stratum_of_tie = np.repeat(np.arange(len(data.strata_bounds) - 1), np.diff(data.strata_bounds))
    first_death = entry.death_strata_bounds[stratum_of_tie[data.tie_of_row]]
    used = np.flatnonzero(through_stop >= np.maximum(entry.last_death + 1, first_death))
    scale = np.ones(len(columns))
    if len(used) == 0:
        return scale
    # The first stratum's used rows with its latest stop; R's stable order: the earliest row.
    first_stratum = stratum_of_tie[data.tie_of_row[used]]
    in_first = used[first_stratum == first_stratum[0]]
    latest = in_first[data.tie_of_row[in_first] == data.tie_of_row[in_first[-1]]]
    x0 = latest[np.argmin(data.order[latest])]
    w = data.weights[used]
    total = float(w.sum())
    for i, column in enumerate(columns):
        if np.isin(column, (-1.0, 0.0, 1.0)).all():
            continue
        spread = float(w @ np.abs(data.x[i, used] - data.x[i, x0]))
        scale[i] = total / spread if spread > 0 else 1.0
    return scale


def cluster_indices(cluster: ArrayLike, n: int) -> tuple[np.ndarray, int]:
    """Each row's cluster as a code 0..k−1, and k; numbers by np.unique, others by factorize."""
    array = as_vector(cluster, "cluster")
    if array.dtype.kind in "iu":
        check_length(array, "cluster", n, "time")
        levels, codes = np.unique(array, return_inverse=True)
        return codes.astype(np.intp), len(levels)
    codes, labels = factorize(cluster, "cluster", n)
    return codes, len(labels)
