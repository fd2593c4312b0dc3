"""Errors of a study definition: each names the file's row and column, and a character position.

StudyError (ValueError)
├── DictionaryError   one or more problems in a data dictionary, all listed
├── LogicError        a branching-logic or calculation expression that does not parse
└── PlanError         an analysis plan that does not fit its schema (followup.study.plan)
"""

from __future__ import annotations

from dataclasses import dataclass


class StudyError(ValueError):
    """A study definition that cannot be used as it is; the message says where and why."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located as a person finds it in Excel: row (header = 1) and column."""

    row: int | None
    column: str | None
    message: str
    severity: str = "error"  # or "warning": what REDCap would fix itself, fixed the same way

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"row {self.row}" if self.row is not None else "",
                f"column '{self.column}'" if self.column else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


class ProblemsError(StudyError):
    """A file with located problems; ``problems`` lists every one found, in file order."""

    def __init__(self, source: str, problems: list[Problem], what: str) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{source}: {what} {count}:\n{shown}{more}")


class DictionaryError(ProblemsError):
    """A data dictionary with problems."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(source, problems, "data dictionary has")


class LogicError(StudyError):
    """An expression that does not parse; ``position`` is the 1-based character where it fails."""

    def __init__(self, expression: str, position: int, message: str) -> None:
        self.expression = expression
        self.position = position
        self.reason = message
        pointer = " " * (position - 1) + "^"
        super().__init__(f"{message} at character {position}:\n    {expression}\n    {pointer}")
