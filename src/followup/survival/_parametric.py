"""Parametric accelerated failure time models, as R's survreg: front door, result and its forms.

``log T = x'β + σ W``: a coefficient is the log of a time ratio (exp(β) stretches survival times).
The Weibull is also a proportional hazards model, h(t | x) = λγ t^(γ−1) exp(x'β*) with shape
γ = 1/σ, rate λ = exp(−β₀/σ) and log hazard ratios β* = −β/σ: ``weibull_hazards`` gives that
form with delta-method standard errors, as SurvRegCensCov::ConvertWeibull and Stata's streg do.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from followup.survival._confidence import z_value
from followup.survival._cox import ChiSquareTest
from followup.survival._cox_design import Term, build_design
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike, as_event_codes, as_times, as_weights, factorize
from followup.survival._parametric_distributions import (
    DISTRIBUTIONS,
    FIXED_SCALE,
    STANDARD,
    DistributionName,
)
from followup.survival._parametric_fit import fit_aft
from followup.survival._parametric_likelihood import AftData
from followup.survival._parametric_newton import ParametricControl
from followup.survival._parametric_predict import (
    PredictedQuantiles,
    PredictedSurvival,
    predict_quantiles,
    predict_survival,
    profile_design,
)

INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class WeibullHazards:
    """The Weibull model as proportional hazards: hazard ratios, shape γ and rate λ."""

    columns: tuple[str, ...]
    log_hazard_ratio: np.ndarray  # −β/σ
    std_err: np.ndarray
    shape: float  # γ = 1/σ
    shape_std_err: float  # 0 when the scale was fixed
    rate: float  # λ = exp(−β₀/σ): S(t | x = 0) = exp(−λ t^γ)
    rate_std_err: float
    conf_level: float

    @property
    def hazard_ratio(self) -> np.ndarray:
        """exp(−β/σ)."""
        return np.exp(self.log_hazard_ratio)

    def to_frame(self) -> pd.DataFrame:
        """One row per design column: log hazard ratio, hazard ratio, SE, Wald z, p and limits."""
        z = z_value(self.conf_level)
        statistic = self.log_hazard_ratio / self.std_err
        return pd.DataFrame(
            {
                "term": list(self.columns),
                "log_hazard_ratio": self.log_hazard_ratio,
                "hazard_ratio": self.hazard_ratio,
                "std_err": self.std_err,
                "z": statistic,
                "p": 2 * norm.sf(np.abs(statistic)),
                "lower": np.exp(self.log_hazard_ratio - z * self.std_err),
                "upper": np.exp(self.log_hazard_ratio + z * self.std_err),
            }
        )


@dataclass(frozen=True)
class ParametricModel:
    """A fitted AFT model: R's coefficients, scale(s), var, logliks and iterations."""

    distribution: DistributionName
    columns: tuple[str, ...]  # "(Intercept)", then one per design column
    terms: tuple[Term, ...]
    coefficients: np.ndarray
    scale: np.ndarray  # one per stratum (one without strata); the fixed value if fixed
    scale_fixed: bool
    strata: tuple[Hashable, ...]  # stratum labels, () without strata
    variance: np.ndarray  # R's fit$var: coefficients, then log(scale) per stratum unless fixed
    loglik_null: float  # the intercept-only model's
    loglik: float
    likelihood_ratio: ChiSquareTest  # print.survreg's Chisq; df 0 (p NaN) for intercept only
    subjects: int
    events: int
    iterations: int
    conf_level: float

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """The rows of ``variance``: the columns, then Log(scale) (per stratum)."""
        if self.scale_fixed:
            return self.columns
        if len(self.strata) <= 1:
            return (*self.columns, "Log(scale)")
        return (*self.columns, *(f"Log(scale) {label}" for label in self.strata))

    @property
    def parameters(self) -> np.ndarray:
        """Coefficients then log(scale)s: what ``variance`` is the variance of."""
        if self.scale_fixed:
            return self.coefficients
        return np.concatenate([self.coefficients, np.log(self.scale)])

    @property
    def std_err(self) -> np.ndarray:
        """R's summary(fit) Std. Error of every parameter."""
        return np.sqrt(np.diag(self.variance))

    @property
    def time_ratio(self) -> np.ndarray:
        """exp(coef): how much a unit of the covariate stretches survival time."""
        return np.exp(self.coefficients)

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: R's summary(survreg) table, with Wald limits of the values."""
        value, se = self.parameters, self.std_err
        z = value / se
        half = z_value(self.conf_level) * se
        reference = {c: t.reference for t in self.terms for c in t.columns}
        return pd.DataFrame(
            {
                "term": list(self.parameter_names),
                "reference": [reference.get(name) for name in self.parameter_names],
                "value": value,
                "std_err": se,
                "z": z,
                "p": 2 * norm.sf(np.abs(z)),
                "lower": value - half,
                "upper": value + half,
            }
        )

    def weibull_hazards(self) -> WeibullHazards:
        """Proportional-hazards form of a Weibull or exponential fit, by the delta method."""
        if self.distribution not in ("weibull", "exponential"):
            raise InputError(
                "distribution",
                "only Weibull and exponential models have proportional hazards; a "
                f"{self.distribution} model is read through its time ratios, exp(coef)",
            )
        if len(self.strata) > 1:
            raise InputError(
                "strata",
                "with a scale per stratum the hazard ratios differ between strata; fit without "
                "strata to report hazard ratios",
            )
        sigma = float(self.scale[0])
        p = len(self.coefficients)
        gradient = np.zeros((p, len(self.variance)))  # of −β_j/σ in (β, log σ)
        gradient[np.arange(p), np.arange(p)] = -1 / sigma
        if not self.scale_fixed:
            gradient[:, p] = self.coefficients / sigma
        se = np.sqrt(np.einsum("ji,ik,jk->j", gradient, self.variance, gradient))
        shape_se = 0.0 if self.scale_fixed else float(np.sqrt(self.variance[p, p]) / sigma)
        rate = float(np.exp(-self.coefficients[0] / sigma))
        return WeibullHazards(
            columns=self.columns[1:],
            log_hazard_ratio=-self.coefficients[1:] / sigma,
            std_err=se[1:],
            shape=1 / sigma,
            shape_std_err=shape_se,
            rate=rate,
            rate_std_err=rate * float(se[0]),
            conf_level=self.conf_level,
        )

    def predict_quantiles(
        self,
        profiles: Mapping[str, Any] | pd.DataFrame,
        *,
        p: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9),
        strata: ArrayLike | None = None,
    ) -> PredictedQuantiles:
        """Time quantiles per profile; matches R's ``predict(fit, newdata, type = "quantile")``.

        ``profiles`` maps every covariate to one value per profile; ``strata`` gives each
        profile's stratum when the model has a scale per stratum. ``std_err`` is R's se.fit.
        """
        probs = np.asarray(p, dtype=float)
        if probs.ndim != 1 or len(probs) == 0 or not ((probs > 0) & (probs < 1)).all():
            raise InputError("p", f"p must be probabilities strictly between 0 and 1; got {p!r}")
        design = profile_design(self.terms, profiles, self._scale_labels, strata)
        estimates = predict_quantiles(
            design,
            self.coefficients,
            self.scale,
            self.variance,
            STANDARD[self.distribution],
            probs,
            z_value(self.conf_level),
        )
        return PredictedQuantiles(*estimates, conf_level=self.conf_level)

    def predict_survival(
        self,
        profiles: Mapping[str, Any] | pd.DataFrame,
        times: ArrayLike,
        *,
        strata: ArrayLike | None = None,
    ) -> PredictedSurvival:
        """Survival at times per profile; matches R's ``1 - psurvreg(t, lp, scale, dist)``.

        R gives no interval; the limits here are the delta method on z = (log t − x'β)/σ.
        """
        at = as_times(times, "times").astype(float)
        if (at == 0).any():
            raise InputError("times", "times must be positive: survival at time 0 is 1")
        design = profile_design(self.terms, profiles, self._scale_labels, strata)
        survival, se, lower, upper = predict_survival(
            design,
            self.coefficients,
            self.scale,
            self.variance,
            STANDARD[self.distribution],
            at,
            z_value(self.conf_level),
        )
        return PredictedSurvival(at, survival, se, lower, upper, self.conf_level)

    @property
    def _scale_labels(self) -> tuple[Hashable, ...]:
        return () if self.scale_fixed else self.strata


def _positive_times(time: ArrayLike) -> np.ndarray:
    times = as_times(time).astype(np.float64)
    zero = times == 0
    if zero.any():
        position = int(np.flatnonzero(zero)[0])
        more = f" ({int(zero.sum()) - 1} more after it)" if zero.sum() > 1 else ""
        raise InputError(
            "time",
            f"time is 0 at position {position}{more}; a parametric model takes log(time), so "
            "every time must be positive (R's survreg stops with 'Invalid survival times for "
            "this distribution'): correct the row, or count a same-day event as half a day",
            position,
        )
    return times


def _fixed_log_scale(
    distribution: DistributionName, scale: float | None, n_strata: int
) -> float | None:
    if distribution in FIXED_SCALE:
        if scale is not None:
            raise InputError(
                "scale",
                f"the {distribution} model has its scale fixed at {FIXED_SCALE[distribution]:g}; "
                "to fix another scale use distribution='weibull' with scale=",
            )
        scale = FIXED_SCALE[distribution]
    if scale is None:
        return None
    if not (np.isfinite(scale) and scale > 0):
        raise InputError("scale", f"scale must be a positive number; got {scale!r}")
    if n_strata > 1:
        raise InputError("scale", "a fixed scale cannot be combined with strata (as in R)")
    return float(np.log(scale))


def _check_strata_events(
    codes: np.ndarray, labels: tuple[Hashable, ...], events: np.ndarray
) -> None:
    """A stratum without events has its scale run to 0: refuse it by name."""
    if len(labels) < 2:
        return
    counts = np.bincount(codes, weights=events, minlength=len(labels))
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        raise InputError(
            "strata",
            f"stratum {labels[empty[0]]!r} has no events, so its scale cannot be estimated; "
            "merge it with another stratum or leave it out",
        )


def parametric_survival(
    time: ArrayLike,
    event: ArrayLike,
    covariates: Mapping[str, Any] | pd.DataFrame | None = None,
    *,
    distribution: DistributionName = "weibull",
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    reference: Mapping[str, Hashable] | None = None,
    scale: float | None = None,
    conf_level: float = 0.95,
    control: ParametricControl | None = None,
) -> ParametricModel:
    """Parametric AFT model; matches R's ``survreg(Surv(time, status) ~ ..., dist=)``.

    ``distribution`` is one of weibull, exponential, lognormal, loglogistic (R's names). An
    intercept is always fitted; ``covariates`` (None: intercept only) are expanded as in cox_ph.
    ``strata`` gives each stratum its own scale (R's ``+ strata(x)``); ``scale`` fixes it (R's
    ``scale =``); ``weights`` are case weights. Newton-Raphson follows R's survreg6, to a tighter
    tolerance by default (see ParametricControl). Raises ConvergenceError,
    MonotoneLikelihoodError or CollinearityError rather than returning estimates without a
    finite, unique maximum.
    """
    if distribution not in DISTRIBUTIONS:
        raise InputError(
            "distribution",
            f"distribution must be one of {', '.join(DISTRIBUTIONS)}; got {distribution!r}",
        )
    if not 0 < conf_level < 1:
        raise InputError("conf_level", f"conf_level must be between 0 and 1; got {conf_level}")
    times = _positive_times(time)
    n = len(times)
    events = as_event_codes(event, "event", n, 1).astype(bool)
    if not events.any():
        raise InputError("event", "there are no events, so no parametric model can be fitted")
    stratum_codes, stratum_labels = factorize(strata, "strata", n)
    n_strata = max(len(stratum_labels), 1)
    _check_strata_events(stratum_codes, stratum_labels, events)
    fixed_log_scale = _fixed_log_scale(distribution, scale, n_strata)
    if fixed_log_scale is None and np.ptp(times) == 0:
        raise InputError(
            "time",
            f"every time is {times[0]:g}: the scale cannot be estimated from times that do not "
            "differ; fix it (scale=) or use the exponential",
        )
    frequency = as_weights(weights, n, positive=True)
    design = None if covariates is None else build_design(covariates, n, reference)
    columns = (INTERCEPT, *(design.columns if design else ()))
    x = np.column_stack([np.ones(n), *(design.columns_data if design else [])])
    indicators = np.zeros((n, n_strata))
    indicators[np.arange(n), stratum_codes] = 1.0
    data = AftData(
        np.log(times),
        events,
        x,
        np.ones(n) if frequency is None else frequency,
        stratum_codes,
        indicators,
        0 if fixed_log_scale is not None else n_strata,
        STANDARD[distribution],
    )
    fit = fit_aft(data, columns, fixed_log_scale, control or ParametricControl())
    p = len(columns)
    scale_values = (
        np.array([np.exp(fixed_log_scale)])
        if fixed_log_scale is not None
        else np.exp(fit.parameters[p:])
    )
    # R adds back the Jacobian of log t for each event: the loglik of the times, not their logs.
    jacobian = -float(data.weights[events] @ data.y[events])
    loglik_null, loglik = fit.loglik_null + jacobian, fit.loglik + jacobian
    return ParametricModel(
        distribution=distribution,
        columns=columns,
        terms=design.terms if design else (),
        coefficients=fit.parameters[:p],
        scale=scale_values,
        scale_fixed=fixed_log_scale is not None,
        strata=stratum_labels,
        variance=fit.variance,
        loglik_null=loglik_null,
        loglik=loglik,
        likelihood_ratio=ChiSquareTest.of(2 * (loglik - loglik_null), p - 1),
        subjects=n,
        events=int(events.sum()),
        iterations=fit.iterations,
        conf_level=conf_level,
    )
