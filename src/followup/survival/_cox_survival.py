"""Survival curves predicted by a Cox model for covariate profiles, as R's ``survfit(coxph)``."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._confidence import (
    UNDEFINED_INTERVAL,
    ConfType,
    check_conf,
    survival_interval,
)
from followup.survival._cox import CoxModel
from followup.survival._cox_survival_baseline import BaselineHazard, baseline_hazard, profile_design
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike
from followup.survival._kaplan_meier import _counts_between, _requested_times


@dataclass(frozen=True)
class CoxSurvivalCurve:
    """The predicted survival of one profile (in one stratum): a row at each time of the fit.

    ``log_std_err`` is the SE of the profile's cumulative hazard (R's ``survfit(fit)$std.err``),
    which includes the uncertainty in β; ``std_err`` that of S (R's ``summary()$std.err``).
    """

    profile: Hashable
    stratum: int | None  # position of the stratum among the model's strata levels, as R orders them
    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    cumulative_hazard: np.ndarray
    survival: np.ndarray
    log_std_err: np.ndarray
    lower: np.ndarray  # confidence limits of S, R's conf.type transform of (S, SE(H))
    upper: np.ndarray
    conf_type: ConfType
    conf_level: float

    @property
    def std_err(self) -> np.ndarray:
        """Standard error of S: S · SE(H)."""
        return self.survival * self.log_std_err

    @property
    def notes(self) -> tuple[str, ...]:
        """Why some values are NaN, where any are."""
        return (UNDEFINED_INTERVAL[self.conf_type],) if np.isnan(self.lower).any() else ()

    def survival_at(self, times: ArrayLike) -> CoxSurvivalCurve:
        """The curve read at the given times, as ``summary(survfit(fit, newdata), times=)``.

        Each value is the last estimate at or before t; ``events`` and ``censored`` count exits
        since the previous requested time, ``at_risk`` the (weighted) subjects with time ≥ t. A
        time past the last follow-up of the curve's stratum is an error.
        """
        requested = _requested_times(times, "times")
        if len(self.time) and requested.max() > self.time[-1]:
            raise InputError(
                "times",
                f"time {requested.max():g} is beyond the last follow-up ({self.time[-1]:g})"
                f"{'' if self.stratum is None else f' of stratum {self.stratum}'}; ask for times "
                "up to it",
            )
        last_row = np.searchsorted(self.time, requested, side="right") - 1
        row = np.maximum(last_row, 0)
        before = last_row < 0
        hazard = np.where(before, 0.0, self.cumulative_hazard[row])
        first_row = np.searchsorted(self.time, requested, side="left")
        # Before the first time R reads survfit0's inserted time-0 row, whose limits are 1.
        return CoxSurvivalCurve(
            self.profile,
            self.stratum,
            requested,
            np.concatenate((self.at_risk, [0.0]))[first_row],
            _counts_between(self.events, last_row),
            _counts_between(self.censored, last_row),
            hazard,
            np.exp(-hazard),
            np.where(before, 0.0, self.log_std_err[row]),
            np.where(before, 1.0, self.lower[row]),
            np.where(before, 1.0, self.upper[row]),
            self.conf_type,
            self.conf_level,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per time: R's survfit columns for this profile."""
        frame = pd.DataFrame(
            {
                "time": self.time,
                "at_risk": self.at_risk,
                "events": self.events,
                "censored": self.censored,
                "cumulative_hazard": self.cumulative_hazard,
                "survival": self.survival,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )
        frame.insert(0, "profile", [self.profile] * len(frame))
        if self.stratum is not None:
            frame.insert(0, "stratum", [self.stratum] * len(frame))
        return frame


@dataclass(frozen=True)
class CoxSurvival:
    """All predicted curves of one call: one per profile within each stratum of the model."""

    curves: tuple[CoxSurvivalCurve, ...]

    def curve(self, profile: Hashable, stratum: int | None = None) -> CoxSurvivalCurve:
        """The curve of one profile (by its row label in ``profiles``) and stratum."""
        matches = [
            c
            for c in self.curves
            if c.profile == profile and (stratum is None or c.stratum == stratum)
        ]
        if len(matches) != 1:
            known = ", ".join(repr((c.stratum, c.profile)) for c in self.curves)
            raise InputError(
                "profile",
                f"no single curve for profile={profile!r}, stratum={stratum!r}; curves "
                f"(stratum, profile): {known}",
            )
        return matches[0]

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked, with profile (and stratum) columns."""
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


def cox_survival(
    model: CoxModel,
    profiles: pd.DataFrame | Mapping[str, Any],
    *,
    times: ArrayLike | None = None,
    conf_level: float = 0.95,
    conf_type: ConfType = "log",
) -> CoxSurvival:
    """Survival curves of a fitted Cox model for covariate profiles; matches R's ``survfit(coxph)``.

    R's ``survfit(fit, newdata = profiles)`` with its defaults: the baseline cumulative hazard is
    Breslow's for a Breslow fit and Efron's tie-corrected one for an Efron fit (ctype 2);
    S(t | x) = exp(−H₀(t)·exp(xβ)). Var H(t | x) = r²·(Σ dΛ-variance + dᵀ V d) with
    d(t) = Σ_{t_i ≤ t} (x − x̄(t_i)) dH₀(t_i), so the SE carries the uncertainty in β
    (Tsiatis 1981; Therneau & Grambsch 2000, §10.2). V is the robust variance for a model with
    ``cluster``, as R's. A stratified model gives one curve per stratum and profile (R's answer
    when ``newdata`` has no strata variable). ``times`` reads the curves at those times, as
    ``summary(..., times=)``; profiles hold the model's covariates, text levels included.
    """
    check_conf(conf_type, conf_level)
    x2 = profile_design(model, profiles, "profiles")
    labels = _profile_labels(profiles, len(x2))
    variance = model.robust_variance if _robust(model) else model.variance
    curves = []
    for baseline in baseline_hazard(model):
        for label, x in zip(labels, x2, strict=True):
            fit = (model.coefficients, variance)
            curve = _profile_curve(baseline, x, fit, label, (conf_type, conf_level))
            curves.append(curve if times is None else curve.survival_at(times))
    return CoxSurvival(tuple(curves))


def _profile_curve(
    baseline: BaselineHazard,
    x: np.ndarray,
    fit: tuple[np.ndarray, np.ndarray],
    label: Hashable,
    options: tuple[ConfType, float],
) -> CoxSurvivalCurve:
    """R's coxsurv.fit expand(): the profile's H, S and SE(H) at every time of the stratum.

    x is the profile's centred design row; the baseline is at the centre, scaled by the same
    exp(−shift) as its hazard so that the shift cancels.
    """
    beta, variance = fit
    risk = np.exp(x @ beta - baseline.shift)
    cumulative = baseline.cumulative_hazard
    d = np.multiply.outer(cumulative, x) - baseline.cumulative_mean  # (m, p)
    quadratic = np.einsum("ij,jk,ik->i", d, variance, d)
    log_std_err = np.sqrt(baseline.cumulative_variance + quadratic) * risk
    hazard = cumulative * risk
    survival = np.exp(-hazard)
    lower, upper = survival_interval(survival, log_std_err, *options)
    return CoxSurvivalCurve(
        label, baseline.stratum, baseline.time, baseline.at_risk, baseline.events,
        baseline.censored, hazard, survival, log_std_err, lower, upper, *options,
    )  # fmt: skip


def _robust(model: CoxModel) -> bool:
    """Whether R's fit$var is the sandwich: with cluster=, or weights that are not whole numbers."""
    weights = model._data.weights
    fractional = not model._data.unit_weights and bool(np.any(weights != np.round(weights)))
    return model.clusters is not None or fractional


def _profile_labels(profiles: pd.DataFrame | Mapping[str, Any], n: int) -> list[Hashable]:
    if isinstance(profiles, pd.DataFrame):
        return list(profiles.index)
    return list(range(n))
