"""How long patients were followed: reverse Kaplan-Meier median and plain summaries of time.

A paper's "median follow-up" should not be the median observation time, which deaths pull down;
the reverse Kaplan-Meier (censoring treated as the event) estimates the potential follow-up that
the study would have had without deaths (Schemper & Smith, Control Clin Trials 1996;17:343).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from followup.survival._confidence import ConfType, check_conf
from followup.survival._inputs import ArrayLike
from followup.survival._kaplan_meier import kaplan_meier
from followup.survival._risk_table import RiskTable, StratumTable, as_risk_table


@dataclass(frozen=True)
class FollowUp:
    """Follow-up of one group: reverse-KM median with limits, and the observation times."""

    group: Hashable | None
    stratum: Hashable | None
    subjects: float
    median: float
    lower: float
    upper: float
    mean_time: float
    median_time: float
    min_time: float
    max_time: float
    conf_level: float


@dataclass(frozen=True)
class FollowUpSummary:
    """Follow-up per group (and stratum)."""

    groups: tuple[FollowUp, ...]
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per group."""
        return pd.DataFrame([vars(g) for g in self.groups])


def reverse_km_followup(
    time: ArrayLike | RiskTable,
    event: ArrayLike | None = None,
    *,
    group: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
) -> FollowUpSummary:
    """Median follow-up by reverse Kaplan-Meier: ``quantile(survfit(Surv(time, 1 - status) ~ 1))``.

    Also gives the mean, median, minimum and maximum observation time (R's ``mean``/``median``).
    """
    check_conf(conf_type, conf_level)
    table = as_risk_table(time, event, group, strata, weights, None, max_cause=None)
    reverse = kaplan_meier(table.reversed(), conf_type=conf_type, conf_level=conf_level)
    rows = []
    for curve, (_s, g, stratum_table) in zip(reverse.curves, table.cells(), strict=True):
        median = curve.median()
        exits = stratum_table.deaths[:, g] + stratum_table.censored[:, g]
        rows.append(
            FollowUp(
                curve.group,
                curve.stratum,
                curve.subjects,
                float(median.estimate[0]),
                float(median.lower[0]),
                float(median.upper[0]),
                *_observation_times(stratum_table, exits),
                conf_level,
            )
        )
    notes: tuple[str, ...] = ()
    if any(np.isnan([r.median, r.lower, r.upper]).any() for r in rows):
        notes = ("NaN marks a median (or limit) of follow-up that the reverse KM never reaches",)
    return FollowUpSummary(tuple(rows), notes)


def _observation_times(table: StratumTable, exits: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, median, min and max of the observation times, computed from their counts."""
    present = exits > 0
    times, counts = table.time[present], exits[present]
    total = counts.sum()
    cumulative = np.cumsum(counts)
    half = total / 2
    middle = int(np.searchsorted(cumulative, half, side="left"))
    median = times[middle]
    if np.isclose(cumulative[middle], half, rtol=0, atol=1e-9) and middle + 1 < len(times):
        median = (median + times[middle + 1]) / 2  # even count: R averages the two middle values
    mean = float(np.dot(times, counts) / total)
    return mean, float(median), float(times[0]), float(times[-1])
