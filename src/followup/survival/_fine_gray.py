"""Fine–Gray subdistribution hazards regression, as cmprsk's crr: front door, result, prediction.

With competing risks a Cox model of the cause-specific hazard does not say how a covariate moves
the cumulative incidence; the subdistribution hazard does (Fine & Gray, JASA 1999;94:496), which
is why relapse after transplant is reported with it beside death in remission.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from followup.survival._confidence import z_value
from followup.survival._cox import ChiSquareTest, wald_statistic
from followup.survival._cox_design import Term, build_design
from followup.survival._cox_newton import covariate_scale
from followup.survival._errors import InputError
from followup.survival._fine_gray_newton import FineGrayControl, fit_newton, scaled_inverse
from followup.survival._fine_gray_sums import (
    baseline_jumps,
    loglik_only,
    prepare,
    sandwich_middle,
)
from followup.survival._inputs import ArrayLike, as_event_codes, as_times, factorize


@dataclass(frozen=True)
class FineGrayModel:
    """A fitted Fine–Gray model: what ``crr`` returns and ``summary(crr)`` prints."""

    columns: tuple[str, ...]
    terms: tuple[Term, ...]
    coefficients: np.ndarray
    variance: np.ndarray  # crr's var: the sandwich H⁻¹ (Σ (η + ψ)(η + ψ)ᵀ) H⁻¹
    information: np.ndarray  # crr's inf: minus the second derivative of the pseudo-loglik
    score: np.ndarray  # crr's score at the last iterate
    loglik: float  # crr's loglik: the pseudo-log-likelihood at the estimate
    loglik_null: float  # crr's loglik.null: at β = 0
    failure_time: np.ndarray  # crr's uftime: distinct times of the cause's failures
    baseline_jumps: (
        np.ndarray
    )  # crr's bfitj: jumps of the baseline cumulative subdistribution hazard
    cause: int
    subjects: int
    events: int  # failures from the cause
    competing: int  # failures from other causes
    censored: int
    iterations: int  # Newton steps taken (crr does not report them)
    conf_level: float

    @property
    def std_err(self) -> np.ndarray:
        """crr's standard errors, sqrt(diag(var))."""
        return np.sqrt(np.diag(self.variance))

    @property
    def hazard_ratio(self) -> np.ndarray:
        """Subdistribution hazard ratios exp(coef)."""
        return np.exp(self.coefficients)

    @property
    def wald(self) -> ChiSquareTest:
        """Wald test of all coefficients with crr's variance, β' V⁻¹ β (as cox_ph's)."""
        return ChiSquareTest.of(wald_statistic(self.coefficients, self.variance), len(self.columns))

    @property
    def likelihood_ratio(self) -> ChiSquareTest:
        """summary(crr)'s pseudo likelihood ratio test, −2(loglik.null − loglik)."""
        return ChiSquareTest.of(2 * (self.loglik - self.loglik_null), len(self.columns))

    def hazard_ratio_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """summary(crr)'s limits exp(coef ± z·se)."""
        z = z_value(self.conf_level)
        return (
            np.exp(self.coefficients - z * self.std_err),
            np.exp(self.coefficients + z * self.std_err),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per design column: summary(crr)'s coef and conf.int tables side by side."""
        lower, upper = self.hazard_ratio_interval()
        z = self.coefficients / self.std_err
        reference = {c: t.reference for t in self.terms for c in t.columns}
        return pd.DataFrame(
            {
                "term": list(self.columns),
                "reference": [reference[c] for c in self.columns],
                "coef": self.coefficients,
                "hazard_ratio": self.hazard_ratio,
                "std_err": self.std_err,
                "z": z,
                "p": 2 * norm.sf(np.abs(z)),
                "lower": lower,
                "upper": upper,
            }
        )

    def predict(self, profiles: pd.DataFrame) -> pd.DataFrame:
        """Cumulative incidence of the cause for covariate profiles; matches ``predict.crr``.

        ``profiles`` has one row per profile and the covariates as they were given to
        ``fine_gray`` (text levels, not indicators). The result has a ``time`` column (crr's
        uftime) and one column per profile, named by the profile's index label:
        1 − exp(−exp(zβ)·Λ₀(t)).
        """
        design = profile_design(self.terms, profiles)
        cumulative_hazard = np.cumsum(self.baseline_jumps)
        incidence = 1 - np.exp(-np.outer(cumulative_hazard, np.exp(design @ self.coefficients)))
        frame = pd.DataFrame(incidence, columns=list(profiles.index))
        frame.insert(0, "time", self.failure_time)
        return frame


def profile_design(terms: tuple[Term, ...], profiles: pd.DataFrame) -> np.ndarray:
    """The design matrix of new covariate rows, with the fitted model's levels and references."""
    if not isinstance(profiles, pd.DataFrame) or len(profiles) == 0:
        raise InputError("profiles", "profiles must be a DataFrame with one row per profile")
    blocks = []
    for term in terms:
        if term.name not in profiles.columns:
            raise InputError(
                "profiles",
                f"profiles has no column {term.name!r}; give every covariate of the model "
                f"({', '.join(t.name for t in terms)})",
            )
        values = profiles[term.name].to_numpy()
        if not term.levels:
            blocks.append(np.asarray(values, dtype=np.float64)[:, None])
            continue
        known = {term.reference, *term.levels}
        unknown = [v for v in values if v not in known]
        if unknown:
            raise InputError(
                "profiles",
                f"profiles has level {unknown[0]!r} of {term.name}, which the model did not see; "
                f"use one of {sorted(map(str, known))}",
            )
        blocks.append(np.column_stack([values == level for level in term.levels]).astype(float))
    design = np.hstack(blocks)
    if not np.all(np.isfinite(design)):
        raise InputError("profiles", "profiles has missing or infinite covariate values")
    return design


def fine_gray(
    time: ArrayLike,
    event: ArrayLike,
    covariates: Mapping[str, Any] | pd.DataFrame,
    *,
    cause: int = 1,
    censoring_group: ArrayLike | None = None,
    reference: Mapping[str, Hashable] | None = None,
    conf_level: float = 0.95,
    control: FineGrayControl | None = None,
) -> FineGrayModel:
    """Fine–Gray model of one cause's subdistribution hazard; matches R's ``cmprsk::crr``.

    Equals ``crr(time, event, cov1, failcode=cause, cencode=0, cengroup=censoring_group)`` with
    ``cov1`` the design matrix: ``event`` is 0 for censored and 1, 2, … for the cause (as in
    ``cumulative_incidence``); text, categorical and boolean covariates become indicators against
    ``reference[name]`` as in ``cox_ph``. The censoring distribution is estimated by Kaplan–Meier
    within each censoring group. Newton–Raphson takes crr's steps and line search but stops at
    the optimum (``FineGrayControl``), where crr's default gtol = 1e-6 can stop ~1e-7 short of
    it; the variance is crr's sandwich, which allows for the estimated censoring distribution.
    Ties are Breslow's: with no competing failures the pseudo-likelihood is Breslow's partial
    likelihood, and the estimates and variance are ``cox_ph(..., ties="breslow")``'s
    coefficients and robust variance.
    """
    if not 0 < conf_level < 1:
        raise InputError("conf_level", f"conf_level must be between 0 and 1; got {conf_level}")
    control = control or FineGrayControl()
    times = as_times(time)
    n = len(times)
    codes = as_event_codes(event, "event", n, None).astype(np.int64)
    if isinstance(cause, bool) or not isinstance(cause, int | np.integer) or cause < 1:
        raise InputError("cause", f"cause must be a cause number 1, 2, …; got {cause!r}")
    status = np.where(codes == cause, 1, np.where(codes == 0, 0, 2)).astype(np.int8)
    if not (status == 1).any():
        present = sorted(int(c) for c in np.unique(codes) if c > 0)
        raise InputError(
            "cause",
            f"no subject has event code {cause}, so its subdistribution hazard cannot be "
            f"modelled; the causes present are {present}",
        )
    group, _ = factorize(censoring_group, "censoring_group", n)
    design = build_design(covariates, n, reference)
    data = prepare(design.columns_data, times, status, group)
    scale = covariate_scale(design.columns_data, None)
    newton = fit_newton(data, design.columns, control, scale)
    information = newton.sums.information
    inverse = scaled_inverse(information, scale)
    variance = inverse @ sandwich_middle(data, newton.sums) @ inverse.T
    return FineGrayModel(
        columns=design.columns,
        terms=design.terms,
        coefficients=newton.beta,
        variance=(variance + variance.T) / 2,
        information=information,
        score=newton.sums.score,
        loglik=newton.sums.loglik,
        loglik_null=loglik_only(data, np.zeros(len(design.columns))),
        failure_time=data.failure_time,
        baseline_jumps=baseline_jumps(data, newton.sums, newton.beta),
        cause=int(cause),
        subjects=n,
        events=int((status == 1).sum()),
        competing=int((status == 2).sum()),
        censored=int((status == 0).sum()),
        iterations=newton.iterations,
        conf_level=conf_level,
    )
