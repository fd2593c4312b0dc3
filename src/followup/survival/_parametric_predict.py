"""Predictions of a fitted AFT model for covariate profiles: quantiles and survival at times.

Quantiles are R's ``predict(fit, newdata, type = "quantile", p = , se.fit = TRUE)``: the log
quantile x'β + σ w_p, its standard error from the variance of (β, log σ), and on the time scale
the estimate exp(·) with the delta-method SE (R's se/dtrans). Survival at t is 1 − F(z) at
z = (log t − x'β) / σ (R's ``1 - psurvreg``); R gives no interval for it, so the one here is the
usual delta method on the z scale, where the estimate is closest to normal: z ± q·se(z) mapped
through 1 − F, which keeps the limits within (0, 1).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._cox_design import Term
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike, as_vector
from followup.survival._parametric_distributions import Standard


@dataclass(frozen=True)
class Profiles:
    """Profiles as design rows (the intercept first) and the stratum index of each."""

    x: np.ndarray
    strata: np.ndarray


@dataclass(frozen=True)
class PredictedQuantiles:
    """Time quantiles per profile (rows) and probability (columns), with R's se.fit."""

    p: np.ndarray
    estimate: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray  # exp(log quantile ∓ q·se of the log quantile)
    upper: np.ndarray
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per profile and probability."""
        rows, cols = self.estimate.shape
        return pd.DataFrame(
            {
                "profile": np.repeat(np.arange(rows), cols),
                "p": np.tile(self.p, rows),
                "quantile": self.estimate.ravel(),
                "std_err": self.std_err.ravel(),
                "lower": self.lower.ravel(),
                "upper": self.upper.ravel(),
            }
        )


@dataclass(frozen=True)
class PredictedSurvival:
    """Survival probability per profile (rows) and time (columns), with delta-method limits."""

    times: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per profile and time."""
        rows, cols = self.survival.shape
        return pd.DataFrame(
            {
                "profile": np.repeat(np.arange(rows), cols),
                "time": np.tile(self.times, rows),
                "survival": self.survival.ravel(),
                "std_err": self.std_err.ravel(),
                "lower": self.lower.ravel(),
                "upper": self.upper.ravel(),
            }
        )


def profile_design(
    terms: tuple[Term, ...],
    profiles: Mapping[str, Any] | pd.DataFrame,
    stratum_labels: tuple[Hashable, ...],
    strata: ArrayLike | None,
) -> Profiles:
    """Design rows of the profiles with the fit's columns and reference levels."""
    frame = pd.DataFrame(dict(profiles)) if not isinstance(profiles, pd.DataFrame) else profiles
    n = len(frame)
    if n == 0:
        raise InputError("profiles", "profiles is empty: give at least one covariate profile")
    blocks = [np.ones((n, 1))]
    for term in terms:
        if term.name not in frame.columns:
            raise InputError(
                "profiles", f"profiles has no column {term.name}; give every covariate"
            )
        values = frame[term.name]
        if term.reference is None:
            numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            _reject(~np.isfinite(numeric), term.name, values, "a finite number")
            blocks.append(numeric[:, None])
            continue
        known = [term.reference, *term.levels]
        _reject(~values.isin(known).to_numpy(), term.name, values, f"one of {known}")
        blocks.append(np.column_stack([(values == level).to_numpy(float) for level in term.levels]))
    return Profiles(np.hstack(blocks), _profile_strata(stratum_labels, strata, n))


def _label(value: Any) -> str:
    """A label as the user wrote it: 3, 'oat' (not np.int64(3))."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _reject(bad: np.ndarray, name: str, values: pd.Series, expected: str) -> None:
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InputError(
            "profiles",
            f"profiles column {name} has {_label(values.iloc[position])} at position {position}; "
            f"expected {expected}, as in the data the model was fitted to",
            position,
        )


def _profile_strata(labels: tuple[Hashable, ...], strata: ArrayLike | None, n: int) -> np.ndarray:
    if len(labels) <= 1:
        if strata is not None:
            raise InputError("strata", "the model has a single scale, so give no strata")
        return np.zeros(n, dtype=np.intp)
    if strata is None:
        raise InputError(
            "strata",
            "the model has a scale per stratum; give each profile's stratum, one of "
            f"{list(labels)}",
        )
    values = pd.Series(as_vector(strata, "strata"))
    if len(values) != n:
        raise InputError("strata", f"strata has {len(values)} values for {n} profiles")
    bad = ~values.isin(list(labels)).to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InputError(
            "strata",
            f"strata has {_label(values.iloc[position])} at position {position}, not among the "
            f"model's strata {list(labels)}",
            position,
        )
    return np.array([labels.index(v) for v in values], dtype=np.intp)


def _gradient_scale(profiles: Profiles, values: np.ndarray, n_scales: int) -> np.ndarray:
    """Per profile and column of values, the derivative in each log σ (only its own stratum's)."""
    out = np.zeros((*values.shape, n_scales))
    if n_scales:  # none when the scale is fixed
        rows = np.arange(values.shape[0])
        out[rows, :, profiles.strata[rows]] = values
    return out


def _std_err(
    profiles: Profiles, variance: np.ndarray, x_gradient: np.ndarray, scale_gradient: np.ndarray
) -> np.ndarray:
    """sqrt(g'Vg) for g = (x_gradient per profile, scale_gradient per profile and column)."""
    rows, cols = scale_gradient.shape[:2]
    p = profiles.x.shape[1]
    gradient = np.concatenate(
        [np.broadcast_to(x_gradient[:, None, :], (rows, cols, p)), scale_gradient], axis=2
    )
    return np.sqrt(np.einsum("rci,ij,rcj->rc", gradient, variance, gradient))


def predict_quantiles(
    profiles: Profiles,
    coefficients: np.ndarray,
    scale: np.ndarray,
    variance: np.ndarray,
    standard: Standard,
    p: Sequence[float] | np.ndarray,
    z: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """R's predict.survreg(type = "quantile", se.fit = TRUE), and log-scale limits."""
    probs = np.asarray(p, dtype=float)
    w = standard.quantile(probs)
    sigma = scale[profiles.strata]
    log_quantile = (profiles.x @ coefficients)[:, None] + sigma[:, None] * w[None, :]
    n_scales = len(variance) - len(coefficients)
    scale_gradient = _gradient_scale(profiles, sigma[:, None] * w[None, :], n_scales)
    se_log = _std_err(profiles, variance, profiles.x, scale_gradient)
    estimate = np.exp(log_quantile)
    return (
        probs,
        estimate,
        se_log * estimate,
        np.exp(log_quantile - z * se_log),
        np.exp(log_quantile + z * se_log),
    )


def predict_survival(
    profiles: Profiles,
    coefficients: np.ndarray,
    scale: np.ndarray,
    variance: np.ndarray,
    standard: Standard,
    times: np.ndarray,
    z: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """1 − F((log t − x'β) / σ) with the delta method on the z scale."""
    sigma = scale[profiles.strata][:, None]
    standardised = (np.log(times)[None, :] - (profiles.x @ coefficients)[:, None]) / sigma
    n_scales = len(variance) - len(coefficients)
    scale_gradient = _gradient_scale(profiles, -standardised, n_scales)
    se_z = _std_err(profiles, variance, -profiles.x / sigma, scale_gradient)
    return (
        standard.survival(standardised),
        standard.density(standardised) * se_z,
        standard.survival(standardised + z * se_z),
        standard.survival(standardised - z * se_z),
    )
