"""Reference values written by make_reference.R, and the one way tests compare against them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
RELATIVE = 1e-10  # closed-form estimators: the bar
ITERATIVE = 1e-8  # iterative fits (Cox Newton-Raphson): the standard's bar
ABSOLUTE = 1e-14  # for values R prints as exactly 0

_SPECIAL = {"NA": np.nan, "NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf}


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


@cache
def load(name: str) -> Any:
    """The decoded content of tests/reference/<name>.json."""
    return _decode(json.loads((HERE / f"{name}.json").read_text()))


def dataset(name: str) -> dict[str, np.ndarray]:
    """One of R's datasets, as the rows the reference script used."""
    return {k: np.asarray(v) for k, v in load("datasets")[name].items()}


def cases(name: str, kind: str) -> list[dict[str, Any]]:
    """The cases of one reference file, for pytest parametrisation."""
    return list(load(name)[kind])


def as_float(values: Any) -> np.ndarray:
    """R's numbers as a float array; None (R's NULL/NA in a string vector) becomes NaN."""
    return np.asarray([np.nan if v is None else v for v in np.atleast_1d(values)], dtype=float)


def assert_matches(actual: Any, expected: Any, rtol: float = RELATIVE, what: str = "") -> None:
    """Agreement to rtol relative, NaN exactly where R has NA/NaN, infinities equal."""
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        as_float(expected),
        rtol=rtol,
        atol=ABSOLUTE,
        equal_nan=True,
        err_msg=what,
    )
