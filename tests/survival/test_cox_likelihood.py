"""The Cox fit's bookkeeping and likelihood: each shortcut must give what the long way gives."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import followup.survival._cox_likelihood as likelihood
from followup.survival._cox_likelihood import CoxData, partial_likelihood, prepare


@st.composite
def whole_days(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    n = draw(st.integers(1, 60))
    time = draw(arrays(np.int64, n, elements=st.integers(0, draw(st.sampled_from([0, 3, 40])))))
    event = draw(arrays(np.bool_, n))
    event[draw(st.integers(0, n - 1))] = True
    x = draw(arrays(np.float64, n, elements=st.floats(-5, 5)))
    weights = draw(
        st.one_of(st.none(), arrays(np.float64, n, elements=st.sampled_from([0.5, 1.0, 3.0])))
    )
    return time, event, x, weights


def fields(data: CoxData) -> dict[str, object]:
    return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)} | {"time": data.time}


@given(whole_days(), st.sampled_from(["efron", "breslow"]))
def test_whole_days_index_the_rows_as_the_general_path(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None], ties: str
) -> None:
    """Integer days (or floats that are whole) against the same days shifted by half a day."""
    time, event, x, weights = case
    stratum = np.zeros(len(time), dtype=np.intp)
    general = fields(prepare([x], time + 0.5, event, stratum, weights, ties))
    general["tie_time"] = general["tie_time"] - 0.5
    general["time"] = general["time"] - 0.5
    for days in (time, time.astype(np.float64)):
        shortcut = fields(prepare([x], days, event, stratum, weights, ties))
        assert shortcut.keys() == general.keys()
        for name, value in general.items():
            np.testing.assert_array_equal(shortcut[name], value, err_msg=name)


@given(whole_days(), st.floats(-3, 3), st.sampled_from(["efron", "breslow"]))
def test_the_shift_of_the_linear_predictor_leaves_the_likelihood_unchanged(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None],
    coefficient: float,
    ties: str,
) -> None:
    """The bound reach·|β| (xβ formed per chunk) and the exact maximum give one likelihood."""
    time, event, x, weights = case
    data = prepare([x], time, event, np.zeros(len(time), dtype=np.intp), weights, ties)
    beta = np.array([coefficient])
    results = []
    for safe in (np.inf, -np.inf):  # always the bound; never (the exact maximum)
        saved, likelihood._SAFE_SHIFT = likelihood._SAFE_SHIFT, safe
        try:
            results.append(partial_likelihood(data, beta)[:3])
        finally:
            likelihood._SAFE_SHIFT = saved
    (loglik_bound, score_bound, info_bound), (loglik_max, score_max, info_max) = results
    np.testing.assert_allclose(loglik_bound, loglik_max, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(score_bound, score_max, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(info_bound, info_max, rtol=1e-10, atol=1e-9)
