"""Newton-Raphson for AFT models as R's survreg6.c: its start, step halving and stopping rule.

Following survreg6 step for step (not only reaching the optimum) means that with R's control a fit
stops where R's stops, after as many iterations, and fails to converge on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._parametric_likelihood import (
    AftData,
    Derivatives,
    derivatives,
    log_likelihood,
)


@dataclass(frozen=True)
class ParametricControl:
    """Numerical controls of R's survreg.control, with a tighter default tolerance.

    R stops when the log-likelihood changes by ≤ 1e-9 relative, leaving the coefficients ~1e-6
    short of the optimum; 1e-12 puts them at it. ``ParametricControl(1e-9, 30)`` is R's default and
    reproduces what ``survreg`` prints, digit for digit.
    """

    rel_tolerance: float = 1e-12  # stop when |1 − loglik_old / loglik_new| ≤ this
    max_iter: int = 100
    toler_chol: float = 1e-10  # R's toler.chol: pivots below it mark a column as dependent


@dataclass(frozen=True)
class NewtonResult:
    """Where survreg6 stopped: parameters, inverse information, loglik and how it got there."""

    beta: np.ndarray
    variance: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    positive_definite: bool
    dependent: tuple[int, ...]  # parameters whose cholesky3 pivot was zero: not identifiable
    score: np.ndarray


def cholesky3(matrix: np.ndarray, toler: float) -> tuple[np.ndarray, int, bool]:
    """R's cholesky3 (dense part): LDL' in the lower triangle, D on the diagonal.

    A pivot below ``toler`` (absolute, as cholesky3 computes it when no diagonal is negative)
    marks its column as dependent and zeroes it. Returns the factor, the rank and whether the
    matrix was non-negative definite.
    """
    a = np.array(matrix, dtype=float)
    n = len(a)
    smallest = min(0.0, float(np.min(np.diag(a)))) if n else 0.0
    eps = toler if smallest == 0 else smallest * toler
    rank, nonnegative = 0, True
    for i in range(n):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            a[i:, i] = 0.0
            if pivot < -8 * eps:
                nonnegative = False
            continue
        rank += 1
        column = a[i + 1 :, i].copy()
        a[i + 1 :, i + 1 :] -= np.outer(column, column) / pivot
        a[i + 1 :, i] = column / pivot
    return a, rank, nonnegative


def chsolve2(factor: np.ndarray, y: np.ndarray) -> np.ndarray:
    """R's chsolve2: solve LDL' b = y; a zeroed pivot gives a zero component."""
    b = np.array(y, dtype=float)
    n = len(b)
    for i in range(n):
        b[i] -= factor[i, :i] @ b[:i]
    for i in range(n - 1, -1, -1):
        if factor[i, i] == 0:
            b[i] = 0.0
        else:
            b[i] = b[i] / factor[i, i] - factor[i + 1 :, i] @ b[i + 1 :]
    return b


def _finite(at: Derivatives) -> bool:
    """survreg6's test of a step gone awry: loglik, score and information diagonal all finite."""
    return bool(
        np.isfinite(at.loglik)
        and np.isfinite(at.score).all()
        and np.isfinite(np.diag(at.information)).all()
    )


def newton_step(at: Derivatives, toler: float) -> np.ndarray:
    """I⁻¹u, or (J'J)⁻¹u when I is not positive definite (survreg6's fall-back)."""
    factor, _, nonnegative = cholesky3(at.information, toler)
    if not nonnegative:
        factor, _, _ = cholesky3(at.outer, toler)
    return chsolve2(factor, at.score)


def survreg6(
    data: AftData, init: np.ndarray, max_iter: int, control: ParametricControl
) -> NewtonResult:
    """R's survreg6 (survival 3.5): Newton-Raphson from init, halving back on a worse loglik.

    A worse step is halved towards the last good point up to 5 times per iteration, a log σ
    pulled back by at most 1.1 (≈ log 3) on the first halving. Stops when the loglik changes by
    ≤ rel_tolerance relative after a full step. One departure, where 3.5 would go on with NaN
    until it ran out of iterations: a step to a non-finite loglik, score or information is
    halved too, as survival ≥ 3.7 does.
    ``init`` carries a fixed log scale at its end when ``data.n_scales`` is 0.
    """
    p = data.x.shape[1]
    free = p + data.n_scales  # survreg6's nvar2: the parameters it moves
    beta = np.array(init, dtype=float)
    at = derivatives(data, beta)
    loglik = at.loglik
    new_beta = beta.copy()
    new_beta[:free] += newton_step(at, control.toler_chol)
    halving = 0
    at = derivatives(data, new_beta)
    for iteration in range(1, max_iter + 1):
        finite = _finite(at)
        if finite and halving == 0 and abs(1 - loglik / at.loglik) <= control.rel_tolerance:
            return _finish(at, new_beta, iteration, True, control)
        if not finite or at.loglik < loglik:
            new_loglik = at.loglik if finite else np.nan
            for _ in range(5):
                if np.isfinite(new_loglik) and new_loglik >= loglik:
                    break
                halving += 1
                new_beta[:free] = (new_beta[:free] + beta[:free]) / 2
                if halving == 1:  # a log σ may have fallen by >10×: back off at most 1.1
                    scales = slice(p, free)
                    new_beta[scales] = np.maximum(new_beta[scales], beta[scales] - 1.1)
                new_loglik = log_likelihood(data, new_beta)
        else:
            halving = 0
            loglik = at.loglik
            step = newton_step(at, control.toler_chol)
            beta = new_beta.copy()
            new_beta[:free] += step
        at = derivatives(data, new_beta)
    return _finish(at, new_beta, max_iter, False, control)  # survreg6 keeps the last step


def _finish(
    at: Derivatives, beta: np.ndarray, iterations: int, converged: bool, control: ParametricControl
) -> NewtonResult:
    """The inverse information at the stopping point (R's chinv2 of the cholesky3 factor)."""
    factor, rank, nonnegative = cholesky3(at.information, control.toler_chol)
    dependent = tuple(int(i) for i in np.flatnonzero(np.diag(factor) == 0))
    if rank == len(at.information) and nonnegative:
        variance = np.linalg.inv(at.information)
        variance = (variance + variance.T) / 2
    else:
        variance = np.full_like(at.information, np.nan)
    return NewtonResult(
        beta, variance, at.loglik, iterations, converged, nonnegative, dependent, at.score
    )
