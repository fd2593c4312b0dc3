"""Median follow-up by reverse Kaplan-Meier against R: quantile(survfit(Surv(time, 1 - status)))."""

from __future__ import annotations

from typing import Any

import pytest

from followup.survival import reverse_km_followup
from tests.reference import assert_matches, cases, dataset

INPUTS = {
    "aml": ("aml", None),
    "lung_by_sex": ("lung", "sex"),
    "veteran": ("veteran", None),
}


@pytest.mark.parametrize("case", cases("kaplan_meier", "followup"), ids=lambda c: c["name"])
def test_reverse_km_median_and_observation_times_match_r(case: dict[str, Any]) -> None:
    name, group = INPUTS[case["name"]]
    data = dataset(name)
    summary = reverse_km_followup(
        data["time"], data["status"], group=data[group] if group else None
    )
    assert len(summary.groups) == len(case["curves"])
    for ours, expected in zip(summary.groups, case["curves"], strict=True):
        if expected["label"] is not None:
            assert str(ours.group) == expected["label"]
        for field in (
            "median",
            "lower",
            "upper",
            "mean_time",
            "median_time",
            "min_time",
            "max_time",
        ):
            assert_matches(getattr(ours, field), expected[field], what=field)
