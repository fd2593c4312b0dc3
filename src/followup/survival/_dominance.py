"""For each element of a sequence, the weight of earlier elements with a lower and a higher key.

Concordance needs, for every subject, how many subjects of its risk set score lower (a 2-D
dominance count: earlier in risk-score order, lower in time key). R walks a balanced tree subject
by subject in C. Here the key is taken apart bit by bit from the top (a wavelet decomposition):
at each level, elements sharing the higher bits form a group, kept in sequence order; an element
whose bit is 1 is above every earlier group member whose bit is 0, and vice versa. A level is a
few whole-array passes (integer cumulative sums, one stable partition), so n elements with keys
below 2^b cost O(n·b) — about 15 ms per level for a million subjects.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from followup.survival._parallel import on_two_cores


def earlier_lower_and_higher(
    key: np.ndarray, lower_weight: np.ndarray | None, higher_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per element: weight of earlier elements with a lower key, and with a higher key.

    Σ lower_weight over earlier j with key_j < key_i, Σ higher_weight over earlier j with
    key_j > key_i; ``lower_weight=None`` means every element weighs 1.
    """
    _, lower, higher = _in_blocks(key, lower_weight, higher_weight, in_order=True)
    return lower, higher


def earlier_counts_in_any_order(
    key: np.ndarray, flagged: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same counts for unit weights, in an order of the solver's choosing, with each key.

    For callers that only need sums over elements of functions of (key, counts): putting the
    counts back in sequence order would cost a sort and two scatters per block.
    """
    return _in_blocks(key, None, flagged, in_order=False)


def _in_blocks(
    key: np.ndarray, lower_weight: np.ndarray | None, higher_weight: np.ndarray, in_order: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, lower and higher counts; in sequence order, or per block in the solver's order.

    Long sequences are cut into consecutive blocks small enough for the levels to work in cache,
    solved independently, half of them on another core. Every element of a block is later than
    every element of the blocks before it, so the pairs across blocks come from a small table:
    per block, the cumulative weight of each key in all earlier blocks.
    """
    n = len(key)
    n_blocks = -(-n // _BLOCK)
    solve = partial(_solve, in_order=in_order)
    if n_blocks <= 1:
        return solve(key, lower_weight, higher_weight)
    bounds = [(b * _BLOCK, min((b + 1) * _BLOCK, n)) for b in range(n_blocks)]

    def solve_blocks(
        blocks: list[tuple[int, int]],
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        return [
            solve(
                key[lo:hi],
                None if lower_weight is None else lower_weight[lo:hi],
                higher_weight[lo:hi],
            )
            for lo, hi in blocks
        ]

    if n < _PARALLEL_MINIMUM:
        solved = solve_blocks(bounds)
    else:
        halves = [bounds[: n_blocks // 2], bounds[n_blocks // 2 :]]
        first, second = on_two_cores([partial(solve_blocks, half) for half in halves])
        solved = first + second
    result_key, lower, higher = (np.concatenate(parts) for parts in zip(*solved, strict=True))
    keys = int(key.max()) + 1
    block = np.repeat(np.arange(n_blocks), _BLOCK)[:n]
    cell = block * keys + key  # where each element is counted: sequence order
    looked_up = block * keys + result_key  # where its count is looked up: the result's order
    for result, weight, side in ((lower, lower_weight, -1), (higher, higher_weight, 1)):
        per_cell = np.bincount(
            cell,
            weights=None if weight is None else weight.astype(np.float64),
            minlength=n_blocks * keys,
        ).reshape(n_blocks, keys)
        # Weight of each key's lower (side −1) or higher (+1) keys within each block ...
        within = np.cumsum(per_cell, axis=1)
        within = within - per_cell if side < 0 else within[:, -1:] - within
        # ... summed over the blocks before it.
        earlier = np.cumsum(within, axis=0) - within
        result += earlier.ravel()[looked_up]
    return result_key, lower, higher


_BLOCK = 1 << 17
_PARALLEL_MINIMUM = 200_000


def _solve(
    key: np.ndarray, lower_weight: np.ndarray | None, higher_weight: np.ndarray, in_order: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(key)
    if n == 0:
        return key, np.zeros(0), np.zeros(0)
    if lower_weight is None and higher_weight.dtype == bool:
        lower, higher, arranged = _counts(key, higher_weight)
        if not in_order:
            return arranged >> 1, lower.astype(np.float64), higher.astype(np.float64)
    else:
        lower_w = np.ones(n) if lower_weight is None else lower_weight.astype(np.float64)
        lower, higher = _weighted(key, lower_w, higher_weight.astype(np.float64))
    # The levels leave elements sorted stably by all bits of the key but the lowest (the last
    # level only counts, as nothing after it needs its order): undo that order.
    order = np.argsort(_narrow(key >> 1), kind="stable")
    result_lower, result_higher = np.empty(n), np.empty(n)
    result_lower[order] = lower
    result_higher[order] = higher
    return key, result_lower, result_higher


def _counts(key: np.ndarray, flagged: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit weights in int32 (half the traffic of intp): counts, key << 1 | flag in their order."""
    n = len(key)
    packed = (key.astype(np.int32) << 1) | flagged
    lower = np.zeros(n, dtype=np.int32)
    higher = np.zeros(n, dtype=np.int32)
    starts = np.zeros(1, dtype=np.int32)
    sizes = np.array([n], dtype=np.int32)
    position = np.arange(n, dtype=np.int32)
    for b in range(int(key.max()).bit_length(), 0, -1):
        one = packed >> b
        one &= 1
        zero = one ^ 1
        zeros_to_here = np.cumsum(zero, dtype=np.int32)
        zeros_at_start = zeros_to_here[starts] - zero[starts]
        zeros_before = zeros_to_here - zero
        zeros_before -= np.repeat(zeros_at_start, sizes)
        lower += zeros_before * one
        flagged_one = one & packed
        flags_before = np.cumsum(flagged_one, dtype=np.int32)
        flags_before -= flagged_one
        flags_before -= np.repeat(flags_before[starts], sizes)
        flags_before *= zero
        higher += flags_before
        if b == 1:
            break  # the last level only counts: nothing after it needs its order
        zeros_in_group = zeros_to_here[starts + sizes - 1] - zeros_at_start
        # zeros go to group start + zeros before; ones to position − zeros before + zeros in group
        group_start = np.repeat(starts, sizes)
        target = np.repeat(zeros_in_group, sizes)
        target += position
        target -= group_start
        target -= zeros_before
        target -= zeros_before
        target *= one
        target += group_start
        target += zeros_before
        packed, lower, higher = _scatter(target.astype(np.intp), packed, lower, higher)
        starts, sizes = _split_groups(starts, sizes, zeros_in_group)
    return lower, higher, packed


def _weighted(
    key: np.ndarray, lower_weight: np.ndarray, higher_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = len(key)
    key = key.astype(np.int32)
    lower, higher = np.zeros(n), np.zeros(n)
    starts = np.zeros(1, dtype=np.int32)
    sizes = np.array([n], dtype=np.int32)
    position = np.arange(n, dtype=np.int32)
    for b in range(int(key.max()).bit_length() - 1, -1, -1):
        one = (key >> b) & 1 == 1
        zero = ~one
        group_start = np.repeat(starts, sizes)
        zeros_to_here = np.cumsum(zero, dtype=np.int32)
        zeros_at_start = zeros_to_here[starts] - zero[starts]
        zeros_before = zeros_to_here - zero - np.repeat(zeros_at_start, sizes)
        lower += _weight_before(np.where(zero, lower_weight, 0.0), starts, sizes) * one
        higher += _weight_before(np.where(one, higher_weight, 0.0), starts, sizes) * zero
        if b == 0:
            break  # the last level only counts: nothing after it needs its order
        zeros_in_group = zeros_to_here[starts + sizes - 1] - zeros_at_start
        target = np.where(
            zero,
            group_start + zeros_before,
            position - zeros_before + np.repeat(zeros_in_group, sizes),
        )
        key, lower, higher, lower_weight, higher_weight = _scatter(
            target, key, lower, higher, lower_weight, higher_weight
        )
        starts, sizes = _split_groups(starts, sizes, zeros_in_group)
    return lower, higher


def _weight_before(selected: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Exclusive running sum within each group."""
    exclusive = np.cumsum(selected) - selected
    return exclusive - np.repeat(exclusive[starts], sizes)


def _narrow(key: np.ndarray) -> np.ndarray:
    """uint16 when it fits, so numpy's stable argsort is a radix sort."""
    return key.astype(np.uint16) if key.max() < 65536 else key


def _split_groups(
    starts: np.ndarray, sizes: np.ndarray, zeros: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each group splits into its zero part then its one part; empty parts disappear."""
    new_starts = np.stack((starts, starts + zeros), axis=1).ravel()
    new_sizes = np.stack((zeros, sizes - zeros), axis=1).ravel()
    keep = new_sizes > 0
    return new_starts[keep], new_sizes[keep]


def _scatter(target: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    out = []
    for array in arrays:
        moved = np.empty_like(array)
        moved[target] = array
        out.append(moved)
    return tuple(out)
