"""Per-subject follow-up split into (start, stop] rows at the times covariates change, as tmerge.

A time-dependent exposure (a transplant, a second SCT, a relapse) is 0 until its date and 1 from
then on. Comparing groups by whether it ever happened credits the exposed with the time they had
to survive to be exposed (immortal-time bias); the Cox model instead needs one row per stretch of
constant covariates, at risk on (start, stop]. This builds those rows from one row per subject.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike, as_times, as_vector, check_length

_RESERVED = ("id", "start", "stop", "event")


def split_intervals(
    id: ArrayLike,
    time: ArrayLike,
    event: ArrayLike,
    *,
    changes: Mapping[str, ArrayLike],
    entry: ArrayLike | None = None,
) -> pd.DataFrame:
    """(start, stop] rows with 0/1 time-dependent covariates; matches R's ``survival::tmerge``.

    Equals ``tmerge(d, d, id=id, death=event(time, status), x=tdc(x_time), ...)``: each
    subject's follow-up (entry, default 0, to ``time``) is cut at every change time strictly
    inside it; a covariate is 1 on the rows starting at or after its change time and 0 before
    (NaN: it never changes, so 0 throughout; a change at or before entry: 1 throughout; at or
    after the end of follow-up: 0 throughout). The event stays on the last row, the others are
    censored. Returns columns id, start, stop, event and one per change, subjects in their input
    order and each subject's rows in time order — the input of ``cox_ph(stop, event, ...,
    start=start, cluster=id)``.
    """
    ids = as_vector(id, "id")
    n = len(ids)
    stop = as_times(time, "time").astype(np.float64)
    check_length(stop, "time", n, "id")
    events = as_vector(event, "event")
    check_length(events, "event", n, "id")
    duplicated = pd.Series(ids).duplicated().to_numpy()
    if duplicated.any():
        position = int(np.flatnonzero(duplicated)[0])
        raise InputError(
            "id",
            f"id {ids[position]!r} appears more than once (first repeat at position {position}); "
            "give one row per subject with its follow-up time and change times",
            position,
        )
    first = np.zeros(n) if entry is None else as_times(entry, "entry").astype(np.float64)
    check_length(first, "entry", n, "id")
    empty = first >= stop
    if empty.any():
        position = int(np.flatnonzero(empty)[0])
        raise InputError(
            "time",
            f"time {stop[position]:g} at position {position} is not after the start of follow-up "
            f"({first[position]:g}); every subject needs some time at risk (R's tmerge refuses "
            "this too): drop the subject or correct its dates",
            position,
        )
    names, change_times = _change_times(changes, n)
    cuts_subject, cuts = _cuts(change_times, first, stop)
    rows_per = np.bincount(cuts_subject, minlength=n) + 1
    subject = np.repeat(np.arange(n), rows_per)
    first_row = np.cumsum(rows_per) - rows_per
    starts, stops = np.empty(len(subject)), np.empty(len(subject))
    starts[first_row] = first
    stops[first_row + rows_per - 1] = stop
    # The k-th cut of a subject ends its row k and starts row k + 1.
    cut_rank = np.arange(len(cuts)) - np.repeat(
        np.cumsum(rows_per - 1) - (rows_per - 1), rows_per - 1
    )
    ends = first_row[cuts_subject] + cut_rank
    stops[ends] = cuts
    starts[ends + 1] = cuts
    row_event = np.zeros(len(subject), dtype=events.dtype)
    row_event[first_row + rows_per - 1] = events
    frame = pd.DataFrame({"id": ids[subject], "start": starts, "stop": stops, "event": row_event})
    with np.errstate(invalid="ignore"):  # NaN never changes: NaN ≤ start is False
        for k, name in enumerate(names):
            frame[name] = (change_times[subject, k] <= starts).astype(np.int64)
    return frame


def _change_times(changes: Mapping[str, ArrayLike], n: int) -> tuple[list[str], np.ndarray]:
    """(n, k) change times, NaN where a subject's covariate never changes."""
    if not changes:
        raise InputError("changes", "changes is empty: give each time-dependent covariate's times")
    names = [str(name) for name in changes]
    clash = [name for name in names if name in _RESERVED]
    if clash:
        raise InputError(
            "changes", f"covariate names {clash} clash with the columns {list(_RESERVED)}; rename"
        )
    matrix = np.empty((n, len(names)))
    for k, (name, values) in enumerate(changes.items()):
        array = as_vector(values, str(name))
        check_length(array, str(name), n, "id")
        if array.dtype.kind not in "iuf" or array.dtype.kind == "b":
            raise InputError(
                str(name),
                f"change times of {name} must be numbers on the time scale of time "
                f"(NaN: never), got dtype {array.dtype}; convert dates to durations first",
            )
        column = array.astype(np.float64)
        if np.isinf(column).any():
            position = int(np.flatnonzero(np.isinf(column))[0])
            raise InputError(
                str(name),
                f"change time of {name} at position {position} is infinite; use NaN for never",
                position,
            )
        matrix[:, k] = column
    return names, matrix


def _cuts(
    change_times: np.ndarray, first: np.ndarray, stop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct change times strictly inside each follow-up, sorted by subject then time."""
    with np.errstate(invalid="ignore"):
        inside = (change_times > first[:, None]) & (change_times < stop[:, None])
    subject, k = np.nonzero(inside)
    cut = change_times[subject, k]
    order = np.lexsort((cut, subject))
    subject, cut = subject[order], cut[order]
    new = np.ones(len(cut), dtype=bool)
    new[1:] = (subject[1:] != subject[:-1]) | (cut[1:] != cut[:-1])
    return subject[new], cut[new]
