"""Errors of the survival core, so callers can tell bad input from a model that cannot be fitted.

SurvivalError (ValueError)
├── InputError            an argument is malformed: names it, the position and the value
└── ModelFitError         the data are valid but the model has no finite answer
    ├── ConvergenceError          Newton-Raphson ran out of iterations
    ├── MonotoneLikelihoodError   a coefficient runs to ±infinity (separation)
    └── CollinearityError         design columns are linearly dependent
"""

from __future__ import annotations


class SurvivalError(ValueError):
    """Base of every error raised by followup.survival."""


class InputError(SurvivalError):
    """An argument is malformed; the message names it, the offending position and value."""

    def __init__(self, argument: str, message: str, position: int | None = None) -> None:
        self.argument = argument
        self.position = position
        super().__init__(message)


class ModelFitError(SurvivalError):
    """The input is valid but the requested model has no finite, unique answer."""


class ConvergenceError(ModelFitError):
    """Newton-Raphson did not reach R's convergence criterion within the iteration limit."""


class MonotoneLikelihoodError(ModelFitError):
    """The partial likelihood keeps increasing as a coefficient runs to ±infinity."""

    def __init__(self, message: str, terms: tuple[str, ...]) -> None:
        self.terms = terms
        super().__init__(message)


class CollinearityError(ModelFitError):
    """Design columns are linearly dependent, so their coefficients are not identifiable."""

    def __init__(self, message: str, terms: tuple[str, ...]) -> None:
        self.terms = terms
        super().__init__(message)
