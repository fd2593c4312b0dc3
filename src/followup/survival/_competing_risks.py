"""Cumulative incidence of competing events (Aalen-Johansen) with the variance cmprsk reports.

1 − Kaplan-Meier of relapse, treating deaths in remission as censored, overstates relapse
incidence; the cumulative incidence function does not (Gooley et al., Stat Med 1999;18:695).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from followup.survival._confidence import check_conf, survival_interval, z_value
from followup.survival._errors import InputError
from followup.survival._inputs import (
    ArrayLike,
    as_entry_times,
    as_event_codes,
    as_times,
    as_weights,
    factorize,
)
from followup.survival._multi_state_engine import Rows, aalen_johansen
from followup.survival._risk_table import RiskTable, as_risk_table

VARIANCE_NOTE = (
    "variance as cmprsk::cuminc (Gray's delta method), updated at the cause's own event times; "
    "limits by the log(−log) transform F^exp(±z·SE/(F·log F)) (Pintilie 2006)"
)
ENTRY_VARIANCE_NOTE = (
    "with entry times: the Aalen-Johansen estimate and infinitesimal-jackknife variance of R's "
    "survfit(Surv(entry, time, factor(event)) ~ group, id = row), cmprsk having no entry times; "
    "limits by R's log transform F·exp(±z·SE/F), upper capped at 1"
)


@dataclass(frozen=True)
class CumulativeIncidenceCurve:
    """Cumulative incidence of one cause in one group, at each time the group has an exit."""

    group: Hashable | None
    cause: int
    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_level: float

    @property
    def std_err(self) -> np.ndarray:
        """Standard error of the cumulative incidence."""
        return np.sqrt(self.variance)

    def at(self, times: ArrayLike) -> pd.DataFrame:
        """Estimate, variance and limits at given times, as ``cmprsk::timepoints``."""
        requested = np.asarray(times, dtype=float)
        if np.any(~np.isfinite(requested)) or np.any(requested < 0):
            raise InputError("times", f"times must be finite and non-negative; got {requested}")
        if len(self.time) and requested.max() > self.time[-1]:
            raise InputError(
                "times",
                f"time {requested.max():g} is beyond the last follow-up ({self.time[-1]:g}) of "
                f"group {self.group!r}",
            )
        row = np.searchsorted(self.time, requested, side="right") - 1
        pick = np.maximum(row, 0)
        started = row >= 0
        return pd.DataFrame(
            {
                "time": requested,
                "estimate": np.where(started, self.estimate[pick], 0.0),
                "variance": np.where(started, self.variance[pick], 0.0),
                "lower": np.where(started, self.lower[pick], np.nan),
                "upper": np.where(started, self.upper[pick], np.nan),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per time."""
        frame = pd.DataFrame(
            {
                "time": self.time,
                "at_risk": self.at_risk,
                "events": self.events,
                "estimate": self.estimate,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )
        frame.insert(0, "cause", self.cause)
        if self.group is not None:
            frame.insert(0, "group", [self.group] * len(frame))
        return frame


@dataclass(frozen=True)
class CumulativeIncidence:
    """Curves for every (group, cause)."""

    curves: tuple[CumulativeIncidenceCurve, ...]
    notes: tuple[str, ...]

    def curve(self, cause: int, group: Hashable | None = None) -> CumulativeIncidenceCurve:
        """The curve of one cause (and group)."""
        for c in self.curves:
            if c.cause == cause and (group is None or c.group == group):
                return c
        raise InputError("cause", f"no curve for cause {cause!r}, group {group!r}")

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked."""
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


def cumulative_incidence(
    time: ArrayLike | RiskTable,
    event: ArrayLike | None = None,
    *,
    group: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    entry: ArrayLike | None = None,
    conf_level: float = 0.95,
) -> CumulativeIncidence:
    """Cumulative incidence per cause and group; matches R's ``cmprsk::cuminc`` and its variances.

    ``event`` is 0 for censored and 1, 2, … for the cause. F_k(t) = Σ_{t_i ≤ t} S(t_i−) d_ki / n_i,
    S the all-cause Kaplan-Meier. Strata do not change the estimates (as in cuminc); use them in
    ``gray_test``.

    Without ``entry`` the variance is cmprsk's (Gray's delta method) with log(−log) limits. With
    ``entry`` (delayed entry, left truncation: a subject is at risk at t when entry < t ≤ time),
    which cuminc cannot take, the estimate, variance and limits are those of R's
    ``survfit(Surv(entry, time, factor(event)) ~ group, id = row)``: the infinitesimal-jackknife
    variance and log-transform limits; each curve's notes say which.
    """
    check_conf("log", conf_level)
    if entry is not None:
        if isinstance(time, RiskTable):
            raise InputError("entry", "a RiskTable already holds the counts; do not pass entry")
        return _with_entry(time, event, entry, group, weights, conf_level)
    table = as_risk_table(time, event, group, None, weights, None, max_cause=None)
    (stratum,) = table.strata_tables
    z = z_value(conf_level)
    curves = []
    for k, cause in enumerate(table.causes):
        for g in range(table.n_groups):
            if table.subjects[0, g] == 0:
                continue
            exits = stratum.deaths[:, g] + stratum.censored[:, g]
            rows = np.flatnonzero(exits > 0)
            at_risk = stratum.at_risk[rows, g]
            cause_events = stratum.events[k, rows, g]
            other_events = stratum.deaths[rows, g] - cause_events
            estimate, variance = _aalen_johansen(at_risk, cause_events, other_events)
            lower, upper = _log_log_limits(estimate, variance, z)
            label = table.groups[g] if table.groups else None
            curves.append(
                CumulativeIncidenceCurve(
                    label,
                    cause,
                    stratum.time[rows],
                    at_risk,
                    cause_events,
                    estimate,
                    variance,
                    lower,
                    upper,
                    conf_level,
                )
            )
    return CumulativeIncidence(tuple(curves), (VARIANCE_NOTE,))


def _with_entry(
    time: ArrayLike,
    event: ArrayLike | None,
    entry: ArrayLike,
    group: ArrayLike | None,
    weights: ArrayLike | None,
    conf_level: float,
) -> CumulativeIncidence:
    """Delayed entry: each row a subject of a competing-risks multi-state model (R's survfit)."""
    times = as_times(time).astype(float)
    n = len(times)
    if event is None:
        raise InputError("event", "event is required: 0 for censored, 1, 2, … for the cause")
    codes = as_event_codes(event, "event", n, None).astype(np.intp)
    entries = cast(np.ndarray, as_entry_times(entry, times))  # not None: entry was given
    group_codes, groups = factorize(group, "group", n)
    weight = as_weights(weights, n, positive=True)
    weight = np.ones(n) if weight is None else weight
    n_causes = max(int(codes.max()), 1)
    fits = []
    for g in range(max(len(groups), 1)):
        rows = np.flatnonzero(group_codes == g)
        fits.append(
            aalen_johansen(
                Rows(entries[rows].astype(float), times[rows], np.zeros(len(rows), np.intp),
                     np.where(codes[rows] > 0, codes[rows], -1), np.arange(len(rows)),
                     weight[rows], n_causes + 1)
            )
        )  # fmt: skip
    curves = []
    for cause in range(1, n_causes + 1):
        for g, fit in enumerate(fits):
            estimate, std_err = fit.probability[:, cause], fit.std_err[:, cause]
            log_se = np.zeros(len(estimate))
            np.divide(std_err, estimate, out=log_se, where=estimate > 0)
            lower, upper = survival_interval(estimate, log_se, "log", conf_level)
            curves.append(
                CumulativeIncidenceCurve(
                    groups[g] if groups else None,
                    cause,
                    fit.time,
                    fit.weighted_at_risk[:, 0],
                    fit.weighted_events[:, cause],
                    estimate,
                    std_err**2,
                    lower,
                    upper,
                    conf_level,
                )
            )
    return CumulativeIncidence(tuple(curves), (ENTRY_VARIANCE_NOTE,))


def _aalen_johansen(
    at_risk: np.ndarray, cause: np.ndarray, other: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Estimate and variance, a vectorised transcription of cmprsk's cinc (Gray's Fortran)."""
    events = cause + other
    survival_after = np.cumprod((at_risk - events) / at_risk)
    survival_before = np.concatenate(([1.0], survival_after[:-1]))
    estimate = np.cumsum(survival_before * cause / at_risk)
    v1, v2, v3 = (np.cumsum(term) for term in _variance_terms(at_risk, cause, other,
                                                               survival_before, survival_after,
                                                               estimate))  # fmt: skip
    # The three terms cancel where the incidence reaches 1 (nobody left for another cause), and
    # rounding can leave a few units in the last place below zero: a variance is never negative.
    variance_at_events = np.maximum(v1 + estimate**2 * v3 - 2 * estimate * v2, 0.0)
    # cmprsk only updates the variance where the cause itself has events; it is carried between.
    last_cause_row = np.maximum.accumulate(np.where(cause > 0, np.arange(len(cause)), -1))
    variance = np.where(last_cause_row >= 0, variance_at_events[np.maximum(last_cause_row, 0)], 0.0)
    return estimate, variance


def _variance_terms(
    at_risk: np.ndarray,
    cause: np.ndarray,
    other: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    estimate: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-time increments of cinc's three running sums v1, v2, v3."""
    inverse_after = np.zeros(len(after))
    np.divide(1.0, after, out=inverse_after, where=after > 0)
    other_weight = _tie_factor(other, at_risk) * before**2 * other / at_risk**2
    other_weight = np.where((other > 0) & (after > 0), other_weight, 0.0)
    cause_weight = np.where(
        cause > 0, _tie_factor(cause, at_risk) * before**2 * cause / at_risk**2, 0.0
    )
    t4_other = estimate * inverse_after
    t4_cause = 1 + inverse_after * estimate
    v1 = t4_other**2 * other_weight + t4_cause**2 * cause_weight
    v2 = inverse_after * t4_other * other_weight + inverse_after * t4_cause * cause_weight
    v3 = inverse_after**2 * (other_weight + cause_weight)
    return v1, v2, v3


def _tie_factor(events: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
    """1 − (d − 1)/(n − 1) for tied events, 1 for a single one (cmprsk's t5)."""
    factor = np.ones(len(events))
    tied = events > 1
    factor[tied] = 1 - (events[tied] - 1) / (at_risk[tied] - 1)
    return factor


def _log_log_limits(
    estimate: np.ndarray, variance: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """F^exp(±z·SE/(F log F)); undefined (NaN) where F is 0 or 1."""
    defined = (estimate > 0) & (estimate < 1)
    safe = np.where(defined, estimate, 0.5)
    spread = z * np.sqrt(variance) / (safe * np.log(safe))
    with np.errstate(over="ignore"):  # F near 1: the limits go to 0 and 1, as they should
        lower = np.where(defined, safe ** np.exp(-spread), np.nan)
        upper = np.where(defined, safe ** np.exp(spread), np.nan)
    return lower, upper
