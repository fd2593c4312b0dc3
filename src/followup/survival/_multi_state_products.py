"""Products of a sequence of small matrices H_0, H_1, …: prefix recurrences and range products.

The Aalen-Johansen estimate and its influence are carried forward through H(t) = I + dA(t) at
each transition time. Instead of a Python loop over the times, the products are kept in a table
of aligned dyadic blocks (level k holds H_{i·2^k} ⋯ H_{(i+1)·2^k − 1}, a segment tree built
bottom-up), from which

- every linear recurrence x_m = x_{m−1} H_m + J_m (or V_m = H_mᵀ V_{m−1} H_m + E_m) is solved
  at all m at once by a recursive-doubling prefix scan (Blelloch 1990, "Prefix sums and their
  applications"; the pairs of each level combine as affine maps), O(times) matrix products in
  O(log times) vectorised steps;
- x · H_lo ⋯ H_{hi−1} is found for many (x, lo, hi) at once from O(log times) blocks each, the
  left edge climbing the levels and the right edge descending them.

Only products of H are formed, never inverses: H is singular whenever everybody at risk in a
state leaves it at once, which is common in small transient states.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Combine = Callable[[np.ndarray, np.ndarray], np.ndarray]


def block_products(h: np.ndarray) -> tuple[np.ndarray, ...]:
    """Level k: products over elements [i·2^k, (i+1)·2^k), padded with I to an even length."""
    identity = np.eye(h.shape[1])
    levels = []
    level = h
    while True:
        if len(level) > 1 and len(level) % 2:
            level = np.concatenate((level, identity[None]))
        levels.append(level)
        if len(level) <= 1:
            return tuple(levels)
        level = level[0::2] @ level[1::2]


def right_multiply(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """x H, batched: the forward step of a row-vector (or stacked rows) recurrence."""
    return x @ h


def congruence(v: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Hᵀ V H, batched: the forward step of a sum of outer products Σ Uᵀ U when U → U H."""
    return np.swapaxes(h, -1, -2) @ v @ h


def prefix_scan(
    levels: tuple[np.ndarray, ...], injections: np.ndarray, step: Combine
) -> np.ndarray:
    """x_m = step(x_{m−1}, H_m) + J_m from x_{−1} = 0, at every m (a recursive-doubling scan)."""
    return _scan(levels, 0, injections, step)


def _scan(levels: tuple[np.ndarray, ...], k: int, j: np.ndarray, step: Combine) -> np.ndarray:
    blocks = levels[k]
    if len(blocks) == 1:
        return j[:1]
    padded = np.zeros((len(blocks), *j.shape[1:]))
    padded[: len(j)] = j
    pairs = step(padded[0::2], blocks[1::2]) + padded[1::2]  # (left then right) as one map
    ends = _scan(levels, k + 1, pairs, step)  # prefix at the end of each pair
    out = np.empty_like(padded)
    out[1::2] = ends
    out[0] = padded[0]
    out[2::2] = step(ends[:-1], blocks[2::2]) + padded[2::2]
    return out[: len(j)]


def range_products(
    levels: tuple[np.ndarray, ...], x: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Row vectors x (one per query) times H_lo ⋯ H_{hi−1} (identity when lo = hi)."""
    by_lo = np.argsort(lo, kind="stable")  # neighbouring queries read neighbouring blocks
    x, lo, hi = x[by_lo], lo[by_lo].astype(np.intp), hi[by_lo]
    depth = range(len(levels))
    # Climb: a block of level k where lo is an odd multiple of 2^k, while it fits; then descend
    # from the largest block that still fits (lo stays aligned: the rest is a binary expansion).
    for k, climbing in [(k, True) for k in depth] + [(k, False) for k in reversed(depth)]:
        size = 1 << k
        fits = lo + size <= hi
        if climbing:
            fits &= (lo >> k) & 1 == 1
        take = np.flatnonzero(fits)
        if len(take):
            x[take] = np.einsum("qi,qij->qj", x[take], levels[k][lo[take] >> k])
            lo[take] += size
    out = np.empty_like(x)
    out[by_lo] = x
    return out
