"""Univariable Cox models for the candidate risk factors, one model per factor."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.analysis.dataset import StudyData
from followup.analysis.endpoints import EndpointData
from followup.survival import SurvivalError, cox_ph


@dataclass(frozen=True)
class HazardRatio:
    """One level against the reference: HR with its limits and Wald p."""

    level: str
    patients: int
    events: int
    hazard_ratio: float
    lower: float
    upper: float
    p: float


@dataclass(frozen=True)
class RiskFactor:
    """One factor's model: reference level, each level's HR, likelihood-ratio p, or why not."""

    variable: str
    label: str
    reference: str
    reference_patients: int
    reference_events: int
    patients: int
    ratios: tuple[HazardRatio, ...]
    likelihood_ratio_p: float | None
    note: str


def risk_factors(
    data: StudyData, endpoint: EndpointData, names: list[str], conf_level: float
) -> tuple[RiskFactor, ...]:
    """Fit ``Surv(time, event) ~ factor`` (Efron ties) for each factor, complete cases only."""
    return tuple(_one(data, endpoint, name, conf_level) for name in names)


def _one(data: StudyData, endpoint: EndpointData, name: str, conf_level: float) -> RiskFactor:
    variable = data.variable(name)
    labels = data.column(name).reindex(endpoint.frame.index).fillna("")
    present = [lv for lv in variable.levels if (labels == lv).any()]
    mask = labels.isin(present).to_numpy()
    time, event = endpoint.time[mask], (endpoint.event[mask] == 1).astype(int)
    group = labels[mask].to_numpy()
    counts = {lv: (int((group == lv).sum()), int(event[group == lv].sum())) for lv in present}
    reference = present[0] if present else ""
    base = RiskFactor(
        name,
        variable.label,
        reference,
        *counts.get(reference, (0, 0)),
        int(mask.sum()),
        (),
        None,
        "",
    )
    missing = int((~mask).sum())
    note = (
        f"{missing} patient(s) without a value for “{variable.label}” are left out; "
        if missing
        else ""
    )
    if len(present) < 2:
        return _replace(base, note + "only one level has patients: no model")
    try:
        model = cox_ph(
            time, event, {name: group}, reference={name: reference}, conf_level=conf_level
        )
    except SurvivalError as error:  # no events, separation, collinearity: said, not hidden
        return _replace(base, note + f"not estimable: {error}")
    frame = model.to_frame()
    ratios = tuple(
        HazardRatio(str(level), *counts[str(level)], float(hr), float(low), float(high), float(p))
        for level, hr, low, high, p in zip(
            model.terms[0].levels,
            frame["hazard_ratio"].to_numpy(float),
            frame["lower"].to_numpy(float),
            frame["upper"].to_numpy(float),
            frame["p"].to_numpy(float),
            strict=True,
        )
    )
    ordered = tuple(sorted(ratios, key=lambda r: present.index(r.level)))
    p = float(model.likelihood_ratio.p) if np.isfinite(model.likelihood_ratio.p) else None
    return RiskFactor(
        name,
        variable.label,
        reference,
        *counts[reference],
        int(mask.sum()),
        ordered,
        p,
        note.rstrip("; "),
    )


def _replace(base: RiskFactor, note: str) -> RiskFactor:
    return RiskFactor(
        base.variable,
        base.label,
        base.reference,
        base.reference_patients,
        base.reference_events,
        base.patients,
        (),
        None,
        note.rstrip("; "),
    )
