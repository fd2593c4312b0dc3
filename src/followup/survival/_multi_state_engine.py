"""The Aalen-Johansen core: state occupation probabilities and their infinitesimal-jackknife SE.

A transcription of survival 3.5's ``survfitci.c`` (Therneau), which ``survfit`` runs for
multi-state ``Surv(tstart, tstop, state)`` data, over rows the front door has already checked:
contiguous intervals per subject, each with the state it is in (``origin``) and the state it
moves to at its end (``target``, −1 for no transition).

At each time t with a transition, H(t) = I + dA(t) with dA[j, k] = (weighted moves j→k) / (weighted
number at risk in j) and dA[j, j] = −Σ_k dA[j, k]; p(t) = p(t−) H(t) (Aalen & Johansen 1978).
The influence of subject i on p is carried forward as U_i ← U_i H(t) + p_j(t−)/n_j(t) ·
(dN_i(t) − Y_i(t) dA[j, ·]), j the state i is in, and Var p_k(t) = Σ_i w_i² U_ik(t)²: the
infinitesimal jackknife (Efron 1982) that R reports as ``std.err``. U is updated for every subject
at every transition time, a vectorised pass over subjects per time, O(subjects × times × states).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rows:
    """One curve's rows: (entry, stop] in state ``origin``, moving to ``target`` at stop."""

    entry: np.ndarray
    stop: np.ndarray
    origin: np.ndarray  # state index during the interval
    target: np.ndarray  # state entered at stop, −1 when the row ends without a transition
    subject: np.ndarray  # 0 .. n_subjects − 1
    weight: np.ndarray
    n_states: int


@dataclass(frozen=True)
class Estimate:
    """Everything R's multi-state ``survfit`` reports for one curve, one row per distinct stop."""

    time: np.ndarray
    at_risk: np.ndarray  # [time, state], unweighted, as R's n.risk
    weighted_at_risk: np.ndarray  # [time, state]
    events: np.ndarray  # [time, state]: arrivals into each state (R's n.event)
    weighted_events: np.ndarray  # [time, state]
    censored: np.ndarray  # [time]: rows ending without a transition (R's n.censor)
    transitions: np.ndarray  # [k, 2]: (from, to) of each observed transition
    n_transition: np.ndarray  # [time, k], unweighted
    cumulative_hazard: np.ndarray  # [time, k]: Nelson-Aalen of each transition
    initial: np.ndarray  # [state]: p0
    probability: np.ndarray  # [time, state]
    std_err: np.ndarray  # [time, state]


def aalen_johansen(rows: Rows) -> Estimate:
    """Estimate, counts and IJ standard errors at every distinct stop time of the rows."""
    s = rows.n_states
    time = np.unique(rows.stop)
    n_times = len(time)
    stop_row = np.searchsorted(time, rows.stop)
    entry_row = np.searchsorted(time, rows.entry, side="right")  # at risk from here: entry < t
    at_risk = _in_state_counts(entry_row, stop_row, rows.origin, None, n_times, s)
    weighted = _in_state_counts(entry_row, stop_row, rows.origin, rows.weight, n_times, s)
    moves = (rows.target >= 0) & (rows.target != rows.origin)
    events = _counts(stop_row[moves], rows.target[moves], None, n_times, s)
    weighted_events = _counts(stop_row[moves], rows.target[moves], rows.weight[moves], n_times, s)
    censored = np.bincount(stop_row[rows.target < 0], minlength=n_times).astype(float)
    pair_code = rows.origin[moves] * s + rows.target[moves]
    codes = np.unique(pair_code)
    transitions = np.column_stack((codes // s, codes % s)).astype(np.intp)
    pair = np.searchsorted(codes, pair_code)
    n_transition = _counts(stop_row[moves], pair, None, n_times, len(codes))
    weighted_moves = _counts(stop_row[moves], pair, rows.weight[moves], n_times, len(codes))
    from_state = transitions[:, 0]
    hazard = np.zeros_like(weighted_moves)
    np.divide(weighted_moves, weighted[:, from_state], out=hazard, where=weighted_moves > 0)
    initial = _initial_probabilities(rows)
    probability, std_err = _propagate(rows, time, entry_row, stop_row, moves, hazard,
                                      transitions, weighted, initial)  # fmt: skip
    return Estimate(
        time, at_risk, weighted, events, weighted_events, censored, transitions, n_transition,
        np.cumsum(hazard, axis=0), initial, probability, std_err,
    )  # fmt: skip


def _in_state_counts(
    entry_row: np.ndarray,
    stop_row: np.ndarray,
    state: np.ndarray,
    weight: np.ndarray | None,
    n_times: int,
    n_states: int,
) -> np.ndarray:
    """Number (or weight) in each state with entry < t ≤ stop, at every time."""
    change = _counts(entry_row, state, weight, n_times + 1, n_states)
    change -= _counts(stop_row + 1, state, weight, n_times + 1, n_states)
    return np.cumsum(change, axis=0)[:n_times]


def _counts(
    row: np.ndarray, column: np.ndarray, weight: np.ndarray | None, n_rows: int, n_columns: int
) -> np.ndarray:
    flat = np.bincount(row * n_columns + column, weights=weight, minlength=n_rows * n_columns)
    return flat.astype(float).reshape(n_rows, n_columns)


def _initial_probabilities(rows: Rows) -> np.ndarray:
    """p0: the weighted share of each state among rows at risk at the first transition (R)."""
    status = rows.target >= 0
    t0 = rows.stop[status].min() if status.any() else rows.stop.max()
    at_zero = (rows.entry < t0) & (rows.stop >= t0)
    share = np.bincount(rows.origin[at_zero], weights=rows.weight[at_zero], minlength=rows.n_states)
    return share / share.sum()


def _propagate(
    rows: Rows,
    time: np.ndarray,
    entry_row: np.ndarray,
    stop_row: np.ndarray,
    moves: np.ndarray,
    hazard: np.ndarray,
    transitions: np.ndarray,
    weighted: np.ndarray,
    initial: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """p(t) and SE(p(t)) at every time, walking forward over the times with a transition."""
    s = rows.n_states
    n_subjects = int(rows.subject.max()) + 1
    probability = np.empty((len(time), s))
    std_err = np.empty((len(time), s))
    influence = np.zeros((n_subjects, s))
    in_state = np.zeros(n_subjects, dtype=np.intp)
    present = np.zeros(n_subjects, dtype=bool)
    weight = np.zeros(n_subjects)
    by_entry = np.argsort(entry_row, kind="stable")
    by_stop = np.argsort(stop_row, kind="stable")
    entry_sorted, stop_sorted = entry_row[by_entry], stop_row[by_stop]
    mover_rows = np.flatnonzero(moves)
    mover_rows = mover_rows[np.argsort(stop_row[mover_rows], kind="stable")]
    mover_time = stop_row[mover_rows]
    p = initial.copy()
    se = np.zeros(s)
    done = entered = 0
    previous = 0
    for m in np.flatnonzero(hazard.sum(axis=1) > 0).tolist():
        probability[previous:m] = p
        std_err[previous:m] = se
        previous = m
        # Rows that ended before t leave, then rows with entry < t ≤ stop join (in that order:
        # a subject's next interval starts where its last one stopped).
        leaving = by_stop[done : np.searchsorted(stop_sorted, m, side="left")]
        present[rows.subject[leaving]] = False
        done += len(leaving)
        joining = by_entry[entered : np.searchsorted(entry_sorted, m, side="right")]
        entered += len(joining)
        joining = joining[stop_row[joining] >= m]  # not those that came and went in between
        present[rows.subject[joining]] = True
        in_state[rows.subject[joining]] = rows.origin[joining]
        weight[rows.subject[joining]] = rows.weight[joining]
        step = np.zeros((s, s))
        np.add.at(step, (transitions[:, 0], transitions[:, 1]), hazard[m])
        outflow = step.sum(axis=1)
        step[np.arange(s), np.arange(s)] -= outflow
        scale = np.zeros(s)
        np.divide(p, weighted[m], out=scale, where=weighted[m] > 0)
        active = np.flatnonzero(outflow > 0)
        influence += influence[:, active] @ step[active]
        exposed = np.flatnonzero(present & (outflow[in_state] > 0))
        states = in_state[exposed]
        influence[exposed] -= scale[states][:, None] * step[states]
        first, last = np.searchsorted(mover_time, (m, m + 1))
        movers = mover_rows[first:last]
        who, origin = rows.subject[movers], rows.origin[movers]
        np.add.at(influence, (who, rows.target[movers]), scale[origin])
        np.add.at(influence, (who, origin), -scale[origin])
        se = np.sqrt(weight**2 @ influence**2)
        p = p @ (np.eye(s) + step)
    probability[previous:] = p
    std_err[previous:] = se
    return probability, std_err
