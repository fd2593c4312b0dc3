"""Nelson-Aalen cumulative hazard and its Fleming-Harrington tie correction, as R's ``survfit``."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from followup.survival._confidence import check_conf, z_value
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike
from followup.survival._kaplan_meier import _counts_between, _requested_times, one_curve
from followup.survival._risk_table import RiskTable, as_risk_table, risk_table

HazardMethod = Literal["nelson-aalen", "fleming-harrington"]
HAZARD_METHODS: tuple[HazardMethod, ...] = ("nelson-aalen", "fleming-harrington")


@dataclass(frozen=True)
class CumulativeHazardAtTimes:
    """A cumulative hazard read at requested times: R's ``summary(fit, times=)`` columns."""

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    cumulative_hazard: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per requested time."""
        return pd.DataFrame(
            {
                "time": self.time,
                "at_risk": self.at_risk,
                "events": self.events,
                "censored": self.censored,
                "cumulative_hazard": self.cumulative_hazard,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )


@dataclass(frozen=True)
class CumulativeHazardCurve:
    """One group's cumulative hazard: a row at each time where the group has an exit.

    ``std_err`` is R's ``std.chaz``. The limits are H ∓ z·SE, the lower cut at 0: −log of the
    limits R gives the survival exp(−H) of ``survfit(..., stype=2, conf.type="log")``.
    """

    group: Hashable | None
    stratum: Hashable | None
    subjects: float
    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    cumulative_hazard: np.ndarray
    std_err: np.ndarray
    method: HazardMethod
    conf_level: float

    @property
    def survival(self) -> np.ndarray:
        """exp(−H): R's ``survfit(..., stype=2)`` survival (Fleming-Harrington for ctype 1)."""
        return np.exp(-self.cumulative_hazard)

    @property
    def lower(self) -> np.ndarray:
        """Lower confidence limit of the cumulative hazard, never below 0."""
        return _limits(self.cumulative_hazard, self.std_err, self.conf_level)[0]

    @property
    def upper(self) -> np.ndarray:
        """Upper confidence limit of the cumulative hazard."""
        return _limits(self.cumulative_hazard, self.std_err, self.conf_level)[1]

    def hazard_at(self, times: ArrayLike) -> CumulativeHazardAtTimes:
        """H(t) at the given times, as ``summary(fit, times=)``: the last estimate at or before t.

        ``events`` and ``censored`` count exits since the previous requested time; ``at_risk``
        counts subjects with time ≥ t. A time past the last follow-up is an error.
        """
        requested = _requested_times(times, "times")
        if len(self.time) and requested.max() > self.time[-1]:
            raise InputError(
                "times",
                f"time {requested.max():g} is beyond the last follow-up ({self.time[-1]:g}) of "
                f"{self.label}; ask for times up to it",
            )
        last_row = np.searchsorted(self.time, requested, side="right") - 1
        row = np.maximum(last_row, 0)
        before = last_row < 0
        hazard = np.where(before, 0.0, self.cumulative_hazard[row])
        std_err = np.where(before, 0.0, self.std_err[row])
        at_risk = np.concatenate((self.at_risk, [0.0]))[
            np.searchsorted(self.time, requested, side="left")
        ]
        lower, upper = _limits(hazard, std_err, self.conf_level)
        return CumulativeHazardAtTimes(
            requested,
            at_risk,
            _counts_between(self.events, last_row),
            _counts_between(self.censored, last_row),
            hazard,
            std_err,
            lower,
            upper,
        )

    @property
    def label(self) -> str:
        """Readable name of the curve for messages and tables."""
        parts = [str(v) for v in (self.stratum, self.group) if v is not None]
        return "the curve " + ", ".join(parts) if parts else "the curve"

    def to_frame(self) -> pd.DataFrame:
        """One row per time: R's time, n.risk, n.event, n.censor, cumhaz, std.chaz."""
        frame = pd.DataFrame(
            {
                "time": self.time,
                "at_risk": self.at_risk,
                "events": self.events,
                "censored": self.censored,
                "cumulative_hazard": self.cumulative_hazard,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )
        if self.group is not None:
            frame.insert(0, "group", [self.group] * len(frame))
        if self.stratum is not None:
            frame.insert(0, "stratum", [self.stratum] * len(frame))
        return frame


@dataclass(frozen=True)
class NelsonAalen:
    """All cumulative hazards of one call: one per group within each stratum."""

    curves: tuple[CumulativeHazardCurve, ...]

    def curve(
        self, group: Hashable | None = None, stratum: Hashable | None = None
    ) -> CumulativeHazardCurve:
        """The curve of one group (and stratum); the only curve when there are no groups."""
        return one_curve(self.curves, group, stratum)

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked, with group and stratum columns."""
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


def nelson_aalen(
    time: ArrayLike | RiskTable,
    event: ArrayLike | None = None,
    *,
    group: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    entry: ArrayLike | None = None,
    method: HazardMethod = "nelson-aalen",
    conf_level: float = 0.95,
) -> NelsonAalen:
    """Cumulative hazard per group and stratum; matches R's ``survfit(..., ctype=1 or 2)``.

    Nelson-Aalen (ctype 1): H = Σ d_i/n_i, Var H = Σ d_i/n_i² (R's model-based variance; with
    weights d and n are weighted sums). Fleming-Harrington (ctype 2, Fleming & Harrington 1984)
    treats the m tied events of a time as leaving one by one, as Efron's approximation does:
    H = Σ_i Σ_{k<m} (d/m)/(n − k·d/m), Var H = Σ_i Σ_{k<m} (d/m)/(n − k·d/m)², with m the number
    of event rows (records, not weights), as R counts them; without ties the two agree.

    With weights that are not whole numbers R's ``survfit`` switches to the infinitesimal-jackknife
    SE; the model-based SE here is R's ``robust=FALSE``. A ready ``RiskTable`` holds no record
    counts, so with it the Fleming-Harrington method takes its event counts as the records.
    """
    if method not in HAZARD_METHODS:
        raise InputError(
            "method", f"method must be one of {', '.join(HAZARD_METHODS)}; got {method!r}"
        )
    check_conf("log", conf_level)
    table = as_risk_table(time, event, group, strata, weights, entry, max_cause=1)
    records = None
    if method == "fleming-harrington":
        if weights is not None:  # R splits the weighted deaths over the event rows, not weights
            records = risk_table(time, event, group=group, strata=strata, entry=entry, max_cause=1)
        else:
            _require_whole_deaths(table)
    curves = []
    for s, g, stratum_table in table.cells():
        deaths = stratum_table.deaths[:, g]
        censored = stratum_table.censored[:, g]
        at_risk = stratum_table.at_risk[:, g]
        times = stratum_table.time
        if table.n_groups > 1:  # keep the times at which this group has an exit
            rows = np.flatnonzero((deaths > 0) | (censored > 0))
            times, at_risk, deaths, censored = (
                times[rows],
                at_risk[rows],
                deaths[rows],
                censored[rows],
            )
        if method == "nelson-aalen":
            increment, variance = _nelson_aalen_steps(at_risk, deaths)
        else:
            count = deaths if records is None else _records_at(records, s, g, times)
            increment, variance = fleming_harrington_steps(at_risk, deaths, count)
        curves.append(
            CumulativeHazardCurve(
                table.groups[g] if table.groups else None,
                table.strata[s] if table.strata else None,
                float(table.subjects[s, g]),
                times,
                at_risk,
                deaths,
                censored,
                np.cumsum(increment),
                np.sqrt(np.cumsum(variance)),
                method,
                conf_level,
            )
        )
    return NelsonAalen(tuple(curves))


def _nelson_aalen_steps(at_risk: np.ndarray, deaths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d/n and d/n² per row (0 where nobody dies; n ≥ d + censored > 0 on every row)."""
    increment = deaths / at_risk
    return increment, increment / at_risk


def fleming_harrington_steps(
    at_risk: np.ndarray, deaths: np.ndarray, records: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Σ_{k<m} (d/m)/(n − k·d/m) and Σ_{k<m} (d/m)/(n − k·d/m)² per row, m event records.

    The terms of all rows are laid end to end (Σ m of them, at most the number of events) and
    summed per row with one ``np.add.reduceat``: R's survfitkm.c loop, vectorised.
    """
    m = records.astype(np.int64)
    increment = np.zeros(len(at_risk))
    variance = np.zeros(len(at_risk))
    rows = np.flatnonzero((m > 0) & (deaths > 0))
    if len(rows) == 0:
        return increment, variance
    counts = m[rows]
    starts = np.cumsum(counts) - counts
    k = np.arange(int(counts.sum()), dtype=np.float64) - np.repeat(starts, counts)
    share = np.repeat(deaths[rows] / counts, counts)  # d/m: each record's part of the deaths
    denominator = np.repeat(at_risk[rows], counts) - k * share
    term = share / denominator
    increment[rows] = np.add.reduceat(term, starts)
    variance[rows] = np.add.reduceat(term / denominator, starts)
    return increment, variance


def _records_at(records: RiskTable, stratum: int, group: int, times: np.ndarray) -> np.ndarray:
    """Number of event rows at each time of a weighted curve, from the unweighted table."""
    table = records.strata_tables[stratum]
    position = np.searchsorted(table.time, times)
    return table.deaths[position, group]


def _require_whole_deaths(table: RiskTable) -> None:
    for stratum_table in table.strata_tables:
        deaths = stratum_table.deaths
        if np.any(deaths != np.round(deaths)):
            raise InputError(
                "method",
                "the Fleming-Harrington method needs the number of event records at each time, "
                "and this risk table's event counts are not whole numbers; pass per-subject "
                "time, event and weights instead of the table",
            )


def _limits(
    hazard: np.ndarray, std_err: np.ndarray, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    half = z_value(conf_level) * std_err
    return np.maximum(hazard - half, 0.0), hazard + half
