"""Shared gamma frailty Cox model, as R's coxph(... + frailty(group)): front door and result.

Each group (hospital, litter, patient) multiplies the hazard of all its members by a frailty
exp(w) drawn from a gamma distribution of mean 1 and variance θ. R fits it as a penalised Cox
model (coxpenal.fit): for a given θ, Newton-Raphson on (β, w) with the penalty ν·Σ(exp(w) − w),
ν = 1/θ; θ itself is either given or chosen by an outer search on the I-likelihood. Every
number R prints is reproduced, including the consequences of R's sparse computation (only the
diagonal of the group block of the information), which shape its standard errors.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from followup.survival._confidence import z_value
from followup.survival._cox_design import Term, build_design
from followup.survival._cox_frailty_likelihood import Ties, evaluate, prepare
from followup.survival._cox_frailty_newton import FrailtyControl, frailty_variance
from followup.survival._cox_frailty_theta import ThetaStep, search_theta
from followup.survival._errors import ConvergenceError, InputError
from followup.survival._inputs import ArrayLike, as_event_codes, as_times, factorize

# R's frailty() is sparse only beyond 5 groups; with fewer it fits a dense penalised model.
_MIN_GROUPS = 6


@dataclass(frozen=True)
class PenalisedChiSquare:
    """A chi-square statistic on effective (not whole) degrees of freedom, and its p-value."""

    chisq: float
    df: float
    p: float


@dataclass(frozen=True)
class FrailtyCoxModel:
    """A fitted shared gamma frailty Cox model, R's coxph.penal object as numbers."""

    columns: tuple[str, ...]
    terms: tuple[Term, ...]
    coefficients: np.ndarray
    variance: np.ndarray  # R's fit$var: gives se(coef)
    variance2: np.ndarray  # R's fit$var2: gives se2
    term_df: np.ndarray  # effective df of each covariate term (R's fit$df without the frailty)
    groups: tuple[Hashable, ...]  # group labels, sorted as R sorts them
    frailty: np.ndarray  # log-frailty w of each group (R's fit$frail), mean(exp(w)) = 1
    frailty_variance: np.ndarray  # R's fit$fvar
    group_subjects: np.ndarray
    group_events: np.ndarray
    frailty_test: PenalisedChiSquare  # the frailty row of R's table: Σw²/fvar on the trace df
    theta: float  # "Variance of random effect"
    theta_fixed: bool
    i_likelihood: float  # "I-likelihood": the frailties integrated out
    loglik_null: float  # R's fit$loglik[1]
    loglik: float  # R's fit$loglik[2]: the partial likelihood at (β, w)
    penalised_loglik: float  # loglik + ν·Σw, the history's loglik (R's fit$loglik[2] − penalty)
    penalty: float  # R's fit$penalty[2] = −ν·Σw
    likelihood_ratio: PenalisedChiSquare  # 2(loglik − loglik_null) on Σ df, as summary()
    wald_chisq: float  # R's fit$wald.test: β' var⁻¹ β
    history: tuple[ThetaStep, ...]  # the outer search (empty for a fixed θ)
    outer_iterations: int
    newton_iterations: int  # summed over the outer iterations, as R's fit$iter[2]
    inner_failures: tuple[int, ...]  # outer iterations whose inner loop ran out (R warns)
    subjects: int
    events: int
    ties: Ties
    conf_level: float

    @property
    def std_err(self) -> np.ndarray:
        """R's se(coef)."""
        return np.sqrt(np.diag(self.variance))

    @property
    def std_err2(self) -> np.ndarray:
        """R's se2 (from var2)."""
        return np.sqrt(np.diag(self.variance2))

    @property
    def hazard_ratio(self) -> np.ndarray:
        """exp(coef)."""
        return np.exp(self.coefficients)

    @property
    def df(self) -> np.ndarray:
        """R's fit$df: each covariate term's effective df, then the frailty term's."""
        return np.concatenate((self.term_df, [self.frailty_test.df]))

    def to_frame(self) -> pd.DataFrame:
        """R's print(coxph) table: a row per design column, then the frailty row, with HR limits."""
        z = z_value(self.conf_level)
        se = self.std_err
        chisq = self.coefficients**2 / np.diag(self.variance)
        rows = pd.DataFrame(
            {
                "term": list(self.columns),
                "coef": self.coefficients,
                "hazard_ratio": self.hazard_ratio,
                "std_err": se,
                "std_err2": self.std_err2,
                "chisq": chisq,
                "df": np.ones(len(self.columns)),
                "p": chi2.sf(chisq, 1),
                "lower": np.exp(self.coefficients - z * se),
                "upper": np.exp(self.coefficients + z * se),
            }
        )
        frailty_row: dict[str, Any] = {column: np.nan for column in rows.columns}
        frailty_row.update(
            term="frailty",
            chisq=self.frailty_test.chisq,
            df=self.frailty_test.df,
            p=self.frailty_test.p,
        )
        return pd.concat([rows, pd.DataFrame([frailty_row])], ignore_index=True)

    def frailty_frame(self) -> pd.DataFrame:
        """One row per group: its frailty exp(w) (a hazard multiplier) and the variance of w."""
        se = np.sqrt(self.frailty_variance)
        return pd.DataFrame(
            {
                "group": list(self.groups),
                "subjects": self.group_subjects,
                "events": self.group_events,
                "log_frailty": self.frailty,
                "frailty": np.exp(self.frailty),
                "variance": self.frailty_variance,
                "std_err": se,
                "z": self.frailty / se,
                "p": 2 * norm.sf(np.abs(self.frailty / se)),
            }
        )


def cox_frailty(
    time: ArrayLike,
    event: ArrayLike,
    covariates: Mapping[str, Any] | pd.DataFrame,
    *,
    group: ArrayLike,
    theta: float | None = None,
    ties: Ties = "efron",
    strata: ArrayLike | None = None,
    reference: Mapping[str, Hashable] | None = None,
    conf_level: float = 0.95,
    control: FrailtyControl | None = None,
) -> FrailtyCoxModel:
    """Shared gamma frailty Cox model; matches R's ``coxph(Surv(time, status) ~ x + frailty(g))``.

    ``theta=None`` chooses the frailty variance as R's default (frailty.gamma, method "em");
    a number fixes it (``frailty(group, theta=)``). ``group`` needs more than 5 groups, where R
    uses its sparse computation. Coefficients, se(coef), se2, the effective df of every term, the
    frailties with their variances, θ, the I-likelihood and the likelihood-ratio test follow R's
    coxpenal.fit iteration for iteration. Raises ConvergenceError where R would return a fit that
    has not converged (its last inner loop out of iterations, or the θ search out of outer
    iterations; raise ``control.outer_max`` or give ``theta``).
    """
    control = control or FrailtyControl()
    _check_options(ties, theta, conf_level, control)
    times = as_times(time).astype(np.float64)
    n = len(times)
    events = as_event_codes(event, "event", n, 1).astype(bool)
    if not events.any():
        raise InputError("event", "there are no events, so no Cox model can be fitted")
    group_codes, labels = factorize(group, "group", n)
    if len(labels) < _MIN_GROUPS:
        raise InputError(
            "group",
            f"group has {len(labels)} distinct values; a frailty needs at least {_MIN_GROUPS} "
            "(R fits fewer with a different, dense computation): with so few groups, enter the "
            "group as a covariate or a stratum instead",
        )
    stratum_codes, _ = factorize(strata, "strata", n)
    design = build_design(covariates, n, reference)
    data = prepare(
        design.columns_data, times, events, group_codes, len(labels), stratum_codes, ties
    )
    search = search_theta(data, theta, control, design.columns)
    fit = search.fit
    if not fit.converged:
        raise ConvergenceError(
            f"the penalised Cox model did not converge in {control.max_iter} iterations at "
            f"frailty variance {search.theta:g} (R's coxph would warn 'Inner loop failed to "
            "converge'); check for covariates or groups with few or no events"
        )
    spread = frailty_variance(fit)
    term_df = np.array(
        [_term_df(spread.variance, spread.variance2, design.columns, t) for t in design.terms]
    )
    frailty_chisq = float(np.sum(fit.frailty**2 / spread.frailty_variance))
    loglik_null = evaluate(data, np.zeros(len(design.columns)), np.zeros(len(labels))).loglik
    loglik = fit.loglik + fit.penalty  # R: the C code's loglik, penalised, plus fit$penalty
    total_df = float(np.sum(term_df) + spread.frailty_df)
    lr = 2 * (loglik - loglik_null)
    beta = fit.beta
    return FrailtyCoxModel(
        columns=design.columns,
        terms=design.terms,
        coefficients=beta,
        variance=spread.variance,
        variance2=spread.variance2,
        term_df=term_df,
        groups=labels,
        frailty=fit.frailty,
        frailty_variance=spread.frailty_variance,
        group_subjects=np.bincount(group_codes, minlength=len(labels)),
        group_events=data.deaths_in_group.astype(np.int64),
        frailty_test=PenalisedChiSquare(
            frailty_chisq,
            spread.frailty_df,
            float(chi2.sf(frailty_chisq, max(spread.frailty_df, 0.5))),  # R: "stop silly p-values"
        ),
        theta=search.theta,
        theta_fixed=theta is not None,
        i_likelihood=search.i_likelihood,
        loglik_null=loglik_null,
        loglik=loglik,
        penalised_loglik=fit.loglik,
        penalty=fit.penalty,
        likelihood_ratio=PenalisedChiSquare(lr, total_df, float(chi2.sf(lr, total_df))),
        wald_chisq=float(beta @ np.linalg.solve(spread.variance, beta)),
        history=search.history,
        outer_iterations=search.outer_iterations,
        newton_iterations=search.newton_iterations,
        inner_failures=search.inner_failures,
        subjects=n,
        events=int(events.sum()),
        ties=ties,
        conf_level=conf_level,
    )


def _term_df(
    variance: np.ndarray, variance2: np.ndarray, columns: tuple[str, ...], term: Term
) -> float:
    """coxpenal.df for an unpenalised term: trace(var[j,j]⁻¹ var2[j,j]) (1 without frailty)."""
    j = [columns.index(c) for c in term.columns]
    return float(np.trace(np.linalg.solve(variance[np.ix_(j, j)], variance2[np.ix_(j, j)])))


def _check_options(
    ties: str, theta: float | None, conf_level: float, control: FrailtyControl
) -> None:
    if ties not in ("efron", "breslow"):
        raise InputError("ties", f"ties must be one of efron, breslow; got {ties!r}")
    if theta is not None and not (np.isfinite(theta) and theta > 0):
        raise InputError(
            "theta",
            f"theta, the frailty variance, must be a positive number (or None to estimate it); "
            f"got {theta!r}",
        )
    if not 0 < conf_level < 1:
        raise InputError("conf_level", f"conf_level must be between 0 and 1; got {conf_level}")
    if (
        control.max_iter < 1
        or control.outer_max < 1
        or not (control.eps > 0 and control.theta_eps > 0)
    ):
        raise InputError(
            "control",
            "control needs max_iter and outer_max of at least 1 and positive eps and theta_eps; "
            f"got {control}",
        )
