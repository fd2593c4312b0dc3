"""Choosing the gamma frailty's variance θ as R's frailty.controlgam does (its "em" method).

Each outer iteration fits the penalised model at one θ; the I-likelihood (the partial likelihood
with the frailties integrated out, Therneau & Grambsch 2000 §9.6) is the penalised likelihood
plus frailty.gammacon's correction. The next θ is 1 after θ = 0, then 0.5 or 2, then R's
frailty.brent step on √θ; the search stops when the I-likelihood changes by less than eps
relative. Each fit starts from the earlier fit whose θ is closest to the new one, as
coxpenal.fit chooses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._cox_frailty_likelihood import FrailtyData
from followup.survival._cox_frailty_newton import FrailtyControl, PenalisedFit, penalised_newton
from followup.survival._errors import ConvergenceError


@dataclass(frozen=True)
class ThetaStep:
    """One row of R's history: θ, the penalised loglik, the I-likelihood."""

    theta: float
    loglik: float
    i_likelihood: float


@dataclass(frozen=True)
class ThetaSearch:
    """The outer loop's end: the last fit, its θ and I-likelihood, and how it got there."""

    fit: PenalisedFit
    theta: float
    i_likelihood: float
    history: tuple[ThetaStep, ...]  # empty for a fixed θ, as R keeps none
    outer_iterations: int
    newton_iterations: int
    inner_failures: tuple[int, ...]  # outer iterations whose inner loop ran out (R warns)


def search_theta(
    data: FrailtyData, theta: float | None, control: FrailtyControl, columns: tuple[str, ...]
) -> ThetaSearch:
    """coxpenal.fit's outer loop: fit at θ, ask frailty.controlgam for the next θ, until done.

    A fixed θ is one outer iteration. Raises ConvergenceError when the search is not done after
    control.outer_max fits, where R returns the last fit without a word.
    """
    current = 0.0 if theta is None else float(theta)  # R's "em" starts from no frailty
    beta, frailty = np.zeros(data.x.shape[0]), np.zeros(data.n_groups)
    history: list[ThetaStep] = []
    fits: list[PenalisedFit] = []
    tried = [current]
    newton, failures = 0, []
    for outer in range(1, control.outer_max + 1):
        fit = penalised_newton(data, current, beta, frailty, control, columns)
        newton += fit.iterations
        if fit.iterations >= control.max_iter:
            failures.append(outer)
        correction = gamma_correction(data.deaths_in_group, 1 / current) if current > 0 else 0.0
        i_likelihood = fit.loglik + correction
        done = theta is not None
        if not done:
            history.append(ThetaStep(current, fit.loglik, i_likelihood))
            proposal, done = next_theta(history, control.theta_eps)
        if done:
            return ThetaSearch(
                fit, current, i_likelihood, tuple(history), outer, newton, tuple(failures)
            )
        fits.append(fit)
        start = fits[0] if outer == 1 else fits[closest_start(tried, proposal)]
        beta, frailty = start.beta, start.frailty
        tried.append(proposal)
        current = proposal
    raise ConvergenceError(
        f"the search for the frailty variance did not converge in {control.outer_max} outer "
        f"iterations (last variance {history[-1].theta:g}, I-likelihood "
        f"{history[-1].i_likelihood:.6g}); R's coxph stops there without a warning. Raise "
        "control.outer_max (FrailtyControl(outer_max=30)) or give theta"
    )


def gamma_correction(deaths: np.ndarray, nu: float) -> float:
    """frailty.gammacon(d, ν): what turns the penalised into the integrated likelihood.

    ``deaths`` are the groups' event counts. Written as R writes it, term for term (the paired
    logarithms of its term2 included), so the two agree to rounding.
    """
    most = int(deaths.max())
    if nu > 1e7 * most:
        term1 = float(np.sum(deaths * deaths)) / nu  # second-order Taylor series, as R
    else:
        term1 = float(np.sum(deaths + nu * np.log(nu / (nu + deaths))))
    counts = np.bincount(deaths[deaths > 0].astype(np.intp), minlength=most + 1)[1:]
    at_least = np.cumsum(counts[::-1])[::-1]
    levels = np.arange(1, most + 1)
    numerator = nu + np.repeat(levels - 1.0, at_least)
    denominator = nu + np.repeat(levels.astype(float), counts * levels)
    return term1 + float(np.sum(np.log(numerator / denominator)))


def next_theta(history: list[ThetaStep], eps: float) -> tuple[float, bool]:
    """frailty.controlgam after an outer iteration: the next θ, and whether the search is done."""
    iteration = len(history)
    if iteration == 1:
        return 1.0, False
    if iteration == 2:
        if history[1].i_likelihood < history[0].i_likelihood + 1:
            return (history[0].theta + history[1].theta) / 2, False
        return 2 * history[1].theta, False
    done = abs(1 - history[-1].i_likelihood / history[-2].i_likelihood) < eps
    x = np.array([h.theta for h in history])
    y = np.array([h.i_likelihood for h in history])
    if y[-1] == y.max() and x[-1] == x.max():
        return 2 * float(x.max()), done
    return brent_step(np.sqrt(x), y, lower=0.0) ** 2, done


def brent_step(x: np.ndarray, y: np.ndarray, lower: float) -> float:
    """frailty.brent(x, y, lower): the next point of R's bracketing and parabolic search.

    Not Brent's full method: bracket the maximum by steps of 3 times the last spacing, then
    take the parabola through the best point and its neighbours, falling back to a golden-section
    step when that lands outside the bracket or bounces.
    """
    n = len(x)
    if n < 3:
        return float(np.mean(x))
    order = np.argsort(x, kind="stable")
    xx, yy = x[order], y[order]
    best_points = np.flatnonzero(yy == y.max())
    if len(best_points) > 1:
        raise ConvergenceError(  # R stops here too: "Ties for max(y), I surrender"
            "the search for the frailty variance met two variances with the same I-likelihood "
            "and cannot choose between them (as R's frailty.brent); give theta instead"
        )
    best = int(best_points[0])
    if best == 0:
        new = xx[0] - 3 * (xx[1] - xx[0])
        if new < lower:
            new = lower + (np.min(xx[xx > lower]) - lower) / 10
        return float(new)
    if best == n - 1:
        return float(xx[n - 1] + 3 * (xx[n - 1] - xx[n - 2]))
    xx, yy = xx[best - 1 : best + 2], yy[best - 1 : best + 2]
    temp1 = (xx[1] - xx[0]) ** 2 * (yy[1] - yy[2]) - (xx[1] - xx[2]) ** 2 * (yy[1] - yy[0])
    temp2 = (xx[1] - xx[0]) * (yy[1] - yy[2]) - (xx[1] - xx[2]) * (yy[1] - yy[0])
    new = xx[1] - 0.5 * temp1 / temp2
    if new < xx[0] or new > xx[2] or (n > 4 and (new - x[n - 1]) > 0.5 * abs(x[n - 2] - x[n - 3])):
        if (xx[1] - xx[0]) > (xx[2] - xx[1]):
            return float(xx[1] - 0.38 * (xx[1] - xx[0]))
        return float(xx[1] + 0.32 * (xx[2] - xx[1]))
    return float(new)


def closest_start(thetas: list[float], new_theta: float) -> int:
    """coxpenal.fit's start for the next fit: the first earlier fit with the nearest θ."""
    distance = (np.asarray(thetas) - new_theta) ** 2
    return int(np.flatnonzero(distance == distance.min())[0])
