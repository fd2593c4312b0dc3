"""The log-rank family: k-group and stratified tests, Fleming-Harrington G(rho), test for trend."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy.stats import chi2

from followup.survival._errors import InputError
from followup.survival._inputs import ArrayLike
from followup.survival._parallel import on_two_cores
from followup.survival._risk_table import RiskTable, StratumTable, as_risk_table


@dataclass(frozen=True)
class TrendTest:
    """Test for trend over ordered groups with scores w: (w'(O − E))² / (w'Vw) on 1 df."""

    scores: np.ndarray
    statistic: float
    variance: float
    chisq: float
    p: float


@dataclass(frozen=True)
class LogRankTest:
    """Observed and expected events per group, their covariance, and the chi-square test."""

    groups: tuple[Hashable, ...]
    subjects: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    chisq: float
    df: int
    p: float
    rho: float
    trend: TrendTest | None

    def to_frame(self) -> pd.DataFrame:
        """One row per group, the columns R's ``print(survdiff(...))`` shows."""
        return pd.DataFrame(
            {
                "group": list(self.groups),
                "n": self.subjects,
                "observed": self.observed,
                "expected": self.expected,
                "(O-E)^2/E": (self.observed - self.expected) ** 2 / self.expected,
                "(O-E)^2/V": (self.observed - self.expected) ** 2 / np.diag(self.variance),
            }
        )


def logrank_test(
    time: ArrayLike | RiskTable,
    event: ArrayLike | None = None,
    *,
    group: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    rho: float = 0.0,
    trend_scores: Mapping[Hashable, float] | Sequence[float] | None = None,
) -> LogRankTest:
    """Log-rank test between groups; matches R's ``survdiff(Surv(time, status) ~ group, rho=)``.

    With ``strata``, observed, expected and variances are summed over strata (R's ``strata()``).
    ``rho`` gives the Fleming-Harrington G(rho) test, events weighted by S(t−)^rho with S the
    pooled Kaplan-Meier of the stratum (rho=1: Peto-Peto-Prentice, as R). ``trend_scores`` (one
    score per group, e.g. 0, 1, 2 for ordered categories) adds the test for trend.
    """
    if not np.isfinite(rho) or rho < 0:
        raise InputError("rho", f"rho must be a non-negative number; got {rho}")
    table = as_risk_table(time, event, group, strata, weights, None, max_cause=1)
    if len(table.groups) < 2:
        raise InputError("group", "logrank_test needs a group with at least two distinct values")
    observed, expected, variance = _observed_expected_variance(table, rho)
    if observed.sum() == 0:
        raise InputError("event", "there are no events, so no log-rank test can be computed")
    chisq, df = _chi_square(observed, expected, variance)
    trend = None
    if trend_scores is not None:
        scores = _scores(trend_scores, table.groups)
        trend = _trend(scores, observed - expected, variance)
    return LogRankTest(
        table.groups, table.subjects.sum(axis=0), observed, expected, variance,
        chisq, df, float(chi2.sf(chisq, df)), rho, trend,
    )  # fmt: skip


def _observed_expected_variance(
    table: RiskTable, rho: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_groups = table.n_groups
    observed, expected = np.zeros(n_groups), np.zeros(n_groups)
    variance = np.zeros((n_groups, n_groups))
    for stratum in table.strata_tables:
        o, e, v = _stratum_terms(stratum, rho)
        observed += o
        expected += e
        variance += v
    return observed, expected, variance


def _stratum_terms(table: StratumTable, rho: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums over the stratum's times (R's survdiff2.c): O, E and the hypergeometric covariance.

    The sums add up over rows, so long tables are taken in two halves on two cores, each in
    cache-sized chunks: at ten million distinct times, whole-length temporaries cost more in page
    faults than the arithmetic does.
    """
    at_risk, deaths = table.at_risk, table.deaths
    weight = None
    if rho != 0:
        weight = _left_continuous_km(at_risk.sum(axis=1), deaths.sum(axis=1)) ** rho
    rows = len(table.time)
    terms = partial(_terms_over, at_risk, deaths, weight)
    if rows < _PARALLEL_ROWS:
        return terms(0, rows)
    halves = on_two_cores([partial(terms, 0, rows // 2), partial(terms, rows // 2, rows)])
    observed, expected, variance = halves[0]
    for total, part in zip((observed, expected, variance), halves[1], strict=True):
        total += part
    return observed, expected, variance


_PARALLEL_ROWS = 1 << 18
_CHUNK_ROWS = 1 << 15


def _terms_over(
    at_risk: np.ndarray, deaths: np.ndarray, weight: np.ndarray | None, first: int, last: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """O, E and V summed over rows first..last-1, chunk by chunk."""
    groups = at_risk.shape[1]
    observed, expected = np.zeros(groups), np.zeros(groups)
    variance = np.zeros((groups, groups))
    for lo in range(first, last, _CHUNK_ROWS):
        hi = min(lo + _CHUNK_ROWS, last)
        risk, died = at_risk[lo:hi], deaths[lo:hi]
        n, d = risk.sum(axis=1), died.sum(axis=1)
        w = None if weight is None else weight[lo:hi]
        observed += died.sum(axis=0) if w is None else w @ died
        work = d / n if w is None else w * d / n
        expected += work @ risk
        # Hypergeometric factor w² d (n − d) / (n (n − 1)); one subject at risk carries no variance.
        scale = (n - d) * work
        if w is not None:
            scale *= w
        below = n - 1
        lonely = below == 0
        below[lonely] = 1.0
        scale /= below
        scale[lonely] = 0.0
        variance -= (risk * (scale / n)[:, None]).T @ risk
        variance[np.diag_indices(groups)] += scale @ risk
    return observed, expected, variance


def _left_continuous_km(at_risk: np.ndarray, deaths: np.ndarray) -> np.ndarray:
    """Pooled S(t−), the Fleming-Harrington weight base."""
    after = np.cumprod((at_risk - deaths) / at_risk)
    return np.concatenate(([1.0], after[:-1]))


def _chi_square(
    observed: np.ndarray, expected: np.ndarray, variance: np.ndarray
) -> tuple[float, int]:
    """R's survdiff: groups with no expected events drop out; the first kept group is the base."""
    kept = np.flatnonzero(expected > 0)
    df = len(kept) - 1
    if df < 1:
        raise InputError("group", "only one group has subjects at risk at the event times")
    difference = (observed - expected)[kept][1:]
    reduced = variance[np.ix_(kept, kept)][1:, 1:]
    try:
        return float(difference @ np.linalg.solve(reduced, difference)), df
    except np.linalg.LinAlgError:  # R's survdiff stops in solve() here too
        raise InputError(
            "event",
            "the log-rank variance is zero: at every event time everyone at risk had the event, "
            "so the data carry nothing to compare the groups by",
        ) from None


def _scores(
    scores: Mapping[Hashable, float] | Sequence[float], groups: tuple[Hashable, ...]
) -> np.ndarray:
    if isinstance(scores, Mapping):
        missing = [g for g in groups if g not in scores]
        if missing:
            raise InputError("trend_scores", f"trend_scores has no score for group {missing[0]!r}")
        values = np.array([scores[g] for g in groups], dtype=float)
    else:
        values = np.asarray(scores, dtype=float)
        if len(values) != len(groups):
            raise InputError(
                "trend_scores",
                f"trend_scores has {len(values)} scores for {len(groups)} groups {list(groups)}",
            )
    if not np.all(np.isfinite(values)) or np.ptp(values) == 0:
        raise InputError("trend_scores", "trend_scores must be finite and not all equal")
    return values


def _trend(scores: np.ndarray, difference: np.ndarray, variance: np.ndarray) -> TrendTest:
    statistic = float(scores @ difference)
    trend_variance = float(scores @ variance @ scores)
    chisq = statistic**2 / trend_variance
    return TrendTest(scores, statistic, trend_variance, chisq, float(chi2.sf(chisq, 1)))
