"""For each element of a sequence, the weight of earlier elements with a lower and a higher key.

Concordance needs, for every subject, how many subjects of its risk set score lower (a 2-D
dominance count: earlier in risk-score order, lower in time key). R walks a balanced tree subject
by subject in C. Here the key is taken apart bit by bit from the top, a few whole-array passes per
bit, so n elements with keys below 2^b cost O(n·b).

Unit weights use a wavelet *matrix* (Claude, Navarro & Ordóñez, "The wavelet matrix",
Information Systems 47, 2015): at each bit every element with a 0 moves, in order, before
every element with a 1. An element whose bit is 1 is above every earlier 0 that shares its higher
bits; those share a contiguous group, so the count is a running count of 0s minus the 0s before
the group — and what is subtracted depends only on the element's key, so it is one table per key
(from the block's key histogram), applied once at the end rather than at every bit. Weighted
counts use the wavelet *tree* (Grossi, Gupta & Vitter, SODA 2003), which keeps each group's
weights to itself. Keys below 2^15 run the matrix in 16-bit words (see _unit_blocks).

Long sequences are cut into consecutive blocks small enough for the passes to stay in cache,
solved independently, half of them on another core. Every element of a block is later than every
element of the blocks before it, so the pairs across blocks also come from a per-key table.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from followup.survival._parallel import on_two_cores

T = TypeVar("T")
Counts = tuple[np.ndarray, np.ndarray, np.ndarray]  # keys, lower, higher: one order


def earlier_lower_and_higher(
    key: np.ndarray, lower_weight: np.ndarray | None, higher_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per element: weight of earlier elements with a lower key, and with a higher key.

    Σ lower_weight over earlier j with key_j < key_i, Σ higher_weight over earlier j with
    key_j > key_i; ``lower_weight=None`` means every element weighs 1.
    """
    if len(key) == 0:
        return np.zeros(0), np.zeros(0)
    if lower_weight is None and higher_weight.dtype == bool:
        packed = _packed(key, higher_weight, narrow=int(key.max()) < _NARROW_KEYS)
        parts = _unit_blocks(packed, _in_sequence_order(key))
    else:
        lower_w = np.ones(len(key)) if lower_weight is None else lower_weight.astype(np.float64)
        parts = _weighted_blocks(key, lower_w, higher_weight.astype(np.float64))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@dataclass(frozen=True)
class BlockCounts:
    """One block's unit-weight counts in the solver's order, as a per-key and a per-element part.

    Element i, with key keys[i], has lower = lower_of_key[keys[i]] + lower_extra[i], and likewise
    higher. A caller summing functions of the key and the counts can fold the per-key part into
    its own per-key tables and save two passes over the block.
    """

    packed: np.ndarray  # key << 1 | flag of each element
    lower_extra: np.ndarray
    higher_extra: np.ndarray
    lower_of_key: np.ndarray  # int64, indexed by key
    higher_of_key: np.ndarray
    elements_of_key: np.ndarray  # how many of the block's elements have each key

    @property
    def keys(self) -> np.ndarray:
        """Each element's key."""
        return self.packed >> 1

    def lower(self) -> np.ndarray:
        """Each element's weight of earlier elements with a lower key."""
        return self.lower_of_key[self.keys] + self.lower_extra

    def higher(self) -> np.ndarray:
        """Each element's weight of earlier flagged elements with a higher key."""
        return self.higher_of_key[self.keys] + self.higher_extra


def earlier_counts_reduced(packed: np.ndarray, reduce: Callable[[BlockCounts], T]) -> list[T]:
    """reduce(counts) of each block's unit-weight counts, in any order; packed = key << 1 | flag.

    The reduction runs where the block was solved, while its counts are still in cache, so the
    counts of a whole sequence never exist at once.
    """
    if len(packed) == 0:
        return []
    return _unit_blocks(packed, lambda block, counts: reduce(counts))


_BLOCK = 1 << 17
_PARALLEL_MINIMUM = 200_000


def _bounds(n: int, block: int | None = None) -> list[slice]:
    size = _BLOCK if block is None else block
    return [slice(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _on_cores(run: Callable[[int], T], n_blocks: int, n: int) -> list[T]:
    """run(b) for every block, the second half of the blocks on another core."""
    if n < _PARALLEL_MINIMUM or n_blocks < 2:
        return [run(b) for b in range(n_blocks)]
    halves = [range(n_blocks // 2), range(n_blocks // 2, n_blocks)]
    first, second = on_two_cores([partial(lambda part: [run(b) for b in part], h) for h in halves])
    return first + second


def _earlier_blocks(lower_per_key: np.ndarray, higher_per_key: np.ndarray) -> np.ndarray:
    """Per block and key: weight of lower keys and of higher keys in all earlier blocks."""
    lower = np.cumsum(lower_per_key, axis=1) - lower_per_key
    higher = higher_per_key.sum(axis=1, keepdims=True) - np.cumsum(higher_per_key, axis=1)
    both = np.stack((lower, higher))
    # Summed over earlier blocks row by row: numpy's cumsum along a middle axis is several times
    # slower than these additions of whole rows.
    before = np.zeros_like(both)
    for b in range(1, both.shape[1]):
        np.add(before[:, b - 1], both[:, b - 1], out=before[:, b])
    return before


_NARROW_KEYS = 1 << 15  # keys below this solve in 16-bit words (see _unit_blocks)


def _packed(key: np.ndarray, flagged: np.ndarray, *, narrow: bool = False) -> np.ndarray:
    """key << 1 | flag, in int32 when it fits; narrow: in uint16 (keys below _NARROW_KEYS)."""
    dtype = np.uint16 if narrow else np.int32 if int(key.max()) < 2**30 else np.int64
    packed: np.ndarray = key.astype(dtype)
    packed <<= 1
    packed |= flagged
    return packed


def _unit_blocks(packed: np.ndarray, finish: Callable[[slice, BlockCounts], T]) -> list[T]:
    """Each block's counts through the wavelet matrix (packed = key << 1 | flag).

    packed in uint16 runs the matrix in 16-bit words, in blocks of at most 2^16 so that every
    position and true count fits: a quarter less work per pass than 32 bits. Its running counts,
    summed over the bits, overflow; they are kept modulo 2^16, and as the true count is below
    2^16, the raw count minus its correction modulo 2^16 is exact.
    """
    n = len(packed)
    narrow = packed.dtype == np.uint16
    bits = (int(packed.max()) >> 1).bit_length()
    bounds = _bounds(n, min(_BLOCK, 1 << 16) if narrow else None)
    size = 1 << bits
    histogram = np.stack([np.bincount(packed[block], minlength=2 * size) for block in bounds])
    per_key, flagged_per_key = histogram[:, 0::2] + histogram[:, 1::2], histogram[:, 1::2]
    tables = _earlier_blocks(per_key, flagged_per_key)
    corrections = _matrix_corrections(per_key, flagged_per_key, bits)
    if narrow:  # corrected in each block, modulo 2^16, before the earlier blocks' counts
        corrections = (corrections & 0xFFFF).astype(np.uint16)
    else:
        tables -= corrections

    def run(b: int) -> T:
        block = bounds[b]
        arranged, lower, higher = _matrix_counts(packed[block], bits)
        if narrow:
            keys = arranged >> 1
            lower -= corrections[0, b][keys]
            higher -= corrections[1, b][keys]
        counts = BlockCounts(arranged, lower, higher, tables[0, b], tables[1, b], per_key[b])
        return finish(block, counts)

    return _on_cores(run, len(bounds), n)


def _in_sequence_order(
    key: np.ndarray,
) -> Callable[[slice, BlockCounts], tuple[np.ndarray, np.ndarray]]:
    """Put a block's counts back in sequence order, as floats."""
    bits = int(key.max()).bit_length()
    # The matrix leaves a block sorted stably by the bits of key >> 1, lowest bit most significant.
    reversed_bits = _bit_reversal(max(bits - 1, 0))

    def finish(block: slice, counts: BlockCounts) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(_narrow(reversed_bits[key[block] >> 1]), kind="stable")
        return _placed(order, counts.lower(), counts.higher())

    return finish


def _placed(
    order: np.ndarray, lower: np.ndarray, higher: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and higher as floats, the i-th solved element put back at position order[i]."""
    in_order = np.empty((2, len(order)))
    # Converted first: numpy scatters with a cast several times slower than it converts.
    in_order[0][order] = lower.astype(np.float64, copy=False)
    in_order[1][order] = higher.astype(np.float64, copy=False)
    return in_order[0], in_order[1]


def _bit_reversal(bits: int) -> np.ndarray:
    """Each value below 2^bits with its bits in reverse order."""
    values = np.arange(1 << bits)
    reversed_values = np.zeros_like(values)
    for b in range(bits):
        reversed_values |= ((values >> b) & 1) << (bits - 1 - b)
    return reversed_values


def _matrix_corrections(per_key: np.ndarray, flagged_per_key: np.ndarray, bits: int) -> np.ndarray:
    """Per block and key: what the running counts add to the true lower and higher counts.

    At each bit, an element's running count also takes in the 0s (or flagged 1s) of every group
    that the matrix has put before the element's own group. The sum over bits is built from the
    top bit down as a table over ever longer key prefixes, each level doubling it.
    """
    n_blocks, size = per_key.shape
    # Cumulative counts over keys, from 0: any key range's count is a difference of two.
    cumulative = np.zeros((2, n_blocks, size + 1), dtype=np.int64)
    np.cumsum(per_key, axis=1, out=cumulative[0, :, 1:])
    np.cumsum(flagged_per_key, axis=1, out=cumulative[1, :, 1:])
    lower = higher = np.zeros((n_blocks, 1), dtype=np.int64)  # per prefix of the key's top bits
    group_order = np.zeros(1, dtype=np.intp)  # the groups, in the order the matrix has them
    for b in range(bits - 1, -1, -1):
        span, half = 2 << b, 1 << b  # a group of keys sharing the bits above b, and its 0 half
        groups = size // span
        start, middle, end = (cumulative[:, :, i::span][:, :, :groups] for i in (0, half, span))
        zeros = _before_in_order(middle[0] - start[0], group_order)
        flagged_ones = _before_in_order(end[1] - middle[1], group_order)
        # A 1 at bit b takes the 0s before its group into its lower count; a 0 the flagged 1s.
        lower = np.stack((lower, lower + zeros), axis=2).reshape(n_blocks, -1)
        higher = np.stack((higher + flagged_ones, higher), axis=2).reshape(n_blocks, -1)
        group_order = np.concatenate((2 * group_order, 2 * group_order + 1))
    return np.stack((lower, higher))


def _before_in_order(per_group: np.ndarray, group_order: np.ndarray) -> np.ndarray:
    """Per block and group: the sum over the groups that come before it."""
    in_order = per_group[:, group_order]
    before = np.empty_like(per_group)
    before[:, group_order] = np.cumsum(in_order, axis=1) - in_order
    return before


def _matrix_counts(packed: np.ndarray, bits: int) -> Counts:
    """Running lower and higher counts of one block (key << 1 | flag), in the matrix's order.

    Returns the packed keys in that order with the counts; corrections are the caller's. The two
    counts travel as the rows of one array, so that each pass is one numpy call for both: with
    half the blocks on another core, calls this short spend much of their time handing over the
    GIL, and fewer calls hand it over less.
    """
    n = len(packed)
    if bits == 0:  # every key is 0: nothing is lower or higher
        zero = np.zeros(n, dtype=np.int64)
        return packed, zero, zero
    m = -(-n // 8) * 8  # whole 8-byte words for the running counts
    dtype = packed.dtype
    current, moved_current = np.empty(m, dtype=dtype), np.empty(m, dtype=dtype)
    current[:n] = packed
    # Padding takes the highest key and no flag: always a 1, always last, never counted.
    current[n:] = (1 << (bits + 1)) - 2
    # Rows: lower (0s before a 1) and higher (flagged 1s before a 0).
    counts, moved_counts = np.zeros((2, m), dtype=dtype), np.empty((2, m), dtype=dtype)
    running, mask, masked = (np.empty((2, m), dtype=dtype) for _ in range(3))
    one, work = np.empty(m, dtype=dtype), np.empty(m, dtype=dtype)
    flags = np.empty((2, m), dtype=np.uint8)
    words = _Words(m, dtype)
    position = np.arange(m, dtype=dtype)
    target = np.empty(m, dtype=np.intp)
    zeros_before = running[0]
    modulus = 1 << (8 * current.itemsize)  # uint16: all 2^16 elements 0 wraps to 0, as it may
    for b in range(bits, 0, -1):  # bit b of the packed key is bit b − 1 of the key
        np.right_shift(current, b, out=one)
        one &= 1
        np.bitwise_xor(one, 1, out=flags[0], casting="unsafe")  # 0s
        np.bitwise_and(one, current, out=flags[1], casting="unsafe")  # flagged 1s
        _running_count(flags, words, running)
        zeros = (int(zeros_before[-1]) + int(flags[0, -1])) % modulus
        np.negative(one, out=mask[0])  # all ones where the bit is 1 ...
        np.invert(mask[0], out=mask[1])  # ... and where it is 0
        np.bitwise_and(running, mask, out=masked)
        counts += masked
        if b == 1:
            break  # the last bit only counts: nothing after it needs the order
        # 0s go to their running count of 0s; 1s after all the 0s, in order.
        np.subtract(position, zeros_before, out=work)
        work += zeros
        work -= zeros_before
        work *= one
        work += zeros_before
        np.copyto(target, work)
        moved_current[target] = current
        for row, moved_row in zip(counts, moved_counts, strict=True):
            moved_row[target] = row  # one row at a time: numpy indexes a later axis slowly
        current, moved_current = moved_current, current
        counts, moved_counts = moved_counts, counts
    return current[:n], counts[0, :n], counts[1, :n]


class _Words:
    """Scratch for running counts over 8-byte words, allocated once per block."""

    def __init__(self, m: int, dtype: np.dtype[Any] | type) -> None:
        shape = (2, m // 8)
        self.prefix, self.top = np.empty(shape, dtype=np.uint64), np.empty(shape, dtype=np.uint64)
        self.totals, self.offsets = np.empty(shape, dtype=dtype), np.empty(shape, dtype=dtype)


_BYTE_ONES = np.uint64(0x0101010101010101)
_LITTLE_ENDIAN = sys.byteorder == "little"


def _running_count(flags: np.ndarray, words: _Words, out: np.ndarray) -> None:
    """Per row, out[i] = number of 1s in flags[:i], for 0/1 bytes, rows a multiple of 8 long.

    numpy's cumulative sum is a sequential loop at ~2 ns per element. Multiplying each 8-byte word
    by 0x0101…01 sums the prefixes of its bytes at once (none exceeds 8, so nothing carries), and
    only one value in eight goes through the sequential sum.
    """
    if not _LITTLE_ENDIAN:  # pragma: no cover - the byte trick assumes little-endian words
        np.cumsum(flags, axis=1, dtype=out.dtype, out=out)
        out -= flags
        return
    prefix = np.multiply(flags.view(np.uint64), _BYTE_ONES, out=words.prefix)
    np.right_shift(prefix, np.uint64(56), out=words.top)
    np.copyto(words.totals, words.top, casting="unsafe")
    np.cumsum(words.totals, axis=1, out=words.offsets)
    words.offsets -= words.totals
    prefix <<= np.uint64(8)  # each byte now sums the bytes before it
    # Rows are contiguous: repeating the flat offsets repeats each row's (numpy's axis=1 is slow).
    np.add(np.repeat(words.offsets.ravel(), 8).reshape(out.shape), prefix.view(np.uint8), out=out)


def _weighted_blocks(
    key: np.ndarray, lower_weight: np.ndarray, higher_weight: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each block's weighted counts through the wavelet tree, in sequence order."""
    n = len(key)
    bounds = _bounds(n)
    size = int(key.max()) + 1
    tables = _earlier_blocks(
        np.stack([np.bincount(key[s], weights=lower_weight[s], minlength=size) for s in bounds]),
        np.stack([np.bincount(key[s], weights=higher_weight[s], minlength=size) for s in bounds]),
    )

    def run(b: int) -> tuple[np.ndarray, np.ndarray]:
        block = bounds[b]
        lower, higher = _weighted(key[block], lower_weight[block], higher_weight[block])
        # The levels leave elements sorted stably by all bits of the key but the lowest (the last
        # level only counts, as nothing after it needs its order): undo that order.
        order = np.argsort(_narrow(key[block] >> 1), kind="stable")
        lower, higher = _placed(order, lower, higher)
        lower += tables[0, b, key[block]]
        higher += tables[1, b, key[block]]
        return lower, higher

    return _on_cores(run, len(bounds), n)


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


def score_order_and_ties(score: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, bool]:
    """Order by score, ties by key descending, and whether any scores are equal.

    A SIMD sort of (score bits, index) packed in uint64: the top bits of an order-preserving
    integer image of the score carry the sort, the low bits the index; runs whose truncated
    scores collide (exact ties, or differences below ~1e-10 relative) are then re-sorted exactly.
    Several times faster than np.argsort.
    """
    n = len(score)
    packed = np.add(score, 0.0).view(np.int64)  # + 0.0 turns -0.0 into 0.0, a tie with it
    # Flip every bit of a negative number and only the sign bit of a positive one: the
    # arithmetic shift spreads the sign over the word. (At a million scores every fresh array
    # costs its page faults, so one spare array serves three purposes below.)
    spare = np.right_shift(packed, 63)
    spare |= np.int64(-(1 << 63))
    packed ^= spare
    packed = packed.view(np.uint64)
    index_bits = np.uint64(max(1, (n - 1).bit_length()))
    low = (np.uint64(1) << index_bits) - np.uint64(1)
    packed &= ~low
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    # Neighbours collide when they differ only in the index bits.
    neighbours = spare.view(np.uint64)[: n - 1]
    np.bitwise_xor(packed[1:], packed[:-1], out=neighbours)
    collide = np.flatnonzero(neighbours <= low)
    order = spare  # int64 indices
    np.bitwise_and(packed, low, out=spare.view(np.uint64))
    if len(collide) == 0:
        return order, False
    in_run = np.zeros(n, dtype=bool)
    in_run[collide] = True
    in_run[collide + 1] = True
    positions = np.flatnonzero(in_run)
    top = packed[positions] >> index_bits
    run = np.cumsum(np.concatenate(([True], top[1:] != top[:-1])))
    members = order[positions]
    order[positions] = members[np.lexsort((-key[members], score[members], run))]
    in_order = score[order[positions]]
    ties = bool(np.any((in_order[1:] == in_order[:-1]) & (run[1:] == run[:-1])))
    return order, ties
