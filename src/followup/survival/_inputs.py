"""Front-door checks: every public function passes its arguments through here, the cores trust them.

Each check raises InputError with the argument's name, the first offending position and value, and
what to do about it, because a statistician fixing a data export needs the row, not a traceback.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._errors import InputError

ArrayLike = Any  # numpy arrays, pandas Series, lists: anything np.asarray understands


def _first_position(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _describe(count: int, position: int) -> str:
    others = f" ({count - 1} more after it)" if count > 1 else ""
    return f"position {position}{others}"


def _show(value: Any) -> str:
    """A number as a person writes it: 8, 12.5, nan, -3."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return repr(value)


def _how_many(count: int, noun: str) -> str:
    """'1 negative value', '2 negative values'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def as_vector(values: ArrayLike, argument: str) -> np.ndarray:
    """Return a 1-D array; a DataFrame or matrix here is a mistake worth naming."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    array = np.asarray(values)
    if array.ndim != 1:
        raise InputError(argument, f"{argument} must be one-dimensional, got shape {array.shape}")
    return array


def check_length(array: np.ndarray, argument: str, expected: int, reference: str) -> None:
    """Raise unless two per-subject arguments have the same length."""
    if len(array) != expected:
        raise InputError(
            argument,
            f"{argument} has {len(array)} values but {reference} has {expected}; "
            "give one value per subject",
        )


def as_times(
    values: ArrayLike, argument: str = "time", *, sign_checked_later: bool = False
) -> np.ndarray:
    """Check follow-up times: numeric, finite, non-negative; keeps integer dtypes for counting.

    ``sign_checked_later`` skips the pass over whole-number times that looks for negative ones,
    for a caller whose counting pass refuses them anyway (and then calls ``reject_negative``).
    """
    array = as_vector(values, argument)
    if len(array) == 0:
        raise InputError(argument, f"{argument} is empty: at least one subject is needed")
    if array.dtype.kind == "b" or array.dtype.kind not in "iuf":
        raise InputError(
            argument,
            f"{argument} must be numeric (days, months or years), got dtype {array.dtype}; "
            "convert dates to durations first",
        )
    if array.dtype.kind == "f":
        array = array.astype(np.float64, copy=False)
        bad = ~np.isfinite(array)
        if bad.any():
            position = _first_position(bad)
            raise InputError(
                argument,
                f"{argument} has {_how_many(int(bad.sum()), 'missing or infinite value')}, "
                f"first at {_describe(int(bad.sum()), position)} ({_show(array[position])}); "
                "remove those rows or complete them before the analysis",
                position,
            )
    if not (sign_checked_later and array.dtype.kind in "iu") and array.min() < 0:
        reject_negative(array, argument)
    return array


def reject_negative(array: np.ndarray, argument: str) -> None:
    """Raise for the first negative time, if there is one."""
    negative = array < 0
    if negative.any():
        position = _first_position(negative)
        raise InputError(
            argument,
            f"{argument} has {_how_many(int(negative.sum()), 'negative value')}, first at "
            f"{_describe(int(negative.sum()), position)} ({_show(array[position])}); a follow-up "
            "time cannot be negative: check the order of the dates it was computed from",
            position,
        )


def as_event_codes(values: ArrayLike, argument: str, n: int, max_code: int | None) -> np.ndarray:
    """Check event codes: integers from 0 (censored) up to max_code (None = any cause number)."""
    array = as_vector(values, argument)
    check_length(array, argument, n, "time")
    if array.dtype.kind == "b":
        return array
    if array.dtype.kind not in "iuf":
        raise InputError(
            argument,
            f"{argument} must be numeric codes (0 = censored, 1 = event), got dtype {array.dtype}",
        )
    if array.dtype.kind == "f":
        bad = ~np.isfinite(array) | (array != np.round(array))
        if bad.any():
            position = _first_position(bad)
            raise InputError(
                argument,
                f"{argument} has a value that is not a whole number at "
                f"{_describe(int(bad.sum()), position)} ({_show(array[position])}); "
                "use 0 for censored and 1 for an event",
                position,
            )
        array = array.astype(np.int64)
    low, high = array.min(), array.max()
    if low < 0 or (max_code is not None and high > max_code):
        expected = (
            "0 (censored) or 1 (event)"
            if max_code == 1
            else "0 (censored) or a cause number 1, 2, …"
        )
        bad = (array < 0) | (array > max_code if max_code is not None else False)
        position = _first_position(bad)
        hint = "; for competing causes use cumulative_incidence" if max_code == 1 else ""
        raise InputError(
            argument,
            f"{argument} has an unknown code {_show(array[position])} at "
            f"{_describe(int(bad.sum()), position)}; expected {expected}{hint}",
            position,
        )
    return array


def as_weights(values: ArrayLike | None, n: int, *, positive: bool = False) -> np.ndarray | None:
    """Check frequency weights: finite and non-negative (strictly positive where R demands it)."""
    if values is None:
        return None
    array = as_vector(values, "weights")
    check_length(array, "weights", n, "time")
    if array.dtype.kind not in "iufb":
        raise InputError("weights", f"weights must be numeric, got dtype {array.dtype}")
    array = array.astype(np.float64)
    bad = ~np.isfinite(array) | (array <= 0 if positive else array < 0)
    if bad.any():
        position = _first_position(bad)
        need = "positive" if positive else "non-negative"
        raise InputError(
            "weights",
            f"weights must be finite and {need}; {_show(array[position])} at "
            f"{_describe(int(bad.sum()), position)}",
            position,
        )
    return array


def as_entry_times(values: ArrayLike | None, time: np.ndarray) -> np.ndarray | None:
    """Check delayed-entry times: each subject enters strictly before it leaves (R's Surv)."""
    if values is None:
        return None
    entry = as_times(values, "entry")
    check_length(entry, "entry", len(time), "time")
    bad = entry >= time
    if bad.any():
        position = _first_position(bad)
        raise InputError(
            "entry",
            f"entry must be before time for every subject; at "
            f"{_describe(int(bad.sum()), position)} entry is {_show(entry[position])} and time is "
            f"{_show(time[position])}",
            position,
        )
    return entry


def factorize(
    values: ArrayLike | None, argument: str, n: int
) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    """Turn labels into codes 0..k-1 and labels in R's level order (sorted, or category order).

    Text sorts by code point, R's order under ``LC_COLLATE=C`` (locale collation is machine
    dependent; see _cox_design).
    """
    if values is None:
        return np.zeros(n, dtype=np.intp), ()
    if isinstance(values, pd.Series | pd.Categorical) and isinstance(
        values.dtype, pd.CategoricalDtype
    ):
        return _factorize_categorical(pd.Categorical(values), argument, n)
    array = as_vector(values, argument)
    check_length(array, argument, n, "time")
    if array.dtype.kind in "iu":
        return _factorize_integers(array)
    if array.dtype.kind == "b":
        codes, labels = _factorize_integers(array.astype(np.int8))
        return codes, tuple(bool(label) for label in labels)
    return _factorize_objects(array, argument)


def _factorize_categorical(
    values: pd.Categorical, argument: str, n: int
) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    if len(values) != n:
        raise InputError(argument, f"{argument} has {len(values)} values but time has {n}")
    codes = np.asarray(values.codes)
    _reject_missing(codes < 0, argument, values)
    present = np.bincount(codes, minlength=len(values.categories)) > 0
    remap = np.cumsum(present) - 1
    labels = tuple(values.categories[present])
    return remap[codes].astype(np.intp), labels


def _factorize_integers(array: np.ndarray) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    low, high = int(array.min()), int(array.max())
    if high - low <= 4 * len(array) + 1024:
        shifted = array if low == 0 else array - low
        present = np.bincount(shifted) > 0
        labels = tuple(int(v) + low for v in np.flatnonzero(present))
        if present.all():  # codes 0..k-1 already (the usual 0/1 group): no remapping pass
            return shifted.astype(np.intp, copy=False), labels
        remap = np.cumsum(present) - 1
        return remap[shifted].astype(np.intp), labels
    uniques, codes = np.unique(array, return_inverse=True)
    return codes.astype(np.intp), tuple(int(v) for v in uniques)


def _factorize_objects(array: np.ndarray, argument: str) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    _reject_missing(codes < 0, argument, array)
    try:
        order = np.argsort(np.asarray(uniques), kind="stable")
    except TypeError as error:
        raise InputError(
            argument, f"{argument} mixes labels of different types ({error}); use one type"
        ) from None
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    labels = tuple(np.asarray(uniques)[order].tolist())
    return rank[codes].astype(np.intp), labels


def _reject_missing(missing: np.ndarray, argument: str, values: Any) -> None:
    if missing.any():
        position = _first_position(missing)
        raise InputError(
            argument,
            f"{argument} has {_how_many(int(missing.sum()), 'missing label')}, first at "
            f"{_describe(int(missing.sum()), position)}; give every subject a {argument}",
            position,
        )
