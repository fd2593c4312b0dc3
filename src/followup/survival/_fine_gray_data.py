"""Fine–Gray's weighted counting-process data, as survival's finegray builds it for a Cox model.

Geskus (Biometrics 2011;67:39) showed the Fine–Gray estimate is a weighted Cox model on expanded
data: a subject who failed from a competing cause stays in the risk set after its failure, in
intervals between censoring times, each weighted by Ĝ(interval)/Ĝ(failure). Intervals that hold
no failure of the cause are left out, since they add nothing to the partial likelihood.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike, as_event_codes, as_times

FG_COLUMNS = ("fgstart", "fgstop", "fgstatus", "fgwt")


def fine_gray_data(
    time: ArrayLike,
    event: ArrayLike,
    covariates: Mapping[str, Any] | pd.DataFrame | None = None,
    *,
    cause: int = 1,
) -> pd.DataFrame:
    """Expanded (fgstart, fgstop] rows with weights fgwt; matches R's ``survival::finegray``.

    Equals ``finegray(Surv(time, factor(event)) ~ ., data, etype = cause)`` row for row: the
    result has ``row`` (the subject's position in the input), the covariates as given, then
    fgstart, fgstop, fgstatus (1 = failure from the cause) and fgwt. A Cox model
    ``Surv(fgstart, fgstop, fgstatus) ~ covariates`` weighted by fgwt is the Fine–Gray model with
    finegray's censoring weights (which, unlike crr's, drop the failures at a tied censoring time
    from the censoring risk set).
    """
    times = as_times(time).astype(np.float64)
    n = len(times)
    codes = as_event_codes(event, "event", n, None).astype(np.int64)
    if isinstance(cause, bool) or not isinstance(cause, int | np.integer) or cause < 1:
        raise InputError("cause", f"cause must be a cause number 1, 2, …; got {cause!r}")
    if not (codes == cause).any():
        raise InputError("cause", f"no subject has event code {cause}; nothing to model")
    frame = _covariate_frame(covariates, n)
    cut, weight = _censoring_cuts(times, codes, cause)
    keep = _kept_intervals(cut, times[codes == cause])
    competing = (codes != 0) & (codes != cause)
    # Each competing failure runs to the first cut at or after it, then adds the kept intervals.
    interval = np.searchsorted(cut, times, side="left")
    extra = np.where(competing, len(keep) - np.searchsorted(keep, interval, side="right"), 0)
    rows = np.repeat(np.arange(n), 1 + extra)
    first = np.concatenate(([0], np.cumsum(1 + extra)[:-1]))
    added = np.arange(len(rows)) - np.repeat(first, 1 + extra)  # 0 for the subject's own row
    zero = 0.0 if times.min() > 0 else 2 * times.min() - 1
    start = np.full(len(rows), zero)
    stop = times[rows].copy()
    wt = np.ones(len(rows))
    own = competing[rows] & (added == 0)
    stop[own] = cut[interval[rows[own]]]
    later = added > 0
    base = np.searchsorted(keep, interval[rows[later]], side="right")
    cut_index = keep[base + added[later] - 1]
    start[later] = cut[cut_index - 1]
    stop[later] = cut[cut_index]
    wt[later] = weight[cut_index] / weight[interval[rows[later]]]
    out = frame.iloc[rows].reset_index(drop=True)
    out.insert(0, "row", rows)
    out["fgstart"], out["fgstop"] = start, stop
    out["fgstatus"] = (codes[rows] == cause).astype(np.int64)
    out["fgwt"] = wt
    return out


def _covariate_frame(covariates: Mapping[str, Any] | pd.DataFrame | None, n: int) -> pd.DataFrame:
    if covariates is None:
        return pd.DataFrame(index=range(n))
    frame = pd.DataFrame(covariates).reset_index(drop=True)
    if len(frame) != n:
        raise InputError(
            "covariates", f"covariates has {len(frame)} rows but time has {n}; one per subject"
        )
    clash = [c for c in frame.columns if c in ("row", *FG_COLUMNS)]
    if clash:
        raise InputError("covariates", f"covariates has columns named {clash}; rename them")
    return frame


def _censoring_cuts(
    times: np.ndarray, codes: np.ndarray, cause: int
) -> tuple[np.ndarray, np.ndarray]:
    """finegray's ct2 and cp2: censoring times then the last time; Ĝ on the interval ending there.

    finegray moves every failure 0.2 of a time step earlier before the censoring Kaplan–Meier,
    so failures tied with a censoring leave the censoring risk set first.
    """
    distinct, counts = np.unique(times, return_counts=True)
    index = np.searchsorted(distinct, times)
    censored = np.bincount(index[codes == 0], minlength=len(distinct))
    later = len(times) - np.cumsum(counts)  # subjects with time beyond each distinct time
    at_risk = later + censored  # the censored at t, and everyone after t
    has = censored > 0
    survival = np.cumprod(1.0 - censored[has] / at_risk[has])
    cut = np.append(distinct[has], times.max())
    return cut, np.concatenate(([1.0], survival))


def _kept_intervals(cut: np.ndarray, cause_times: np.ndarray) -> np.ndarray:
    """Indices j ≥ 1 of the intervals (cut[j−1], cut[j]] that hold a failure of the cause."""
    within = np.searchsorted(cut, np.unique(cause_times), side="left")  # #{cut < t}
    return np.unique(within[within >= 1])
