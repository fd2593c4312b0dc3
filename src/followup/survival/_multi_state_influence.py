"""Aalen-Johansen probabilities and their infinitesimal-jackknife SE in O(rows · log times).

R (survival 3.5's ``survfitci.c``; ``survfitaj.c``, its 2024 successor, alike) carries the
influence U_i(t) of every subject through every transition time: U_i ← U_i H(t) + b_i(t) with
H = I + dA, b_i = p_j(t−)/n_j(t) · (dN_i(t) − Y_i(t) dA[j, ·]) for i at risk in state j, and
Var p_k(t) = Σ_i w_i² U_ik(t)². That is O(subjects × times). Therneau's notes on survfit
residuals (survival's ``noweb/residuals.survfit.Rnw``, "Can we speed this up?") observe that the
part of b_i shared by everybody at risk in state j, g_j(t) = p_j(t−)/n_j(t) · dA[j, ·], can be
accumulated once for all of them. Carried through to the variance itself,
V(t) = Σ_i w_i² U_i(t)ᵀ U_i(t):

- Φ(t) = Φ(t−) H(t) + G(t) (row j: g_j accumulated and carried forward) gives, for subject i
  on its row (entry, stop] in state j, U_i(t) = K P(entry, t) − Φ_j(t), with the row constant
  K = U_i(entry) + Φ_j(entry) and P(a, b) the product of H over (a, b]. The next row's K is
  K P(entry, stop), plus the subject's own dN at stop and the change of Φ row.
- V(t) = H(t)ᵀ V(t−) H(t) + H(t)ᵀ X + Xᵀ H(t) + Σ_i w_i² b_iᵀ b_i with X = Σ_i w_i² U_i(t−)ᵀ b_i
  needs, per state j, only Σ_{i at risk in j} w_i² U_i(t−) = Θ_j(t−) − W_j(t) Φ_j(t−), where
  Θ(t) = Θ(t−) H(t) + Σ_{rows entering} w² K − Σ_{rows leaving} w² K P(entry, stop) and W_j is
  Σ w² at risk, and each mover's own U_i(t−).

Each recurrence x(t) = x(t−) H(t) + J(t) is one prefix scan over the transition times and each
K P(entry, stop) one range product (``_multi_state_products``): no loop over subjects or times
and no inverse of H, which is singular whenever a state empties at once. The direct update is
kept as the oracle of tests/survival/test_multi_state.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from followup.survival._multi_state_products import (
    block_products,
    congruence,
    prefix_scan,
    range_products,
    right_multiply,
)

if TYPE_CHECKING:
    from followup.survival._multi_state_engine import Rows


@dataclass(frozen=True)
class _Steps:
    """Per transition time t_1 … t_D; Φ at "frames" 0 … D (frame f: f transitions passed)."""

    h: np.ndarray  # I + dA(t): [D, s, s]
    levels: tuple[np.ndarray, ...]  # block products of h
    after: np.ndarray  # p(t): [D, s]
    scale: np.ndarray  # p_j(t−) / n_j(t): [D, s]
    drift: np.ndarray  # G(t), row j = g_j(t) = scale_j dA[j, ·]: [D, s, s]
    phi: np.ndarray  # Φ at each frame: [D + 1, s, s]


def propagate(
    rows: Rows,
    entry_row: np.ndarray,
    stop_row: np.ndarray,
    pair: np.ndarray,
    hazard: np.ndarray,
    transitions: np.ndarray,
    weighted: np.ndarray,
    initial: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """p(t) and SE p(t) at every distinct stop time, carried forward between transitions.

    ``entry_row`` and ``stop_row`` place each row on the engine's grid of times (at risk from
    ``entry_row`` to ``stop_row``), ``pair`` is the transition each row ends with (−1: none),
    ``hazard`` the [time, transition] increments of the cumulative hazards.
    """
    s = len(initial)
    is_jump = hazard.sum(axis=1) > 0
    if not is_jump.any():
        return np.tile(initial, (len(hazard), 1)), np.zeros((len(hazard), s))
    steps = _steps(hazard[is_jump], transitions, weighted[is_jump], initial)
    passed = np.concatenate(([0], np.cumsum(is_jump)))  # transitions among the first i times
    first, last = passed[entry_row], passed[stop_row + 1]  # at risk at frames first < f ≤ last
    order = np.lexsort((rows.stop, rows.subject))  # each subject's rows in time order
    held, before_last, at_last = _row_constants(steps, first, last, rows, pair, order)
    w2 = rows.weight**2
    theta, risk_weight = _risk_set_sums(steps, held, at_last, first, last, rows.origin, w2)
    spread = theta - risk_weight[:, :, None] * steps.phi[:-1]  # Σ_{at risk in j} w² U_i(t−)
    cross = -np.swapaxes(spread, 1, 2) @ steps.drift
    square = np.swapaxes(steps.drift, 1, 2) @ (risk_weight[:, :, None] * steps.drift)
    mover_cross, mover_square = _movers(steps, before_last, last, rows.origin, pair, w2,
                                        transitions)  # fmt: skip
    cross += mover_cross
    forcing = np.swapaxes(steps.h, 1, 2) @ cross
    forcing += np.swapaxes(forcing, 1, 2) + square + mover_square
    variance = prefix_scan(steps.levels, forcing, congruence)
    latest = passed[1:] - 1  # the last transition at or before each time
    started = (latest >= 0)[:, None]
    probability = np.where(started, steps.after[latest], initial)
    std_err = np.where(started, _std_err(variance, steps.after)[latest], 0.0)
    return probability, std_err


def _steps(
    hazard: np.ndarray, transitions: np.ndarray, n_risk: np.ndarray, initial: np.ndarray
) -> _Steps:
    """H, p and Φ at the transition times, each as one prefix scan."""
    s = len(initial)
    increment = np.zeros((len(hazard), s, s))
    increment[:, transitions[:, 0], transitions[:, 1]] = hazard
    diagonal = np.arange(s)
    increment[:, diagonal, diagonal] -= increment.sum(axis=2)
    h = increment + np.eye(s)
    levels = block_products(h)
    start = np.zeros((len(h), 1, s))
    start[0, 0] = initial @ h[0]
    after = prefix_scan(levels, start, right_multiply)[:, 0]  # p(t) = p0 H(t_1) ⋯ H(t)
    before = np.vstack((initial, after[:-1]))
    scale = np.zeros_like(before)
    np.divide(before, n_risk, out=scale, where=n_risk > 0)
    drift = scale[:, :, None] * increment
    phi = np.concatenate((np.zeros((1, s, s)), prefix_scan(levels, drift, right_multiply)))
    return _Steps(h, levels, after, scale, drift, phi)


def _row_constants(
    steps: _Steps,
    first: np.ndarray,
    last: np.ndarray,
    rows: Rows,
    pair: np.ndarray,
    order: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: K, K P(entry, t_last−) and K P(entry, stop); a subject's k-th rows together."""
    n, s = len(first), steps.h.shape[1]
    origin = rows.origin
    new_subject = np.ones(n, dtype=bool)
    new_subject[1:] = rows.subject[order][1:] != rows.subject[order][:-1]
    rank = np.arange(n) - np.maximum.accumulate(np.where(new_subject, np.arange(n), 0))
    opening = order[new_subject]
    held = np.zeros((n, s))
    held[opening] = steps.phi[first[opening], origin[opening]]  # U_i(entry) = 0
    own_jump = np.zeros((n, s))  # p_j(t−)/n_j (e_k − e_j) of a row ending in j → k
    moved = np.flatnonzero(pair >= 0)
    step = steps.scale[last[moved] - 1, origin[moved]]
    own_jump[moved, rows.target[moved]] += step
    own_jump[moved, origin[moved]] -= step
    before_last = np.zeros((n, s))
    at_last = np.zeros((n, s))
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
    for k in range(len(bounds) - 1):
        positions = by_rank[bounds[k] : bounds[k + 1]]
        now = order[positions]
        spans = now[last[now] > first[now]]
        before_last[spans] = range_products(
            steps.levels, held[spans], first[spans], last[spans] - 1
        )
        at_last[now] = held[now]
        at_last[spans] = np.einsum("qi,qij->qj", before_last[spans], steps.h[last[spans] - 1])
        continued = positions[(positions + 1 < n)]
        continued = continued[~new_subject[continued + 1]]
        now, then = order[continued], order[continued + 1]
        f = last[now]
        held[then] = (
            at_last[now] + own_jump[now] + steps.phi[f, origin[then]] - steps.phi[f, origin[now]]
        )
    return held, before_last, at_last


def _risk_set_sums(
    steps: _Steps,
    held: np.ndarray,
    at_last: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    origin: np.ndarray,
    w2: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Θ(t−) (row j: Σ over the risk set in j of w² K P(entry, t−)) and W(t), Σ w² at risk."""
    frames, s = len(steps.phi), steps.h.shape[1]
    spans = last > first
    into = first[spans] * s + origin[spans]
    out = last[spans] * s + origin[spans]
    change = np.zeros((frames * s, s))
    for c in range(s):
        change[:, c] = np.bincount(into, w2[spans] * held[spans, c], frames * s)
        change[:, c] -= np.bincount(out, w2[spans] * at_last[spans, c], frames * s)
    change = change.reshape(frames, s, s)
    injection = change[1:].copy()
    injection[0] += change[0] @ steps.h[0]
    theta = np.concatenate((change[:1], prefix_scan(steps.levels, injection, right_multiply)))
    count = np.bincount(into, w2[spans], frames * s) - np.bincount(out, w2[spans], frames * s)
    risk_weight = np.cumsum(count.reshape(frames, s), axis=0)
    return theta[:-1], risk_weight[:-1]


def _movers(
    steps: _Steps,
    before_last: np.ndarray,
    last: np.ndarray,
    origin: np.ndarray,
    pair: np.ndarray,
    w2: np.ndarray,
    transitions: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The dN part of b_i of the subjects moving at t: its share of X and of Σ w² bᵀ b.

    A subject moving j → k at t has b_i = c_jk − g_j with c_jk = p_j(t−)/n_j (e_k − e_j), the
    same for every such mover: only Σ w² U_i(t−) and Σ w² per (time, transition) are needed.
    """
    d, s = steps.scale.shape
    n_pairs = len(transitions)
    moved = np.flatnonzero(pair >= 0)
    at = last[moved] - 1
    cell = at * n_pairs + pair[moved]
    own = before_last[moved] - steps.phi[at, origin[moved]]  # U_i(t−)
    weight = w2[moved]
    summed = np.stack(
        [np.bincount(cell, weight * own[:, c], d * n_pairs) for c in range(s)], axis=1
    ).reshape(d, n_pairs, s)
    count = np.bincount(cell, weight, d * n_pairs).reshape(d, n_pairs)
    source, destination = transitions[:, 0], transitions[:, 1]
    jump = np.zeros((d, n_pairs, s))
    jump[:, np.arange(n_pairs), destination] = steps.scale[:, source]
    jump[:, np.arange(n_pairs), source] -= steps.scale[:, source]
    common = steps.drift[:, source]  # g_j of each transition's origin: [D, pairs, s]
    full = jump - common
    cross = np.swapaxes(summed, 1, 2) @ jump
    square = np.swapaxes(count[:, :, None] * full, 1, 2) @ full
    square -= np.swapaxes(count[:, :, None] * common, 1, 2) @ common
    return cross, square


def _std_err(v: np.ndarray, p: np.ndarray) -> np.ndarray:
    """√V_kk(t), and exactly 0 where p_k(t) provably does not move with any weight.

    V sums squares over subjects in aggregate, so a variance that is exactly 0 (every U_ik = 0)
    comes out as rounding of the size of earlier terms, ±1e-17, whose square root (±3e-9) is far
    from the direct update's 1e-17. Two facts give the zeros exactly. Where p_l is exactly 0 (a
    state never entered, or emptied at once: H_ll = 1 − 1), no weight moves p_l: U_il = 0 for
    all i. Each subject's influences sum to 0 over the states (p sums to 1), so Var p_k =
    Σ_{l,m ≠ k} V_lm, which is exactly 0 where every other state is empty or has never been
    entered or left (its V entries are sums of exact zeros): p_k = 1 − constants.
    """
    empty = p == 0
    v = np.where(empty[:, :, None] | empty[:, None, :], 0.0, v)
    others_fixed = np.stack(
        [
            ~np.delete(np.delete(v, k, axis=1), k, axis=2).any(axis=(1, 2))
            for k in range(p.shape[1])
        ],
        axis=1,
    )
    own = np.diagonal(v, axis1=1, axis2=2)
    return np.where(empty | others_fixed, 0.0, np.sqrt(np.maximum(own, 0.0)))
