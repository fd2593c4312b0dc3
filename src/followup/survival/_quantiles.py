"""Quantiles of a survival curve and their confidence limits, by R's ``quantile.survfit`` rule.

The rule that matters: where the curve sits exactly on 1 − p over a stretch of time, R returns the
midpoint of that stretch, not its start (so the median of 1, 2, 3, 4 deaths is 2.5). "Exactly" is
within sqrt(machine epsilon), because 1 − 0.5 computed from products of ratios is rarely exact.
"""

from __future__ import annotations

import numpy as np

TOLERANCE = float(np.sqrt(np.finfo(float).eps))


def find_quantiles(
    time: np.ndarray, survival: np.ndarray, probs: np.ndarray, start: float = 0.0
) -> np.ndarray:
    """First time the curve reaches 1 − p, midpoint rule on flat stretches; NaN if never."""
    x = np.concatenate(([start], time))
    y = np.concatenate(([0.0], 1.0 - survival))
    probs = np.asarray(probs, dtype=float)
    if np.all(np.isnan(y)) or np.nanmax(y) < probs.min():
        return np.full(len(probs), np.nan)
    last_time = x[-1]
    keep = _first_occurrences(y)
    x, y = x[keep], y[keep]
    at_or_above = _step_index(y + TOLERANCE, probs)
    strictly_above = _step_index(y - TOLERANCE, probs)
    quantile = (_take(x, at_or_above) + _take(x, strictly_above)) / 2
    quantile[probs == 0] = x[0]
    if not np.isnan(y[-1]):
        on_last = np.abs(probs - y[-1]) < TOLERANCE
        quantile[on_last] = (_take(x, at_or_above[on_last]) + last_time) / 2
    return quantile


def _first_occurrences(y: np.ndarray) -> np.ndarray:
    """R's ``!duplicated(y)``: keep the first of equal values, NaN equal to NaN."""
    keys = np.where(np.isnan(y), np.inf, y)
    _, first = np.unique(keys, return_index=True)
    keep = np.zeros(len(y), dtype=bool)
    keep[first] = True
    return keep


def _step_index(levels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``approx(levels, seq_along(levels), p, "constant", f = 1)``: first level ≥ p, or -1."""
    valid = np.flatnonzero(~np.isnan(levels))
    order = valid[np.argsort(levels[valid], kind="stable")]
    ordered = levels[order]
    if len(ordered) == 0:
        return np.full(len(probs), -1)
    position = np.searchsorted(ordered, probs, side="left")
    inside = (probs >= ordered[0]) & (probs <= ordered[-1])
    return np.where(inside, order[np.minimum(position, len(order) - 1)], -1)


def _take(x: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.where(index >= 0, x[np.maximum(index, 0)], np.nan)
