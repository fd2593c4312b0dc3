"""A Cox fit's baseline cumulative hazard and the design rows of new profiles, as R's agsurv.

The baseline is computed from the fit's own sorted data (``CoxModel._data``): one pass of per-row
products, ``np.add.reduceat`` over each distinct (stratum, time), reverse cumulative sums for the
risk sets. Efron's hazard spreads a time's d tied deaths over d terms (R's agsurv5.c), laid end
to end over all death times and summed with one more reduceat.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._cox import CoxModel
from followup.survival._cox_design import Term
from followup.survival._cox_likelihood import CoxData, linear_predictor
from followup.survival._errors import InputError


@dataclass(frozen=True)
class BaselineHazard:
    """One stratum's baseline (at the centre of the covariates) at each of its distinct times.

    The hazard is that of risk scores exp(xβ − shift): multiply a profile's exp(xβ) by
    exp(−shift) and the shift cancels (it keeps exp() finite for large linear predictors).
    """

    stratum: int | None
    time: np.ndarray
    at_risk: np.ndarray  # Σ w over rows with time ≥ t (R's n.risk)
    events: np.ndarray  # Σ w over deaths at t
    censored: np.ndarray  # Σ w over censorings at t
    cumulative_hazard: np.ndarray  # H₀(t)
    cumulative_variance: np.ndarray  # Σ_{t_i ≤ t} Var dH₀(t_i), without the β term
    cumulative_mean: np.ndarray  # (m, p) Σ_{t_i ≤ t} x̄(t_i) dH₀(t_i), x centred
    shift: float


# exp(xβ − shift) stays finite and far from underflow for |xβ − shift| below this.
_SAFE_LINEAR_PREDICTOR = 300.0


def baseline_hazard(model: CoxModel) -> tuple[BaselineHazard, ...]:
    """R's agsurv for each stratum: Breslow for a Breslow fit, Efron's (ctype 2) for an Efron fit.

    Breslow: dH₀ = d_w/R₀, Var = d_w/R₀², x̄ dH₀ = (R₁/R₀)·dH₀, with d_w the weighted deaths,
    R₀ = Σ w·r and R₁ = Σ w·r·x over the risk set. Efron, for d death rows of risk D₀ = Σ w·r:
    dH₀ = d_w/d · Σ_{k<d} 1/(R₀ − k/d·D₀), Var = d_w/d · Σ_k 1/(R₀ − k/d·D₀)², and
    x̄ dH₀ = d_w/d · Σ_k (R₁ − k/d·D₁)/(R₀ − k/d·D₀)².
    """
    _refuse_counting_process(model)
    data = model._data
    p = data.n_covariates
    eta = linear_predictor(data, model.coefficients)
    largest = float(eta.max())
    shift = largest if largest > _SAFE_LINEAR_PREDICTOR else 0.0
    sums = _per_time_sums(data, eta, shift)
    risk, risk_x, weight = sums[:, 0], sums[:, 1 : 1 + p], sums[:, 1 + p]
    dead_weight, dead_risk = sums[:, 2 + p], sums[:, 3 + p]
    dead_risk_x, dead_rows = sums[:, 4 + p : 4 + 2 * p], sums[:, 4 + 2 * p]
    bounds = data.strata_bounds
    at_risk = _reverse_cumsum_within(np.column_stack((risk, risk_x, weight)), bounds)
    r0, r1, n_risk = at_risk[:, 0], at_risk[:, 1 : 1 + p], at_risk[:, 1 + p]
    if model.ties == "efron":
        hazard, variance, mean = _efron_steps(
            r0, r1, (dead_weight, dead_risk, dead_risk_x), dead_rows
        )
    else:
        hazard = dead_weight / r0
        variance = hazard / r0
        mean = r1 / r0[:, None] * hazard[:, None]
    cumulative = _cumsum_within(np.column_stack((hazard, variance, mean)), bounds)
    strata = len(bounds) - 1
    return tuple(
        BaselineHazard(
            None if strata == 1 else s,
            data.tie_time[lo:hi],
            n_risk[lo:hi],
            dead_weight[lo:hi],
            weight[lo:hi] - dead_weight[lo:hi],
            cumulative[lo:hi, 0],
            cumulative[lo:hi, 1],
            cumulative[lo:hi, 2:],
            shift,
        )
        for s, (lo, hi) in enumerate(itertools.pairwise(bounds))
    )


def _per_time_sums(data: CoxData, eta: np.ndarray, shift: float) -> np.ndarray:
    """Per distinct (stratum, time): Σ r, Σ r·x, Σ w, Σ w·δ, Σ r·δ, Σ r·x·δ, Σ δ.

    r = w·exp(η − shift), δ = 1 for a death.
    """
    p = data.n_covariates
    died = data.event.astype(np.float64)
    risk = np.exp(eta - shift)
    risk *= data.weights
    rows = np.empty((len(risk), 5 + 2 * p))
    rows[:, 0] = risk
    rows[:, 1 : 1 + p] = (data.x * risk).T
    rows[:, 1 + p] = data.weights
    rows[:, 2 + p] = data.weights * died
    rows[:, 3 + p] = risk * died
    rows[:, 4 + p : 4 + 2 * p] = rows[:, 1 : 1 + p] * died[:, None]
    rows[:, 4 + 2 * p] = died
    return np.add.reduceat(rows, data.tie_start, axis=0)


def _efron_steps(
    r0: np.ndarray,
    r1: np.ndarray,
    dying: tuple[np.ndarray, np.ndarray, np.ndarray],
    dead_rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Efron's baseline increments (R's agsurv5.c), all death times' terms at once."""
    dead_weight, d0, d1 = dying
    hazard = np.zeros(len(r0))
    variance = np.zeros(len(r0))
    mean = np.zeros_like(r1)
    times = np.flatnonzero(dead_rows > 0)
    if len(times) == 0:
        return hazard, variance, mean
    counts = np.rint(dead_rows[times]).astype(np.int64)
    starts = np.cumsum(counts) - counts
    q = (np.arange(int(counts.sum())) - np.repeat(starts, counts)) / np.repeat(counts, counts)
    inverse = 1.0 / (np.repeat(r0[times], counts) - q * np.repeat(d0[times], counts))
    inverse2 = inverse * inverse
    summed = np.add.reduceat(np.column_stack((inverse, inverse2, q * inverse2)), starts, axis=0)
    scale = dead_weight[times] / counts  # d_w / d
    hazard[times] = scale * summed[:, 0]
    variance[times] = scale * summed[:, 1]
    mean[times] = scale[:, None] * (r1[times] * summed[:, 1, None] - d1[times] * summed[:, 2, None])
    return hazard, variance, mean


def _reverse_cumsum_within(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    result = np.empty_like(values)
    for lo, hi in itertools.pairwise(bounds):
        result[lo:hi] = np.cumsum(values[lo:hi][::-1], axis=0)[::-1]
    return result


def _cumsum_within(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    result = np.empty_like(values)
    for lo, hi in itertools.pairwise(bounds):
        result[lo:hi] = np.cumsum(values[lo:hi], axis=0)
    return result


def _refuse_counting_process(model: CoxModel) -> None:
    if model._data.entry is not None:
        raise InputError(
            "model",
            "the model was fitted to (start, time] intervals; predicted survival curves are "
            "available for right-censored fits only so far (R needs survfit's id= for them)",
        )


def covariate_centre(model: CoxModel) -> np.ndarray:
    """The (weighted) covariate means the fit's sorted x was centred by (R's ``fit$means``)."""
    centre = model._data.centre
    if centre is None:
        raise InputError(
            "model",
            "this CoxModel does not record the means its covariates were centred by, which "
            "predictions for new profiles need; refit it with this version of cox_ph",
        )
    return np.asarray(centre, dtype=np.float64)


def profile_design(
    model: CoxModel, profiles: pd.DataFrame | Mapping[str, Any], argument: str
) -> np.ndarray:
    """(rows, p) design of new covariate rows, built as the model's terms built its columns.

    Numbers stay; a categorical covariate becomes its indicators against the model's reference,
    and a level the model never saw is an error (as R's ``model.frame(xlev=)``). Centred by the
    fit's covariate means, as the fit's own rows are.
    """
    frame = _as_frame(profiles, argument)
    missing = [t.name for t in model.terms if t.name not in frame.columns]
    if missing:
        raise InputError(
            argument,
            f"{argument} has no column {', '.join(map(repr, missing))}; give a value of every "
            f"covariate of the model ({', '.join(t.name for t in model.terms)})",
        )
    columns = [column for term in model.terms for column in _term_columns(term, frame, argument)]
    design = np.column_stack(columns) if columns else np.zeros((len(frame), 0))
    return design - covariate_centre(model)


def _as_frame(profiles: pd.DataFrame | Mapping[str, Any], argument: str) -> pd.DataFrame:
    if isinstance(profiles, pd.DataFrame):
        frame = profiles
    elif isinstance(profiles, Mapping):
        try:
            frame = pd.DataFrame({str(k): np.atleast_1d(v) for k, v in profiles.items()})
        except ValueError as error:
            raise InputError(argument, f"{argument} columns differ in length ({error})") from None
    else:
        raise InputError(
            argument,
            f"{argument} must be a DataFrame (or a mapping of columns) of covariate values, "
            f"got {type(profiles).__name__}",
        )
    if len(frame) == 0:
        raise InputError(argument, f"{argument} has no rows: give at least one covariate profile")
    return frame


def _term_columns(term: Term, frame: pd.DataFrame, argument: str) -> list[np.ndarray]:
    values = frame[term.name]
    if term.reference is None:  # a numeric covariate
        kind = np.asarray(values).dtype.kind
        if kind not in "iuf":
            raise InputError(
                term.name,
                f"{argument} column {term.name} must be numeric, as in the model; got dtype "
                f"{np.asarray(values).dtype}",
            )
        numeric = np.asarray(values, dtype=np.float64)
        bad = ~np.isfinite(numeric)
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            raise InputError(
                term.name,
                f"{argument} column {term.name} has a missing or infinite value at position "
                f"{position}; give every profile a value",
                position,
            )
        return [numeric]
    series = pd.Series(np.asarray(values, dtype=object), copy=False)
    known = [term.reference, *term.levels]
    unknown = ~series.isin(known).to_numpy()
    if unknown.any():
        position = int(np.flatnonzero(unknown)[0])
        raise InputError(
            term.name,
            f"{argument} column {term.name} has the level {series.iloc[position]!r} at position "
            f"{position}, which the model did not see; its levels are {known}",
            position,
        )
    return [(series == level).to_numpy(dtype=np.float64) for level in term.levels]
