"""R's survreg.fit: rescaled covariates, starting values, the intercept-only and the full fit.

survreg.fit (survival 3.5) centres and scales every covariate that is not 0/1 when the design has
an intercept, fits the intercept-only model (its loglik is the null of the likelihood-ratio test
and its log σ starts the full fit), finds starting coefficients by one weighted least-squares
("glim") step at z = 0, runs survreg6, and maps the coefficients and variance back to the
covariates' own units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._cox_newton import check_rank
from followup.survival._errors import CollinearityError, ConvergenceError, MonotoneLikelihoodError
from followup.survival._parametric_likelihood import AftData, glim_derivatives
from followup.survival._parametric_newton import NewtonResult, ParametricControl, survreg6

INITIAL_ITERATIONS = 20  # survreg.fit's fixed iteration limit for the intercept-only fit
TOLER_INFINITE = 1e-4  # a Newton step still this large relative to |β| at the stop: diverging


@dataclass(frozen=True)
class AftFit:
    """Coefficients (intercept first) then log scales, their variance, and the two logliks."""

    parameters: np.ndarray
    variance: np.ndarray
    loglik_null: float
    loglik: float
    iterations: int


def _rescaling(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """survreg.fit's centring and scaling: columns other than 0/1 by their mean and sd."""
    if x.shape[1] < 2:
        return None
    binary = np.all((x == 0) | (x == 1), axis=0)
    if binary.all():
        return None
    center = np.where(binary, 0.0, x.mean(axis=0))
    stdev = np.where(binary, 1.0, x.std(axis=0, ddof=1))
    return center, stdev


def _start_scale(data: AftData, fixed_log_scale: float | None) -> float:
    """log σ₀ from survreg.distributions' init: half log(4 × the weighted variance / divisor).

    That is twice the sd the variance implies ("we never get into trouble with a large one");
    init's mean is not used, as the glim step replaces it.
    """
    if fixed_log_scale is not None:
        return fixed_log_scale
    w, y = data.weights, data.y
    mean = float(w @ y / w.sum())
    variance = float(w @ (y - mean) ** 2 / w.sum()) / data.standard.variance_divisor
    return float(np.log(4 * variance) / 2)


def _intercept_only(data: AftData, log_sigma: float, control: ParametricControl) -> NewtonResult:
    """fit0: the intercept and log σ per stratum, from the glim intercept at σ₀."""
    n = len(data.y)
    dg, ddg = glim_derivatives(data, np.full(n, log_sigma), data.y)
    wt = -ddg * data.weights
    intercept = float((data.weights @ dg + wt @ data.y) / wt.sum())
    k = max(data.n_scales, 1)
    init = np.concatenate([[intercept], np.full(k, log_sigma)])
    ones = AftData(
        data.y,
        data.event,
        np.ones((n, 1)),
        data.weights,
        data.strata,
        data.strata_indicators,
        data.n_scales,
        data.standard,
    )
    fit0 = survreg6(ones, init, INITIAL_ITERATIONS, control)
    if not (np.isfinite(fit0.beta).all() and np.isfinite(fit0.loglik)):
        raise ConvergenceError(
            "the intercept-only fit that gives the starting values failed (R: 'initial iteration "
            "failed'); check for extreme times, or try another distribution"
        )
    return fit0


def _glim_start(
    data: AftData, log_scales: np.ndarray, columns: tuple[str, ...], toler: float
) -> np.ndarray:
    """Starting coefficients: one weighted least-squares step of the design on log t."""
    subject_log_scale = (
        log_scales[data.strata] if data.n_scales > 1 else np.full(len(data.y), log_scales[0])
    )
    dg, ddg = glim_derivatives(data, subject_log_scale, data.y)
    wt = -ddg * data.weights
    information = data.x.T @ (data.x * wt[:, None])
    right = (wt * data.y + data.weights * dg) @ data.x
    try:
        check_rank(information, columns, toler, np.ones(len(columns)))
    except CollinearityError as error:
        raise _collinear(error.terms) from None
    return np.linalg.solve(information, right)


def _collinear(names: tuple[str, ...]) -> CollinearityError:
    return CollinearityError(
        f"covariates {', '.join(names)} are linear combinations of the others or of the "
        "intercept (or constant), so their time ratios cannot be estimated; drop or merge them",
        names,
    )


def fit_aft(
    data: AftData,
    columns: tuple[str, ...],
    fixed_log_scale: float | None,
    control: ParametricControl,
) -> AftFit:
    """survreg.fit on right-censored data without offset or initial values."""
    p = data.x.shape[1]
    constant = np.flatnonzero(np.ptp(data.x, axis=0) == 0)[1:]  # column 0 is the intercept
    rescaling = _rescaling(data.x)
    if rescaling is not None:  # a spread of 1e-300 has an sd that underflows to 0: constant too
        constant = np.union1d(constant, np.flatnonzero(rescaling[1] == 0))
    if len(constant):
        raise _collinear(tuple(columns[i] for i in constant))
    if rescaling is not None:
        center, stdev = rescaling
        data = AftData(
            data.y,
            data.event,
            (data.x - center) / stdev,
            data.weights,
            data.strata,
            data.strata_indicators,
            data.n_scales,
            data.standard,
        )
    log_sigma = _start_scale(data, fixed_log_scale)
    if p > 1:
        fit0 = _intercept_only(data, log_sigma, control)
        scales = fit0.beta[1:]
    else:
        scales = np.full(max(data.n_scales, 1), log_sigma)
    init = np.concatenate([_glim_start(data, scales, columns, control.toler_chol), scales])
    fit = survreg6(data, init, control.max_iter, control)
    free = p + data.n_scales
    _check(fit, data, columns, control)
    parameters, variance = fit.beta[:free], fit.variance
    if rescaling is not None:
        back = np.eye(free)
        back[np.arange(p), np.arange(p)] = 1 / stdev
        back[0, 1:p] = -center[1:] / stdev[1:]
        parameters = back @ parameters
        variance = back @ variance @ back.T
    loglik_null = fit0.loglik if p > 1 else fit.loglik
    return AftFit(parameters, variance, loglik_null, fit.loglik, fit.iterations)


def _check(
    fit: NewtonResult, data: AftData, columns: tuple[str, ...], control: ParametricControl
) -> None:
    """Errors for what R would only warn about or print as NA.

    The design's rank was checked before the fit, so information that has become singular at
    the stopping point means the likelihood flattened out as a coefficient ran away: monotone
    likelihood, as much as a Newton step still large beside the coefficient (the same test as
    coxph's for an infinite coefficient, relative to max(|β|, 1)).
    """
    p = data.x.shape[1]
    if not fit.converged:
        raise ConvergenceError(
            f"the parametric model did not converge in {control.max_iter} iterations (R's "
            "survreg would warn 'Ran out of iterations and did not converge'); a coefficient or "
            "a scale may be infinite or 0 — check for covariate levels with no events and strata "
            "with a single event — or raise control.max_iter"
        )
    names = [columns[i] if i < p else "Log(scale)" for i in fit.dependent]
    if not fit.dependent:
        if not fit.positive_definite:
            raise ConvergenceError(
                "the parametric model stopped where the information matrix is not positive "
                "definite, so not at a maximum; try another distribution or check extreme times"
            )
        remaining = np.abs(fit.variance[:p] @ fit.score)
        diverging = remaining > TOLER_INFINITE * np.maximum(np.abs(fit.beta[:p]), 1.0)
        names = [c for c, bad in zip(columns, diverging, strict=True) if bad]
    if names:
        raise MonotoneLikelihoodError(
            f"the likelihood keeps increasing as the coefficient of {', '.join(names)} runs to "
            "infinity (monotone likelihood, as when one group has no events); "
            "no finite time ratio exists — merge sparse levels or drop the covariate",
            tuple(names),
        )
