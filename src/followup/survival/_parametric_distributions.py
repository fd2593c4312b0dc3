"""The error distributions of an AFT model, as R's survreg.distributions and survregc1.c write them.

A parametric survival model here is ``log T = x'β + σ W``: the Weibull and exponential have an
extreme-value W, the log-normal a Gaussian one, the log-logistic a logistic one. Each standard
distribution gives, at z = (log t − x'β) / σ, what the likelihood needs: for an event the density
f and the ratios f'/f, f''/f; for a censored time the survival 1 − F, f and f'. They are written
as in survregc1.c (the logistic by its symmetry, the extreme value with z held within ±200) so
that a fit takes R's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import erf, erfc, expit, ndtri

DistributionName = Literal["weibull", "exponential", "lognormal", "loglogistic"]
DISTRIBUTIONS: tuple[DistributionName, ...] = ("weibull", "exponential", "lognormal", "loglogistic")

SMALL = -200.0  # survregc1.c: log f taken as this when f underflows, and the extreme value's bound

Arrays3 = tuple[np.ndarray, np.ndarray, np.ndarray]
Arrays4 = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Standard:
    """One standard (location 0, scale 1) distribution of W, and R's starting-value rule."""

    name: str
    exact: Callable[[np.ndarray], Arrays3]  # f, f'/f, f''/f   (survregc1.c case 1)
    tail: Callable[[np.ndarray], Arrays4]  # F, 1 − F, f, f'   (case 2)
    quantile: Callable[[np.ndarray], np.ndarray]
    survival: Callable[[np.ndarray], np.ndarray]  # 1 − F(z)
    density: Callable[[np.ndarray], np.ndarray]
    variance_divisor: float  # survreg.distributions' init: the variance of W is var(log t) / this


def _extreme_w(z: np.ndarray) -> np.ndarray:
    return np.exp(np.clip(z, SMALL, -SMALL))  # exvalue_d: "stop infinite answers"


def _extreme_exact(z: np.ndarray) -> Arrays3:
    w = _extreme_w(z)
    return w * np.exp(-w), 1 - w, w * (w - 3) + 1


def _extreme_tail(z: np.ndarray) -> Arrays4:
    w = _extreme_w(z)
    survival = np.exp(-w)
    return 1 - survival, survival, w * survival, w * survival * (1 - w)


def _logistic_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """logistic_d: w = exp(−|z|) so that exp never overflows; sign = −1 above 0."""
    w = np.exp(-np.abs(z))
    sign = np.where(z > 0, -1.0, 1.0)
    return w, sign, 1 + w


def _logistic_exact(z: np.ndarray) -> Arrays3:
    w, sign, temp = _logistic_parts(z)
    return w / (temp * temp), sign * (1 - w) / temp, (w * w - 4 * w + 1) / (temp * temp)


def _logistic_tail(z: np.ndarray) -> Arrays4:
    w, sign, temp = _logistic_parts(z)
    upper = z > 0
    small, large = w / temp, 1 / temp
    density = w / (temp * temp)
    cdf = np.where(upper, large, small)
    return cdf, np.where(upper, small, large), density, sign * density * (1 - w) / temp


_SQRT_2PI = 2.506628274631001
_SQRT_2 = 1.414213562373095


def _gauss_density(z: np.ndarray) -> np.ndarray:
    return np.exp(-z * z / 2) / _SQRT_2PI


def _gauss_exact(z: np.ndarray) -> Arrays3:
    return _gauss_density(z), -z, z * z - 1


def _gauss_tail(z: np.ndarray) -> Arrays4:
    density = _gauss_density(z)
    upper = z > 0
    near = (1 + erf(np.abs(z) / _SQRT_2)) / 2  # the side of the median z is on
    far = erfc(np.abs(z) / _SQRT_2) / 2
    return np.where(upper, near, far), np.where(upper, far, near), density, -z * density


def _extreme_quantile(p: np.ndarray) -> np.ndarray:
    return np.log(-np.log1p(-p))


def _logistic_quantile(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


EXTREME = Standard(
    "extreme value",
    _extreme_exact,
    _extreme_tail,
    _extreme_quantile,
    lambda z: np.exp(-np.exp(z)),
    lambda z: np.exp(z - np.exp(z)),
    1.64,
)
LOGISTIC = Standard(
    "logistic",
    _logistic_exact,
    _logistic_tail,
    _logistic_quantile,
    lambda z: expit(-z),
    lambda z: expit(z) * expit(-z),
    3.2,
)
GAUSSIAN = Standard(
    "Gaussian",
    _gauss_exact,
    _gauss_tail,
    ndtri,
    lambda z: erfc(z / _SQRT_2) / 2,
    _gauss_density,
    1.0,
)

STANDARD: dict[DistributionName, Standard] = {
    "weibull": EXTREME,
    "exponential": EXTREME,
    "lognormal": GAUSSIAN,
    "loglogistic": LOGISTIC,
}
FIXED_SCALE: dict[DistributionName, float] = {"exponential": 1.0}  # R's dist$scale
