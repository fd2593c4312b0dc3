"""Penalised Newton-Raphson for a gamma frailty at a given variance, as R's coxfit5_b.

The gamma frailty's penalty on the log-frailties w is ν·Σ(exp(w) − w), ν = 1/θ (frailty.gamma's
``pfun``); before each penalty evaluation w is recentred so that mean(exp(w)) = 1, in place, as R's
callback does, which leaves the partial likelihood unchanged. The system solved each step has
the information's group block reduced to its diagonal (R's sparse computation, cholesky3 and
chsolve3): it is solved here by block elimination, exactly in exact arithmetic. The stop rule,
the plain halving of a step that lowered the penalised likelihood and the iteration count are
R's, so the same data stop at the same iterate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._cox_frailty_likelihood import Evaluation, FrailtyData, evaluate
from followup.survival._errors import CollinearityError, ConvergenceError


@dataclass(frozen=True)
class FrailtyControl:
    """Numerical controls with R's defaults (coxph.control, frailty.gamma's ``eps``) but one.

    ``outer_max`` is 30, not R's 10: on a realistic multi-centre study (2,000 patients in 40
    hospitals) R's search for θ is still moving after 10 variances and returns that unfinished
    fit without a warning; it converges by 19. A search that does not converge is an error here.
    """

    eps: float = 1e-9  # inner loop: stop when |1 − loglik_old / loglik_new| ≤ eps
    max_iter: int = 20  # inner Newton-Raphson iterations per variance
    outer_max: int = 30  # variances tried by the search for θ (R: 10, see above)
    theta_eps: float = 1e-5  # outer loop: stop when the I-likelihood changes relatively less
    toler_chol: float = float(np.finfo(float).eps ** 0.75)  # cholesky3's absolute pivot limit


@dataclass(frozen=True)
class PenalisedFit:
    """Where the inner loop stopped for one θ, with the pieces of the last evaluation."""

    beta: np.ndarray
    frailty: np.ndarray  # recentred log-frailties
    loglik: float  # partial likelihood plus ν·Σw: what R's C code returns (and R's history shows)
    penalty: float  # R's fit$penalty: −ν·Σw (0 without a frailty)
    iterations: int
    converged: bool
    evaluation: Evaluation  # at (beta, frailty), before the penalty
    penalty_second: np.ndarray  # ν·exp(w): the penalty's second derivative (pen1)
    group_diagonal: np.ndarray  # the group block's diagonal with the penalty added


def penalised_newton(
    data: FrailtyData,
    theta: float,
    beta: np.ndarray,
    frailty: np.ndarray,
    control: FrailtyControl,
    columns: tuple[str, ...],
) -> PenalisedFit:
    """Maximise the penalised partial likelihood at variance θ (θ = 0: frailties held at 0)."""
    beta, frailty = beta.copy(), frailty.copy()
    old_beta, old_frailty = beta.copy(), frailty.copy()
    best = 0.0  # R starts its comparison from a loglik of 0
    halving = False
    for iteration in range(control.max_iter + 1):
        ev = evaluate(data, beta, frailty)
        new_loglik, group_score, diagonal, cross, second = _penalise(ev, frailty, theta)
        if not np.isfinite(new_loglik):
            raise ConvergenceError(
                f"the penalised likelihood became infinite at iteration {iteration} (frailty "
                f"variance {theta:g}): a coefficient or a group's frailty is running off; check "
                "for groups or covariate levels with no events, or give a smaller theta"
            )
        if abs(new_loglik) < control.eps or (
            abs(1 - best / new_loglik) <= control.eps and not halving
        ):
            return _fit(beta, frailty, new_loglik, theta, iteration, True, ev, second, diagonal)
        if iteration == control.max_iter:
            break
        if iteration > 0 and new_loglik < best:
            halving = True
            beta = (old_beta + beta) / 2
            frailty = (old_frailty + frailty) / 2
        else:
            halving = False
            best = new_loglik
            step_beta, step_frailty = solve_sparse(
                ev.information, cross, diagonal, ev.score, group_score, columns, control
            )
            old_beta, old_frailty = beta, frailty
            beta, frailty = beta + step_beta, frailty + step_frailty
    return _fit(beta, frailty, new_loglik, theta, control.max_iter, False, ev, second, diagonal)


def _penalise(
    ev: Evaluation, frailty: np.ndarray, theta: float
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """R's callback: recentre w in place, then add the penalty's value, gradient and curvature."""
    if theta == 0:  # frailty.gamma's flag: the frailties are held at their values
        groups = len(frailty)
        return (
            ev.loglik,
            np.zeros(groups),
            np.ones(groups),
            np.zeros_like(ev.cross_information),
            np.zeros(groups),
        )
    frailty -= np.log(np.mean(np.exp(frailty)))
    nu = 1.0 / theta
    scaled = np.exp(frailty)
    second = scaled * nu
    return (
        ev.loglik + float(np.sum(frailty)) * nu,
        ev.group_score - (scaled - 1) * nu,
        ev.group_information + second,
        ev.cross_information,
        second,
    )


def _fit(
    beta: np.ndarray,
    frailty: np.ndarray,
    loglik: float,
    theta: float,
    iterations: int,
    converged: bool,
    ev: Evaluation,
    second: np.ndarray,
    diagonal: np.ndarray,
) -> PenalisedFit:
    penalty = -float(np.sum(frailty)) / theta if theta > 0 else 0.0
    return PenalisedFit(beta, frailty, loglik, penalty, iterations, converged, ev, second, diagonal)


def solve_sparse(
    information: np.ndarray,
    cross: np.ndarray,
    diagonal: np.ndarray,
    score: np.ndarray,
    group_score: np.ndarray,
    columns: tuple[str, ...],
    control: FrailtyControl,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve [[diag(D), Bᵀ], [B, I]]·(δw, δβ) = (u_w, u_β): R's chsolve3, by block elimination."""
    weighted = cross / diagonal
    schur = information - weighted @ cross.T
    check_pivots(schur, columns, control.toler_chol)
    step_beta = np.linalg.solve(schur, score - weighted @ group_score)
    step_frailty = (group_score - cross.T @ step_beta) / diagonal
    return step_beta, step_frailty


def check_pivots(schur: np.ndarray, columns: tuple[str, ...], toler: float) -> None:
    """cholesky3's test on the covariate block after the group pivots: a pivot below toler.

    cholesky3's limit is absolute (toler itself) when no diagonal is negative; R then sets the
    column's coefficient to NA, where this raises.
    """
    matrix = schur.copy()
    dependent = []
    for i in range(len(matrix)):
        pivot = matrix[i, i]
        if not np.isfinite(pivot) or pivot < toler:
            dependent.append(columns[i])
            matrix[i, :] = 0.0
            matrix[:, i] = 0.0
            continue
        below = matrix[i + 1 :, i] / pivot
        matrix[i + 1 :, i + 1 :] -= np.outer(below, matrix[i, i + 1 :])
    if dependent:
        raise CollinearityError(
            f"covariates {', '.join(dependent)} are linear combinations of the others, constant "
            "within the groups' frailties or on too small a scale (R's cholesky3 limit), so their "
            "hazard ratios cannot be estimated; drop or rescale them",
            tuple(dependent),
        )


@dataclass(frozen=True)
class FrailtyVariance:
    """R's coxpenal.df for one sparse term beside unpenalised covariates."""

    variance: np.ndarray  # (p, p) C: the covariate block of the inverse of the sparse information
    variance2: np.ndarray  # (p, p) var2 = C − Bᵀ diag(pen1) B, the sandwich-type variance
    frailty_variance: np.ndarray  # (groups,) fvar: the group block's diagonal of the inverse
    frailty_df: float  # groups − Σ fvar·pen1: the trace, the frailty term's effective df


def frailty_variance(fit: PenalisedFit) -> FrailtyVariance:
    """Variances and effective df from the last evaluation, with Gray's (1992) formulas as R."""
    ev, diagonal, second = fit.evaluation, fit.group_diagonal, fit.penalty_second
    weighted = ev.cross_information / diagonal
    variance = np.linalg.inv(ev.information - weighted @ ev.cross_information.T)
    variance = (variance + variance.T) / 2
    cross_inverse = variance @ weighted  # −(the covariate × group block of the inverse)
    frailty_var = 1.0 / diagonal + np.einsum("ig,ig->g", weighted, cross_inverse)
    variance2 = variance - (cross_inverse * second) @ cross_inverse.T
    return FrailtyVariance(
        variance,
        (variance2 + variance2.T) / 2,
        frailty_var,
        float(len(diagonal) - np.sum(frailty_var * second)),
    )
