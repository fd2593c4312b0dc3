"""Newton–Raphson for the Fine–Gray pseudo-likelihood: crr's steps, a stop rule at the optimum.

cmprsk's crr starts at β = 0, takes Newton steps and halves a step (up to 20 times) until
f(β + step) ≤ f(β) + 10⁻⁴·stepᵀ∇f (Armijo), f = −loglik. Its stop rule, max|U|·max(|β|, 1) <
max(|loglik|, 1)·gtol with gtol = 1e-6, depends on the covariates' units and can stop ~1e-7
(relative) short of the optimum; tightening it fails on tied data such as mgus2, where the decrease
a last step promises is below the rounding of the likelihood, so the line search rejects it.
Here the same steps and line search run with the likelihood's rounding allowed in the Armijo
test, until a Newton step is below ``tol`` × (|β| + SE) in every coefficient; that last step is
taken too, so the estimate is the optimum to rounding, the value crr approaches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._cox_newton import check_rank
from followup.survival._errors import ConvergenceError
from followup.survival._fine_gray_sums import FineGrayData, Sums, loglik_only, risk_set_sums

ARMIJO = 1e-4  # crr: accept a step once it achieves 1e-4 of the decrease its slope promises
MAX_HALVINGS = 20  # crr gives up after the 21st halving
ROUNDING = 64 * float(np.finfo(float).eps)  # the pseudo-loglik's rounding, relative


@dataclass(frozen=True)
class FineGrayControl:
    """Numerical controls of ``fine_gray``."""

    tol: float = 1e-9  # stop when every Newton step is below tol × (|β| + SE)
    max_iter: int = 25  # crr: maxiter = 10, but a stop rule at the optimum may need a few more
    toler_chol: float = float(np.finfo(float).eps ** 0.75)  # singular-design test, as coxph's


@dataclass(frozen=True)
class NewtonResult:
    """The estimate, the sums there and the number of Newton steps taken."""

    beta: np.ndarray
    sums: Sums
    iterations: int


def fit_newton(
    data: FineGrayData, columns: tuple[str, ...], control: FineGrayControl, scale: np.ndarray
) -> NewtonResult:
    """Maximise the pseudo-likelihood from β = 0 with crr's steps and line search.

    ``scale`` conditions the linear solves and the singularity test (a count per µL beside a
    yes/no, where crr's own solve() gives up); it does not change the steps.
    """
    beta = np.zeros(data.n_covariates)
    sums = risk_set_sums(data, beta)
    check_rank(sums.information.copy(), columns, control.toler_chol, scale)
    for iteration in range(1, control.max_iter + 1):
        if not (np.isfinite(sums.loglik) and np.all(np.isfinite(sums.information))):
            break
        inverse = scaled_inverse(sums.information, scale)
        step = inverse @ sums.score
        if np.all(np.abs(step) <= control.tol * (np.abs(beta) + np.sqrt(np.diag(inverse)))):
            beta = beta + step  # the step that passed the test: quadratically closer still
            return NewtonResult(beta, risk_set_sums(data, beta), iteration)
        beta = _line_search(data, beta, step, sums)
        sums = risk_set_sums(data, beta)
    raise ConvergenceError(
        f"the Fine-Gray model did not converge in {control.max_iter} iterations (crr would "
        "report converged = FALSE); a coefficient may be infinite (a covariate level with no "
        "failures of the cause) — check sparse levels, or raise control.max_iter"
    )


def scaled_inverse(information: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """I⁻¹ inverted on the scaled covariates, S (S I S)⁻¹ S, as coxfit6 solves."""
    outer = np.outer(scale, scale)
    inverse = np.linalg.inv(information * outer) * outer
    return (inverse + inverse.T) / 2


def _line_search(data: FineGrayData, beta: np.ndarray, step: np.ndarray, sums: Sums) -> np.ndarray:
    """Halve the step until crr's sufficient-decrease test holds (within rounding)."""
    slack = ROUNDING * max(abs(sums.loglik), 1.0)
    for _ in range(MAX_HALVINGS + 1):  # crr tries the step and 20 halvings of it
        candidate = beta + step
        value = loglik_only(data, candidate)
        # crr continues while fbn > f + 1e-4·sum(sc·∇f): f = −loglik, ∇f = −score, sc the step.
        promised = ARMIJO * float(step @ sums.score)
        if np.isfinite(value) and -value <= -sums.loglik - promised + slack:
            return candidate
        step = step * 0.5
    raise ConvergenceError(
        "the Fine-Gray line search halved the Newton step 21 times without improving the "
        "pseudo-likelihood (crr would report converged = FALSE); the model may be "
        "unidentifiable — check for covariates that separate the failures"
    )
