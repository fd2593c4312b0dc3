"""Front door of ``state_occupation``: R's ``survcheck`` checks, then one set of rows per curve.

Every subject's intervals must follow each other without gap or overlap, as R requires; the state
each interval is spent in is chained forward from the subject's initial state through its
transitions, and a given ``initial_state`` of a later row must agree with that chain.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._errors import InputError
from followup.survival._inputs import (
    ArrayLike,
    as_times,
    as_vector,
    as_weights,
    check_length,
    factorize,
)
from followup.survival._multi_state_engine import Rows

START_STATE = "(s0)"  # R's name for the initial state when no istate is given


@dataclass(frozen=True)
class PreparedRows:
    """The checked rows, split by curve, with the labels the results need."""

    states: tuple[Hashable, ...]
    groups: tuple[Hashable, ...]
    curves: tuple[Rows, ...]
    transition_counts: pd.DataFrame  # R's fit$transitions: from × (to states, "(censored)")


def prepare_rows(
    start: ArrayLike,
    stop: ArrayLike,
    state: ArrayLike,
    *,
    id: ArrayLike,
    initial_state: Any,
    group: ArrayLike | None,
    weights: ArrayLike | None,
    censored: Hashable,
) -> PreparedRows:
    """Check the rows, chain the states and split them by group."""
    begin = as_times(start, "start").astype(float)
    end = as_times(stop, "stop").astype(float)
    n = len(begin)
    check_length(end, "stop", n, "start")
    ids = _subject_ids(id, n)
    bad = end <= begin
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(
            "stop",
            f"stop must be after start; row {r} (id {ids.labels[r]!r}) runs from {begin[r]:g} to "
            f"{end[r]:g}: a zero-length interval has no follow-up (move a tied event slightly)",
            r,
        )
    target, event_states = _target_states(state, n, censored)
    initial, initial_labels = _initial_states(initial_state, n)
    states = tuple(label for label in initial_labels if label not in event_states) + event_states
    index = {label: k for k, label in enumerate(states)}
    target = np.where(target >= 0, target + len(states) - len(event_states), -1)
    initial = np.asarray([index[label] for label in initial_labels], dtype=np.intp)[initial]
    order = np.lexsort((begin, end, ids.codes))
    first = np.ones(n, dtype=bool)
    first[1:] = ids.codes[order][1:] != ids.codes[order][:-1]
    _check_contiguous(begin, end, order, first, ids)
    origin = _chain(order, first, target, initial)
    if initial_state is not None and np.ndim(initial_state) > 0:
        _check_initial_agrees(order, first, origin, initial, ids, states)
    weight = as_weights(weights, n, positive=True)
    weight = np.ones(n) if weight is None else weight
    group_codes, groups = factorize(group, "group", n)
    _check_fixed_within_subject(weight, "weights", order, first, ids)
    _check_fixed_within_subject(group_codes, "group", order, first, ids)
    counts = _transition_counts(order, first, origin, target, states)
    last = np.ones(n, dtype=bool)
    last[:-1] = first[1:]
    keep = ~((target[order] < 0) & ~first & ~last)  # R merges a censored split into the next row
    kept = order[keep]
    begin = begin.copy()
    begin[kept[~first[keep]]] = end[kept[np.flatnonzero(~first[keep]) - 1]]
    curves = []
    for g in range(max(len(groups), 1)):
        rows = kept[group_codes[kept] == g]
        _, subject = np.unique(ids.codes[rows], return_inverse=True)
        curves.append(
            Rows(begin[rows], end[rows], origin[rows], target[rows], subject.astype(np.intp),
                 weight[rows], len(states))
        )  # fmt: skip
    return PreparedRows(states, groups, tuple(curves), counts)


@dataclass(frozen=True)
class _Ids:
    codes: np.ndarray
    labels: list[Any]


def _subject_ids(values: ArrayLike, n: int) -> _Ids:
    array = as_vector(values, "id")
    check_length(array, "id", n, "start")
    missing = pd.isna(array)
    if missing.any():
        r = int(np.flatnonzero(missing)[0])
        raise InputError("id", f"id is missing at row {r}; give every row its subject's id", r)
    codes, _ = pd.factorize(array)
    return _Ids(codes.astype(np.intp), array.tolist())


def _labels(values: ArrayLike, argument: str, n: int) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    """Codes and labels: a Categorical keeps all its categories in order, others are sorted."""
    if isinstance(values, pd.Series | pd.Categorical) and isinstance(
        values.dtype, pd.CategoricalDtype
    ):
        categorical = pd.Categorical(values)
        check_length(np.asarray(categorical.codes), argument, n, "start")
        codes = np.asarray(categorical.codes, dtype=np.intp)
        if (codes < 0).any():
            r = int(np.flatnonzero(codes < 0)[0])
            raise InputError(argument, f"{argument} is missing at row {r}", r)
        return codes, tuple(categorical.categories)
    return factorize(values, argument, n)


def _target_states(
    state: ArrayLike, n: int, censored: Hashable
) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    """Index of the state entered at stop among the event states, −1 for censored rows."""
    if isinstance(state, pd.Series | pd.Categorical) and isinstance(
        state.dtype, pd.CategoricalDtype
    ):
        codes, labels = _labels(state, "state", n)
        return codes - 1, labels[1:]  # R: the first level of the factor means censored
    array = as_vector(state, "state")
    check_length(array, "state", n, "start")
    is_censored = np.asarray(pd.Series(array) == censored)
    if not is_censored.any() and array.dtype.kind not in "iufb":
        raise InputError(
            "state",
            f"no row has the censored label {censored!r}; pass censored= with the label your "
            "data use, or a pandas Categorical whose first category means censored (as R)",
        )
    codes, labels = factorize(array, "state", n)
    censored_code = labels.index(censored) if censored in labels else -1
    if censored_code < 0:
        return codes, labels
    shifted = np.where(codes > censored_code, codes - 1, codes)
    return np.where(codes == censored_code, -1, shifted), tuple(
        label for k, label in enumerate(labels) if k != censored_code
    )


def _initial_states(initial_state: Any, n: int) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    if initial_state is None:
        return np.zeros(n, dtype=np.intp), (START_STATE,)
    if np.ndim(initial_state) == 0:
        return np.zeros(n, dtype=np.intp), (initial_state,)
    return _labels(initial_state, "initial_state", n)


def _check_contiguous(
    begin: np.ndarray, end: np.ndarray, order: np.ndarray, first: np.ndarray, ids: _Ids
) -> None:
    """R's survcheck: each subject's next interval starts where the previous one stopped."""
    follows = np.flatnonzero(~first)
    previous, current = order[follows - 1], order[follows]
    for kind, bad in (
        ("overlaps", begin[current] < end[previous]),
        ("leaves a gap after", begin[current] > end[previous]),
    ):
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            r, q = int(current[k]), int(previous[k])
            raise InputError(
                "start",
                f"id {ids.labels[r]!r}: row {r} ({begin[r]:g}, {end[r]:g}] {kind} row {q} "
                f"({begin[q]:g}, {end[q]:g}]; each subject's intervals must follow one another "
                "without gap or overlap (R's survcheck); fix the dates or split the subject",
                r,
            )


def _chain(
    order: np.ndarray, first: np.ndarray, target: np.ndarray, initial: np.ndarray
) -> np.ndarray:
    """State during each row: the initial state, then the last transition's target (R)."""
    sorted_target = target[order]
    known = np.where(first, initial[order], -1)
    carried = np.concatenate(([-1], sorted_target[:-1]))
    known = np.where(~first & (carried >= 0), carried, known)
    source = np.maximum.accumulate(np.where(known >= 0, np.arange(len(order)), 0))
    origin = np.empty(len(order), dtype=np.intp)
    origin[order] = known[source]
    return origin


def _check_initial_agrees(
    order: np.ndarray,
    first: np.ndarray,
    origin: np.ndarray,
    initial: np.ndarray,
    ids: _Ids,
    states: tuple[Hashable, ...],
) -> None:
    bad = ~first & (initial[order] != origin[order])
    if bad.any():
        r = int(order[np.flatnonzero(bad)[0]])
        raise InputError(
            "initial_state",
            f"id {ids.labels[r]!r}: row {r} gives initial_state {states[initial[r]]!r} but the "
            f"subject's earlier rows leave it in {states[origin[r]]!r}; a state changes only "
            "through a transition at the end of an interval (R's survcheck: jump/teleport)",
            r,
        )


def _check_fixed_within_subject(
    values: np.ndarray, argument: str, order: np.ndarray, first: np.ndarray, ids: _Ids
) -> None:
    follows = np.flatnonzero(~first)
    bad = values[order[follows]] != values[order[follows - 1]]
    if bad.any():
        r = int(order[follows[np.flatnonzero(bad)[0]]])
        raise InputError(
            argument,
            f"id {ids.labels[r]!r}: {argument} changes at row {r}; give each subject one "
            f"{argument} for all its rows",
            r,
        )


def _transition_counts(
    order: np.ndarray,
    first: np.ndarray,
    origin: np.ndarray,
    target: np.ndarray,
    states: tuple[Hashable, ...],
) -> pd.DataFrame:
    """Transitions from × to, and subjects censored in each state (R's ``fit$transitions``)."""
    s = len(states)
    last = np.ones(len(order), dtype=bool)
    last[:-1] = first[1:]
    ended = order[last & (target[order] < 0)]
    moved = target >= 0
    table = np.zeros((s, s + 1), dtype=np.int64)
    np.add.at(table, (origin[moved], target[moved]), 1)
    np.add.at(table, (origin[ended], s), 1)
    return pd.DataFrame(table, index=list(states), columns=[*states, "(censored)"])
