"""Running a study's plan over its records: every number the report prints, in one object."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from followup.analysis.characteristics import Characteristic, characteristics
from followup.analysis.dataset import StudyData, study_data
from followup.analysis.endpoints import EndpointData, Exclusion, endpoint_data
from followup.analysis.estimates import (
    Comparison,
    GroupEstimate,
    incidence_estimates,
    survival_estimates,
)
from followup.analysis.flow import Flow, patient_flow
from followup.analysis.follow_up import FollowUpSummary, follow_up
from followup.analysis.models import ModelResult, exposure_model
from followup.analysis.regression import regression_model
from followup.analysis.risk_factors import RiskFactor, risk_factors
from followup.io import RecordSet
from followup.study.plan import Plan
from followup.study.plan_schema import Endpoint, Reporting
from followup.study.schedule import CLASSIC, Schedule

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Definition:
    """What an endpoint counts, stated as a methods section states it."""

    origin: str
    events: tuple[str, ...]
    competing: tuple[str, ...]
    censoring: str
    population: str


@dataclass(frozen=True)
class EndpointResult:
    """One endpoint: its definition, who is in it, the overall figures and the comparisons."""

    name: str
    label: str
    kind: str  # "survival" (Kaplan-Meier) or "incidence" (Aalen-Johansen, competing risks)
    unit: str
    definition: Definition
    patients: int
    excluded: tuple[Exclusion, ...]
    overall: GroupEstimate
    comparisons: tuple[Comparison, ...]
    competing_event: str = ""  # the competing event's name(s), for an incidence endpoint


@dataclass(frozen=True)
class StudyResults:
    """Every number of a study's report, machine-readable (``to_json``)."""

    study: str
    records: int  # records, however many rows each has in the export
    source: str
    reporting: Reporting
    flow: Flow
    characteristics_label: str
    characteristics_patients: int
    characteristics: tuple[Characteristic, ...]
    endpoints: tuple[EndpointResult, ...]
    follow_up: FollowUpSummary | None
    risk_factors_for: str | None
    risk_factors: tuple[RiskFactor, ...]
    models: tuple[ModelResult, ...] = ()

    def endpoint(self, name: str) -> EndpointResult:
        """One endpoint's results by its plan name."""
        return next(e for e in self.endpoints if e.name == name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return _plain(dataclasses.asdict(self)) | {"reporting": self.reporting.model_dump()}

    def write_json(self, path: str | Path) -> Path:
        """results.json: every number, for R, pandas and the next tool."""
        path = Path(path)
        path.write_text(
            json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return path


def analyze(records: RecordSet, plan: Plan, *, schedule: Schedule = CLASSIC) -> StudyResults:
    """Compute flow, characteristics, every endpoint, follow-up and the risk-factor models.

    Each record is one patient however many rows it has (see study_data; ``schedule`` orders a
    longitudinal study's events).
    """
    data = study_data(records, plan, schedule=schedule)
    model, reporting = plan.model, plan.reporting
    flow, members = patient_flow(data)
    who = data.where(model.characteristics_of) & members["treated"]
    times = {
        name: endpoint_data(data, name, e, reporting.time_unit, _unit_days(reporting))
        for name, e in model.endpoints.items()
    }
    endpoints = tuple(
        _endpoint(data, e, times[name], reporting) for name, e in model.endpoints.items()
    )
    follow = None
    if model.follow_up is not None:
        months = endpoint_data(data, "follow_up", model.follow_up, "months", reporting.month_days)
        follow = follow_up(months, reporting.conf_level)
    target = model.risk_factors_for or next(iter(model.endpoints))
    factors: tuple[RiskFactor, ...] = ()
    if model.risk_factors:
        factors = risk_factors(data, times[target], list(model.risk_factors), reporting.conf_level)
    models = tuple(
        exposure_model(data, name, spec, times[spec.endpoint], reporting, _unit_days(reporting))
        if spec.method in ("time_dependent", "landmark")
        else regression_model(data, name, spec, times[spec.endpoint], reporting.conf_level)
        for name, spec in model.models.items()
    )
    return StudyResults(
        model.study,
        len(data.raw),
        records.source,
        reporting,
        flow,
        model.characteristics_label,
        int(who.sum()),
        characteristics(data, who, list(model.characteristics)),
        endpoints,
        follow,
        target if model.risk_factors else None,
        factors,
        models,
    )


def _unit_days(reporting: Reporting) -> float:
    return YEAR_DAYS if reporting.time_unit == "years" else reporting.month_days


def _endpoint(
    data: StudyData, endpoint: Endpoint, times: EndpointData, reporting: Reporting
) -> EndpointResult:
    estimate = incidence_estimates if times.competing else survival_estimates
    overall, comparisons = estimate(times, data, reporting, endpoint.compare_by)
    definition = Definition(
        endpoint.origin,
        tuple(f"{e.name} ({e.date})" for e in endpoint.events),
        tuple(f"{e.name} ({e.date})" for e in endpoint.competing),
        f"alive and event-free patients censored at {endpoint.censor}",
        endpoint.population or "all records",
    )
    return EndpointResult(
        times.name,
        endpoint.label,
        "incidence" if times.competing else "survival",
        times.unit,
        definition,
        len(times.time),
        times.excluded,
        overall,
        comparisons,
        " or ".join(e.name for e in endpoint.competing),
    )


def _plain(value: Any) -> Any:
    """NaN and infinities become null; numpy scalars become numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
