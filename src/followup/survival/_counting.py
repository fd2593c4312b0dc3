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
from functools import partial

import numpy as np

from followup.survival._parallel import on_two_cores

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
        if n_strata == 1 and n_groups == 2 and cells is not None:
            two_groups = _count_two_groups_if_distinct(time, codes, cells, n_codes)
            if two_groups is not None:
                return [two_groups]
        keys = _packed_keys(time, codes)
        if cells is None:
            per_cell = [_count_sorted_keys(keys, n_codes)]
        else:
            per_cell = _count_cells_sorted(keys, cells, n_cells, n_codes)
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
    """Bincounts over cache-sized chunks, the two halves of the rows on two cores.

    None when the time range is too wide for bins. A negative time makes ``np.bincount``
    refuse, which ``NegativeTimeError`` reports.
    """
    n_strata, n_groups, n_codes = shape
    stride = n_strata * n_groups * n_codes
    limit = max(4 * len(time), 1 << 22)
    count = partial(_count_rows, time, codes, cells, (stride, n_codes), weights, limit)
    if len(time) >= _PARALLEL_ROWS:
        middle = len(time) // 2
        first_totals, second_totals = on_two_cores(
            [partial(count, 0, middle), partial(count, middle, len(time))]
        )
        if first_totals is None or second_totals is None:
            return None
        counted = _add_padded(first_totals, second_totals)
    else:
        only = count(0, len(time))
        if only is None:
            return None
        counted = only
    totals = np.concatenate((counted, np.zeros(-len(counted) % stride, counted.dtype)))
    counts = totals.reshape(-1, n_strata, n_groups, n_codes)
    result = []
    for stratum in range(n_strata):
        block = counts[:, stratum]
        rows = np.flatnonzero(block.reshape(len(block), -1).any(axis=1))
        planes = np.ascontiguousarray(block[rows].transpose(2, 1, 0), dtype=np.float64)
        result.append(StratumCounts(rows.astype(np.float64), planes.transpose(0, 2, 1)))
    return result


_PARALLEL_ROWS = 1 << 21


def _count_rows(
    time: np.ndarray,
    codes: np.ndarray,
    cells: np.ndarray | None,
    strides: tuple[int, int],
    weights: np.ndarray | None,
    limit: int,
    first: int,
    last: int,
) -> np.ndarray | None:
    """Totals per key over rows first..last-1; None when a key passes the limit."""
    stride, n_codes = strides
    totals = np.zeros(0, dtype=np.float64 if weights is not None else np.int64)
    chunk = _CHUNK
    key = np.empty(min(chunk, last - first), dtype=np.int64)
    start = first
    while start < last:
        stop = min(start + chunk, last)
        part = key[: stop - start]
        np.multiply(time[start:stop], stride, out=part, casting="unsafe")
        if cells is not None:
            part += cells[start:stop] * n_codes
        np.add(part, codes[start:stop], out=part, casting="unsafe")
        part_weights = None if weights is None else weights[start:stop]
        if part.max() >= limit:  # the chunk is in cache: this look costs little
            return None
        try:
            counted = np.bincount(part, weights=part_weights)
        except ValueError:
            raise NegativeTimeError from None
        if len(counted) > len(totals):
            totals = _add_padded(totals, np.zeros(len(counted), totals.dtype))
            if len(totals) > chunk:  # adding a long total per chunk: take bigger chunks
                chunk = len(totals)
                key = np.empty(min(chunk, last - first), dtype=np.int64)
        totals[: len(counted)] += counted
        start = stop
    return totals


def _add_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b for vectors of different lengths, the shorter one padded with zeros."""
    if len(a) < len(b):
        a, b = b, a
    result = a.copy()
    result[: len(b)] += b
    return result


class NegativeTimeError(Exception):
    """Whole-number times were counted before their sign was checked, and one was negative."""


def _packed_keys(time: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """uint64 keys (float bits << 1 | exit code): sorting them sorts by time, censorings first.

    Shifting left drops the sign bit, so -0.0 and +0.0 share a key, as they share a time.
    """
    key = np.left_shift(time.astype(np.float64, copy=False).view(np.uint64), np.uint64(1))
    np.bitwise_or(key, _as_unsigned(codes), out=key)
    return key


def _count_cells_sorted(
    keys: np.ndarray, cells: np.ndarray, n_cells: int, n_codes: int
) -> list[StratumCounts]:
    """Each cell's keys picked out and sorted, the cells shared between the cores."""

    def count(cell: int) -> StratumCounts:
        return _count_sorted_keys(keys[cells == cell], n_codes)

    return on_two_cores([partial(count, cell) for cell in range(n_cells)])


def _count_two_groups_if_distinct(
    time: np.ndarray, codes: np.ndarray, group: np.ndarray, n_codes: int
) -> StratumCounts | None:
    """Two groups whose times are all distinct (real-valued times): two sorts, no merge.

    Sorting (time bits << 1 | exit code) and (time bits << 1 | group) on two cores puts the rows
    in the same order when no two times are equal, so each row's code comes from one sort and its
    group from the other. None when some times are equal: the general path counts those.
    """
    by_group, sorted_codes = on_two_cores(
        [partial(_sorted_keys, time, group), partial(_sorted_keys, time, codes)]
    )
    n = len(by_group)
    exits = np.empty((n_codes, 2, n))  # memory order code, group, row
    one = np.uint64(1)
    for lo in range(0, n, _CHUNK):  # chunks that stay in cache: no long temporaries
        hi = min(lo + _CHUNK, n)
        second = (by_group[lo:hi] & one).astype(bool)
        times = by_group[lo:hi]
        np.right_shift(times, one, out=times)
        if (lo > 0 and times[0] == by_group[lo - 1]) or np.any(times[1:] == times[:-1]):
            return None  # tied times (by_group is half shifted, but nobody else sees it)
        if n_codes == 1:
            np.copyto(exits[0, 1, lo:hi], second)
            np.copyto(exits[0, 0, lo:hi], ~second)
            continue
        event = (sorted_codes[lo:hi] & one).astype(bool)
        np.copyto(exits[1, 1, lo:hi], second & event)
        np.copyto(exits[0, 1, lo:hi], second > event)  # second group, censored
        np.copyto(exits[1, 0, lo:hi], event > second)  # first group, event
        np.copyto(exits[0, 0, lo:hi], ~(second | event))
    return StratumCounts(by_group.view(np.float64), exits.transpose(0, 2, 1))


def _sorted_keys(time: np.ndarray, low: np.ndarray) -> np.ndarray:
    """_packed_keys with a 0/1 low bit (an exit code or a group), sorted."""
    key = _packed_keys(time, low)
    key.sort()
    return key


def _count_sorted_keys(key: np.ndarray, n_codes: int) -> StratumCounts:
    """Sort the keys in place (one SIMD sort instead of an argsort) and count per time.

    At ten million rows every fresh array costs page faults, so this reuses buffers.
    """
    n = len(key)
    if n == 0:
        return StratumCounts(np.empty(0), np.empty((n_codes, 0, 1)))
    key.sort()
    event = np.empty(n)
    np.copyto(event, key & np.uint64(1), casting="unsafe")
    np.right_shift(key, np.uint64(1), out=key)  # now the time bits
    new_time = np.empty(n, dtype=bool)
    new_time[0] = True
    np.not_equal(key[1:], key[:-1], out=new_time[1:])
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
    """Non-negative integer codes seen as unsigned (a view), so that they OR into uint64 keys."""
    if codes.dtype == bool or codes.dtype.kind == "u":
        return codes
    return codes.view(np.dtype(f"u{codes.itemsize}"))


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
    rows, grid = _merged_rows(per_group)
    exits = np.zeros((n_codes, len(per_group), len(grid)))
    for g, (counts, group_rows) in enumerate(zip(per_group, rows, strict=True)):
        for code in range(n_codes):
            exits[code, g][group_rows] = counts.exits[code, :, 0]
    return StratumCounts(grid, exits.transpose(0, 2, 1))


def _merged_rows(per_group: list[StratumCounts]) -> tuple[list[np.ndarray], np.ndarray]:
    """Each group's rows on the union of the groups' (sorted, distinct) times, and that union.

    A group's rows are an index array, or a boolean mask over the union when every time of the
    union belongs to one group only (real-valued times: the usual case, and cheaper).
    """
    times = [counts.time for counts in per_group]
    if len(per_group) == 2 and all(len(t) == 0 or t[0] >= 0 for t in times):
        # Non-negative float bits sort like the floats; the free sign bit carries the group.
        key = np.empty(len(times[0]) + len(times[1]), dtype=np.uint64)
        np.left_shift(times[0].view(np.uint64), np.uint64(1), out=key[: len(times[0])])
        second = key[len(times[0]) :]
        np.left_shift(times[1].view(np.uint64), np.uint64(1), out=second)
        second |= np.uint64(1)
        key.sort(kind="stable")  # two sorted runs: timsort merges them in one pass
        in_second = (key & np.uint64(1)).astype(bool)
        np.right_shift(key, np.uint64(1), out=key)
        merged = key.view(np.float64)
        order = None
    else:
        order = np.argsort(np.concatenate(times), kind="stable")  # timsort: merges the runs
        merged = np.concatenate(times)[order]
    distinct = np.empty(len(merged), dtype=bool)
    distinct[:1] = True
    np.not_equal(merged[1:], merged[:-1], out=distinct[1:])
    if order is None and distinct.all():
        return [~in_second, in_second], merged
    grid_row = np.cumsum(distinct, dtype=np.int32)
    grid_row -= 1
    if order is None:
        rows = [grid_row[~in_second], grid_row[in_second]]
    else:
        row = np.empty(len(grid_row), dtype=np.intp)
        row[order] = grid_row
        bounds = np.cumsum([0] + [len(t) for t in times])
        rows = [row[lo:hi] for lo, hi in itertools.pairwise(bounds)]
    return rows, merged[distinct]
