"""The Aalen-Johansen core: state occupation probabilities and their infinitesimal-jackknife SE.

What survival 3.5's ``survfitci.c`` (Therneau) computes when ``survfit`` is given multi-state
``Surv(tstart, tstop, state)`` data, over rows the front door has already checked: contiguous
intervals per subject, each with the state it is in (``origin``) and the state it moves to at
its end (``target``, −1 for no transition).

At each time t with a transition, H(t) = I + dA(t) with dA[j, k] = (weighted moves j→k) / (weighted
number at risk in j) and dA[j, j] = −Σ_k dA[j, k]; p(t) = p(t−) H(t) (Aalen & Johansen 1978).
The influence of subject i on p is U_i ← U_i H(t) + p_j(t−)/n_j(t) · (dN_i(t) − Y_i(t) dA[j, ·]),
j the state i is in, and Var p_k(t) = Σ_i w_i² U_ik(t)²: the infinitesimal jackknife (Efron
1982) that R reports as ``std.err``. R updates every U_i at every time, O(subjects × times);
``_multi_state_influence`` gets the same variances from prefix scans over the transition times,
O(rows · log times). Counts here are bincounts over the sorted times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from followup.survival._multi_state_influence import propagate


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
    pair_of_row = np.full(len(rows.stop), -1, dtype=np.intp)
    pair_of_row[moves] = pair
    probability, std_err = propagate(rows, entry_row, stop_row, pair_of_row, hazard, transitions,
                                     weighted, initial)  # fmt: skip
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
    """Number (or weight) in each state with entry < t ≤ stop, at every time.

    Summed from the last time back, as survfitci.c does ("more additions than subtractions"):
    the small late risk sets then carry no rounding from the early ones (a last subject of
    weight 0.3 is 0.3 at risk, so its hazard is 1, not 1 + 1e-16 and a probability of −1e-16).
    """
    entering = entry_row > 0
    weights = None if weight is None else weight[entering]
    change = _counts(stop_row, state, weight, n_times, n_states)
    change -= _counts(entry_row[entering] - 1, state[entering], weights, n_times, n_states)
    return np.cumsum(change[::-1], axis=0)[::-1]


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
