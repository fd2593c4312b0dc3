"""The log-likelihood of an AFT model and its derivatives, R's survregc1.c vectorised over subjects.

With z = (y − η) / σ on y = log t, an event contributes g = log f(z) − log σ and a censored time
g = log(1 − F(z)). The score and information are taken with respect to the coefficients and
log σ (one per stratum), from the per-subject first and second derivatives of g in η and log σ
(Therneau, "A package for survival analysis in S", Mayo Clinic TR #53). J'J, the outer product of
the per-subject scores, is computed beside the information because survreg6 steps with it when the
information is not positive definite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._parametric_distributions import SMALL, Standard


@dataclass(frozen=True)
class AftData:
    """log times, event flags and the (rescaled) design, as survreg6 receives them.

    ``n_scales`` is 0 when the scale is fixed (its log is then the last element of beta, never
    moved), else the number of strata, each with its own log scale.
    """

    y: np.ndarray
    event: np.ndarray  # bool: an exact time (R's status 1), else right censored
    x: np.ndarray  # n × p, the intercept first
    weights: np.ndarray
    strata: np.ndarray  # 0..k−1
    strata_indicators: np.ndarray  # n × k one-hot, for sums by stratum
    n_scales: int
    standard: Standard


@dataclass(frozen=True)
class Derivatives:
    """loglik, score u, information I (minus the Hessian) and J'J in (β, log σ)."""

    loglik: float
    score: np.ndarray
    information: np.ndarray
    outer: np.ndarray


def _exact_parts(
    standard: Standard, z: np.ndarray, sz: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, ...]:
    f, ratio1, ratio2 = standard.exact(z)
    bad = f <= 0  # off the probability scale: survregc1 takes Gaussian limits, halving follows
    g = np.where(bad, SMALL, np.log(np.where(bad, 1.0, f)) - np.log(sigma))
    temp = ratio1 / sigma
    temp2 = ratio2 / (sigma * sigma)
    dg = -temp
    dsig = -temp * sz
    ddg = temp2 - dg * dg
    dsg = sz * temp2 - dg * (dsig + 1)
    ddsig = sz * sz * temp2 - dsig * (1 + dsig)
    dsig = dsig - 1
    zero = np.zeros_like(z)
    return (
        g,
        np.where(bad, -z / sigma, dg),
        np.where(bad, -1 / sigma, ddg),
        np.where(bad, zero, dsig),
        np.where(bad, zero, ddsig),
        np.where(bad, zero, dsg),
    )


def _censored_parts(
    standard: Standard, z: np.ndarray, sz: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, ...]:
    _, survival, f, fprime = standard.tail(z)
    bad = survival <= 0
    safe = np.where(bad, 1.0, survival)
    g = np.where(bad, SMALL, np.log(safe))
    temp = -f / (safe * sigma)
    temp2 = -fprime / (sigma * sigma * safe)
    dg = -temp
    dsig = -temp * sz
    ddg = temp2 - dg * dg
    dsg = sz * temp2 - dg * (dsig + 1)
    ddsig = sz * sz * temp2 - dsig * (1 + dsig)
    zero = np.zeros_like(z)
    return (
        g,
        np.where(bad, z / sigma, dg),
        np.where(bad, zero, ddg),
        np.where(bad, zero, dsig),
        np.where(bad, zero, ddsig),
        np.where(bad, zero, dsg),
    )


def log_scales(data: AftData, beta: np.ndarray) -> np.ndarray:
    """Each subject's log σ: its stratum's, or the fixed one appended to beta."""
    p = data.x.shape[1]
    if data.n_scales == 0:
        return np.full(len(data.y), beta[p])
    return beta[p : p + data.n_scales][data.strata]


def _subject_parts(data: AftData, beta: np.ndarray) -> np.ndarray:
    """g, dg, ddg, dsig, ddsig, dsg per subject (rows), exact and censored by their formulas."""
    p = data.x.shape[1]
    sigma = np.exp(log_scales(data, beta))
    sz = data.y - data.x @ beta[:p]
    z = sz / sigma
    parts = np.empty((6, len(z)))
    event = data.event
    for select, compute in ((event, _exact_parts), (~event, _censored_parts)):
        if select.any():
            parts[:, select] = np.vstack(
                compute(data.standard, z[select], sz[select], sigma[select])
            )
    return parts


def log_likelihood(data: AftData, beta: np.ndarray) -> float:
    """The loglik alone (survregc1's whichcase 1), for the halving steps."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return float(data.weights @ _subject_parts(data, beta)[0])


def derivatives(data: AftData, beta: np.ndarray) -> Derivatives:
    """survregc1 for right-censored data: loglik and its first two derivatives at beta."""
    p = data.x.shape[1]
    # NaN and ±inf from a wild step are what survreg6 tests for to halve it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g, dg, ddg, dsig, ddsig, dsg = _subject_parts(data, beta)
        w = data.weights
        k = data.n_scales
        score = np.empty(p + k)
        information = np.empty((p + k, p + k))
        outer = np.empty((p + k, p + k))
        x = data.x
        score[:p] = x.T @ (w * dg)
        information[:p, :p] = x.T @ (x * (-w * ddg)[:, None])
        outer[:p, :p] = x.T @ (x * (w * dg * dg)[:, None])
        if k:
            by_stratum = data.strata_indicators
            score[p:] = by_stratum.T @ (w * dsig)
            information[p:, :p] = -(by_stratum.T @ (x * (w * dsg)[:, None]))
            outer[p:, :p] = by_stratum.T @ (x * (w * dsig * dg)[:, None])
            information[p:, p:] = np.diag(by_stratum.T @ (-w * ddsig))
            outer[p:, p:] = np.diag(by_stratum.T @ (w * dsig * dsig))
            information[:p, p:] = information[p:, :p].T
            outer[:p, p:] = outer[p:, :p].T
        loglik = float(w @ g)
    return Derivatives(loglik, score, information, outer)


def glim_derivatives(
    data: AftData, log_sigma: np.ndarray, eta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """survreg.fit's derfun: dg and ddg − dg² per subject at η, for the "glim" starting values."""
    sigma = np.exp(log_sigma)
    z = (data.y - eta) / sigma
    _, survival, f, fprime = data.standard.tail(z)
    _, ratio1, ratio2 = data.standard.exact(z)
    event = data.event
    tdenom = 1 / (np.where(event, 1.0, survival) * sigma)
    dg = -tdenom * np.where(event, ratio1, -f)
    ddg = (tdenom / sigma) * np.where(event, ratio2, -fprime)
    return dg, ddg - dg * dg
