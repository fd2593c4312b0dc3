"""Pointwise confidence intervals for a survival probability, as R's ``survfit_confint`` makes them.

All three transforms take the standard error of −log S (what R's ``survfit()$std.err`` holds), so
Greenwood and Peto standard errors go through the same code.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.stats import norm

from followup.survival._errors import InputError

ConfType = Literal["log", "log-log", "plain"]
CONF_TYPES: tuple[ConfType, ...] = ("log", "log-log", "plain")

UNDEFINED_INTERVAL = {
    "log": "the log interval is undefined (NaN) where survival is 0, as in R",
    "log-log": "the log-log interval is undefined (NaN) where survival is 0 or 1, as in R",
    "plain": "the plain interval is undefined (NaN) where its standard error is",
}


def check_conf(conf_type: str, conf_level: float) -> None:
    """Reject an unknown transform or a level outside (0, 1) before any work is done."""
    if conf_type not in CONF_TYPES:
        raise InputError(
            "conf_type", f"conf_type must be one of {', '.join(CONF_TYPES)}; got {conf_type!r}"
        )
    if not 0 < conf_level < 1:
        raise InputError("conf_level", f"conf_level must be between 0 and 1; got {conf_level}")


def z_value(conf_level: float) -> float:
    """Two-sided normal quantile: 1.959964 for a 95% interval."""
    return float(norm.ppf(1 - (1 - conf_level) / 2))


def survival_interval(
    survival: np.ndarray, log_std_err: np.ndarray, conf_type: ConfType, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits; NaN exactly where R returns NA (the notes say why)."""
    z = z_value(conf_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = log_std_err * survival * z
            return np.maximum(survival - half, 0.0), np.minimum(survival + half, 1.0)
        if conf_type == "log":
            log_s = np.log(np.where(survival == 0, np.nan, survival))
            return np.exp(log_s - z * log_std_err), np.minimum(np.exp(log_s + z * log_std_err), 1.0)
        defined = np.where((survival == 0) | (survival == 1), np.nan, survival)
        log_log = np.log(-np.log(defined))
        half = z * log_std_err / np.log(defined)
        return np.exp(-np.exp(log_log - half)), np.exp(-np.exp(log_log + half))
