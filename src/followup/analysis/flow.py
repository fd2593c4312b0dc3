"""The patient flow: the treated cohort, then each planned step, broken down as the plan says."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from followup.analysis.characteristics import Level
from followup.analysis.dataset import StudyData


@dataclass(frozen=True)
class Breakdown:
    """A step's patients by one variable."""

    variable: str
    label: str
    levels: tuple[Level, ...]


@dataclass(frozen=True)
class FlowStep:
    """How many of the previous step reached this one, and their share of the treated cohort."""

    name: str
    count: int
    of_previous: int
    percent_of_treated: float
    breakdowns: tuple[Breakdown, ...]


@dataclass(frozen=True)
class Flow:
    """Treated, then each step."""

    treated: int
    steps: tuple[FlowStep, ...]


def patient_flow(data: StudyData) -> tuple[Flow, dict[str, pd.Series]]:
    """Counts of every step, and who is in each (for the tables that follow a step)."""
    population = data.plan.model.population
    current = data.where(population.treated)
    treated = int(current.sum())
    members = {"treated": current}
    steps = []
    for step in population.flow:
        reached = current & data.where(step.when)
        breakdowns = tuple(_breakdown(data, name, reached) for name in step.by)
        steps.append(
            FlowStep(
                step.name,
                int(reached.sum()),
                int(current.sum()),
                100 * int(reached.sum()) / treated if treated else 0.0,
                breakdowns,
            )
        )
        members[step.name] = reached
        current = reached
    return Flow(treated, tuple(steps)), members


def _breakdown(data: StudyData, name: str, who: pd.Series) -> Breakdown:
    variable = data.variable(name)
    column = data.column(name)[who]
    total = int(who.sum())
    levels = tuple(
        Level(
            lv, int((column == lv).sum()), 100 * int((column == lv).sum()) / total if total else 0.0
        )
        for lv in variable.levels
    )
    unknown = int((column == "").sum())
    if unknown:
        levels = (*levels, Level("unknown", unknown, 100 * unknown / total))
    return Breakdown(name, variable.label, levels)
