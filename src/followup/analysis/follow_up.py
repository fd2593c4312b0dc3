"""Follow-up as papers report it: median by reverse Kaplan-Meier, and the mean observation time."""

from __future__ import annotations

from dataclasses import dataclass

from followup.analysis.endpoints import EndpointData
from followup.survival import reverse_km_followup


@dataclass(frozen=True)
class FollowUpSummary:
    """Follow-up of one population, in the endpoint's unit (months)."""

    patients: int
    unit: str
    median_reverse_km: float | None
    lower: float | None
    upper: float | None
    mean: float
    median: float
    minimum: float
    maximum: float


def follow_up(endpoint: EndpointData, conf_level: float) -> FollowUpSummary | None:
    """Reverse KM (deaths censor follow-up: Schemper and Smith) plus plain summaries."""
    if not len(endpoint.time):
        return None
    result = reverse_km_followup(endpoint.time, endpoint.event, conf_level=conf_level).groups[0]

    def finite(value: float) -> float | None:
        return float(value) if value == value else None

    return FollowUpSummary(
        len(endpoint.time),
        endpoint.unit,
        finite(result.median),
        finite(result.lower),
        finite(result.upper),
        float(result.mean_time),
        float(result.median_time),
        float(result.min_time),
        float(result.max_time),
    )
