"""Turning named covariates into a design matrix: numbers stay, categories become indicators.

A category's reference level is named, not implied by sort order, because a hazard ratio is read
against it ("girls vs boys"). The default is the first level: a pandas Categorical's own order, else
the sorted labels — numbers by value, text by code point. That is R's ``factor()`` under
``LC_COLLATE=C``; R in another locale sorts text by that locale's collation (under glibc's
en_US or C.UTF-8, "adeno" comes before "Large"), so the default would not depend on the machine
here: name ``reference`` whenever labels mix case, accents or punctuation.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from followup.survival._errors import InputError
from followup.survival._inputs import as_vector, check_length, factorize


@dataclass(frozen=True)
class Term:
    """One covariate as the user named it, and the design columns it became."""

    name: str
    columns: tuple[str, ...]
    reference: Hashable | None  # the baseline level of a categorical covariate
    levels: tuple[Hashable, ...]  # the levels compared with it, one per column


@dataclass(frozen=True)
class Design:
    """The design's columns (kept apart, never stacked), their names and the terms behind them."""

    columns_data: list[np.ndarray]
    columns: tuple[str, ...]
    terms: tuple[Term, ...]


def build_design(
    covariates: Mapping[str, Any] | pd.DataFrame,
    n: int,
    reference: Mapping[str, Hashable] | None,
) -> Design:
    """Expand covariates; text, categorical and boolean columns become indicator columns."""
    items = (
        [(str(c), covariates[c]) for c in covariates.columns]
        if isinstance(covariates, pd.DataFrame)
        else [(str(k), v) for k, v in covariates.items()]
    )
    if not items:
        raise InputError("covariates", "covariates is empty: give at least one covariate")
    reference = dict(reference or {})
    unknown = set(reference) - {name for name, _ in items}
    if unknown:
        raise InputError("reference", f"reference names {sorted(unknown)} that are not covariates")
    blocks, terms = [], []
    for name, values in items:
        block, term = _expand(name, values, n, reference.get(name))
        blocks.append(block)
        terms.append(term)
    columns = tuple(c for t in terms for c in t.columns)
    return Design([column for block in blocks for column in block], columns, tuple(terms))


def _expand(
    name: str, values: Any, n: int, reference: Hashable | None
) -> tuple[list[np.ndarray], Term]:
    if _is_categorical(values):
        return _indicators(name, values, n, reference)
    array = as_vector(values, name)
    check_length(array, name, n, "time")
    if reference is not None:
        raise InputError("reference", f"{name} is numeric, so it has no reference level")
    numeric = np.ascontiguousarray(array, dtype=np.float64)  # copied only when it must be
    # A finite sum means every value is finite (NaN and ±inf propagate); only an overflowing sum
    # of finite values needs the value-by-value look.
    bad = np.zeros(0, dtype=bool) if np.isfinite(numeric.sum()) else ~np.isfinite(numeric)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InputError(
            name,
            f"covariate {name} has {int(bad.sum())} missing or infinite "
            f"value{'s' if bad.sum() > 1 else ''}, first at "
            f"position {position}; drop those subjects or complete the data",
            position,
        )
    return [numeric], Term(name, (name,), None, ())


def _is_categorical(values: Any) -> bool:
    if isinstance(values, pd.Series | pd.Categorical) and isinstance(
        values.dtype, pd.CategoricalDtype
    ):
        return True
    kind = np.asarray(values).dtype.kind
    return kind in "OUSb"


def _indicators(
    name: str, values: Any, n: int, reference: Hashable | None
) -> tuple[list[np.ndarray], Term]:
    codes, levels = factorize(values, name, n)
    if reference is None:
        base = 0
    elif reference in levels:
        base = levels.index(reference)
    else:
        raise InputError(
            "reference", f"reference level {reference!r} of {name} is not among {list(levels)}"
        )
    if len(levels) < 2:
        raise InputError(
            name, f"covariate {name} has a single level {levels}; it cannot be compared"
        )
    compared = [k for k in range(len(levels)) if k != base]
    block = [(codes == k).astype(np.float64) for k in compared]
    columns = tuple(f"{name}={levels[k]}" for k in compared)
    return block, Term(name, columns, levels[base], tuple(levels[k] for k in compared))
