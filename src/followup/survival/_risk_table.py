"""The risk table: distinct times × counts, the one input every estimator works from.

Because estimators only see counts, the same code serves rows counted here with numpy and counts
computed elsewhere (a SQL ``GROUP BY`` in DuckDB or Spark) and passed to ``RiskTable.from_counts``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from followup.survival._counting import (
    NegativeTimeError,
    StratumCounts,
    count_exits,
    merge_groups,
)
from followup.survival._errors import InputError
from followup.survival._inputs import (
    ArrayLike,
    as_entry_times,
    as_event_codes,
    as_times,
    as_weights,
    check_length,
    factorize,
    reject_negative,
)
from followup.survival._parallel import on_two_cores


@dataclass(frozen=True)
class StratumTable:
    """One stratum's rows: ``at_risk[row, group]``, ``events[cause, row, group]``.

    The arrays are views of group-major memory: each group's column is contiguous.
    """

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray

    @property
    def deaths(self) -> np.ndarray:
        """Events of any cause, ``[row, group]``: what Kaplan-Meier and log-rank count."""
        if len(self.events) == 1:
            return self.events[0]
        return self.events.sum(axis=0)


@dataclass(frozen=True)
class RiskTable:
    """Per stratum, the distinct exit times with number at risk, events per cause and censorings.

    Number at risk at t counts subjects with entry < t ≤ time, as R's ``survfit`` does. Rows are
    the distinct times at which any group of the stratum has an event or a censoring; groups share
    the stratum's rows so that log-rank and Gray's test can compare them time by time.
    """

    strata_tables: tuple[StratumTable, ...]
    groups: tuple[Hashable, ...]
    strata: tuple[Hashable, ...]
    causes: tuple[int, ...]
    subjects: np.ndarray  # [stratum, group]: (weighted) number of subjects

    @property
    def n_groups(self) -> int:
        """Number of groups compared within each stratum."""
        return max(len(self.groups), 1)

    def cells(self) -> Iterator[tuple[int, int, StratumTable]]:
        """Yield (stratum, group, table) for every cell that holds subjects."""
        for s, table in enumerate(self.strata_tables):
            for g in range(self.n_groups):
                if self.subjects[s, g] > 0:
                    yield s, g, table

    def reversed(self) -> RiskTable:
        """Swap events and censorings: the risk table of reverse Kaplan-Meier (follow-up)."""
        tables = tuple(
            StratumTable(t.time, t.at_risk, t.censored[None], t.deaths) for t in self.strata_tables
        )
        return RiskTable(tables, self.groups, self.strata, (1,), self.subjects)

    @classmethod
    def from_counts(
        cls,
        time: ArrayLike,
        events: ArrayLike,
        censored: ArrayLike,
        *,
        group: ArrayLike | None = None,
        stratum: ArrayLike | None = None,
        entered: ArrayLike | None = None,
    ) -> RiskTable:
        """Build from counts computed elsewhere: one row per (stratum, group, time).

        ``events`` is a vector, or a matrix with one column per cause; ``entered`` counts subjects
        whose delayed entry time equals ``time`` (they are at risk only after it). A row may carry
        only entries. This is the shape a SQL ``GROUP BY stratum, group, time`` returns.
        """
        times = as_times(time, "time").astype(np.float64)
        n = len(times)
        event_counts = _as_count_matrix(events, "events", n)
        censor_counts = _as_count_matrix(censored, "censored", n)[:, 0]
        entry_counts = (
            np.zeros(n) if entered is None else _as_count_matrix(entered, "entered", n)[:, 0]
        )
        group_codes, groups = factorize(group, "group", n)
        stratum_codes, strata = factorize(stratum, "stratum", n)
        n_groups, n_strata = max(len(groups), 1), max(len(strata), 1)
        _reject_duplicate_rows(times, group_codes, stratum_codes)
        exits = np.concatenate([censor_counts[:, None], event_counts], axis=1)  # [row, code]
        tables = []
        for s in range(n_strata):
            in_stratum = stratum_codes == s
            per_group = [
                _sorted_cell(times, exits, entry_counts, in_stratum & (group_codes == g))
                for g in range(n_groups)
            ]
            merged = merge_groups([c for c, _ in per_group], exits.shape[1])
            merged_entries = merge_groups([e for _, e in per_group], 1)
            table = _stratum_table(merged, merged_entries)
            _check_consistent(table, s)
            tables.append(table)
        causes = tuple(range(1, event_counts.shape[1] + 1))
        return _assemble(tables, groups, strata, causes)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> RiskTable:
        """Build from a frame with the columns ``to_frame`` writes (SQL results, parquet files)."""
        cause_columns = [c for c in frame.columns if str(c).startswith("events")]
        if not cause_columns:
            raise InputError(
                "frame", "frame has no events column; expected 'events' or 'events_1', …"
            )
        for required in ("time", "censored"):
            if required not in frame.columns:
                raise InputError("frame", f"frame has no '{required}' column")
        return cls.from_counts(
            frame["time"],
            frame[cause_columns].to_numpy(),
            frame["censored"],
            group=frame["group"] if "group" in frame.columns else None,
            stratum=frame["stratum"] if "stratum" in frame.columns else None,
            entered=frame["entered"] if "entered" in frame.columns else None,
        )

    def to_frame(self) -> pd.DataFrame:
        """Long format, one row per (stratum, group, time); ``from_frame`` reads it back."""
        pieces = []
        for s, g, table in self.cells():
            exits = table.deaths[:, g] + table.censored[:, g]
            beyond = np.concatenate((np.cumsum(exits[::-1])[::-1], [0.0]))
            entered_beyond = beyond[:-1] - table.at_risk[:, g]
            entered = entered_beyond - np.append(entered_beyond[1:], 0.0)
            piece = {"time": table.time, "at_risk": table.at_risk[:, g]}
            if len(self.causes) == 1:
                piece["events"] = table.events[0, :, g]
            else:
                for k, cause in enumerate(self.causes):
                    piece[f"events_{cause}"] = table.events[k, :, g]
            piece |= {"censored": table.censored[:, g], "entered": entered}
            frame = pd.DataFrame(piece)
            if self.groups:
                frame.insert(0, "group", [self.groups[g]] * len(frame))
            if self.strata:
                frame.insert(0, "stratum", [self.strata[s]] * len(frame))
            # Rows before a group's first entry stay out; their entries are carried by the row
            # that holds them, so from_frame rebuilds every number at risk exactly.
            pieces.append(frame[(table.at_risk[:, g] > 0) | (entered > 0)])
        return pd.concat(pieces, ignore_index=True)


def risk_table(
    time: ArrayLike,
    event: ArrayLike,
    *,
    group: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    entry: ArrayLike | None = None,
    max_cause: int | None = None,
) -> RiskTable:
    """Count, per group and stratum, the distinct times with number at risk, events and censorings.

    The table under R's ``survfit`` output (its n.risk, n.event, n.censor columns), per group.

    ``event`` is 0 for censored and 1..k for the cause of the event (True/False works for a single
    cause). ``weights`` are frequency weights; ``entry`` gives delayed-entry (left-truncation)
    times. O(n) for whole-number times, O(n log n) otherwise.
    """
    times = as_times(time, sign_checked_later=True)
    n = len(times)
    codes = as_event_codes(event, "event", n, max_cause)
    group_codes, groups = factorize(group, "group", n)
    stratum_codes, strata_labels = factorize(strata, "strata", n)
    frequency = as_weights(weights, n)
    entries = as_entry_times(entry, times)
    n_groups, n_strata = max(len(groups), 1), max(len(strata_labels), 1)
    n_causes = max(int(codes.max()), 1) if max_cause is None else max_cause
    if n_groups * n_strata == 1:
        cells = None
    elif n_strata == 1:
        cells = group_codes
    else:
        cells = stratum_codes * n_groups + group_codes
    shape = (n_strata, n_groups, n_causes + 1)
    try:
        exits = count_exits(times, codes, cells, shape, frequency)
    except NegativeTimeError:
        reject_negative(times, "time")
        raise
    if entries is None:
        tables = [_stratum_table(counts, None) for counts in exits]
    else:
        entered = count_exits(entries, np.zeros(n, np.int8), cells, (*shape[:2], 1), frequency)
        tables = [_stratum_table(c, e) for c, e in zip(exits, entered, strict=True)]
    return _assemble(tables, groups, strata_labels, tuple(range(1, n_causes + 1)))


def _stratum_table(counts: StratumCounts, entered: StratumCounts | None) -> StratumTable:
    exits = counts.exits
    at_risk = np.empty(exits.shape[:0:-1])  # [group, row], rows contiguous
    columns = [partial(_at_risk_of, exits, g, at_risk[g]) for g in range(len(at_risk))]
    if len(counts.time) >= _PARALLEL_ROWS:  # long columns: every other group on another core
        on_two_cores(columns)
    else:
        for column in columns:
            column()
    if entered is not None:
        at_risk = at_risk - _entered_at_or_after(counts.time, entered).T
    return StratumTable(counts.time, at_risk.T, exits[1:], exits[0])


_PARALLEL_ROWS = 1 << 18


def _at_risk_of(exits: np.ndarray, group: int, out: np.ndarray) -> None:
    """out = number at risk of one group: its exits of every code, summed from the last time back.

    Accumulating backwards, as R does, keeps weighted numbers at risk near the end of follow-up
    from being the small difference of two large sums.
    """
    np.copyto(out, exits[0][:, group])
    for plane in exits[1:]:
        out += plane[:, group]
    np.cumsum(out[::-1], out=out[::-1])


def _entered_at_or_after(grid: np.ndarray, entered: StratumCounts) -> np.ndarray:
    """Subjects whose entry time is ≥ t are not yet at risk at t (R: entry < t ≤ time)."""
    per_time = entered.exits[0]
    from_right = np.concatenate(
        (np.cumsum(per_time[::-1], axis=0)[::-1], np.zeros((1, per_time.shape[1])))
    )
    return from_right[np.searchsorted(entered.time, grid, side="left")]


def _assemble(
    tables: list[StratumTable],
    groups: tuple[Hashable, ...],
    strata: tuple[Hashable, ...],
    causes: tuple[int, ...],
) -> RiskTable:
    subjects = np.array(
        [
            t.events.sum(axis=(0, 1)) + t.censored.sum(axis=0)
            if len(t.time)
            else np.zeros(max(len(groups), 1))
            for t in tables
        ]
    ).reshape(len(tables), max(len(groups), 1))
    return RiskTable(tuple(tables), groups, strata, causes, subjects)


def _check_consistent(table: StratumTable, stratum: int) -> None:
    """Counts from elsewhere must leave at least as many at risk as leave at each time."""
    leaving = table.deaths + table.censored
    bad = table.at_risk < leaving
    if bad.any():
        row, group = (int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            "entered",
            f"at time {table.time[row]} (stratum {stratum}, group {group}) {leaving[row, group]:g} "
            f"subjects leave but only {table.at_risk[row, group]:g} are at risk: some entries are "
            "counted at or after the time those subjects leave",
        )


def _as_count_matrix(values: ArrayLike, argument: str, n: int) -> np.ndarray:
    array = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise InputError(
            argument, f"{argument} must be a vector or a matrix, got shape {array.shape}"
        )
    check_length(array, argument, n, "time")
    if array.dtype.kind not in "iuf":
        raise InputError(argument, f"{argument} must hold counts, got dtype {array.dtype}")
    array = array.astype(np.float64)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        raise InputError(
            argument,
            f"{argument} must be finite, non-negative counts; row {row} has {array[row].tolist()}",
            row,
        )
    return array


def _reject_duplicate_rows(
    times: np.ndarray, group_codes: np.ndarray, stratum_codes: np.ndarray
) -> None:
    keys = pd.DataFrame({"s": stratum_codes, "g": group_codes, "t": times})
    duplicated = keys.duplicated().to_numpy()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise InputError(
            "time",
            f"time {times[row]} appears twice for the same group and stratum (row {row}); "
            "give one row per (stratum, group, time) with the counts summed",
            row,
        )


def _sorted_cell(
    times: np.ndarray, exits: np.ndarray, entries: np.ndarray, mask: np.ndarray
) -> tuple[StratumCounts, StratumCounts]:
    order = np.argsort(times[mask], kind="stable")
    cell_times = times[mask][order]
    cell_exits = exits[mask][order]
    cell_entries = entries[mask][order]
    has_exit = cell_exits.sum(axis=1) > 0
    has_entry = cell_entries > 0
    return (
        StratumCounts(
            cell_times[has_exit], np.ascontiguousarray(cell_exits[has_exit].T[:, :, None])
        ),
        StratumCounts(cell_times[has_entry], cell_entries[has_entry][None, :, None]),
    )


def as_risk_table(
    time: ArrayLike | RiskTable,
    event: ArrayLike | None,
    group: ArrayLike | None,
    strata: ArrayLike | None,
    weights: ArrayLike | None,
    entry: ArrayLike | None,
    *,
    max_cause: int | None,
) -> RiskTable:
    """Accept either raw per-subject arrays or a ready risk table, never a mix of both."""
    if isinstance(time, RiskTable):
        extra = {
            "event": event,
            "group": group,
            "strata": strata,
            "weights": weights,
            "entry": entry,
        }
        given = [name for name, value in extra.items() if value is not None]
        if given:
            raise InputError(
                given[0],
                f"a RiskTable already holds the counts; do not also pass {', '.join(given)}",
            )
        return time
    if event is None:
        raise InputError("event", "event is required: 0 for censored, 1 for an event")
    return risk_table(
        time, event, group=group, strata=strata, weights=weights, entry=entry, max_cause=max_cause
    )
