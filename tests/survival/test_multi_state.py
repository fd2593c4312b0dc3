"""Multi-state Aalen-Johansen estimates against R's survfit(Surv(tstart, tstop, state) ~ g, id=).

Reference values: tests/reference/make_multi_state.R (survival's mgus2 and myeloid data built as
survival's vignettes build them, and mgus2 on the age scale for delayed entry). The engine's
prefix-scan standard errors are also held to the direct O(subjects × times) update R performs
(``direct_occupation`` below, the engine's own algorithm before the scans) on generated data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from followup.survival import InputError, cumulative_incidence, kaplan_meier
from followup.survival._multi_state import state_occupation
from followup.survival._multi_state_engine import Rows
from followup.survival._multi_state_rows import prepare_rows
from tests.reference import as_float, assert_matches, load

REFERENCE = load("multi_state")
CASES = REFERENCE["state_occupation"] + REFERENCE["entry"]


def _column(data: dict[str, Any], name: str) -> Any:
    """A column of a reference dataset; factors come back as Categoricals in R's level order."""
    if f"{name}_levels" in data:
        return pd.Categorical(data[name], categories=data[f"{name}_levels"])
    return np.asarray(data[name])


def _fit(case: dict[str, Any]) -> Any:
    data = REFERENCE["datasets"][case["dataset"]]
    columns = case["columns"]
    options = {
        key: _column(data, columns[name])
        for key, name in (("group", "group"), ("weights", "weights"), ("initial_state", "istate"))
        if columns[name]
    }
    return state_occupation(
        np.asarray(data["start"], dtype=float),
        np.asarray(data["stop"], dtype=float),
        _column(data, columns["state"]),
        id=np.asarray(data["id"]),
        **options,
    )


def _label(group: Any) -> str | None:
    """R's NA (no groups) is None here; the JSON decodes it as None or NaN."""
    return group if isinstance(group, str) else None


def _matrix(values: Any) -> np.ndarray:
    return np.array([as_float(row) for row in values])


CURVES = [
    pytest.param(case, curve, id=f"{case['name']}-{curve['group']}")
    for case in CASES
    for curve in case["curves"]
]


@pytest.mark.parametrize(("case", "expected"), CURVES)
def test_curves_match_survfit(case: dict[str, Any], expected: dict[str, Any]) -> None:
    fit = _fit(case)
    assert list(fit.states) == case["states"]
    curve = fit.curve(_label(expected["group"]))
    assert_matches(curve.time, expected["time"], what="time")
    assert_matches(curve.at_risk, _matrix(expected["n_risk"]), what="n.risk")
    assert_matches(curve.events, _matrix(expected["n_event"]), what="n.event")
    assert_matches(curve.censored, expected["n_censor"], what="n.censor")
    assert_matches(curve.probability, _matrix(expected["pstate"]), what="pstate")
    assert_matches(curve.std_err, _matrix(expected["std_err"]), what="std.err")
    assert_matches(curve.lower, _matrix(expected["lower"]), what="lower")
    assert_matches(curve.upper, _matrix(expected["upper"]), what="upper")


@pytest.mark.parametrize(("case", "expected"), CURVES)
def test_cumulative_hazards_match_survfit(case: dict[str, Any], expected: dict[str, Any]) -> None:
    fit = _fit(case)
    curve = fit.curve(_label(expected["group"]))
    cumhaz = _matrix(expected["cumhaz"])
    position = {state: k + 1 for k, state in enumerate(fit.states)}
    names = [f"{position[a]}.{position[b]}" for a, b in curve.transitions]
    for column, name in enumerate(case["cumhaz_names"]):
        source, target = name.split(".")
        if source == target:  # R lists a "move" into the same state; it is no transition
            continue
        assert_matches(curve.cumulative_hazard[:, names.index(name)], cumhaz[:, column], what=name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_transition_table_matches_survfit(case: dict[str, Any]) -> None:
    table = _fit(case).transition_counts
    expected = case["transitions"]
    counts = np.asarray(expected["count"], dtype=float)
    for i, source in enumerate(expected["from"]):
        for j, target in enumerate(expected["to"]):
            assert table.loc[source, target] == counts[i, j], (source, target)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_summary_at_times_matches_survfit(case: dict[str, Any]) -> None:
    fit = _fit(case)
    summary = case["summary"]
    groups = np.asarray(summary["group"])
    for label in dict.fromkeys(groups.tolist() if groups.dtype.kind != "f" else [None]):
        rows = groups == label if isinstance(label, str) else np.ones(len(groups), dtype=bool)
        curve = fit.curve(_label(label))
        at = curve.at(np.asarray(summary["time"])[rows])
        s = len(fit.states)

        def column(name: str, at: pd.DataFrame = at, s: int = s) -> np.ndarray:
            return at[name].to_numpy().reshape(-1, s)

        for ours, theirs in (
            ("probability", "pstate"), ("std_err", "std_err"), ("at_risk", "n_risk"),
            ("events", "n_event"),
        ):  # fmt: skip
            assert_matches(column(ours), _matrix(summary[theirs])[rows], what=theirs)
        started = np.asarray(summary["time"])[rows] >= curve.time[0]
        for name in ("lower", "upper"):
            assert_matches(column(name)[started], _matrix(summary[name])[rows][started], what=name)


def test_limits_before_the_first_time_are_those_of_p0() -> None:
    """R's summary() writes 0 for both limits before the first time; we give [p0, p0]."""
    case = next(c for c in CASES if c["name"] == "mgus2_death_after_pcm")
    at = _fit(case).curve().at([0.5])
    assert at["probability"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert at["lower"].iloc[0] == 1.0
    assert at["upper"].iloc[0] == 1.0
    assert at["lower"].iloc[1:].isna().all()


ENTRY_CASES = [c for c in REFERENCE["entry"]] + [
    c for c in REFERENCE["state_occupation"] if c["name"] == "mgus2_competing_by_sex"
]


@pytest.mark.parametrize("case", ENTRY_CASES, ids=lambda c: c["name"])
def test_cumulative_incidence_with_entry_matches_survfit(case: dict[str, Any]) -> None:
    data = REFERENCE["datasets"][case["dataset"]]
    columns = case["columns"]
    codes = pd.Categorical(data["event"], categories=data["event_levels"]).codes
    fit = cumulative_incidence(
        np.asarray(data["stop"], dtype=float),
        codes,
        entry=np.asarray(data["start"], dtype=float),
        group=np.asarray(data[columns["group"]]) if columns["group"] else None,
        weights=np.asarray(data[columns["weights"]]) if columns["weights"] else None,
    )
    assert "infinitesimal-jackknife" in fit.notes[0]
    for expected in case["curves"]:
        for cause in (1, 2):
            curve = fit.curve(cause, _label(expected["group"]))
            assert_matches(curve.time, expected["time"], what="time")
            assert_matches(curve.estimate, _matrix(expected["pstate"])[:, cause], what="pstate")
            assert_matches(curve.std_err, _matrix(expected["std_err"])[:, cause], what="se")
            assert_matches(curve.lower, _matrix(expected["lower"])[:, cause], what="lower")
            assert_matches(curve.upper, _matrix(expected["upper"])[:, cause], what="upper")
            if not columns["weights"]:
                assert_matches(curve.at_risk, _matrix(expected["n_risk"])[:, 0], what="n.risk")


def test_one_transition_by_hand() -> None:
    """n start together, one moves at t=1, the rest are censored at t=2.

    p = 1/n; the mover's influence is (1 − 1/n)/n, each stayer's −1/n², so the variance is
    ((n − 1)/n)²/n² + (n − 1)/n⁴ = (n − 1)/n³.
    """
    n = 7
    fit = state_occupation(
        np.zeros(n), [1] + [2] * (n - 1), ["moved"] + ["none"] * (n - 1), id=np.arange(n),
        censored="none",
    )  # fmt: skip
    curve = fit.curve()
    assert curve.states == ("(s0)", "moved")
    np.testing.assert_allclose(curve.probability[0], [1 - 1 / n, 1 / n], rtol=1e-15)
    np.testing.assert_allclose(curve.std_err[0], [np.sqrt((n - 1) / n**3)] * 2, rtol=1e-14)


# ------------------------------------------------------------------------ properties ---
@st.composite
def competing_data(draw: st.DrawFn, causes: int) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=30))
    time = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    event = draw(st.lists(st.integers(0, causes), min_size=n, max_size=n))
    group = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return pd.DataFrame({"time": time, "event": event, "group": group})


@settings(deadline=None)
@given(competing_data(causes=1))
def test_one_absorbing_state_is_one_minus_kaplan_meier(data: pd.DataFrame) -> None:
    assume(data.event.any())
    fit = state_occupation(np.zeros(len(data)), data.time, data.event, id=data.index)
    km = kaplan_meier(data.time, data.event).curves[0]
    curve = fit.curve()
    np.testing.assert_allclose(curve.time, km.time)
    np.testing.assert_allclose(1 - curve.probability[:, 1], km.survival, rtol=1e-12, atol=1e-15)


@settings(deadline=None)
@given(competing_data(causes=2))
def test_two_competing_states_are_the_cumulative_incidences(data: pd.DataFrame) -> None:
    assume(set(data.event) >= {1, 2})
    fit = state_occupation(
        np.zeros(len(data)), data.time, data.event, id=data.index, group=data.group
    )
    incidence = cumulative_incidence(data.time, data.event, group=data.group)
    for curve in fit.curves:
        for cause in (1, 2):
            expected = incidence.curve(cause, curve.group)
            np.testing.assert_allclose(curve.time, expected.time)
            np.testing.assert_allclose(
                curve.probability[:, cause], expected.estimate, rtol=1e-12, atol=1e-15
            )


@st.composite
def illness_death(draw: st.DrawFn) -> pd.DataFrame:
    """Subjects who may fall ill, then die; some enter late; rows split at illness."""
    rows = []
    for subject in range(draw(st.integers(1, 20))):
        entry = draw(st.integers(0, 3))
        ill = draw(st.one_of(st.none(), st.integers(entry + 1, 12)))
        end = draw(st.integers((ill or entry) + 1, 15))
        dies = draw(st.booleans())
        if ill is not None:
            rows.append((subject, entry, ill, "ill"))
        rows.append((subject, ill if ill is not None else entry, end, "dead" if dies else "none"))
    return pd.DataFrame(rows, columns=["id", "start", "stop", "state"])


@settings(deadline=None)
@given(illness_death())
def test_probabilities_sum_to_one_at_every_time(data: pd.DataFrame) -> None:
    assume((data.state != "none").any())
    state = pd.Categorical(data.state, categories=["none", "ill", "dead"])
    curve = state_occupation(data.start, data.stop, state, id=data.id).curve()
    np.testing.assert_allclose(curve.probability.sum(axis=1), 1.0, rtol=1e-12)
    assert (curve.probability >= -1e-15).all()
    assert np.isfinite(curve.std_err).all()


# ------------------------------------------- the fast standard errors and their oracle ---
def direct_occupation(rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, p(t) and IJ SE by the direct update of every subject at every time (R's method).

    At each time with a transition, U_i ← U_i (I + dA) + p_j(t−)/n_j (dN_i − Y_i dA[j, ·]) for
    subject i at risk in state j, and SE_k = √(Σ_i w_i² U_ik²): survfitci.c, O(subjects × times).
    """
    s = rows.n_states
    time = np.unique(rows.stop)
    moves = (rows.target >= 0) & (rows.target != rows.origin)
    n_subjects = int(rows.subject.max()) + 1
    weight = np.zeros(n_subjects)
    weight[rows.subject] = rows.weight
    events = rows.target >= 0
    first_event = rows.stop[events].min() if events.any() else rows.stop.max()
    at_start = (rows.entry < first_event) & (rows.stop >= first_event)
    shares = np.bincount(rows.origin[at_start], rows.weight[at_start], s).astype(float)
    p = shares / shares.sum()
    influence = np.zeros((n_subjects, s))
    se = np.zeros(s)
    probability, std_err = [], []
    for t in time:
        at_risk = (rows.entry < t) & (rows.stop >= t)
        n_risk = np.bincount(rows.origin[at_risk], rows.weight[at_risk], s)
        moving = moves & (rows.stop == t)
        step = np.zeros((s, s))
        np.add.at(step, (rows.origin[moving], rows.target[moving]), rows.weight[moving])
        if step.any():
            step /= np.where(n_risk > 0, n_risk, 1.0)[:, None]
            step[np.diag_indices(s)] -= step.sum(axis=1)
            scale = np.divide(p, n_risk, out=np.zeros(s), where=n_risk > 0)
            influence = influence @ (np.eye(s) + step)
            state = rows.origin[at_risk]
            influence[rows.subject[at_risk]] -= scale[state][:, None] * step[state]
            who, j, k = rows.subject[moving], rows.origin[moving], rows.target[moving]
            influence[who, k] += scale[j]
            influence[who, j] -= scale[j]
            se = np.sqrt(weight**2 @ influence**2)
            p = p @ (np.eye(s) + step)
        probability.append(p)
        std_err.append(se)
    return time, np.array(probability), np.array(std_err)


def _assert_same_variance(ours: np.ndarray, direct: np.ndarray, weight: np.ndarray) -> None:
    """Variances equal to 1e-10, or within 1e-13 of the size of the terms summed.

    The scan sums squares over subjects in aggregate: a variance that is 0 in exact arithmetic
    (a transition empties a state: a hazard of 1, or of 1 − 1e-16 when weighted counts round)
    comes out as rounding of the size of the terms, the largest variance of the curve or Σw²/(Σw)²
    (one subject's share), where the direct update squares each subject's 0 (R prints 1e-17).
    """
    size = max(float(np.max(direct**2, initial=0.0)), np.sum(weight**2) / np.sum(weight) ** 2)
    np.testing.assert_allclose(ours**2, direct**2, rtol=1e-10, atol=1e-13 * size)


@st.composite
def multi_state_histories(draw: st.DrawFn) -> pd.DataFrame:
    """Subjects entering late in "well" or "ill", moving well ⇄ ill → dead at tied whole days."""
    rows = []
    for subject in range(draw(st.integers(1, 25))):
        t = draw(st.integers(0, 4))
        state = draw(st.sampled_from(["well", "ill"]))
        weight = draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 0.3, 1.7]))
        group = draw(st.integers(0, 1))
        for _ in range(draw(st.integers(1, 4))):
            stop = draw(st.integers(t + 1, t + 6))
            choices = ["none", "dead", "ill" if state == "well" else "well"]
            to = draw(st.sampled_from(choices))
            rows.append((subject, t, stop, to, state, weight, group))
            if to in ("none", "dead"):
                break
            t, state = stop, to
    return pd.DataFrame(rows, columns=["id", "start", "stop", "to", "from", "w", "group"])


@settings(deadline=None, max_examples=300)
@given(multi_state_histories())
def test_scanned_standard_errors_equal_the_direct_update(data: pd.DataFrame) -> None:
    assume((data.to != "none").any())
    fit = state_occupation(
        data.start, data.stop, pd.Categorical(data.to, categories=["none", "well", "ill", "dead"]),
        id=data.id, initial_state=data["from"], weights=data.w, group=data.group,
    )  # fmt: skip
    prepared = prepare_rows(
        data.start, data.stop, pd.Categorical(data.to, categories=["none", "well", "ill", "dead"]),
        id=data.id, initial_state=data["from"], group=data.group, weights=data.w, censored=0,
    )  # fmt: skip
    for curve, rows in zip(fit.curves, prepared.curves, strict=True):
        time, probability, std_err = direct_occupation(rows)
        np.testing.assert_array_equal(curve.time, time)
        # The engine counts the weighted number at risk by cumulative sums over the times (R
        # too, in its own order): weights like 0.3 leave ~1e-15 where the oracle sums afresh.
        np.testing.assert_allclose(curve.probability, probability, rtol=1e-12, atol=1e-13)
        _assert_same_variance(curve.std_err, std_err, data.w.groupby(data.id).first().to_numpy())


@settings(deadline=None, max_examples=200)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(1, 8), st.integers(0, 2)), min_size=1,
        max_size=40,
    )
)  # fmt: skip
def test_entry_standard_errors_equal_the_direct_update(
    subjects: list[tuple[int, int, int]],
) -> None:
    entry = np.array([e for e, _, _ in subjects], dtype=float)
    time = entry + np.array([d for _, d, _ in subjects])
    event = np.array([c for _, _, c in subjects])
    assume(event.any())
    fit = cumulative_incidence(time, event, entry=entry)
    rows = Rows(entry, time, np.zeros(len(time), np.intp), np.where(event > 0, event, -1),
                np.arange(len(time)), np.ones(len(time)), int(event.max()) + 1)  # fmt: skip
    _, probability, std_err = direct_occupation(rows)
    for cause in range(1, int(event.max()) + 1):
        curve = fit.curve(cause)
        np.testing.assert_allclose(curve.estimate, probability[:, cause], rtol=1e-12, atol=1e-15)
        _assert_same_variance(curve.std_err, std_err[:, cause], np.ones(len(time)))


def test_direct_update_matches_survfit_on_a_reference_case() -> None:
    """The oracle itself against R: the myeloid illness-death curves of the first group."""
    case = next(c for c in CASES if c["name"] == "myeloid_by_trt")
    data = REFERENCE["datasets"][case["dataset"]]
    prepared = prepare_rows(
        np.asarray(data["start"], dtype=float), np.asarray(data["stop"], dtype=float),
        _column(data, "event"), id=np.asarray(data["id"]), initial_state=None,
        group=np.asarray(data["trt"]), weights=None, censored=0,
    )  # fmt: skip
    expected = case["curves"][0]
    time, probability, std_err = direct_occupation(prepared.curves[0])
    assert_matches(time, expected["time"], what="time")
    assert_matches(probability, _matrix(expected["pstate"]), what="pstate")
    assert_matches(std_err, _matrix(expected["std_err"]), what="std.err")


# ------------------------------------------------------------------------- bad input ---
def _rows(**changes: Any) -> dict[str, Any]:
    rows = {
        "start": [0.0, 5.0, 0.0], "stop": [5.0, 9.0, 4.0], "state": ["ill", "dead", "none"],
        "id": ["a", "a", "b"],
    }  # fmt: skip
    return rows | changes


def _call(rows: dict[str, Any], **options: Any) -> Any:
    return state_occupation(
        rows["start"], rows["stop"], rows["state"], id=rows["id"], censored="none", **options
    )


@pytest.mark.parametrize(
    ("changes", "options", "field", "words"),
    [
        ({"start": [0.0, 4.0, 0.0]}, {}, "start", "id 'a': row 1 (4, 9] overlaps row 0"),
        ({"start": [0.0, 6.0, 0.0]}, {}, "start", "leaves a gap after row 0"),
        ({"stop": [5.0, 5.0, 4.0]}, {}, "stop", "row 1 (id 'a') runs from 5 to 5"),
        ({"start": [0.0, np.nan, 0.0]}, {}, "start", "missing or infinite"),
        ({"stop": [5.0, 9.0, -4.0]}, {}, "stop", "negative"),
        ({"id": ["a", None, "b"]}, {}, "id", "id is missing at row 1"),
        ({}, {"weights": [1.0, 2.0, 1.0]}, "weights", "id 'a': weights changes at row 1"),
        ({}, {"weights": [1.0, 1.0, 0.0]}, "weights", "positive"),
        ({}, {"group": ["x", "y", "x"]}, "group", "id 'a': group changes at row 1"),
        ({}, {"initial_state": ["well", "well", "well"]}, "initial_state",
         "row 1 gives initial_state 'well' but the subject's earlier rows leave it in 'ill'"),
        ({}, {"conf_level": 1.5}, "conf_level", "between 0 and 1"),
    ],
)  # fmt: skip
def test_bad_rows_are_named(
    changes: dict[str, Any], options: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InputError, match=None) as raised:
        _call(_rows(**changes), **options)
    assert raised.value.argument == field
    assert words in str(raised.value)


def test_an_unknown_censoring_label_is_named() -> None:
    rows = _rows(state=["ill", "dead", "lost"])
    with pytest.raises(InputError, match="censored label 'none'") as raised:
        _call(rows)
    assert raised.value.argument == "state"


def test_times_past_the_end_need_extend() -> None:
    curve = _call(_rows()).curve()
    with pytest.raises(InputError, match="extend=True"):
        curve.at([20])
    extended = curve.at([20], extend=True)
    assert extended["at_risk"].sum() == 0
    assert extended["probability"].tolist() == curve.probability[-1].tolist()


def test_entry_with_a_risk_table_is_refused() -> None:
    from followup.survival import risk_table

    table = risk_table([3, 4], [1, 0])
    with pytest.raises(InputError, match="do not pass entry"):
        cumulative_incidence(table, entry=[0, 0])
