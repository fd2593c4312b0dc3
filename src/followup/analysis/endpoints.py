"""Endpoint times from dates: origin to the first event, or to the censoring date.

Each endpoint of the plan becomes per-record (time, event) rows in the report's unit; a record
that cannot be placed (a blank origin or end date, an end before its origin) is left out with the
reason, and the report lists it, so that nobody is dropped without a word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from followup.analysis.dataset import StudyData
from followup.study.plan_schema import Endpoint


@dataclass(frozen=True)
class Exclusion:
    """A record left out of an endpoint, and why."""

    record: str
    reason: str


@dataclass(frozen=True)
class EndpointData:
    """Per-record time and event code (0 censored, 1 event, 2 competing event) of one endpoint."""

    name: str
    label: str
    unit: str
    frame: pd.DataFrame  # index record_id; columns time, event, event_name
    population: int
    excluded: tuple[Exclusion, ...]
    competing: bool

    @property
    def time(self) -> np.ndarray:
        """Times in the endpoint's unit."""
        return self.frame["time"].to_numpy(float)

    @property
    def event(self) -> np.ndarray:
        """Event codes."""
        return self.frame["event"].to_numpy(int)


def endpoint_data(
    data: StudyData, name: str, endpoint: Endpoint, unit: str, unit_days: float
) -> EndpointData:
    """Compute one endpoint for every record of its population."""
    population = data.where(endpoint.population)
    origin = data.dates(endpoint.origin)
    censor = data.dates(endpoint.censor)
    happened = {id(e): data.where(e.when) for e in (*endpoint.events, *endpoint.competing)}
    rows, excluded = [], []
    for record in population.index[population.to_numpy(bool)]:
        start = origin[record]
        undated = [
            e
            for e in (*endpoint.events, *endpoint.competing)
            if happened[id(e)][record] and not data.raw.at[record, e.date]
        ]
        if pd.isna(start) or undated:
            blank = endpoint.origin if pd.isna(start) else f"{undated[0].date} ({undated[0].name})"
            excluded.append(Exclusion(record, f"{blank} is blank"))
            continue
        first = _first_event(data, record, endpoint, happened)
        if first is None:
            end, code, event_name = censor[record], 0, "censored"
            if pd.isna(end):
                excluded.append(Exclusion(record, f"{endpoint.censor} is blank"))
                continue
        else:
            end, code, event_name = first
        days = (end - start).days
        if days < 0:
            excluded.append(
                Exclusion(
                    record,
                    f"its end ({end:%Y-%m-%d}) is before {endpoint.origin} ({start:%Y-%m-%d})",
                )
            )
            continue
        rows.append(
            {"record_id": record, "time": days / unit_days, "event": code, "event_name": event_name}
        )
    frame = pd.DataFrame(rows, columns=["record_id", "time", "event", "event_name"]).set_index(
        "record_id"
    )
    return EndpointData(
        name,
        endpoint.label,
        unit,
        frame,
        int(population.sum()),
        tuple(excluded),
        bool(endpoint.competing),
    )


def _first_event(
    data: StudyData, record: str, endpoint: Endpoint, happened: dict[int, pd.Series]
) -> tuple[pd.Timestamp, int, str] | None:
    """The earliest event (code 1) or competing event (code 2) that happened, with a date."""
    found: list[tuple[pd.Timestamp, int, str]] = []
    for code, events in ((1, endpoint.events), (2, endpoint.competing)):
        for event in events:
            if happened[id(event)][record]:
                found.append((pd.Timestamp(str(data.raw.at[record, event.date])), code, event.name))
    return min(found, key=lambda f: (f[0], f[1])) if found else None
