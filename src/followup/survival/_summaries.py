"""Small result records that curves hand out: estimates at times, quantiles, restricted means."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SurvivalAtTimes:
    """A curve read at requested times, the columns of R's ``summary(fit, times=)``."""

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per requested time."""
        return pd.DataFrame(
            {
                "time": self.time,
                "at_risk": self.at_risk,
                "events": self.events,
                "censored": self.censored,
                "survival": self.survival,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )


NOT_REACHED = "NaN marks a quantile (or limit) the curve never reaches: 'not reached' in a report"


@dataclass(frozen=True)
class Quantiles:
    """Survival-time quantiles; NaN where the curve (or its limit) never gets that low."""

    probs: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_level: float

    @property
    def notes(self) -> tuple[str, ...]:
        """Why a value may be NaN."""
        values = np.concatenate((self.estimate, self.lower, self.upper))
        return (NOT_REACHED,) if np.isnan(values).any() else ()

    def to_frame(self) -> pd.DataFrame:
        """One row per probability."""
        return pd.DataFrame(
            {"prob": self.probs, "time": self.estimate, "lower": self.lower, "upper": self.upper}
        )


@dataclass(frozen=True)
class RestrictedMean:
    """Restricted mean survival time up to tau, with its standard error."""

    tau: float
    estimate: float
    std_err: float

    def to_frame(self) -> pd.DataFrame:
        """A one-row frame."""
        return pd.DataFrame([{"tau": self.tau, "rmst": self.estimate, "std_err": self.std_err}])
