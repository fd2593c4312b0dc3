"""Landmark analysis: compare groups by their status at a fixed time, among those still at risk.

Anderson, Cain & Gelber (1983, J Clin Oncol 1:710-719) against the immortal-time bias of
"responders vs non-responders": fix a landmark L, keep the subjects alive and under follow-up
just after it (time > L, as ``dynpred::cutLM`` and Dafni 2011, Circ Cardiovasc Qual Outcomes
4:363-371), classify them by their status at L, and follow them from L. Who dies or is censored
at or before L is left out; what happens after L does not move anyone between groups.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from followup.survival._confidence import ConfType
from followup.survival._cox import CoxModel, cox_ph
from followup.survival._cox_likelihood import Ties
from followup.survival._errors import InputError
from followup.survival._exposure import EXPOSURE_STATES, as_exposure_times
from followup.survival._inputs import ArrayLike, as_event_codes, as_times, factorize
from followup.survival._kaplan_meier import KaplanMeier, SeMethod, kaplan_meier
from followup.survival._logrank import LogRankTest, logrank_test

GroupedBy = Literal["exposure", "group", "none"]


@dataclass(frozen=True)
class LandmarkAnalysis:
    """The at-risk set at the landmark, its curves from the landmark, log-rank and Cox model.

    ``curves`` measure time since the landmark (R's ``survfit(Surv(time - L, event) ~ g)``);
    ``curves_from_origin`` are the same curves on the original time scale (entry at L).
    ``logrank`` is None without groups, ``cox`` None unless asked for.
    """

    landmark: float
    grouped_by: GroupedBy
    groups: tuple[Hashable, ...]
    subjects: int
    at_risk: np.ndarray  # per group (one number without groups), at the landmark
    events_before: int  # events at or before the landmark: left out
    censored_before: int  # censored at or before the landmark: left out
    kept: np.ndarray  # positions of the subjects in the landmark set
    curves: KaplanMeier
    curves_from_origin: KaplanMeier
    logrank: LogRankTest | None
    cox: CoxModel | None

    def to_frame(self) -> pd.DataFrame:
        """One row per group: at risk at the landmark, then R's ``survdiff`` columns after it."""
        labels = list(self.groups) if self.groups else ["all"]
        events = np.array([int(c.events.sum()) for c in self.curves.curves])
        frame = pd.DataFrame({"group": labels, "at_risk": self.at_risk, "events": events})
        if self.logrank is not None:
            table = self.logrank.to_frame()
            for column in ("expected", "(O-E)^2/E", "(O-E)^2/V"):
                frame[column] = table[column].to_numpy()
        return frame


def landmark_analysis(
    time: ArrayLike,
    event: ArrayLike,
    *,
    landmark: float,
    exposure_time: ArrayLike | None = None,
    group: ArrayLike | None = None,
    cox: bool = False,
    covariates: Mapping[str, Any] | pd.DataFrame | None = None,
    ties: Ties = "efron",
    se_method: SeMethod = "greenwood",
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
) -> LandmarkAnalysis:
    """Landmark analysis; matches R's survfit, survdiff and coxph on ``subset(d, time > L)``.

    The landmark set is the subjects with time > ``landmark`` (a subject who dies or is censored
    exactly at L is not at risk after it), with time measured from L. Groups are either the
    exposure state at L (``exposure_time`` ≤ L: exposed, as ``tmerge`` counts an exposure at
    L from L on; NaN: never exposed) or a given ``group`` (e.g. response status at L). With
    ``cox=True`` or ``covariates`` (full-length, one value per subject), ``cox_ph`` is fitted on
    the landmark set with the group (named ``exposure`` or ``group``) first. With neither
    ``exposure_time`` nor ``group``, the result is the conditional survival curve from L.
    """
    times = as_times(time)
    n = len(times)
    events = as_event_codes(event, "event", n, 1).astype(np.int8)
    _check_landmark(landmark, times)
    kept = np.flatnonzero(times > landmark)
    grouped_by, labels = _landmark_groups(exposure_time, group, times, landmark, kept)
    since = times[kept] - landmark
    kept_events = events[kept]
    options: dict[str, Any] = {
        "se_method": se_method,
        "conf_type": conf_type,
        "conf_level": conf_level,
    }
    curves = kaplan_meier(since, kept_events, group=labels, **options)
    from_origin = kaplan_meier(
        times[kept], kept_events, group=labels, entry=np.full(len(kept), float(landmark)), **options
    )
    groups = tuple(c.group for c in curves.curves) if labels is not None else ()
    fit_cox = cox or covariates is not None
    if labels is not None or fit_cox:
        _require_events(kept_events, landmark)
    logrank = None if labels is None else _logrank(since, kept_events, labels)
    model = None
    if fit_cox:
        model = _landmark_cox(since, kept_events, grouped_by, labels, covariates, kept, n, ties)
    before = events[times <= landmark]
    return LandmarkAnalysis(
        landmark=float(landmark),
        grouped_by=grouped_by,
        groups=groups,
        subjects=n,
        at_risk=np.array([c.subjects for c in curves.curves], dtype=np.int64),
        events_before=int(before.sum()),
        censored_before=int(len(before) - before.sum()),
        kept=kept,
        curves=curves,
        curves_from_origin=from_origin,
        logrank=logrank,
        cox=model,
    )


def _check_landmark(landmark: float, times: np.ndarray) -> None:
    if isinstance(landmark, bool) or not isinstance(landmark, int | float | np.number):
        raise InputError("landmark", f"landmark must be a number (a time); got {landmark!r}")
    if not np.isfinite(landmark) or landmark < 0:
        raise InputError(
            "landmark", f"landmark must be a finite, non-negative time; got {landmark}"
        )
    if landmark >= times.max():
        raise InputError(
            "landmark",
            f"landmark {landmark:g} is at or after the last follow-up time ({times.max():g}): "
            "no subject is still at risk after it; choose an earlier landmark",
        )


def _landmark_groups(
    exposure_time: ArrayLike | None,
    group: ArrayLike | None,
    times: np.ndarray,
    landmark: float,
    kept: np.ndarray,
) -> tuple[GroupedBy, pd.Categorical[Any] | None]:
    """Group labels of the landmark set, as a Categorical so that the reference comes first."""
    if exposure_time is not None and group is not None:
        raise InputError(
            "group",
            "give either exposure_time (status at the landmark) or group, not both",
        )
    if exposure_time is not None:
        exposure = as_exposure_times(exposure_time, times)[kept]
        codes = (exposure <= landmark).astype(np.int8)  # NaN (never exposed) compares False
        labels = pd.Categorical.from_codes(codes, pd.Index(EXPOSURE_STATES))
        _require_two_groups(labels, "exposure_time", landmark)
        return "exposure", labels
    if group is not None:
        all_codes, levels = factorize(group, "group", len(times))
        labels = pd.Categorical.from_codes(all_codes[kept], pd.Index(levels, dtype=object))
        _require_two_groups(labels, "group", landmark)
        return "group", labels
    return "none", None


def _require_two_groups(labels: pd.Categorical[Any], argument: str, landmark: float) -> None:
    present = np.unique(labels.codes)
    if len(present) < 2:
        only = labels.categories[present[0]]
        raise InputError(
            argument,
            f"at landmark {landmark:g} every subject still at risk is in group {only!r}: there "
            "is nothing to compare; choose another landmark, or leave out "
            f"{argument} for the curve from the landmark",
        )


def _require_events(events: np.ndarray, landmark: float) -> None:
    if not events.any():
        raise InputError(
            "event",
            f"there are no events after landmark {landmark:g}, so no log-rank test can be "
            "computed; choose an earlier landmark",
        )


def _logrank(since: np.ndarray, events: np.ndarray, labels: pd.Categorical[Any]) -> LogRankTest:
    return logrank_test(since, events, group=labels)


def _landmark_cox(
    since: np.ndarray,
    events: np.ndarray,
    grouped_by: GroupedBy,
    labels: pd.Categorical[Any] | None,
    covariates: Mapping[str, Any] | pd.DataFrame | None,
    kept: np.ndarray,
    n: int,
    ties: Ties,
) -> CoxModel:
    """cox_ph on the landmark set: the group first, then the covariates, subset to it."""
    design: dict[str, Any] = {}
    if labels is not None:
        design[grouped_by] = labels
    items = (
        {str(c): covariates[c] for c in covariates.columns}
        if isinstance(covariates, pd.DataFrame)
        else dict(covariates or {})
    )
    for name, values in items.items():
        if name in design:
            raise InputError(
                "covariates",
                f"covariate {name!r} has the name of the landmark group; rename it",
            )
        design[name] = _subset(values, name, kept, n)
    if not design:
        raise InputError(
            "cox",
            "cox=True needs exposure_time, group or covariates: there is nothing to model",
        )
    return cox_ph(since, events, design, ties=ties)


def _subset(values: Any, name: str, kept: np.ndarray, n: int) -> Any:
    """One covariate's values for the subjects kept, keeping a categorical's level order."""
    if len(values) != n:
        raise InputError(
            name,
            f"covariate {name} has {len(values)} values but time has {n}; give one per subject",
        )
    if isinstance(values, pd.Series):
        return values.iloc[kept].reset_index(drop=True)
    if isinstance(values, pd.Categorical):
        return values[kept]
    return np.asarray(values)[kept]
