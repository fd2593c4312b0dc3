"""Weighted 2-D dominance counts: for each query q, Σ w_p over points with a_p < a_q and b_p < b_q.

The concordance index and its infinitesimal-jackknife variance need, for every subject, how many
subjects in its risk set have a lower (or higher) risk score: a 2-D dominance count. R walks a
balanced tree subject by subject in C; here the same counts come from a bit-by-bit (wavelet)
decomposition of one coordinate, each level a handful of whole-array numpy operations, O(n log n).
"""

from __future__ import annotations

import numpy as np


def dominance_sums(
    point_a: np.ndarray,
    point_b: np.ndarray,
    point_weight: np.ndarray,
    query_a: np.ndarray,
    query_b: np.ndarray,
) -> np.ndarray:
    """Σ_p w_p [a_p < a_q][b_p < b_q] for each query; keys are non-negative integers."""
    if len(query_a) == 0:
        return np.zeros(0)
    if len(point_a) == 0:
        return np.zeros(len(query_a))
    # Decompose the coordinate with fewer distinct values bit by bit; order by the other one.
    if max(point_a.max(), query_a.max()) < max(point_b.max(), query_b.max()):
        point_a, point_b, query_a, query_b = point_b, point_a, query_b, query_a
    n_points = len(point_a)
    is_point = np.concatenate((np.ones(n_points, bool), np.zeros(len(query_a), bool)))
    order_key = np.concatenate((point_a, query_a)).astype(np.int64) * 2 + is_point
    # At equal a, queries come first, so points with the same a are not counted (strict <).
    sequence = np.argsort(order_key, kind="stable")
    bits = np.concatenate((point_b, query_b)).astype(np.int64)[sequence]
    weight = np.concatenate((point_weight, np.zeros(len(query_a))))[sequence]
    query = (sequence - n_points)  # query index, negative for points
    return _prefix_counts(bits, weight, query, len(query_a))


def _prefix_counts(
    key: np.ndarray, weight: np.ndarray, query: np.ndarray, n_queries: int
) -> np.ndarray:
    """For each query, the weight of points earlier in the sequence with a smaller key.

    At the level of bit b, elements are grouped by their key's higher bits (stably, so sequence
    order survives within a group); a query whose bit b is 1 collects the points of its group that
    came before it with bit b equal to 0 — exactly those smaller than it at their highest
    differing bit. Then each group splits, zeros first, for the next level.
    """
    result = np.zeros(n_queries)
    n = len(key)
    position = np.arange(n)
    start = np.zeros(n, dtype=np.int64)
    stop = np.full(n, n, dtype=np.int64)
    for b in range(int(key.max()).bit_length() - 1, -1, -1):
        one = (key >> b) & 1 == 1
        zero_weight = np.where(one, 0.0, weight)
        before = np.cumsum(zero_weight) - zero_weight
        collect = one & (query >= 0)
        result[query[collect]] += (before - before[start])[collect]
        zeros_before = np.cumsum(~one) - ~one
        zeros_in_group = zeros_before[stop - 1] + ~one[stop - 1] - zeros_before[start]
        rank_in_group = zeros_before - zeros_before[start]
        split = start + zeros_in_group
        target = np.where(one, split + (position - start - rank_in_group), start + rank_in_group)
        new_start = np.where(one, split, start)
        new_stop = np.where(one, stop, split)
        key, weight, query = _scatter(target, key, weight, query)
        start, stop = _scatter(target, new_start, new_stop)
    return result


def _scatter(target: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    out = []
    for array in arrays:
        moved = np.empty_like(array)
        moved[target] = array
        out.append(moved)
    return tuple(out)
