"""Concordance counts and their SE against the pair-by-pair definition of R's concordancefit."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from followup.survival._cox_concordance import concordance, score_order_and_ties
from followup.survival._cox_counting import prepare_counting
from followup.survival._cox_likelihood import prepare


def definition(
    time: np.ndarray,
    event: np.ndarray,
    weights: np.ndarray,
    score: np.ndarray,
    strata: np.ndarray,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """R's counts by pairs: event i, j at risk (later, or censored at i's time), same stratum.

    With start (R's concordancefit on (start, stop] rows) j must also have entered: start_j < t_i.
    """
    n = len(time)
    if start is None:
        start = np.full(n, -np.inf)
    per_subject = np.zeros((n, 3))  # other scores higher, lower, tied (R's orientation)
    totals = np.zeros(5)
    for i in np.flatnonzero(event):
        for j in range(n):
            if j == i or strata[j] != strata[i] or start[j] >= time[i]:
                continue
            if time[j] > time[i] or (time[j] == time[i] and not event[j]):
                kind = 0 if score[j] > score[i] else 1 if score[j] < score[i] else 2
                totals[kind] += weights[i] * weights[j]
                per_subject[i, kind] += weights[j]
                per_subject[j, kind] += weights[i]
            elif time[j] == time[i] and event[j] and j > i:
                totals[4 if score[j] == score[i] else 3] += weights[i] * weights[j]
    pairs = totals[:3].sum()
    if pairs == 0:
        return np.full(6, np.nan), np.nan
    somers = (totals[0] - totals[1]) / pairs
    higher, lower, tied = per_subject.T
    dfbeta = weights * ((higher - lower) / pairs - somers / pairs * (higher + lower + tied))
    return np.array([totals[1], totals[0], totals[2], totals[3], totals[4],
                     1 - (somers + 1) / 2]), float(np.sqrt(np.sum(dfbeta**2) / 4))  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_concordance_matches_the_pairwise_definition(draw: st.DataObject) -> None:
    n = draw.draw(st.integers(3, 30))
    time = draw.draw(arrays(np.float64, n, elements=st.integers(1, 8).map(float)))
    event = draw.draw(arrays(np.bool_, n))
    # Small integers tie often; a permutation never does (the exact unit-weight path).
    score = draw.draw(
        st.one_of(
            arrays(np.float64, n, elements=st.integers(-3, 3).map(float)),
            st.permutations(range(n)).map(lambda p: np.array(p, dtype=np.float64) / 7),
        )
    )
    strata = draw.draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    weights = draw.draw(
        st.one_of(
            st.just(np.ones(n)), arrays(np.float64, n, elements=st.sampled_from([0.5, 1.0, 2.0]))
        )
    )
    if event.sum() == 0:
        return
    expected, expected_se = definition(time, event, weights, score, strata)
    if not np.isfinite(expected[-1]):
        return  # no comparable pairs: undefined both ways
    data = prepare([score], time, event, strata, weights, "efron")
    ours = concordance(data, score[data.order])
    got = [ours.concordant, ours.discordant, ours.tied_risk, ours.tied_time, ours.tied_both,
           ours.estimate]  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.std_err, expected_se, rtol=1e-10, atol=1e-14)


@given(
    arrays(
        np.float64,
        st.integers(1, 50),
        elements=st.sampled_from([-2.0, -0.0, 0.0, 1e-300, 1.5, 3.0, 3.0 + 1e-12]),
    )
)
def test_score_order_is_exact_even_for_near_ties(score: np.ndarray) -> None:
    key = np.arange(len(score)) % 3
    order, ties = score_order_and_ties(score, key)
    assert ties == (len(np.unique(score)) < len(score))
    expected = np.lexsort((-key, score))
    np.testing.assert_array_equal(score[order], score[expected])
    np.testing.assert_array_equal(key[order], key[expected])


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_counting_concordance_matches_the_pairwise_definition(draw: st.DataObject) -> None:
    """(start, stop] rows: the one-order path (distinct scores, unit weights) and the general."""
    n = draw.draw(st.integers(3, 40))
    start = draw.draw(arrays(np.float64, n, elements=st.integers(0, 7).map(float)))
    length = draw.draw(arrays(np.float64, n, elements=st.integers(1, 5).map(float)))
    stop = start + length
    event = draw.draw(arrays(np.bool_, n))
    score = draw.draw(
        st.one_of(
            st.permutations(range(n)).map(lambda p: np.array(p, dtype=np.float64) / 7),
            arrays(np.float64, n, elements=st.integers(-3, 3).map(float)),
        )
    )
    strata = draw.draw(arrays(np.int64, n, elements=st.integers(0, 1)))
    weights = draw.draw(
        st.one_of(
            st.just(np.ones(n)), arrays(np.float64, n, elements=st.sampled_from([0.5, 1.0, 2.0]))
        )
    )
    assume(event.any())
    expected, expected_se = definition(stop, event, weights, score, strata, start)
    assume(np.isfinite(expected[-1]))  # no comparable pairs: undefined both ways
    data = prepare_counting([score], start, stop, event, strata, weights, "efron")
    ours = concordance(data, score[data.order])
    got = [ours.concordant, ours.discordant, ours.tied_risk, ours.tied_time, ours.tied_both,
           ours.estimate]  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.std_err, expected_se, rtol=1e-10, atol=1e-14)
