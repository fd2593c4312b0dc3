"""Adjusted survival curves by direct standardisation (the g-formula) over a Cox model."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from followup.survival._cox import CoxModel
from followup.survival._cox_design import Term
from followup.survival._cox_survival_baseline import BaselineHazard, baseline_hazard, profile_design
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike
from followup.survival._kaplan_meier import _requested_times


@dataclass(frozen=True)
class AdjustedCurve:
    """The mean predicted survival of every row of the data, with the variable set to one level."""

    level: Hashable
    time: np.ndarray
    survival: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per time."""
        return pd.DataFrame(
            {"level": [self.level] * len(self.time), "time": self.time, "survival": self.survival}
        )


@dataclass(frozen=True)
class AdjustedSurvival:
    """One standardised curve per level of the variable, over the same rows and times."""

    variable: str
    subjects: int
    curves: tuple[AdjustedCurve, ...]

    def curve(self, level: Hashable) -> AdjustedCurve:
        """The curve of one level."""
        for curve in self.curves:
            if curve.level == level:
                return curve
        known = [c.level for c in self.curves]
        raise InputError("level", f"no curve for level {level!r}; levels: {known}")

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked: level, time, survival."""
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


def adjusted_survival(
    model: CoxModel,
    data: pd.DataFrame,
    *,
    variable: str,
    levels: Sequence[Hashable] | None = None,
    times: ArrayLike | None = None,
) -> AdjustedSurvival:
    """Direct standardisation: S_a(t) = mean over rows i of S(t | x_i with variable = a).

    The marginal ("g-formula") curve of each level a: every row of ``data`` keeps its other
    covariates, takes ``variable = a``, and its Cox-predicted survival is averaged over the rows.
    Matches R by hand, ``colMeans(t(summary(survfit(fit, newdata = d_a), times = )$surv))``,
    which is what adjustedCurves' method "direct" computes for a coxph model (Makuch 1982).
    ``levels`` defaults to the model's levels of a categorical covariate (reference first); a
    numeric one needs them named. ``times`` defaults to every distinct time of the fit.
    Stratified models are not supported yet: each row would need its stratum.
    """
    baselines = baseline_hazard(model)
    if len(baselines) > 1:
        raise InputError(
            "model",
            "adjusted_survival works on unstratified Cox models only so far; put the stratifying "
            "variable in the model as a covariate, or standardise within each stratum",
        )
    (baseline,) = baselines
    term = _term_named(model, variable)
    chosen = _levels(term.reference, term.levels, levels, variable)
    if not isinstance(data, pd.DataFrame) or len(data) == 0:
        raise InputError("data", "data must be a non-empty DataFrame of the model's covariates")
    requested = baseline.time if times is None else _requested_times(times, "times")
    if len(requested) and requested.max() > baseline.time[-1]:
        raise InputError(
            "times",
            f"time {requested.max():g} is beyond the last follow-up ({baseline.time[-1]:g}) of "
            "the model's data; ask for times up to it",
        )
    hazard = _baseline_at(baseline, requested)
    curves = []
    for level in chosen:
        rows = data.copy()
        rows[variable] = np.full(len(data), level)
        x = profile_design(model, rows, "data")
        risk = np.exp(x @ model.coefficients - baseline.shift)
        curves.append(AdjustedCurve(level, requested, mean_survival(hazard, risk)))
    return AdjustedSurvival(variable, len(data), tuple(curves))


def mean_survival(hazard: np.ndarray, risk: np.ndarray) -> np.ndarray:
    """Σ_i exp(−H₀(t)·r_i) / n at each time, over row chunks that keep the matrix small."""
    total = np.zeros(len(hazard))
    step = max(1, _CHUNK_CELLS // max(len(hazard), 1))
    for lo in range(0, len(risk), step):
        total += np.exp(-np.multiply.outer(hazard, risk[lo : lo + step])).sum(axis=1)
    return total / len(risk)


_CHUNK_CELLS = 1 << 20


def _baseline_at(baseline: BaselineHazard, times: np.ndarray) -> np.ndarray:
    row = np.searchsorted(baseline.time, times, side="right") - 1
    return np.where(row < 0, 0.0, baseline.cumulative_hazard[np.maximum(row, 0)])


def _term_named(model: CoxModel, variable: str) -> Term:
    for term in model.terms:
        if term.name == variable:
            return term
    names = ", ".join(t.name for t in model.terms)
    raise InputError("variable", f"variable {variable!r} is not a covariate of the model ({names})")


def _levels(
    reference: Hashable | None,
    model_levels: tuple[Hashable, ...],
    levels: Sequence[Hashable] | None,
    variable: str,
) -> list[Hashable]:
    if levels is not None:
        chosen = list(levels)
        if not chosen:
            raise InputError("levels", "levels is empty: give at least one level to standardise to")
        return chosen
    if reference is None:
        raise InputError(
            "levels",
            f"{variable} is numeric: name the values to standardise to, e.g. levels=[40, 80]",
        )
    return [reference, *model_levels]
