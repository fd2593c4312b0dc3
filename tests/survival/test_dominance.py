"""The dominance counts against the pair-by-pair definition: weighted or not, every block path."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import followup.survival._dominance as dominance


def brute_force(
    key: np.ndarray, lower_weight: np.ndarray | None, higher_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    lower_w = np.ones(len(key)) if lower_weight is None else lower_weight
    higher_w = np.asarray(higher_weight, dtype=float)
    lower = np.array([lower_w[:i][key[:i] < key[i]].sum() for i in range(len(key))])
    higher = np.array([higher_w[:i][key[:i] > key[i]].sum() for i in range(len(key))])
    return lower, higher


@st.composite
def sequences(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    n = draw(st.integers(0, 200))
    top = draw(st.sampled_from([0, 1, 2, 40, 5000]))  # no level, one, a few, many
    key = draw(arrays(np.int64, n, elements=st.integers(0, top)))
    weighted = draw(st.booleans())
    flags = draw(arrays(np.bool_, n))
    if not weighted:
        return key, None, flags
    weights = draw(arrays(np.float64, n, elements=st.floats(0, 3, allow_nan=False)))
    return key, weights, flags * weights


EVERY_BLOCK_PATH = pytest.mark.parametrize(
    ("block", "parallel_from"),
    [(1 << 16, 10**9), (7, 10**9), (7, 8)],
    ids=["one block", "blocks on one core", "blocks on two cores"],
)


@contextmanager
def blocks(block: int, parallel_from: int) -> Iterator[None]:
    """Solve in blocks of this many elements, on two cores from this many."""
    saved = dominance._BLOCK, dominance._PARALLEL_MINIMUM
    dominance._BLOCK, dominance._PARALLEL_MINIMUM = block, parallel_from
    try:
        yield
    finally:
        dominance._BLOCK, dominance._PARALLEL_MINIMUM = saved


@EVERY_BLOCK_PATH
@given(data=sequences())
def test_counts_match_the_definition(
    data: tuple[np.ndarray, np.ndarray | None, np.ndarray], block: int, parallel_from: int
) -> None:
    key, lower_weight, higher_weight = data
    with blocks(block, parallel_from):
        lower, higher = dominance.earlier_lower_and_higher(key, lower_weight, higher_weight)
    expected_lower, expected_higher = brute_force(key, lower_weight, higher_weight)
    np.testing.assert_allclose(lower, expected_lower, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(higher, expected_higher, rtol=1e-12, atol=1e-12)


@EVERY_BLOCK_PATH
@given(data=sequences())
def test_counts_in_any_order_are_the_same_counts(
    data: tuple[np.ndarray, np.ndarray | None, np.ndarray], block: int, parallel_from: int
) -> None:
    """Each element's (key, lower, higher) comes back once, in whatever order."""
    key, _, flags = data
    flagged = flags.astype(bool)
    packed = (key << 1) | flagged
    with blocks(block, parallel_from):
        solved = dominance.earlier_counts_reduced(packed, lambda counts: counts)
    expected_lower, expected_higher = brute_force(key, None, flagged)
    got = sorted(
        element
        for counts in solved
        for element in zip(
            counts.keys.tolist(), counts.lower().tolist(), counts.higher().tolist(), strict=True
        )
    )
    want = sorted(zip(key.tolist(), expected_lower.tolist(), expected_higher.tolist(), strict=True))
    assert got == want


@pytest.mark.parametrize("n", [70_000, 210_000], ids=["one core", "two cores"])
def test_sixteen_bit_blocks_count_exactly_though_their_running_counts_wrap(n: int) -> None:
    """Keys below 2^15 solve in 16-bit words, whose running counts overflow in blocks this long.

    The same counts come from the 32-bit words (the keys shifted past the 16-bit range) and from
    the weighted wavelet tree, a different algorithm.
    """
    rng = np.random.default_rng(n)
    key = rng.integers(0, dominance._NARROW_KEYS, n)
    flags = rng.random(n) < 0.3
    lower, higher = dominance.earlier_lower_and_higher(key, None, flags)
    wide_lower, wide_higher = dominance.earlier_lower_and_higher(
        key + dominance._NARROW_KEYS, None, flags
    )
    tree_lower, tree_higher = dominance.earlier_lower_and_higher(key, np.ones(n), flags * 1.0)
    np.testing.assert_array_equal(lower, wide_lower)
    np.testing.assert_array_equal(higher, wide_higher)
    np.testing.assert_array_equal(lower, tree_lower)
    np.testing.assert_array_equal(higher, tree_higher)
    assert lower.max() > 2**16  # counts past 16 bits come back whole
