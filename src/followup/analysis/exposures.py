"""A time-dependent exposure as follow-up intervals: who was in which state, from when to when.

A patient compared by something that happened during follow-up (a second SCT after relapse) had to
survive until it happened. Counting that waiting time as exposed time is immortal-time bias; the
intervals below count it as unexposed, which is what a time-dependent Cox model, the Mantel–Byar
test and Simon–Makuch curves need, and what a landmark analysis reads the state at a time from.

Conventions (those of R's ``tmerge``): an exposure on the day of the event or of the last contact
does not change the state in which the event happened; an exposure dated on or before the origin
counts from the origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from followup.analysis.dataset import StudyData
from followup.analysis.endpoints import EndpointData
from followup.study.plan_schema import Endpoint, Exposure


@dataclass(frozen=True)
class ExposureIntervals:
    """An endpoint's patients split at their exposure: one row per (start, stop] interval.

    ``frame`` has the columns record_id, start, stop, event (0/1 at the interval's end), state
    (``before`` or the exposed level); ``exposure_time`` gives, per patient of the
    endpoint, the time from origin to exposure (NaN: not exposed during follow-up) and
    ``exposed_state`` the state entered then.
    """

    name: str
    label: str
    before: str
    states: tuple[str, ...]  # ``before`` first, then the exposed levels in display order
    frame: pd.DataFrame
    exposure_time: pd.Series
    exposed_state: pd.Series
    unplaced: tuple[str, ...]  # records exposed with no level: left in ``before``, and said

    def state_at(self, time: float) -> pd.Series:
        """Each patient's state at ``time`` (exposed if exposed at or before it)."""
        exposed = self.exposure_time <= time
        return self.exposed_state.where(exposed, self.before)


def exposure_intervals(
    data: StudyData,
    endpoint_spec: Endpoint,
    endpoint: EndpointData,
    name: str,
    exposure: Exposure,
    unit_days: float,
) -> ExposureIntervals:
    """Split each patient of ``endpoint`` at the exposure's date, in the endpoint's time unit."""
    records = endpoint.frame.index
    origin = data.dates(endpoint_spec.origin).reindex(records)
    dated = data.dates(exposure.date).reindex(records)
    happened = data.where(exposure.when).reindex(records).fillna(False).astype(bool)
    dated = dated.where(happened)
    level, levels = _exposed_levels(data, exposure, records)
    days = (dated - origin).dt.days.astype(float)
    start_time = days.clip(lower=0) / unit_days
    follow = endpoint.frame["time"].astype(float)
    unplaced = tuple(str(r) for r in records[(start_time.notna() & (level == "")).to_numpy()])
    # Exposed during follow-up: strictly before the end (an exposure on the day of the event
    # leaves the event in the earlier state, as tmerge does).
    during = start_time.notna() & (start_time < follow) & (level != "")
    exposure_time = start_time.where(during)
    event = endpoint.frame["event"].astype(int).eq(1).astype(int)
    split = during & (exposure_time > 0)
    from_origin = during & ~split
    first = pd.DataFrame(
        {
            "record_id": records,
            "start": 0.0,
            "stop": np.where(split, exposure_time, follow),
            "event": np.where(split, 0, event),
            "state": np.where(from_origin, level, exposure.before),
        }
    )
    second = pd.DataFrame(
        {
            "record_id": records[split.to_numpy()],
            "start": exposure_time[split].to_numpy(),
            "stop": follow[split].to_numpy(),
            "event": event[split].to_numpy(),
            "state": level[split].to_numpy(),
        }
    )
    frame = (
        pd.concat([first, second], ignore_index=True)
        .sort_values(["record_id", "start"], kind="stable")
        .reset_index(drop=True)
    )
    return ExposureIntervals(
        name,
        exposure.label,
        exposure.before,
        (exposure.before, *levels),
        frame,
        exposure_time,
        level.where(during, exposure.before),
        unplaced,
    )


def _exposed_levels(
    data: StudyData, exposure: Exposure, records: pd.Index
) -> tuple[pd.Series, tuple[str, ...]]:
    """The state each record enters when exposed ('' if its ``levels`` variable is blank)."""
    if exposure.levels is None:
        return pd.Series(exposure.label, index=records), (exposure.label,)
    variable = data.variable(exposure.levels)
    column = data.column(exposure.levels).reindex(records).fillna("").astype(str)
    return column, tuple(variable.levels)
