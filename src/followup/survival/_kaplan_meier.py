"""Kaplan-Meier survival curves with Greenwood or Peto standard errors, as R's ``survfit``."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

import numpy as np
import pandas as pd

from followup.survival._confidence import (
    UNDEFINED_INTERVAL,
    ConfType,
    check_conf,
    survival_interval,
)
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike, as_vector
from followup.survival._quantiles import find_quantiles
from followup.survival._risk_table import RiskTable, as_risk_table
from followup.survival._summaries import Quantiles, RestrictedMean, SurvivalAtTimes

SeMethod = Literal["greenwood", "peto"]
SE_METHODS: tuple[SeMethod, ...] = ("greenwood", "peto")

GREENWOOD_AT_ZERO = (
    "std_err is undefined (NaN) where survival drops to 0: Greenwood's variance of log S is "
    "infinite there, as in R"
)


@dataclass(frozen=True)
class KaplanMeierCurve:
    """One Kaplan-Meier curve: rows at each time where its group has an event or a censoring.

    ``std_err`` is the standard error of S (R's ``summary(fit)$std.err``); ``log_std_err`` that of
    −log S (R's ``fit$std.err``), which the confidence intervals are built from.
    """

    group: Hashable | None
    stratum: Hashable | None
    subjects: float
    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    survival: np.ndarray
    log_std_err: np.ndarray
    se_method: SeMethod
    conf_type: ConfType
    conf_level: float

    @property
    def std_err(self) -> np.ndarray:
        """Standard error of S (R's ``summary(fit)$std.err``)."""
        return _std_err_of_survival(self.survival, self.log_std_err)

    @property
    def lower(self) -> np.ndarray:
        """Lower confidence limit (computed on demand: a million rows need not pay for it)."""
        return self._interval()[0]

    @property
    def upper(self) -> np.ndarray:
        """Upper confidence limit."""
        return self._interval()[1]

    def _interval(self) -> tuple[np.ndarray, np.ndarray]:
        return survival_interval(self.survival, self.log_std_err, self.conf_type, self.conf_level)

    @property
    def notes(self) -> tuple[str, ...]:
        """Why some values are NaN, where any are."""
        notes = []
        if np.any(self.survival == 0):
            notes.append(GREENWOOD_AT_ZERO if self.se_method == "greenwood" else _PETO_AT_ZERO)
        if np.any(np.isnan(self.lower)):
            notes.append(UNDEFINED_INTERVAL[self.conf_type])
        return tuple(notes)

    def survival_at(self, times: ArrayLike, *, extend: bool = False) -> SurvivalAtTimes:
        """S(t) at the given times, as ``summary(fit, times=)``: the last estimate at or before t.

        Times are sorted. ``events`` counts events since the previous requested time; ``at_risk``
        counts subjects with time ≥ t. A time past the last follow-up is an error unless
        ``extend=True`` carries the last estimate forward (with nobody at risk).
        """
        requested = _requested_times(times, "times")
        if not extend and len(self.time) and requested.max() > self.time[-1]:
            raise InputError(
                "times",
                f"time {requested.max():g} is beyond the last follow-up ({self.time[-1]:g}) of "
                f"{self.label}; pass extend=True to carry the last estimate forward",
            )
        last_row = np.searchsorted(self.time, requested, side="right") - 1
        at_risk = self.at_risk_at(requested)
        before = last_row < 0
        row = np.maximum(last_row, 0)
        survival = np.where(before, 1.0, self.survival[row])
        if self.se_method == "peto":
            log_se = _peto_log_std_err(survival, at_risk)
        else:
            log_se = np.where(before, 0.0, self.log_std_err[row])
        std_err = _std_err_of_survival(survival, log_se)
        lower, upper = survival_interval(survival, log_se, self.conf_type, self.conf_level)
        # Before the first row R reads its inserted time-0 row, whose limits are exactly 1.
        lower, upper = np.where(before, 1.0, lower), np.where(before, 1.0, upper)
        events = _counts_between(self.events, last_row)
        censored = _counts_between(self.censored, last_row)
        return SurvivalAtTimes(
            requested, at_risk, events, censored, survival, std_err, lower, upper, self.notes
        )

    def at_risk_at(self, times: ArrayLike) -> np.ndarray:
        """Number at risk (time ≥ t) at each time, the row under a KM plot, as R counts it."""
        requested = np.asarray(times, dtype=float)
        first_row = np.searchsorted(self.time, requested, side="left")
        return np.concatenate((self.at_risk, [0.0]))[first_row]

    def quantiles(self, probs: ArrayLike = (0.25, 0.5, 0.75)) -> Quantiles:
        """Times by which a fraction p has had the event, with limits, as ``quantile(fit)``."""
        p = as_vector(probs, "probs").astype(float)
        if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
            raise InputError("probs", f"probs must lie in [0, 1]; got {p.tolist()}")
        lower_curve, upper_curve = self._interval()
        estimate = find_quantiles(self.time, self.survival, p)
        lower = find_quantiles(self.time, lower_curve, p)
        upper = find_quantiles(self.time, upper_curve, p)
        return Quantiles(p, estimate, lower, upper, self.conf_level)

    def median(self) -> Quantiles:
        """Median survival time with its confidence limits (NaN where not reached)."""
        return self.quantiles((0.5,))

    def restricted_mean(self, tau: float) -> RestrictedMean:
        """Area under the curve from 0 to tau with its SE, as ``print(fit, rmean=tau)``."""
        if not np.isfinite(tau) or tau <= 0:
            raise InputError("tau", f"tau must be a positive time; got {tau}")
        return restricted_mean(self.time, self.survival, self.at_risk, self.events, tau)

    @property
    def label(self) -> str:
        """Readable name of the curve for messages and tables."""
        parts = [str(v) for v in (self.stratum, self.group) if v is not None]
        return "the curve " + ", ".join(parts) if parts else "the curve"

    def to_frame(self) -> pd.DataFrame:
        """One row per time, R's ``summary(fit, censored=TRUE)`` columns."""
        frame = pd.DataFrame(
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
        return _labelled(frame, self.group, self.stratum)


@dataclass(frozen=True)
class KaplanMeier:
    """All curves of one call: one per group within each stratum."""

    curves: tuple[KaplanMeierCurve, ...]

    def curve(
        self, group: Hashable | None = None, stratum: Hashable | None = None
    ) -> KaplanMeierCurve:
        """The curve of one group (and stratum); the only curve when there are no groups."""
        return one_curve(self.curves, group, stratum)

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked, with group and stratum columns."""
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


def kaplan_meier(
    time: ArrayLike | RiskTable,
    event: ArrayLike | None = None,
    *,
    group: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    entry: ArrayLike | None = None,
    se_method: SeMethod = "greenwood",
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
) -> KaplanMeier:
    """Kaplan-Meier estimate per group and stratum; matches R's ``survfit(Surv(...) ~ group)``.

    S(t) = ∏_{t_i ≤ t} (1 − d_i / n_i). Greenwood: Var(−log S) = Σ d_i / (n_i (n_i − d_i)).
    Peto (Peto et al. 1977): SE(S) = S √((1 − S) / n(t)), n(t) the number at risk at t — the
    convention of several paediatric oncology groups. Intervals use R's ``conf.type`` transforms.
    ``time`` may also be a ready ``RiskTable`` (then give nothing else but the options).
    """
    _check_options(se_method, conf_type, conf_level)
    table = as_risk_table(time, event, group, strata, weights, entry, max_cause=1)
    curves = []
    for s, g, stratum_table in table.cells():
        deaths = stratum_table.deaths[:, g]
        censored = stratum_table.censored[:, g]
        at_risk = stratum_table.at_risk[:, g]
        times = stratum_table.time
        if table.n_groups > 1:  # keep the times at which this group has an exit
            rows = np.flatnonzero((deaths > 0) | (censored > 0))
            times, at_risk, deaths, censored = (
                times[rows],
                at_risk[rows],
                deaths[rows],
                censored[rows],
            )
        curves.append(
            _curve(
                times,
                at_risk,
                deaths,
                censored,
                labels=(
                    table.groups[g] if table.groups else None,
                    table.strata[s] if table.strata else None,
                ),
                subjects=float(table.subjects[s, g]),
                options=(se_method, conf_type, conf_level),
            )
        )
    return KaplanMeier(tuple(curves))


def _curve(
    time: np.ndarray,
    at_risk: np.ndarray,
    deaths: np.ndarray,
    censored: np.ndarray,
    *,
    labels: tuple[Hashable | None, Hashable | None],
    subjects: float,
    options: tuple[SeMethod, ConfType, float],
) -> KaplanMeierCurve:
    se_method, conf_type, conf_level = options
    survival = at_risk - deaths
    survival /= at_risk
    np.cumprod(survival, out=survival)
    if se_method == "greenwood":
        log_se = _greenwood_terms(at_risk, deaths)
        np.sqrt(np.cumsum(log_se, out=log_se), out=log_se)
    else:
        log_se = _peto_log_std_err(survival, at_risk)
    return KaplanMeierCurve(
        labels[0], labels[1], subjects, time, at_risk, deaths, censored, survival, log_se,
        se_method, conf_type, conf_level,
    )  # fmt: skip


_PETO_AT_ZERO = "the Peto interval is undefined (NaN) where survival drops to 0"


def _greenwood_terms(at_risk: np.ndarray, deaths: np.ndarray) -> np.ndarray:
    """d / (n (n − d)), infinite when everyone at risk dies (R's std.err is Inf there).

    n ≥ d + censored > 0 on every row, so the only division by zero is that intended one.
    """
    denominator = at_risk - deaths
    denominator *= at_risk
    with np.errstate(divide="ignore"):
        return np.divide(deaths, denominator, out=denominator)


def _peto_log_std_err(survival: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
    """Peto's SE on the −log S scale: √((1 − S) / n(t)); undefined with nobody at risk."""
    result = np.full(len(survival), np.nan)
    np.divide(1 - survival, at_risk, out=result, where=at_risk > 0)
    return np.sqrt(result)


def _std_err_of_survival(survival: np.ndarray, log_std_err: np.ndarray) -> np.ndarray:
    """SE of S = S · SE(−log S); NaN where S = 0 and SE(−log S) is infinite, as R's summary."""
    return np.where(
        np.isinf(log_std_err), np.nan, survival * np.where(np.isinf(log_std_err), 0, log_std_err)
    )


def _counts_between(counts: np.ndarray, last_row: np.ndarray) -> np.ndarray:
    cumulative = np.concatenate(([0.0], np.cumsum(counts)))[last_row + 1]
    return np.diff(cumulative, prepend=0.0)


def restricted_mean(
    time: np.ndarray, survival: np.ndarray, at_risk: np.ndarray, events: np.ndarray, tau: float
) -> RestrictedMean:
    """∫₀^τ S(t) dt and its SE, √(Σ A_i² d_i / (n_i (n_i − d_i))), A_i the area after t_i (R)."""
    keep = time <= tau
    step_times = np.concatenate((time[keep], [tau]))
    heights = np.concatenate(([1.0], survival[keep]))
    rectangles = np.diff(np.concatenate(([0.0], step_times))) * heights
    survivors = at_risk[keep] - events[keep]
    hazard_terms = np.zeros(int(keep.sum()))
    np.divide(events[keep], at_risk[keep] * survivors, out=hazard_terms, where=survivors > 0)
    area_after = np.cumsum(rectangles[::-1])[::-1][1:]
    variance = float(np.sum(area_after**2 * hazard_terms))
    return RestrictedMean(tau, float(rectangles.sum()), float(np.sqrt(variance)))


def _requested_times(times: ArrayLike, argument: str) -> np.ndarray:
    requested = as_vector(np.atleast_1d(np.asarray(times, dtype=float)), argument)
    if len(requested) == 0 or np.any(~np.isfinite(requested)) or np.any(requested < 0):
        raise InputError(
            argument, f"{argument} must be finite, non-negative times; got {requested.tolist()}"
        )
    return np.sort(requested)


def _check_options(se_method: str, conf_type: str, conf_level: float) -> None:
    if se_method not in SE_METHODS:
        raise InputError("se_method", f"se_method must be 'greenwood' or 'peto'; got {se_method!r}")
    check_conf(conf_type, conf_level)


class _Labelled(Protocol):
    @property
    def group(self) -> Hashable | None: ...

    @property
    def stratum(self) -> Hashable | None: ...


CurveT = TypeVar("CurveT", bound=_Labelled)


def one_curve(curves: Sequence[CurveT], group: Hashable | None, stratum: Hashable | None) -> CurveT:
    """The one curve of ``group`` (and ``stratum``); InputError listing the curves otherwise."""
    matches = [
        c
        for c in curves
        if (group is None or c.group == group) and (stratum is None or c.stratum == stratum)
    ]
    if len(matches) != 1:
        known = ", ".join(repr((c.stratum, c.group)) for c in curves)
        raise InputError(
            "group",
            f"no single curve for group={group!r}, stratum={stratum!r}; curves: {known}",
        )
    return matches[0]


def _labelled(
    frame: pd.DataFrame, group: Hashable | None, stratum: Hashable | None
) -> pd.DataFrame:
    if group is not None:
        frame.insert(0, "group", [group] * len(frame))
    if stratum is not None:
        frame.insert(0, "stratum", [stratum] * len(frame))
    return frame
