"""Mantel-Byar and Simon-Makuch against R (tests/reference/make_landmark.R) and by hand."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from followup.survival import InputError, kaplan_meier
from followup.survival._exposure import (
    mantel_byar_test,
    simon_makuch,
    split_at_exposure,
)
from tests.reference import RELATIVE, assert_matches, load

REFERENCE = load("landmark")
CURVE_COLUMNS = {
    "time": "time",
    "at_risk": "n_risk",
    "events": "n_event",
    "censored": "n_censor",
    "survival": "surv",
    "std_err": "std_err",
    "lower": "lower",
    "upper": "upper",
}


def data_of(name: str) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in REFERENCE["datasets"][name].items()}


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


@pytest.mark.parametrize("name", sorted(REFERENCE["split_rows"]))
def test_split_rows_are_tmerges(name: str) -> None:
    data, expected = data_of(name), REFERENCE["split_rows"][name]
    rows = split_at_exposure(
        data["time"].astype(float), data["event"].astype(np.int8), data["exposure"].astype(float)
    )
    np.testing.assert_array_equal(rows.subject + 1, expected["id"])
    assert_matches(rows.start, expected["tstart"])
    assert_matches(rows.stop, expected["tstop"])
    np.testing.assert_array_equal(rows.event, expected["event"])
    np.testing.assert_array_equal(rows.exposed, np.asarray(expected["exposed"]) == 1)


@pytest.mark.parametrize("case", REFERENCE["mantel_byar"], ids=ids(REFERENCE["mantel_byar"]))
def test_mantel_byar_matches_the_loop_over_event_times_in_r(case: dict[str, Any]) -> None:
    data = data_of(case["dataset"])
    test = mantel_byar_test(
        data["time"],
        data["event"],
        data["exposure"].astype(float),
        strata=data["trt"] if case["stratified"] else None,
    )
    assert test.subjects == case["subjects"]
    np.testing.assert_array_equal(test.in_state, case["in_state"])
    assert_matches(test.person_time, case["person_time"], what="person-time")
    assert_matches(test.observed, case["observed"], what="observed")
    assert_matches(test.expected, case["expected"], what="expected")
    assert_matches(test.variance, case["variance"], what="variance")
    assert_matches(test.chisq, case["chisq"], what="chisq")
    assert_matches(test.p, case["p"], what="p")
    assert test.df == 1


@pytest.mark.parametrize("case", REFERENCE["mantel_byar"], ids=ids(REFERENCE["mantel_byar"]))
def test_mantel_byar_is_coxphs_breslow_score_test_exactly_when_no_event_times_tie(
    case: dict[str, Any],
) -> None:
    data = data_of(case["dataset"])
    strata = data["trt"] if case["stratified"] else None
    chisq = mantel_byar_test(
        data["time"], data["event"], data["exposure"].astype(float), strata=strata
    ).chisq
    if case["tied_event_times"]:  # hypergeometric vs binomial variance: they must differ
        assert abs(chisq - case["coxph_breslow_score"]) > 1e-6 * chisq
    else:
        assert_matches(chisq, case["coxph_breslow_score"], RELATIVE, "coxph score test")


def test_mantel_byar_of_the_small_example_by_hand() -> None:
    """Risk sets worked out on paper from the rows of make_landmark.R's ``hand`` example.

    Event times 2, 3, 5, 6 (two deaths), 9, 10; at each, (n, exposed at risk n1, deaths d,
    exposed deaths d1) = (10, 2, 1, 0), (9, 3, 1, 1), (7, 3, 1, 0), (6, 3, 2, 1), (3, 1, 1, 0),
    (2, 1, 1, 1).
    Subject 4, exposed on the day it died (5), counts unexposed there.
    """
    risk_sets = [
        (10, 2, 1, 0),
        (9, 3, 1, 1),
        (7, 3, 1, 0),
        (6, 3, 2, 1),
        (3, 1, 1, 0),
        (2, 1, 1, 1),
    ]
    expected = sum(Fraction(d * n1, n) for n, n1, d, _ in risk_sets)
    variance = sum(
        Fraction(d * n1 * (n - n1) * (n - d), n * n * (n - 1)) for n, n1, d, _ in risk_sets
    )
    observed = sum(d1 for *_, d1 in risk_sets)
    data = data_of("hand")
    test = mantel_byar_test(data["time"], data["event"], data["exposure"].astype(float))
    assert_matches(test.expected[1], float(expected))
    assert_matches(test.variance, float(variance))
    assert test.observed[1] == observed
    assert_matches(test.chisq, float((observed - expected) ** 2 / variance))


def mantel_byar_slowly(
    time: np.ndarray, event: np.ndarray, exposure: np.ndarray
) -> tuple[float, float, float]:
    """The definition, subject by subject: exposed at t when exposure < t (so never when NaN)."""
    observed = expected = variance = 0.0
    for t in np.unique(time[event == 1]):
        at_risk = time >= t
        exposed = at_risk & (exposure < t)
        n, n1 = at_risk.sum(), exposed.sum()
        dead = (time == t) & (event == 1)
        d, d1 = dead.sum(), (dead & exposed).sum()
        observed += d1
        expected += d * n1 / n
        if n > 1:
            variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    return observed, expected, variance


@st.composite
def exposure_data(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 30))
    time = np.array(draw(st.lists(st.integers(1, 10), min_size=n, max_size=n)), dtype=float)
    event = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    fraction = np.array(draw(st.lists(st.sampled_from([None, 0, 0.5, 1]), min_size=n, max_size=n)))
    exposure = np.array(
        [np.nan if f is None else np.floor(f * t) for f, t in zip(fraction, time, strict=True)]
    )
    return pd.DataFrame({"time": time, "event": event, "exposure": exposure})


@given(exposure_data())
def test_mantel_byar_equals_its_definition_on_made_up_data(data: pd.DataFrame) -> None:
    observed, expected, variance = mantel_byar_slowly(
        data.time.to_numpy(), data.event.to_numpy(), data.exposure.to_numpy()
    )
    # Both states must have someone at risk at some event time (else: InputError, tested below).
    assume(0 < expected < data.event.sum() and variance > 0)
    test = mantel_byar_test(data.time, data.event, data.exposure)
    np.testing.assert_allclose(
        [test.observed[1], test.expected[1], test.variance], [observed, expected, variance],
        rtol=1e-12,
    )  # fmt: skip


@pytest.mark.parametrize("case", REFERENCE["simon_makuch"], ids=ids(REFERENCE["simon_makuch"]))
def test_simon_makuch_matches_survfit_on_the_split_rows(case: dict[str, Any]) -> None:
    data = data_of(case["dataset"])
    result = simon_makuch(
        data["time"], data["event"], data["exposure"].astype(float), conf_type=case["conf_type"]
    )
    for curve in case["curves"]:
        ours = result.exposed if curve["label"] == "1" else result.unexposed
        assert ours.subjects == curve["n"]
        frame = ours.to_frame()
        for column, r_name in CURVE_COLUMNS.items():
            assert_matches(frame[column], curve[r_name], what=f"{curve['label']} {column}")


@given(exposure_data())
def test_the_unexposed_curve_is_km_censored_at_exposure(data: pd.DataFrame) -> None:
    switches = (data.exposure < data.time).to_numpy()
    starts_exposed = switches & (data.exposure == 0).to_numpy()
    assume(switches.any() and not starts_exposed.all())  # else refused: tested below
    result = simon_makuch(data.time, data.event, data.exposure)
    keep = ~starts_exposed
    censored_at = np.where(switches, data.exposure, data.time)[keep]
    plain = kaplan_meier(censored_at, np.where(switches, 0, data.event)[keep]).curves[0]
    np.testing.assert_array_equal(result.unexposed.time, plain.time)
    np.testing.assert_allclose(result.unexposed.survival, plain.survival, rtol=1e-13)


def test_results_are_frozen_and_frames_name_the_states() -> None:
    data = data_of("hand")
    test = mantel_byar_test(data["time"], data["event"], data["exposure"].astype(float))
    frame = test.to_frame()
    assert list(frame.state) == ["unexposed", "exposed"]
    assert list(frame.observed) == REFERENCE["mantel_byar"][0]["observed"]
    curves = simon_makuch(data["time"], data["event"], data["exposure"].astype(float)).to_frame()
    assert set(curves.group) == {"unexposed", "exposed"}
    with pytest.raises(AttributeError):
        test.chisq = 0.0  # type: ignore[misc]


TIME = [5.0, 8.0, 12.0, 3.0, 9.0]
EVENT = [1, 0, 1, 1, 0]


@pytest.mark.parametrize("function", [mantel_byar_test, simon_makuch])
@pytest.mark.parametrize(
    ("time", "exposure", "message"),
    [
        (TIME, [2.0, 9.0, np.nan, 1.0, 4.0], r"exposure_time is after the end of follow-up for 1 "
         r"subject\(s\), first at position 1 \(exposure 9, time 8\)"),
        (TIME, [2.0, -1.0, np.nan, 1.0, 4.0], r"exposure_time is negative at position 1 \(-1\)"),
        (TIME, [2.0, np.inf, np.nan, 1.0, 4.0], r"exposure_time is infinite at position 1"),
        (TIME, [2.0, 1.0, np.nan], r"exposure_time has 3 values but time has 5"),
        (TIME, ["a", "b", "c", "d", "e"], r"exposure_time must be numeric"),
        ([5.0, 0.0, 12.0, 3.0, 9.0], [2.0, np.nan, np.nan, 1.0, 4.0], r"time is 0 at position 1"),
        (TIME, [np.nan] * 5, r"every subject is never exposed during follow-up"),
        (TIME, [0.0] * 5, r"every subject is exposed from time 0"),
        ([5.0, -8.0, 12.0, 3.0, 9.0], [2.0, np.nan, np.nan, 1.0, 4.0], r"time has 1 negative"),
    ],
)  # fmt: skip
def test_bad_exposure_input_is_named(
    function: Any, time: list[float], exposure: list[Any], message: str
) -> None:
    with pytest.raises(InputError, match=message) as error:
        function(time, EVENT, exposure)
    assert error.value.argument in {"exposure_time", "time"}


@pytest.mark.parametrize(
    ("time", "event", "exposure", "argument", "message"),
    [
        # Only subject 1 is ever exposed, on (7, 8], and nobody dies then.
        (TIME, EVENT, [5.0, 7.0, 12.0, 3.0, 9.0], "exposure_time", r"only one exposure state"),
        # Both subjects die at 1, one of each state: the hypergeometric variance is 0.
        ([1.0, 1.0], [1, 1], [np.nan, 0.0], "event", r"the log-rank variance is zero"),
        (TIME, [0, 0, 0, 0, 0], [2.0, 1.0, np.nan, 1.0, 4.0], "event", r"there are no events"),
    ],
)
def test_mantel_byar_refuses_data_without_a_comparison(
    time: list[float], event: list[int], exposure: list[float], argument: str, message: str
) -> None:
    with pytest.raises(InputError, match=message) as error:
        mantel_byar_test(time, event, exposure)
    assert error.value.argument == argument


def test_missing_exposure_in_a_nullable_series_means_never_exposed() -> None:
    exposure = pd.Series([2.0, None, None, 1.0, 4.0], dtype="Float64")
    as_nan = mantel_byar_test(TIME, EVENT, exposure)
    plain = mantel_byar_test(TIME, EVENT, [2.0, np.nan, np.nan, 1.0, 4.0])
    assert as_nan.chisq == plain.chisq
