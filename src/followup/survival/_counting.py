"""Counting subjects who leave observation, per stratum, group, distinct time and exit code.

This is the only pass over the raw rows; every estimator then works on the counts. Three ways to
count, chosen by the data, give identical tables (a property test holds them to it):

- whole-number times in a modest range: one ``np.bincount`` over a combined key, fed in chunks that
  stay in cache so building the key costs almost nothing (integer days are the common case);
- other times without weights and with a single cause: the sign bit of a non-negative float is
  free, so the exit code rides in the lowest bit of its bit pattern and one SIMD ``np.sort`` of
  uint64 keys replaces the argsort that the Python peers pay for;
- everything else: a stable lexsort and a weighted ``np.bincount`` over runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

_CHUNK = 1 << 17
_MAX_MASKED_CELLS = 16


@dataclass(frozen=True)
class StratumCounts:
    """Exits of one stratum on its grid of distinct times: ``exits[code, row, group]``.

    Stored code-major and group-major (memory order code, group, row), so that each group's
    column of each code is contiguous; ``exits`` is that array seen as [code, row, group].
    """

    time: np.ndarray
    exits: np.ndarray


def count_exits(
    time: np.ndarray,
    codes: np.ndarray,
    cells: np.ndarray | None,
    shape: tuple[int, int, int],
    weights: np.ndarray | None,
) -> list[StratumCounts]:
    """Count exits per stratum; shape is (strata, groups, codes), cells = stratum*G + group."""
    integer_time = _as_whole_numbers(time)
    if integer_time is not None:
        counted = _count_whole_numbers(integer_time, codes, cells, shape, weights)
        if counted is not None:
            return counted
    if time.dtype.kind in "iu" and time.min() < 0:
        raise NegativeTimeError
    n_strata, n_groups, n_codes = shape
    n_cells = n_strata * n_groups
    if weights is None and n_codes <= 2 and n_cells <= _MAX_MASKED_CELLS:
        per_cell = [
            _count_sorted_keys(*_select(time, codes, cells, cell), n_codes)
            for cell in range(n_cells)
        ]
    else:
        per_cell = _count_by_lexsort(time, codes, cells, n_cells, n_codes, weights)
    return [
        merge_groups(per_cell[stratum * n_groups : (stratum + 1) * n_groups], n_codes)
        for stratum in range(n_strata)
    ]


def _as_whole_numbers(time: np.ndarray) -> np.ndarray | None:
    """Return integer times when every time is a whole number below 2**53, else None."""
    if time.dtype.kind in "iu":
        return time
    head = time[:1024]
    if np.any(head != np.floor(head)) or time.max() >= 2.0**53:
        return None  # a look at the first values spares converting millions of real times
    as_integer = time.astype(np.int64)
    return as_integer if np.array_equal(as_integer, time) else None


def _count_whole_numbers(
    time: np.ndarray,
    codes: np.ndarray,
    cells: np.ndarray | None,
    shape: tuple[int, int, int],
    weights: np.ndarray | None,
) -> list[StratumCounts] | None:
    """One bincount per cache-sized chunk; None when the time range is too wide for bins.

    No separate pass finds the largest time: the totals grow with what the chunks reveal. A
    negative time makes ``np.bincount`` refuse, which ``NegativeTimeError`` reports.
    """
    n_strata, n_groups, n_codes = shape
    stride = n_strata * n_groups * n_codes
    limit = max(4 * len(time), 1 << 22)
    totals = np.zeros(0, dtype=np.float64 if weights is not None else np.int64)
    chunk = _CHUNK
    key = np.empty(min(chunk, len(time)), dtype=np.int64)
    start = 0
    while start < len(time):
        stop = min(start + chunk, len(time))
        part = key[: stop - start]
        np.multiply(time[start:stop], stride, out=part, casting="unsafe")
        if cells is not None:
            part += cells[start:stop] * n_codes
        np.add(part, codes[start:stop], out=part, casting="unsafe")
        part_weights = None if weights is None else weights[start:stop]
        try:
            counted = np.bincount(part, weights=part_weights)
        except ValueError:
            raise NegativeTimeError from None
        if len(counted) > len(totals):
            if len(counted) > limit:
                return None
            totals = np.concatenate((totals, np.zeros(len(counted) - len(totals), totals.dtype)))
            if len(totals) > chunk:  # adding a long total per chunk: take bigger chunks
                chunk = len(totals)
                key = np.empty(min(chunk, len(time)), dtype=np.int64)
        totals[: len(counted)] += counted
        start = stop
    totals = np.concatenate((totals, np.zeros(-len(totals) % stride, totals.dtype)))
    counts = totals.reshape(-1, n_strata, n_groups, n_codes)
    result = []
    for stratum in range(n_strata):
        block = counts[:, stratum]
        rows = np.flatnonzero(block.reshape(len(block), -1).any(axis=1))
        planes = np.ascontiguousarray(block[rows].transpose(2, 1, 0), dtype=np.float64)
        result.append(StratumCounts(rows.astype(np.float64), planes.transpose(0, 2, 1)))
    return result


class NegativeTimeError(Exception):
    """Whole-number times were counted before their sign was checked, and one was negative."""


def _select(
    time: np.ndarray, codes: np.ndarray, cells: np.ndarray | None, cell: int
) -> tuple[np.ndarray, np.ndarray]:
    if cells is None:
        return time, codes
    mask = cells == cell
    return time[mask], codes[mask]


def _count_sorted_keys(time: np.ndarray, codes: np.ndarray, n_codes: int) -> StratumCounts:
    """Sort uint64 keys (float bits << 1 | event): one SIMD sort instead of an argsort."""
    n = len(time)
    if n == 0:
        return StratumCounts(np.empty(0), np.empty((n_codes, 0, 1)))
    # Shifting left drops the sign bit, so -0.0 and +0.0 share a key, as they share a time.
    key = np.left_shift(time.astype(np.float64, copy=False).view(np.uint64), np.uint64(1))
    np.bitwise_or(key, _as_unsigned(codes), out=key)
    key.sort()
    # Sorted keys of one time differ by at most 1 (its censorings, then its events).
    new_time = np.empty(n, dtype=bool)
    new_time[0] = True
    step = np.subtract(key[1:], key[:-1])
    np.greater(step, 1, out=new_time[1:])
    del step
    event = (key & np.uint64(1)).astype(np.float64)
    np.right_shift(key, np.uint64(1), out=key)
    if new_time.all():  # all times distinct, the usual case for real-valued times
        times = key.view(np.float64)
        exits = np.empty((2, n, 1))
        exits[1, :, 0] = event
        np.subtract(1.0, event, out=exits[0, :, 0])
    else:
        starts = np.flatnonzero(new_time)
        times = key[starts].view(np.float64)
        total = np.diff(starts, append=n).astype(np.float64)
        events = np.add.reduceat(event, starts)
        exits = np.empty((2, len(starts), 1))
        np.subtract(total, events, out=exits[0, :, 0])
        exits[1, :, 0] = events
    if n_codes == 1:
        exits = exits.sum(axis=0, keepdims=True)
    return StratumCounts(times, exits)


def _as_unsigned(codes: np.ndarray) -> np.ndarray:
    """Non-negative codes as an unsigned array (a view when the width already is 64 bits)."""
    if codes.dtype == bool or codes.dtype == np.uint64:
        return codes
    if codes.dtype == np.int64:
        return codes.view(np.uint64)
    return codes.astype(np.uint64)


def _count_by_lexsort(
    time: np.ndarray,
    codes: np.ndarray,
    cells: np.ndarray | None,
    n_cells: int,
    n_codes: int,
    weights: np.ndarray | None,
) -> list[StratumCounts]:
    time = time.astype(np.float64, copy=False) + 0.0  # + 0.0 turns -0.0 into 0.0
    cells = np.zeros(len(time), dtype=np.intp) if cells is None else cells
    order = np.lexsort((time, cells))
    sorted_time, sorted_cells = time[order], cells[order]
    new_run = np.concatenate(
        ([True], (sorted_time[1:] != sorted_time[:-1]) | (sorted_cells[1:] != sorted_cells[:-1]))
    )
    starts = np.flatnonzero(new_run)
    run = np.cumsum(new_run) - 1
    sorted_weights = None if weights is None else weights[order]
    exits = np.bincount(
        run * n_codes + codes[order], weights=sorted_weights, minlength=len(starts) * n_codes
    ).reshape(len(starts), n_codes)
    run_cells = sorted_cells[starts]
    bounds = np.searchsorted(run_cells, np.arange(n_cells + 1))
    planes = np.ascontiguousarray(exits.T[:, :, None], dtype=np.float64)
    return [
        StratumCounts(sorted_time[starts[lo:hi]], planes[:, lo:hi])
        for lo, hi in itertools.pairwise(bounds)
    ]


def merge_groups(per_group: list[StratumCounts], n_codes: int) -> StratumCounts:
    """Put each group's counts (one group each) on the stratum's common grid of distinct times."""
    if len(per_group) == 1:
        return per_group[0]
    sizes = [len(counts.time) for counts in per_group]
    # Each group's times are sorted and distinct: a stable sort only merges the runs (timsort).
    order = np.argsort(np.concatenate([counts.time for counts in per_group]), kind="stable")
    merged = np.concatenate([counts.time for counts in per_group])[order]
    distinct = np.empty(len(merged), dtype=bool)
    distinct[:1] = True
    np.not_equal(merged[1:], merged[:-1], out=distinct[1:])
    grid_row = np.cumsum(distinct, dtype=np.int32)  # 1 + row on the grid of each merged position
    grid_row -= 1
    row = np.empty(len(grid_row), dtype=np.intp)
    row[order] = grid_row
    exits = np.zeros((n_codes, len(per_group), int(grid_row[-1]) + 1 if len(grid_row) else 0))
    start = 0
    for g, (counts, size) in enumerate(zip(per_group, sizes, strict=True)):
        rows = row[start : start + size]
        for code in range(n_codes):
            exits[code, g][rows] = counts.exits[code, :, 0]
        start += size
    return StratumCounts(merged[distinct], exits.transpose(0, 2, 1))
