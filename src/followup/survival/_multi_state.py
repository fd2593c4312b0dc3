"""Multi-state models: the probability of being in each state over time (Aalen-Johansen).

For an illness-death model of a leukaemia cohort (alive in remission → relapse, → SCT, → death)
the curves show, at each time, the share of patients in each state; sums of states give
GRFS-type curves. With one transient state and competing absorbing ones the same estimate is the
cumulative incidence, and with a single absorbing state it is 1 − Kaplan-Meier.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._confidence import ConfType, check_conf, survival_interval
from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike, as_vector
from followup.survival._multi_state_engine import aalen_johansen
from followup.survival._multi_state_rows import prepare_rows

IJ_NOTE = (
    "std_err is R's infinitesimal-jackknife (robust, per-subject) standard error of the "
    "Aalen-Johansen probability; limits use R's conf.type transform of p with SE(log p) = SE/p"
)
BEFORE_FIRST_TIME = (
    "before a curve's first time the limits are those of p0 with SE 0 (R's summary() writes 0 "
    "for both limits there)"
)


@dataclass(frozen=True)
class StateOccupationCurve:
    """One curve (group): arrays over its distinct stop times, one column per state.

    ``at_risk`` and ``events`` are R's ``n.risk`` and ``n.event`` (unweighted counts: subjects in
    each state just before t, arrivals into each state at t); ``censored`` is ``n.censor``.
    ``transitions`` names the (from, to) pair of each column of ``n_transition`` and
    ``cumulative_hazard`` (the Nelson-Aalen estimate of that transition's hazard).
    """

    group: Hashable | None
    states: tuple[Hashable, ...]
    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    transitions: tuple[tuple[Hashable, Hashable], ...]
    n_transition: np.ndarray
    cumulative_hazard: np.ndarray
    initial: np.ndarray
    probability: np.ndarray
    std_err: np.ndarray
    conf_type: ConfType
    conf_level: float

    @property
    def lower(self) -> np.ndarray:
        """Lower confidence limits, [time, state]."""
        return self._limits(self.probability, self.std_err)[0]

    @property
    def upper(self) -> np.ndarray:
        """Upper confidence limits, [time, state]."""
        return self._limits(self.probability, self.std_err)[1]

    def _limits(self, p: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        log_se = np.zeros_like(se)
        np.divide(se, p, out=log_se, where=(se != 0) & (p > 0))
        log_se[(se != 0) & (p == 0)] = np.nan
        return survival_interval(p, log_se, self.conf_type, self.conf_level)

    def state(self, state: Hashable) -> int:
        """Column of one state."""
        if state not in self.states:
            raise InputError("state", f"no state {state!r}; states are {list(self.states)}")
        return self.states.index(state)

    def at(self, times: ArrayLike, *, extend: bool = False) -> pd.DataFrame:
        """Probabilities at given times, as R's ``summary(fit, times=)``: one row per time × state.

        ``at_risk`` counts subjects in the state at t (R's first row at or after t); ``events``
        counts arrivals since the previous requested time. A time past the last one is an error
        unless ``extend=True`` carries the last estimate forward.
        """
        requested = np.sort(as_vector(np.atleast_1d(np.asarray(times, dtype=float)), "times"))
        if len(requested) == 0 or not np.isfinite(requested).all() or (requested < 0).any():
            raise InputError("times", f"times must be finite, non-negative; got {requested}")
        if not extend and requested[-1] > self.time[-1]:
            raise InputError(
                "times",
                f"time {requested[-1]:g} is beyond the last time ({self.time[-1]:g}) of group "
                f"{self.group!r}; pass extend=True to carry the last estimate forward",
            )
        row = np.searchsorted(self.time, requested, side="right") - 1
        before = (row < 0)[:, None]
        pick = np.maximum(row, 0)
        p = np.where(before, self.initial, self.probability[pick])
        se = np.where(before, 0.0, self.std_err[pick])
        lower, upper = self._limits(p, se)
        first_after = np.searchsorted(self.time, requested, side="left")
        at_risk = np.vstack((self.at_risk, np.zeros(len(self.states))))[first_after]
        cumulative = np.vstack((np.zeros(len(self.states)), np.cumsum(self.events, axis=0)))
        events = np.diff(cumulative[row + 1], axis=0, prepend=0.0)
        return _long(self.group, self.states, requested,
                     {"at_risk": at_risk, "events": events, "probability": p, "std_err": se,
                      "lower": lower, "upper": upper})  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        """One row per time × state (R's ``summary(fit, censored=TRUE)`` in long form)."""
        return _long(self.group, self.states, self.time,
                     {"at_risk": self.at_risk, "events": self.events,
                      "probability": self.probability, "std_err": self.std_err,
                      "lower": self.lower, "upper": self.upper})  # fmt: skip

    def transitions_frame(self) -> pd.DataFrame:
        """One row per time × observed transition: counts and Nelson-Aalen cumulative hazard."""
        k = len(self.transitions)
        frame = pd.DataFrame(
            {
                "time": np.repeat(self.time, k),
                "from_state": [a for _ in self.time for a, _ in self.transitions],
                "to_state": [b for _ in self.time for _, b in self.transitions],
                "n_transition": self.n_transition.ravel(),
                "cumulative_hazard": self.cumulative_hazard.ravel(),
            }
        )
        if self.group is not None:
            frame.insert(0, "group", [self.group] * len(frame))
        return frame


@dataclass(frozen=True)
class StateOccupation:
    """All curves of one call, the states in R's order, and R's table of transitions."""

    curves: tuple[StateOccupationCurve, ...]
    states: tuple[Hashable, ...]
    transition_counts: pd.DataFrame
    notes: tuple[str, ...]

    def curve(self, group: Hashable | None = None) -> StateOccupationCurve:
        """The curve of one group; the only curve when there are no groups."""
        if group is None and len(self.curves) == 1:
            return self.curves[0]
        for c in self.curves:
            if c.group == group:
                return c
        known = [c.group for c in self.curves]
        raise InputError("group", f"no curve for group {group!r}; groups are {known}")

    def to_frame(self) -> pd.DataFrame:
        """All curves stacked, one row per group × time × state."""
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


def state_occupation(
    start: ArrayLike,
    stop: ArrayLike,
    state: ArrayLike,
    *,
    id: ArrayLike,
    initial_state: Any = None,
    group: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    censored: Hashable = 0,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
) -> StateOccupation:
    """Probability in each state (Aalen-Johansen); matches R's ``survfit(Surv(t1, t2, s) ~ g, id)``.

    One row per interval (start, stop] of a subject; ``state`` is the state entered at stop, or
    ``censored`` when the interval ends without a transition (a pandas Categorical's first
    category means censored, as R's factor). Subjects start in ``initial_state`` (a label, or one
    per row as R's ``istate``; by default R's "(s0)"). Probabilities are p(t) = p(t−)(I + dA(t))
    (Aalen & Johansen 1978) with p0 the shares at the first transition; ``std_err`` is R's
    infinitesimal-jackknife SE (per subject, so clustered on ``id``), limits R's ``conf.type``
    transform (default "log") of p. ``weights`` are case weights, one per subject.
    """
    check_conf(conf_type, conf_level)
    prepared = prepare_rows(
        start, stop, state, id=id, initial_state=initial_state, group=group,
        weights=weights, censored=censored,
    )  # fmt: skip
    curves = []
    for g, rows in enumerate(prepared.curves):
        fit = aalen_johansen(rows)
        names = tuple((prepared.states[a], prepared.states[b]) for a, b in fit.transitions)
        curves.append(
            StateOccupationCurve(
                prepared.groups[g] if prepared.groups else None,
                prepared.states,
                fit.time,
                fit.at_risk,
                fit.events,
                fit.censored,
                names,
                fit.n_transition,
                fit.cumulative_hazard,
                fit.initial,
                fit.probability,
                fit.std_err,
                conf_type,
                conf_level,
            )
        )
    return StateOccupation(
        tuple(curves), prepared.states, prepared.transition_counts, (IJ_NOTE, BEFORE_FIRST_TIME)
    )


def _long(
    group: Hashable | None,
    states: tuple[Hashable, ...],
    time: np.ndarray,
    columns: dict[str, np.ndarray],
) -> pd.DataFrame:
    s = len(states)
    frame = pd.DataFrame(
        {"time": np.repeat(time, s), "state": list(states) * len(time)}
        | {name: values.ravel() for name, values in columns.items()}
    )
    if group is not None:
        frame.insert(0, "group", [group] * len(frame))
    return frame
