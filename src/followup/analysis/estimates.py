"""Survival estimates an endpoint's report needs: the curve, figures at time points, comparisons.

Every figure keeps the Kaplan-Meier (or Aalen-Johansen) curve it was read from, so the plot, the
table and the Results paragraph show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from followup.analysis.dataset import StudyData
from followup.analysis.endpoints import EndpointData
from followup.study.plan_schema import Reporting
from followup.survival import (
    CumulativeIncidenceCurve,
    KaplanMeierCurve,
    SurvivalError,
    cumulative_incidence,
    gray_test,
    kaplan_meier,
    logrank_test,
)


@dataclass(frozen=True)
class AtTime:
    """An estimate at one time point, in [0, 1]; None where nobody was followed that long."""

    time: float
    estimate: float | None
    std_err: float | None
    lower: float | None
    upper: float | None
    at_risk: int


@dataclass(frozen=True)
class Curve:
    """A step curve as drawn: times where it changes, its value, censor marks, numbers at risk."""

    time: tuple[float, ...]
    estimate: tuple[float, ...]
    censor_times: tuple[float, ...]
    censor_estimates: tuple[float, ...]
    at_risk_times: tuple[float, ...]
    at_risk: tuple[int, ...]


@dataclass(frozen=True)
class GroupEstimate:
    """One group's patients, events, figures at the time points, median and curve."""

    group: str
    patients: int
    events: int
    at_times: tuple[AtTime, ...]
    median: float | None
    median_lower: float | None
    median_upper: float | None
    curve: Curve
    competing_at_times: tuple[AtTime, ...] = ()  # cumulative incidence of the competing event


@dataclass(frozen=True)
class Comparison:
    """Groups of one variable compared: log-rank (or Gray's test for a cumulative incidence)."""

    variable: str
    label: str
    groups: tuple[GroupEstimate, ...]
    test: str
    chisq: float | None
    df: int | None
    p: float | None
    note: str


def optional(value: float) -> float | None:
    """A finite number, or None (NaN and infinities are not printed)."""
    return None if not np.isfinite(value) else float(value)


def at_risk_grid(last_time: float, unit: str) -> tuple[float, ...]:
    """The x ticks the numbers at risk are printed under: whole years (or 12-month steps)."""
    step = 1.0 if unit == "years" else 12.0
    return tuple(float(t) for t in np.arange(0.0, last_time + step * 0.999, step))


def _empty_group(label: str, reporting: Reporting) -> GroupEstimate:
    """A group nobody is in: every figure missing, a flat curve."""
    points = tuple(AtTime(t, None, None, None, None, 0) for t in reporting.time_points)
    curve = Curve((0.0,), (1.0,), (), (), (0.0,), (0,))
    return GroupEstimate(label, 0, 0, points, None, None, None, curve)


def _km_group(
    label: str, time: np.ndarray, event: np.ndarray, reporting: Reporting, unit: str
) -> GroupEstimate:
    if not len(time):
        return _empty_group(label, reporting)
    fit = kaplan_meier(
        time,
        event,
        se_method=reporting.se_method,
        conf_type=reporting.conf_type,
        conf_level=reporting.conf_level,
    ).curve()
    points = tuple(at_time(fit, t) for t in reporting.time_points)
    median = fit.median()
    return GroupEstimate(
        label,
        len(time),
        int(event.sum()),
        points,
        optional(median.estimate[0]),
        optional(median.lower[0]),
        optional(median.upper[0]),
        km_curve(fit, unit),
    )


def at_time(fit: KaplanMeierCurve, t: float) -> AtTime:
    """The curve's figure at ``t`` (None after the last follow-up, unless everyone died)."""
    at_risk = int(fit.at_risk_at([t])[0])
    everyone_died = len(fit.time) and fit.survival[-1] == 0
    if not len(fit.time) or (t > fit.time[-1] and not everyone_died):
        return AtTime(t, None, None, None, None, at_risk)  # nobody followed that long
    row = fit.survival_at([t], extend=True)
    return AtTime(
        t,
        float(row.survival[0]),
        optional(row.std_err[0]),
        optional(row.lower[0]),
        optional(row.upper[0]),
        at_risk,
    )


def km_curve(fit: KaplanMeierCurve, unit: str) -> Curve:
    """The curve as drawn: steps, censor marks and numbers at risk under whole years."""
    censored = fit.censored > 0
    grid = at_risk_grid(float(fit.time[-1]) if len(fit.time) else 0.0, unit)
    return Curve(
        (0.0, *map(float, fit.time)),
        (1.0, *map(float, fit.survival)),
        tuple(map(float, fit.time[censored])),
        tuple(map(float, fit.survival[censored])),
        grid,
        tuple(int(n) for n in fit.at_risk_at(grid)),
    )


def survival_estimates(
    endpoint: EndpointData, data: StudyData, reporting: Reporting, compare_by: Sequence[str]
) -> tuple[GroupEstimate, tuple[Comparison, ...]]:
    """The whole population's Kaplan-Meier figures and each planned comparison (log-rank)."""
    overall = _km_group("All patients", endpoint.time, endpoint.event, reporting, endpoint.unit)
    comparisons = tuple(
        _compare(endpoint, data, name, reporting, _km_group, "log-rank", _logrank)
        for name in compare_by
    )
    return overall, comparisons


def incidence_estimates(
    endpoint: EndpointData, data: StudyData, reporting: Reporting, compare_by: Sequence[str]
) -> tuple[GroupEstimate, tuple[Comparison, ...]]:
    """Cumulative incidence of the event (cause 1) with the competing event (cause 2), as cmprsk."""
    overall = _cif_group("All patients", endpoint.time, endpoint.event, reporting, endpoint.unit)
    comparisons = tuple(
        _compare(endpoint, data, name, reporting, _cif_group, "Gray", _gray) for name in compare_by
    )
    return overall, comparisons


GroupFit = Callable[[str, np.ndarray, np.ndarray, Reporting, str], GroupEstimate]
GroupTest = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[float, int, float]]


def _logrank(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> tuple[float, int, float]:
    test = logrank_test(time, event, group=group)
    return test.chisq, test.df, test.p


def _gray(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> tuple[float, int, float]:
    test = gray_test(time, event, group=group)
    cause = test.causes.index(1)
    return float(test.statistic[cause]), int(test.df), float(test.p[cause])


def _compare(
    endpoint: EndpointData,
    data: StudyData,
    name: str,
    reporting: Reporting,
    fit: GroupFit,
    test_name: str,
    test: GroupTest,
) -> Comparison:
    """Each level's estimate, then the test between levels, or a note saying why there is none."""
    variable = data.variable(name)
    labels = data.column(name).reindex(endpoint.frame.index).fillna("")
    levels = [lv for lv in variable.levels if (labels == lv).any()]
    groups = tuple(
        fit(
            lv,
            endpoint.time[(labels == lv).to_numpy()],
            endpoint.event[(labels == lv).to_numpy()],
            reporting,
            endpoint.unit,
        )
        for lv in levels
    )
    missing = int((labels == "").sum())
    notes = (
        [f"{missing} patient(s) without a value for “{variable.label}” are not compared"]
        if missing
        else []
    )
    mask = labels.isin(levels).to_numpy()
    if len(levels) < 2 or not (endpoint.event[mask] == 1).any():
        notes.append("fewer than two groups with patients, or no events: no test")
        return Comparison(
            name, variable.label, groups, test_name, None, None, None, "; ".join(notes)
        )
    try:
        chisq, df, p = test(endpoint.time[mask], endpoint.event[mask], labels[mask].to_numpy())
    except SurvivalError as error:  # e.g. one group has nobody at risk at any event
        notes.append(f"no test: {error}")
        return Comparison(
            name, variable.label, groups, test_name, None, None, None, "; ".join(notes)
        )
    return Comparison(name, variable.label, groups, test_name, chisq, df, p, "; ".join(notes))


def _cif_group(
    label: str, time: np.ndarray, event: np.ndarray, reporting: Reporting, unit: str
) -> GroupEstimate:
    if not len(time):
        return _empty_group(label, reporting)
    if not (event == 1).any():
        return _no_event_incidence(label, time, reporting, unit)
    fits = cumulative_incidence(time, event, conf_level=reporting.conf_level)
    fit = fits.curve(1)
    last = float(time.max())
    points = _incidence_points(fit, time, reporting, last)
    competing: tuple[AtTime, ...] = ()
    if (event == 2).any():  # REPORTING.md §3: report the competing event's incidence too
        competing = _incidence_points(fits.curve(2), time, reporting, last)
    grid = at_risk_grid(float(fit.time[-1]) if len(fit.time) else 0.0, unit)
    curve = Curve(
        (0.0, *map(float, fit.time)),
        (0.0, *map(float, fit.estimate)),
        (),
        (),
        grid,
        tuple(int((time >= t).sum()) for t in grid),
    )
    events = int((event == 1).sum())
    return GroupEstimate(label, len(time), events, points, None, None, None, curve, competing)


def _incidence_points(
    fit: CumulativeIncidenceCurve, time: np.ndarray, reporting: Reporting, last: float
) -> tuple[AtTime, ...]:
    """The incidence at each time point up to the last follow-up (None after it)."""
    points = []
    for t in reporting.time_points:
        at_risk = int((time >= t).sum())
        if t > last:
            points.append(AtTime(t, None, None, None, None, at_risk))
            continue
        row = fit.at([t]).iloc[0]
        points.append(
            AtTime(
                t,
                float(row["estimate"]),
                float(np.sqrt(row["variance"])),
                optional(row["lower"]),
                optional(row["upper"]),
                at_risk,
            )
        )
    return tuple(points)


def _no_event_incidence(
    label: str, time: np.ndarray, reporting: Reporting, unit: str
) -> GroupEstimate:
    """Nobody had the event: the incidence is 0 (SE 0) up to the last follow-up, unknown after."""
    last = float(time.max())
    points = tuple(
        AtTime(t, 0.0, 0.0, None, None, int((time >= t).sum()))
        if t <= last
        else AtTime(t, None, None, None, None, 0)
        for t in reporting.time_points
    )
    grid = at_risk_grid(last, unit)
    at_risk = tuple(int((time >= t).sum()) for t in grid)
    return GroupEstimate(
        label,
        len(time),
        0,
        points,
        None,
        None,
        None,
        Curve((0.0, last), (0.0, 0.0), (), (), grid, at_risk),
    )
