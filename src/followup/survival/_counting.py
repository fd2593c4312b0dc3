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
    """Exits of one stratum on its grid of distinct times: ``exits[row, group, code]``."""

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
    if time.max() >= 2.0**53:
        return None
    as_integer = time.astype(np.int64)
    return as_integer if np.array_equal(as_integer, time) else None


def _count_whole_numbers(
    time: np.ndarray,
    codes: np.ndarray,
    cells: np.ndarray | None,
    shape: tuple[int, int, int],
    weights: np.ndarray | None,
) -> list[StratumCounts] | None:
    n_strata, n_groups, n_codes = shape
    n_cells = n_strata * n_groups
    stride = n_cells * n_codes
    n_bins = (int(time.max()) + 1) * stride
    if n_bins > max(4 * len(time), 1 << 22):
        return None
    totals = np.zeros(n_bins, dtype=np.float64 if weights is not None else np.int64)
    chunk = max(_CHUNK, n_bins)
    key = np.empty(min(chunk, len(time)), dtype=np.int64)
    for start in range(0, len(time), chunk):
        stop = min(start + chunk, len(time))
        part = key[: stop - start]
        np.multiply(time[start:stop], stride, out=part, casting="unsafe")
        if cells is not None:
            part += cells[start:stop] * n_codes
        np.add(part, codes[start:stop], out=part, casting="unsafe")
        part_weights = None if weights is None else weights[start:stop]
        totals += np.bincount(part, weights=part_weights, minlength=n_bins)
    counts = totals.reshape(-1, n_strata, n_groups, n_codes)
    result = []
    for stratum in range(n_strata):
        block = counts[:, stratum]
        rows = np.flatnonzero(block.reshape(len(block), -1).any(axis=1))
        result.append(StratumCounts(rows.astype(np.float64), block[rows].astype(np.float64)))
    return result


def _select(
    time: np.ndarray, codes: np.ndarray, cells: np.ndarray | None, cell: int
) -> tuple[np.ndarray, np.ndarray]:
    if cells is None:
        return time, codes
    mask = cells == cell
    return time[mask], codes[mask]


def _count_sorted_keys(time: np.ndarray, codes: np.ndarray, n_codes: int) -> StratumCounts:
    """Sort uint64 keys (float bits << 1 | event): one SIMD sort instead of an argsort."""
    if len(time) == 0:
        return StratumCounts(np.empty(0), np.empty((0, n_codes)))
    # Shifting left drops the sign bit, so -0.0 and +0.0 share a key, as they share a time.
    key = time.astype(np.float64, copy=False).view(np.uint64) << np.uint64(1)
    key |= codes.astype(np.uint64, copy=False)
    key.sort()
    bits = key >> np.uint64(1)
    starts = np.flatnonzero(np.concatenate(([True], bits[1:] != bits[:-1])))
    total = np.diff(np.append(starts, len(key))).astype(np.float64)
    if n_codes == 1:
        return StratumCounts(bits[starts].view(np.float64), total[:, None])
    events = np.add.reduceat(key & np.uint64(1), starts).astype(np.float64)
    exits = np.stack([total - events, events], axis=1)
    return StratumCounts(bits[starts].view(np.float64), exits)


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
    return [
        StratumCounts(sorted_time[starts[lo:hi]], exits[lo:hi].astype(np.float64))
        for lo, hi in itertools.pairwise(bounds)
    ]


def merge_groups(per_group: list[StratumCounts], n_codes: int) -> StratumCounts:
    """Put each group's counts on the stratum's common grid of distinct times."""
    if len(per_group) == 1:
        only = per_group[0]
        return StratumCounts(only.time, only.exits.reshape(len(only.time), 1, n_codes))
    times = np.concatenate([counts.time for counts in per_group])
    group_of = np.repeat(np.arange(len(per_group)), [len(c.time) for c in per_group])
    # Each group's times are sorted, so the stable sort only merges len(per_group) runs.
    order = np.argsort(times, kind="stable")
    sorted_times = times[order]
    new_time = np.concatenate(([True], sorted_times[1:] != sorted_times[:-1]))
    row_sorted = np.cumsum(new_time) - 1
    row = np.empty_like(row_sorted)
    row[order] = row_sorted
    exits = np.zeros((int(new_time.sum()), len(per_group), n_codes))
    exits[row, group_of] = np.concatenate([c.exits for c in per_group])
    return StratumCounts(sorted_times[new_time], exits)
