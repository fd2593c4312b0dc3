"""The plan's models: time-dependent and landmark comparisons, multivariable Cox, Fine–Gray.

Each gives a table of hazard ratios (where there is a model), the test between groups and, for
the exposure analyses, one curve per state, so that the report can set them beside the naive
comparison they correct.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from followup.analysis.dataset import StudyData
from followup.analysis.endpoints import EndpointData
from followup.analysis.estimates import GroupEstimate, at_time, km_curve, optional
from followup.analysis.exposures import ExposureIntervals, exposure_intervals
from followup.study.plan_schema import Model, Reporting
from followup.survival import (
    KaplanMeierCurve,
    SurvivalError,
    cox_ph,
    kaplan_meier,
    landmark_analysis,
    logrank_test,
    risk_table,
)


@dataclass(frozen=True)
class ModelRow:
    """One level against its reference (or one unit of a number): HR, limits and Wald p."""

    term: str
    level: str
    reference: str
    hazard_ratio: float | None
    lower: float | None
    upper: float | None
    p: float | None


@dataclass(frozen=True)
class Exposed:
    """An exposure as the methods state it: its label, date field, states and the origin."""

    label: str
    date: str
    levels: str  # the variable naming the exposed states ('' if one state)
    before: str
    origin: str


@dataclass(frozen=True)
class ModelResult:
    """One model of the plan, what it compares and what came out, or a note saying why not."""

    name: str
    label: str
    method: str
    endpoint: str
    patients: int
    events: int
    rows: tuple[ModelRow, ...]
    groups: tuple[GroupEstimate, ...]  # per state: Simon–Makuch or landmark curves
    test: str
    chisq: float | None
    df: int | None
    p: float | None
    standard_errors: str
    landmark: float | None
    left_out: int  # landmark: patients with an event or censored at or before it
    note: str
    exposure: Exposed | None = None  # what the exposure analyses split patients by


def exposure_model(
    data: StudyData,
    name: str,
    model: Model,
    endpoint: EndpointData,
    reporting: Reporting,
    unit_days: float,
) -> ModelResult:
    """A ``time_dependent`` or ``landmark`` model of the plan's exposure."""
    assert model.exposure is not None
    plan = data.plan.model
    intervals = exposure_intervals(
        data,
        plan.endpoints[model.endpoint],
        endpoint,
        model.exposure,
        plan.exposures[model.exposure],
        unit_days,
    )
    notes = [f"{len(intervals.unplaced)} exposed patient(s) without a state are counted as "
             f"{intervals.before}"] if intervals.unplaced else []  # fmt: skip
    spec = plan.exposures[model.exposure]
    exposed = Exposed(
        spec.label, spec.date, spec.levels or "", spec.before, plan.endpoints[model.endpoint].origin
    )
    try:
        if model.method == "landmark":
            result = _landmark(name, model, endpoint, intervals, reporting, notes)
        else:
            records = pd.Index(intervals.frame["record_id"])
            clusters = cluster_labels(data, model.cluster, records)
            result = _time_dependent(name, model, endpoint, intervals, clusters, reporting, notes)
    except SurvivalError as error:  # too few patients or events: said, not hidden
        result = _empty(name, model, len(endpoint.frame), f"not estimable: {error}")
    return replace(result, exposure=exposed)


def _empty(name: str, model: Model, left_out: int, note: str) -> ModelResult:
    """A model that could not be computed, with the reason."""
    test = "log-rank" if model.method == "landmark" else "Mantel–Byar"
    return ModelResult(
        name, model.label, model.method, model.endpoint, 0, 0, (), (), test,
        None, None, None, "", model.landmark, left_out if model.landmark else 0, note,
    )  # fmt: skip


def _time_dependent(
    name: str,
    model: Model,
    endpoint: EndpointData,
    intervals: ExposureIntervals,
    clusters: np.ndarray | None,
    reporting: Reporting,
    notes: list[str],
) -> ModelResult:
    """Simon–Makuch curves per state and the Mantel–Byar test (log-rank over moving risk sets).

    Both read one risk table of the intervals, patients entering a state's risk set when they
    enter the state; ``clusters`` (one per interval) make the Cox model's SEs robust.
    """
    frame = intervals.frame
    present = [s for s in intervals.states if (frame["state"] == s).any()]
    table = risk_table(
        frame["stop"].to_numpy(float),
        frame["event"].to_numpy(int),
        group=pd.Categorical(frame["state"], categories=present),
        entry=frame["start"].to_numpy(float),
    )
    curves = kaplan_meier(
        table,
        se_method=reporting.se_method,
        conf_type=reporting.conf_type,
        conf_level=reporting.conf_level,
    )
    groups = tuple(
        _group(str(state), curve, frame[frame["state"] == state], reporting, endpoint.unit)
        for state, curve in zip(present, curves.curves, strict=True)
    )  # each state's curve starts at 0: a state's first patient may enter it at the origin
    notes += _emptied_curves(present, curves.curves, frame, endpoint.unit)
    rows: tuple[ModelRow, ...] = ()
    standard_errors = ""
    try:
        label = intervals.label
        cox = cox_ph(
            frame["stop"].to_numpy(float),
            frame["event"].to_numpy(int),
            {label: pd.Categorical(frame["state"], categories=present)},
            start=frame["start"].to_numpy(float),
            cluster=clusters,
            conf_level=reporting.conf_level,
        )
        rows = model_rows(cox.to_frame(), cox.terms, {label: label})
        standard_errors = (
            "model-based" if clusters is None else f"robust, clustered by {model.cluster}"
        )
    except SurvivalError as error:
        notes.append(f"no time-dependent Cox model: {error}")
    chisq = df = p = None
    try:
        test = logrank_test(table)
        chisq, df, p = float(test.chisq), int(test.df), float(test.p)
    except SurvivalError as error:
        notes.append(f"no test: {error}")
    return ModelResult(
        name,
        model.label,
        model.method,
        model.endpoint,
        len(endpoint.frame),
        int((endpoint.event == 1).sum()),
        rows,
        groups,
        "Mantel–Byar",
        chisq,
        df,
        p,
        standard_errors,
        None,
        0,
        "; ".join(notes),
    )


def _landmark(
    name: str,
    model: Model,
    endpoint: EndpointData,
    intervals: ExposureIntervals,
    reporting: Reporting,
    notes: list[str],
) -> ModelResult:
    """Patients alive and followed beyond the landmark, by their state at it, from the origin."""
    landmark = float(model.landmark or 0.0)
    state = intervals.state_at(landmark).reindex(endpoint.frame.index)
    present = [s for s in intervals.states if (state == s).any()]
    try:
        analysis = landmark_analysis(
            endpoint.time,
            endpoint.event == 1,
            landmark=landmark,
            group=pd.Categorical(state, categories=present),
            se_method=reporting.se_method,
            conf_type=reporting.conf_type,
            conf_level=reporting.conf_level,
        )
    except SurvivalError as error:
        note = "; ".join([*notes, f"no landmark analysis: {error}"])
        return _empty(name, model, len(endpoint.frame), note)
    kept = endpoint.frame.iloc[analysis.kept]
    rows = pd.DataFrame(
        {
            "record_id": kept.index,
            "start": landmark,
            "stop": kept["time"].to_numpy(float),
            "event": (kept["event"] == 1).astype(int).to_numpy(),
        }
    )
    kept_state = state.iloc[analysis.kept].to_numpy()
    groups = tuple(
        _group(str(label), curve, rows[kept_state == label], reporting, endpoint.unit, landmark)
        for label, curve in zip(analysis.groups, analysis.curves_from_origin.curves, strict=True)
    )
    test = analysis.logrank
    return ModelResult(
        name,
        model.label,
        model.method,
        model.endpoint,
        len(kept),
        int((kept["event"] == 1).sum()),
        (),
        groups,
        "log-rank",
        float(test.chisq) if test else None,
        int(test.df) if test else None,
        float(test.p) if test else None,
        "",
        landmark,
        len(endpoint.frame) - len(kept),
        "; ".join(notes),
    )


def _emptied_curves(
    states: list[str], curves: tuple[KaplanMeierCurve, ...], frame: pd.DataFrame, unit: str
) -> list[str]:
    """A delayed-entry curve that reaches 0 while patients are still to enter it, said plainly."""
    notes = []
    for state, curve in zip(states, curves, strict=True):
        zero = np.flatnonzero(curve.survival == 0)
        if not len(zero):
            continue
        when = float(curve.time[zero[0]])
        later = int((frame.loc[frame["state"] == state, "start"] > when).sum())
        if later:
            notes.append(
                f"the Simon–Makuch curve of “{state}” falls to 0 at {when:.2f} {unit}, when "
                f"everyone then at risk in that state had died; {later} patient(s) entered it "
                "later, so read it with its numbers at risk, and the landmark analysis"
            )
    return notes


def _group(
    label: str,
    curve: KaplanMeierCurve,
    rows: pd.DataFrame,
    reporting: Reporting,
    unit: str,
    start: float = 0.0,
) -> GroupEstimate:
    """A state's curve from ``start``, figures at the time points, and who is at risk when.

    Patients join a state's risk set during follow-up, so the numbers at risk under the plot
    are counted from the (start, stop] rows (at t > 0: start < t ≤ stop; at 0: those starting
    there), not read off the curve's next step.
    """
    median = curve.median()
    drawn = km_curve(curve, unit)
    begin, stop = rows["start"].to_numpy(float), rows["stop"].to_numpy(float)
    at_risk = tuple(
        int((((begin < t) | ((begin == 0) & (t == 0))) & (t <= stop)).sum())
        for t in drawn.at_risk_times
    )
    return GroupEstimate(
        label,
        int(rows["record_id"].nunique()),
        int((rows["event"] == 1).sum()),
        tuple(at_time(curve, t) for t in reporting.time_points),
        optional(median.estimate[0]),
        optional(median.lower[0]),
        optional(median.upper[0]),
        replace(drawn, time=(start, *drawn.time[1:]), at_risk=at_risk),
    )


def model_rows(
    frame: pd.DataFrame, terms: Sequence[Any], labels: Mapping[str, str]
) -> tuple[ModelRow, ...]:
    """One row per design column: the term's label, the level compared, HR, limits and p."""
    rows = []
    by_column = {
        column: (term, level)
        for term in terms
        for column, level in zip(term.columns, term.levels or ("",), strict=False)
    }
    for record in frame.to_dict("records"):
        term, level = by_column[str(record["term"])]
        rows.append(
            ModelRow(
                labels.get(term.name, term.name),
                str(level),
                "" if term.reference is None else str(term.reference),
                finite(float(record["hazard_ratio"])),
                finite(float(record["lower"])),
                finite(float(record["upper"])),
                finite(float(record["p"])),
            )
        )
    return tuple(rows)


def cluster_labels(data: StudyData, cluster: str | None, records: pd.Index) -> np.ndarray | None:
    """Each record's cluster: its hospital (data access group) or a field's value; None: none."""
    if cluster is None:
        return None
    column = "redcap_data_access_group" if cluster == "hospital" else cluster
    return data.raw[column].reindex(records).astype(str).to_numpy()


def finite(value: float) -> float | None:
    """A number for the table, None where R would print NA."""
    return float(value) if np.isfinite(value) else None
