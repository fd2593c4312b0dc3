"""A binary exposure that starts during follow-up (a transplant, a second SCT): tests and curves.

Comparing the ever-exposed with the never-exposed from time 0 credits the exposed with the time
they had to survive to be exposed (immortal-time bias). Here a subject counts as unexposed on
(0, exposure] and as exposed on (exposure, time], as R's ``tmerge(..., tdc(exposure))`` splits it:

- exposure at time 0: exposed from the start (one exposed interval);
- exposure on the last day of follow-up (exposure = time): no split, so an event on the exposure
  day is counted in the earlier, unexposed interval (shift the exposure by a fraction of a day
  to count it exposed, as survival's timedep vignette does for the Stanford heart patient 38);
- exposure missing (NaN): never exposed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._confidence import ConfType
from followup.survival._errors import InputError
from followup.survival._inputs import (
    ArrayLike,
    as_event_codes,
    as_times,
    as_vector,
    check_length,
    factorize,
)
from followup.survival._intervals import split_intervals
from followup.survival._kaplan_meier import KaplanMeier, KaplanMeierCurve, SeMethod, kaplan_meier
from followup.survival._logrank import LogRankTest, logrank_test
from followup.survival._risk_table import RiskTable, risk_table

EXPOSURE_STATES = ("unexposed", "exposed")


@dataclass(frozen=True)
class MantelByarTest:
    """Log-rank test with a time-dependent exposure: events and expectations per state, 1 df.

    ``observed``, ``expected`` and ``person_time`` are ordered (unexposed, exposed); ``variance``
    is the hypergeometric variance of the exposed state's O − E.
    """

    subjects: int
    in_state: np.ndarray  # subjects with some follow-up in each state
    person_time: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    variance: float
    chisq: float
    df: int
    p: float

    def to_frame(self) -> pd.DataFrame:
        """One row per state, the columns of R's ``print(survdiff(...))`` plus person-time."""
        return pd.DataFrame(
            {
                "state": list(EXPOSURE_STATES),
                "subjects": self.in_state,
                "person_time": self.person_time,
                "observed": self.observed,
                "expected": self.expected,
                "(O-E)^2/E": (self.observed - self.expected) ** 2 / self.expected,
                "(O-E)^2/V": (self.observed - self.expected) ** 2 / self.variance,
            }
        )


@dataclass(frozen=True)
class SimonMakuch:
    """Product-limit curves in which subjects move from the unexposed to the exposed curve."""

    curves: KaplanMeier

    @property
    def unexposed(self) -> KaplanMeierCurve:
        """The unexposed curve: every subject until its exposure (censored there)."""
        return self.curves.curve("unexposed")

    @property
    def exposed(self) -> KaplanMeierCurve:
        """The exposed curve: subjects enter its risk set at their exposure time."""
        return self.curves.curve("exposed")

    def to_frame(self) -> pd.DataFrame:
        """Both curves stacked, R's ``summary(fit, censored=TRUE)`` columns with a group column."""
        return self.curves.to_frame()


@dataclass(frozen=True)
class ExposureRows:
    """Subjects split at their exposure time, one row per (subject, state), in ``tmerge`` order."""

    subject: np.ndarray  # position of the subject in the input
    start: np.ndarray
    stop: np.ndarray
    event: np.ndarray
    exposed: np.ndarray  # bool

    @property
    def state(self) -> pd.Categorical[Any]:
        """'unexposed' / 'exposed' labels, unexposed first (the reference)."""
        return pd.Categorical.from_codes(self.exposed.astype(np.int8), pd.Index(EXPOSURE_STATES))


def mantel_byar_test(
    time: ArrayLike,
    event: ArrayLike,
    exposure_time: ArrayLike,
    *,
    strata: ArrayLike | None = None,
) -> MantelByarTest:
    """Mantel-Byar test; matches R's log-rank sums on ``tmerge`` rows (untied: ``coxph`` score).

    Mantel & Byar (1974, JASA 69:81-86): at each event time t the risk set is split by the state
    each subject is in just before t, and O − E and the hypergeometric variance
    d (n₁/n)(1 − n₁/n)(n − d)/(n − 1) are summed over event times (within ``strata``, if given).
    R's ``survdiff`` refuses (start, stop] data; without tied event times the statistic equals
    the score test of ``coxph(Surv(tstart, tstop, event) ~ exposed, ties = "breslow")``.
    """
    times, events, exposure = _check_exposure_inputs(time, event, exposure_time)
    rows = split_at_exposure(times, events, exposure)
    _require_both_states(rows)
    stratum_codes = None
    if strata is not None:
        stratum_codes = factorize(strata, "strata", len(times))[0][rows.subject]
    table = risk_table(
        rows.stop, rows.event, group=rows.state, strata=stratum_codes, entry=rows.start
    )
    test = _logrank_of_states(table)
    length = rows.stop - rows.start
    return MantelByarTest(
        subjects=len(times),
        in_state=np.bincount(rows.exposed, minlength=2),
        person_time=np.array([length[~rows.exposed].sum(), length[rows.exposed].sum()]),
        observed=test.observed,
        expected=test.expected,
        variance=float(test.variance[1, 1]),
        chisq=test.chisq,
        df=test.df,
        p=test.p,
    )


def _logrank_of_states(table: RiskTable) -> LogRankTest:
    """logrank_test on the split rows, its refusals worded for an exposure."""
    try:
        return logrank_test(table)
    except InputError as error:
        if error.argument != "group":
            raise
        raise InputError(
            "exposure_time",
            "only one exposure state has subjects at risk at the event times (no event happens "
            "while anyone is in the other state), so the states cannot be compared",
        ) from None


def simon_makuch(
    time: ArrayLike,
    event: ArrayLike,
    exposure_time: ArrayLike,
    *,
    se_method: SeMethod = "greenwood",
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
) -> SimonMakuch:
    """Simon-Makuch curves; matches R's ``survfit(Surv(tstart, tstop, event) ~ exposed)``.

    Simon & Makuch (1984, Stat Med 3:35-44): the Kaplan-Meier estimator with time-dependent
    group membership. A subject is at risk in the unexposed curve until its exposure (and leaves
    it there as a censoring), then enters the exposed curve's risk set, as a delayed entry. The
    curves are Kaplan-Meier on the tmerge-split rows, so ``n`` counts rows (R's ``fit$n``).
    """
    times, events, exposure = _check_exposure_inputs(time, event, exposure_time)
    rows = split_at_exposure(times, events, exposure)
    _require_both_states(rows)
    curves = kaplan_meier(
        rows.stop,
        rows.event,
        group=rows.state,
        entry=rows.start,
        se_method=se_method,
        conf_type=conf_type,
        conf_level=conf_level,
    )
    return SimonMakuch(curves)


def split_at_exposure(time: np.ndarray, event: np.ndarray, exposure: np.ndarray) -> ExposureRows:
    """Split each subject at its exposure time as ``tmerge(..., tdc(exposure))`` does.

    Trusts checked input (0 < time, 0 ≤ exposure ≤ time or NaN); the split is split_intervals'.
    """
    rows = split_intervals(np.arange(len(time)), time, event, changes={"exposed": exposure})
    return ExposureRows(
        rows["id"].to_numpy(),
        rows["start"].to_numpy(),
        rows["stop"].to_numpy(),
        rows["event"].to_numpy(),
        rows["exposed"].to_numpy().astype(bool),
    )


def _check_exposure_inputs(
    time: ArrayLike, event: ArrayLike, exposure_time: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times = as_times(time).astype(np.float64)
    events = as_event_codes(event, "event", len(times), 1).astype(np.int8)
    zero = times == 0
    if zero.any():
        position = int(np.flatnonzero(zero)[0])
        raise InputError(
            "time",
            f"time is 0 at position {position}: a subject needs follow-up after time 0 to enter "
            "a risk set split at exposure times (R's Surv refuses the interval (0, 0]); give it "
            "a small positive time, as survival's timedep vignette gives 0.5 day",
            position,
        )
    return times, events, as_exposure_times(exposure_time, times)


def as_exposure_times(values: ArrayLike, time: np.ndarray) -> np.ndarray:
    """Check exposure times: NaN (never exposed) or between 0 and the end of follow-up."""
    if isinstance(values, pd.Series):
        if not pd.api.types.is_numeric_dtype(values.dtype):
            raise InputError(
                "exposure_time",
                f"exposure_time must be numeric (missing for never exposed), got {values.dtype}",
            )
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    array = as_vector(values, "exposure_time")
    check_length(array, "exposure_time", len(time), "time")
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            array = np.array([], dtype=object)
    if array.dtype.kind == "b" or array.dtype.kind not in "iuf":
        raise InputError(
            "exposure_time",
            "exposure_time must be numeric times (missing/NaN for never exposed), got dtype "
            f"{np.asarray(values).dtype}; convert dates to durations from the time origin first",
        )
    exposure = array.astype(np.float64)
    _reject(
        np.isinf(exposure),
        exposure,
        "is infinite",
        "mark a subject never exposed with a missing value (NaN), not infinity",
    )
    _reject(
        exposure < 0,
        exposure,
        "is negative",
        "an exposure cannot precede the time origin: check the order of the dates",
    )
    after = exposure > time
    if after.any():
        position = int(np.flatnonzero(after)[0])
        raise InputError(
            "exposure_time",
            f"exposure_time is after the end of follow-up for {int(after.sum())} subject(s), "
            f"first at position {position} (exposure {exposure[position]:g}, time "
            f"{time[position]:g}); an exposure after follow-up ended cannot be observed: check "
            "the dates, or leave it missing if the subject was not exposed during follow-up",
            position,
        )
    return exposure


def _reject(bad: np.ndarray, exposure: np.ndarray, what: str, fix: str) -> None:
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InputError(
            "exposure_time",
            f"exposure_time {what} at position {position} ({exposure[position]:g}); {fix}",
            position,
        )


def _require_both_states(rows: ExposureRows) -> None:
    if rows.exposed.all() or not rows.exposed.any():
        state = "exposed from time 0" if rows.exposed.all() else "never exposed during follow-up"
        raise InputError(
            "exposure_time",
            f"every subject is {state}, so there is no comparison of exposure states; "
            "check exposure_time",
        )
