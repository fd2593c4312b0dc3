"""Cox proportional hazards regression, as R's coxph: front door, fit, tests and result."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from followup.survival._confidence import z_value
from followup.survival._cox_concordance import Concordance, concordance
from followup.survival._cox_counting import (
    as_start_times,
    cluster_indices,
    counting_scale,
    prepare_counting,
)
from followup.survival._cox_design import Term, build_design
from followup.survival._cox_likelihood import (
    CoxData,
    Ties,
    linear_predictor,
    prepare,
    risk_set_sums,
)
from followup.survival._cox_newton import CoxControl, NewtonFit, covariate_scale, fit_newton
from followup.survival._cox_residuals import clustered_scores, robust_variance, score_residuals
from followup.survival._cox_zph import (
    PH_TRANSFORMS,
    PhTransform,
    ProportionalHazardsTest,
    proportional_hazards_test,
)
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike, as_event_codes, as_times, as_weights, factorize


@dataclass(frozen=True)
class ChiSquareTest:
    """A chi-square statistic with its degrees of freedom and p-value."""

    chisq: float
    df: int
    p: float

    @classmethod
    def of(cls, chisq: float, df: int) -> ChiSquareTest:
        """Attach the upper-tail p-value."""
        return cls(float(chisq), int(df), float(chi2.sf(chisq, df)))


@dataclass(frozen=True)
class CoxModel:
    """A fitted Cox model: per-column coefficients and the model's tests, nothing mutable."""

    columns: tuple[str, ...]
    terms: tuple[Term, ...]
    coefficients: np.ndarray
    variance: np.ndarray
    loglik_null: float
    loglik: float
    wald: ChiSquareTest
    score: ChiSquareTest
    likelihood_ratio: ChiSquareTest
    concordance: Concordance
    subjects: int
    events: int
    iterations: int
    ties: Ties
    conf_level: float
    ph_transform: PhTransform
    clusters: int | None  # number of clusters given as cluster=, None without
    # The sorted fit data: what the sandwich variance and cox.zph are computed from, on demand.
    _data: CoxData = field(repr=False, compare=False)
    _newton: NewtonFit = field(repr=False, compare=False)
    # Each sorted row's cluster code (None: every row its own cluster).
    _cluster: np.ndarray | None = field(repr=False, compare=False)

    @cached_property
    def robust_variance(self) -> np.ndarray:
        """Sandwich variance: R's coxph(robust=TRUE), or with cluster= its grouped dfbeta D'D.

        On first use, as R computes it on request.
        """
        residuals = score_residuals(self._data, self._newton.sums)
        return robust_variance(
            clustered_scores(residuals, self._data.weights, self._cluster), self.variance
        )

    @cached_property
    def robust_wald(self) -> ChiSquareTest:
        """Wald test with the sandwich variance (R's Wald line when the fit is robust)."""
        return ChiSquareTest.of(
            wald_statistic(self.coefficients, self.robust_variance), len(self.columns)
        )

    @cached_property
    def robust_score(self) -> ChiSquareTest:
        """R's robust score test: the score at β = 0 against its clustered outer product."""
        data = self._data
        at_zero = risk_set_sums(data, np.zeros(len(self.columns)))
        scores = clustered_scores(score_residuals(data, at_zero), data.weights, self._cluster)
        total = scores.sum(axis=1)
        return ChiSquareTest.of(wald_statistic(total, scores @ scores.T), len(self.columns))

    @cached_property
    def proportional_hazards(self) -> ProportionalHazardsTest:
        """Schoenfeld-residual test, R's cox.zph(fit, transform=ph_transform); on first use."""
        return proportional_hazards_test(
            self._data, self._newton.sums, self._newton.information, self.terms, self.ph_transform
        )

    @property
    def std_err(self) -> np.ndarray:
        """Model-based standard errors (R's se(coef))."""
        return np.sqrt(np.diag(self.variance))

    @property
    def robust_std_err(self) -> np.ndarray:
        """Sandwich standard errors (R's robust se with robust=TRUE)."""
        return np.sqrt(np.diag(self.robust_variance))

    @property
    def hazard_ratio(self) -> np.ndarray:
        """exp(coef)."""
        return np.exp(self.coefficients)

    def hazard_ratio_interval(self, *, robust: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Wald limits exp(coef ± z·SE), model-based or robust."""
        z = z_value(self.conf_level)
        se = self.robust_std_err if robust else self.std_err
        return np.exp(self.coefficients - z * se), np.exp(self.coefficients + z * se)

    def to_frame(self) -> pd.DataFrame:
        """One row per design column: R's summary(coxph) coefficients and conf.int tables.

        With cluster= the z, p and limits use the robust SE, as R's summary of such a fit.
        """
        robust = self.clusters is not None
        lower, upper = self.hazard_ratio_interval(robust=robust)
        z = self.coefficients / (self.robust_std_err if robust else self.std_err)
        reference = {c: t.reference for t in self.terms for c in t.columns}
        return pd.DataFrame(
            {
                "term": list(self.columns),
                "reference": [reference[c] for c in self.columns],
                "coef": self.coefficients,
                "hazard_ratio": self.hazard_ratio,
                "std_err": self.std_err,
                "robust_std_err": self.robust_std_err,
                "z": z,
                "p": 2 * norm.sf(np.abs(z)),
                "lower": lower,
                "upper": upper,
            }
        )


def wald_statistic(beta: np.ndarray, variance: np.ndarray) -> float:
    """β' V⁻¹ β, R's coxph.wtest; solved on the standardised scale (z and the correlations).

    Covariates 1e5 apart in scale make V too ill-conditioned to solve as it is.
    """
    se = np.sqrt(np.diag(variance))
    z = beta / se
    return float(z @ np.linalg.solve(variance / np.outer(se, se), z))


def cox_ph(
    time: ArrayLike,
    event: ArrayLike,
    covariates: Mapping[str, Any] | pd.DataFrame,
    *,
    start: ArrayLike | None = None,
    cluster: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    ties: Ties = "efron",
    reference: Mapping[str, Hashable] | None = None,
    conf_level: float = 0.95,
    ph_transform: PhTransform = "km",
    control: CoxControl | None = None,
) -> CoxModel:
    """Cox proportional hazards model; matches R's ``coxph(Surv(time, status) ~ ..., ties=)``.

    ``covariates`` maps names to columns; text, categorical and boolean columns are expanded into
    indicators against ``reference[name]`` (default: the first level in code-point order, R's
    ``factor()`` under ``LC_COLLATE=C``, or a Categorical's own order; see _cox_design). Also
    returns the model-based and robust SEs, the Wald, score and likelihood-ratio tests, Harrell's
    concordance with its SE, and the proportional-hazards test of
    ``cox.zph(fit, transform=ph_transform)``.
    With ``start``, each row is an interval (start, time] and the model is R's
    ``coxph(Surv(start, time, status) ~ ...)``: time-varying covariates, delayed entry, recurrent
    events. With ``cluster`` (e.g. subject or hospital), the robust variance, its Wald and score
    tests and the concordance's SE are R's ``coxph(..., cluster = id)``: score residuals summed
    within cluster. Raises ConvergenceError, MonotoneLikelihoodError or CollinearityError rather
    than returning coefficients that are not finite or not identifiable.
    """
    if ties not in ("efron", "breslow"):
        raise InputError("ties", f"ties must be one of efron, breslow; got {ties!r}")
    if ph_transform not in PH_TRANSFORMS:
        raise InputError(
            "ph_transform",
            f"ph_transform must be one of {', '.join(PH_TRANSFORMS)}; got {ph_transform!r}",
        )
    control = control or CoxControl()
    times = as_times(time)  # integer days stay integers: prepare sorts them as 2-byte keys
    n = len(times)
    events = as_event_codes(event, "event", n, 1).astype(bool)
    if not events.any():
        raise InputError("event", "there are no events, so no Cox model can be fitted")
    stratum_codes, _ = factorize(strata, "strata", n)
    frequency = as_weights(weights, n, positive=True)
    cluster_codes, clusters = (None, None) if cluster is None else cluster_indices(cluster, n)
    design = build_design(covariates, n, reference)
    if start is None:
        data = prepare(design.columns_data, times, events, stratum_codes, frequency, ties)
        scale = covariate_scale(design.columns_data, frequency)
    else:
        starts = as_start_times(start, times)
        data = prepare_counting(
            design.columns_data, starts, times, events, stratum_codes, frequency, ties
        )
        scale = counting_scale(design.columns_data, data)
    newton = fit_newton(data, design.columns, control, scale)
    p = len(design.columns)
    sorted_cluster = None if cluster_codes is None else cluster_codes[data.order]
    # uses both cores itself
    agreement = concordance(data, linear_predictor(data, newton.beta), sorted_cluster)
    return CoxModel(
        columns=design.columns,
        terms=design.terms,
        coefficients=newton.beta,
        variance=newton.variance,
        loglik_null=newton.loglik_null,
        loglik=newton.loglik,
        wald=ChiSquareTest.of(wald_statistic(newton.beta, newton.variance), p),
        score=ChiSquareTest.of(newton.score_test, p),
        likelihood_ratio=ChiSquareTest.of(2 * (newton.loglik - newton.loglik_null), p),
        concordance=agreement,
        subjects=n,
        events=int(events.sum()),
        iterations=newton.iterations,
        ties=ties,
        conf_level=conf_level,
        ph_transform=ph_transform,
        clusters=clusters,
        _data=data,
        _newton=newton,
        _cluster=sorted_cluster,
    )
