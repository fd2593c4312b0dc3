"""Newton-Raphson for the Cox model exactly as R's coxfit6: same start, step halving and stop rule.

Following R's iteration (not just reaching the same optimum) means the printed coefficients agree
even in the digits where convergence stopped, and the same data fail to converge in both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._cox_likelihood import CoxData, RiskSetSums, partial_likelihood
from followup.survival._errors import CollinearityError, ConvergenceError, MonotoneLikelihoodError


@dataclass(frozen=True)
class CoxControl:
    """Numerical controls with R's coxph.control defaults."""

    eps: float = 1e-9  # stop when |1 − loglik_old / loglik_new| ≤ eps
    max_iter: int = 20
    toler_chol: float = float(
        np.finfo(float).eps ** 0.75
    )  # pivot below this × max diagonal: singular
    toler_inf: float = float(np.sqrt(1e-9))  # R: sqrt(eps), the monotone-likelihood check


@dataclass(frozen=True)
class NewtonFit:
    """Where Newton-Raphson stopped, and the null-model quantities the tests need."""

    beta: np.ndarray
    variance: np.ndarray
    information: np.ndarray
    loglik_null: float
    loglik: float
    score_test: float
    iterations: int
    sums: RiskSetSums


def covariate_scale(columns: list[np.ndarray], weights: np.ndarray | None) -> np.ndarray:
    """R's coxfit6 scale: 1 / the weighted mean |x − x̄|, and 1 for a column of −1, 0 and 1 only.

    Newton-Raphson itself does not depend on the scale of a covariate, but the singularity test
    does: its tolerance is relative to the largest diagonal of the information, so a white cell
    count per µL beside a yes/no would make the yes/no look dependent. R tests the information of
    the scaled covariates (coxph's ``nocenter = c(-1, 0, 1)`` columns are left as they are).
    """
    scale = np.ones(len(columns))
    for i, column in enumerate(columns):
        values = np.asarray(column, dtype=float)
        if np.isin(values, (-1.0, 0.0, 1.0)).all():
            continue
        if weights is None:
            spread = np.abs(values - values.mean()).mean()
        else:
            total = weights.sum()
            spread = (weights @ np.abs(values - (weights @ values) / total)) / total
        scale[i] = 1.0 / spread if spread > 0 else 1.0  # coxfit6: a constant column is left as is
    return scale


def fit_newton(
    data: CoxData,
    columns: tuple[str, ...],
    control: CoxControl,
    scale: np.ndarray | None = None,
) -> NewtonFit:
    """Maximise the partial likelihood from beta = 0, raising instead of returning NaN.

    ``scale`` (from covariate_scale) is what the singularity tests see the covariates multiplied
    by, as in R; without it they are tested as they are.
    """
    p = data.n_covariates
    scale = np.ones(p) if scale is None else scale
    beta = np.zeros(p)
    loglik_null, score, information, _ = partial_likelihood(data, beta)
    check_rank(information, columns, control.toler_chol, scale)
    step = _solve(information, score, scale, control.toler_chol)
    score_test = float(score @ step)
    best = loglik_null
    new_beta = beta + step
    halving = 0
    for iteration in range(1, control.max_iter + 1):
        new_loglik, score, information, sums = partial_likelihood(data, new_beta)
        finite = (
            np.isfinite(new_loglik)
            and np.all(np.isfinite(score))
            and np.all(np.isfinite(information))
        )
        if finite and _relative_change(best, new_loglik) <= control.eps:
            variance = _inverse(information, columns, control.toler_chol, scale)
            _check_finite_coefficients(new_beta, score, variance, columns, control)
            return NewtonFit(
                new_beta,
                variance,
                information,
                loglik_null,
                new_loglik,
                score_test,
                iteration,
                sums,
            )
        if not finite or new_loglik < best:
            halving += 1  # R's coxfit6: pull back towards the last good beta, harder each time
            new_beta = (new_beta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = new_loglik
            beta = new_beta
            new_beta = new_beta + _solve(information, score, scale, control.toler_chol)
    raise ConvergenceError(
        f"the Cox model did not converge in {control.max_iter} iterations (R's coxph would warn "
        "'Ran out of iterations'); a coefficient may be infinite or the data too sparse — check "
        "for covariate levels with few or no events"
    )


def _relative_change(best: float, new: float) -> float:
    """|1 − best / new|, coxfit6's stop rule; C's inf where new is 0 (an event's risk set → 0)."""
    return abs(1 - best / new) if new != 0 else np.inf


def check_rank(
    information: np.ndarray, columns: tuple[str, ...], toler: float, scale: np.ndarray
) -> None:
    """R's cholesky2 test on the scaled information S·I·S: a zero pivot is a dependent column."""
    _, pivots = _cholesky2(information * np.outer(scale, scale), toler)
    dependent = np.flatnonzero(pivots == 0)
    if len(dependent):
        names = tuple(columns[i] for i in dependent)
        raise CollinearityError(
            f"covariates {', '.join(names)} are linear combinations of the others (or constant), "
            "so their hazard ratios cannot be estimated; drop or merge them",
            names,
        )


def _cholesky2(matrix: np.ndarray, toler: float) -> tuple[np.ndarray, np.ndarray]:
    """R's cholesky2: LDLᵀ with a pivot below toler × the largest diagonal set to 0 (singular).

    Returns the unit lower triangle L and the pivots D; p is the number of covariates, small.
    """
    matrix = matrix.copy()
    p = len(matrix)
    largest = max(float(np.max(np.diag(matrix))), 0.0)
    limit = toler * largest if largest > 0 else toler  # cholesky2.c: an all-zero diagonal fails too
    lower, pivots = np.eye(p), np.zeros(p)
    for i in range(p):
        pivot = matrix[i, i]
        if not np.isfinite(pivot) or pivot < limit:
            matrix[i, :] = 0.0
            matrix[:, i] = 0.0
            continue
        pivots[i] = pivot
        lower[i + 1 :, i] = matrix[i + 1 :, i] / pivot
        matrix[i + 1 :, i + 1 :] -= np.outer(lower[i + 1 :, i], matrix[i, i + 1 :])
    return lower, pivots


def _solve(
    information: np.ndarray, score: np.ndarray, scale: np.ndarray, toler: float
) -> np.ndarray:
    """I⁻¹u on the scaled covariates, S (S I S)⁻¹ S u, as coxfit6's cholesky2 and chsolve2.

    A singular pivot gets a zero step, as in R, instead of a singular-matrix error mid-iteration
    (an event's risk-set share running to 1 makes the information vanish).
    """
    lower, pivots = _cholesky2(information * np.outer(scale, scale), toler)
    y = scale * score
    for i in range(len(y)):  # forward: L y = b
        y[i] -= lower[i, :i] @ y[:i]
    for i in reversed(range(len(y))):  # back: D Lᵀ x = y
        y[i] = 0.0 if pivots[i] == 0 else y[i] / pivots[i] - lower[i + 1 :, i] @ y[i + 1 :]
    return scale * y


def _inverse(
    information: np.ndarray, columns: tuple[str, ...], toler: float, scale: np.ndarray
) -> np.ndarray:
    check_rank(information, columns, toler, scale)
    inverse = np.linalg.inv(information * np.outer(scale, scale)) * np.outer(scale, scale)
    return (inverse + inverse.T) / 2


def _check_finite_coefficients(
    beta: np.ndarray,
    score: np.ndarray,
    variance: np.ndarray,
    columns: tuple[str, ...],
    control: CoxControl,
) -> None:
    """R's test for a coefficient running to infinity, an error here instead of a warning."""
    remaining_step = np.abs(score @ variance)
    infinite = ~np.isfinite(score) | (
        (remaining_step > control.eps) & (remaining_step > control.toler_inf * np.abs(beta))
    )
    if infinite.any():
        names = tuple(c for c, bad in zip(columns, infinite, strict=True) if bad)
        raise MonotoneLikelihoodError(
            f"the likelihood keeps increasing as the coefficient of {', '.join(names)} runs to "
            "infinity (monotone likelihood, as when one group has no events or all of them); "
            "no finite hazard ratio exists — merge sparse levels or use an exact or penalised "
            "method",
            names,
        )
