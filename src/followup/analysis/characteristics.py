"""Table 1: the characteristics of a population, n (%) for categories and median (range) else."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from followup.analysis.dataset import StudyData


@dataclass(frozen=True)
class Level:
    """One category: how many patients, and their share of those with a known value."""

    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class Characteristic:
    """One row group of Table 1; continuous variables carry median and range instead of levels."""

    variable: str
    label: str
    kind: str
    known: int
    missing: int
    levels: tuple[Level, ...]
    median: float | None
    minimum: float | None
    maximum: float | None


def characteristics(
    data: StudyData, who: pd.Series, names: list[str]
) -> tuple[Characteristic, ...]:
    """Each planned variable over the records where ``who`` is true."""
    rows = []
    for name in names:
        variable = data.variable(name)
        column = data.column(name)[who]
        if variable.kind == "continuous":
            values = column.dropna().to_numpy(float)
            rows.append(
                Characteristic(
                    name,
                    variable.label,
                    "continuous",
                    len(values),
                    int(column.isna().sum()),
                    (),
                    *_median_range(values),
                )
            )
            continue
        known = column[column != ""]
        levels = tuple(
            Level(
                lv,
                int((known == lv).sum()),
                100 * float((known == lv).mean()) if len(known) else 0.0,
            )
            for lv in variable.levels
        )
        rows.append(
            Characteristic(
                name,
                variable.label,
                "categorical",
                len(known),
                int((column == "").sum()),
                levels,
                None,
                None,
                None,
            )
        )
    return tuple(rows)


def _median_range(values: np.ndarray) -> tuple[float | None, float | None, float | None]:
    if not len(values):
        return None, None, None
    return float(np.median(values)), float(values.min()), float(values.max())
