"""An export's columns as SPSS, Stata and SAS hold them: typed values and missing-data codes.

Numbers and dates are stored as numbers and dates. A missing-data code (UNK, NASK …) in a
numeric or date variable cannot be stored as text there, so it is stored as each package stores
a reason for missing:

- Stata: an extended missing value, ``.a`` for the study's first code, ``.b`` for the second …,
  labelled with the code's label;
- SPSS and SAS: a number no measurement takes, −99991 for the first code, −99992 for the
  second …, declared user-missing in SPSS (its value label says which code) and turned into SAS's
  special missing ``.A``, ``.B`` … by the SAS script.

A value that reads as neither its type nor a code (an old entry the dictionary no longer allows)
makes its whole variable text in that file, so nothing is lost; ``PackageColumn.as_text`` says so.
In text variables codes stay as written; SPSS declares up to three of them user-missing.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from followup.io.export_table import ExportTable
from followup.io.export_variables import TEXT, Variable, is_typed, typed_value

FIRST_SENTINEL = -99991
MAX_CODES = 26  # Stata's .a … .z


class ExportError(ValueError):
    """An export that cannot be written as asked; the message says what and what to do."""


@dataclass(frozen=True)
class PackageColumn:
    """One variable's values for a package, with the missing-data codes it holds.

    ``values`` are ints, floats, dates, date-times, strings or None (blank); in numeric
    variables a code is still its code text here, for the writer to store its own way.
    """

    variable: Variable
    values: tuple[object, ...]
    codes: tuple[str, ...]  # the study's missing-data codes found in this variable, in order
    as_text: bool  # a numeric or date variable kept as text because a value is neither

    @property
    def kind(self) -> str:
        """The variable's kind in this file: text when it had to be kept as text."""
        return TEXT if self.as_text else self.variable.kind


def package_columns(table: ExportTable) -> list[PackageColumn]:
    """Every variable's column, its values typed and its missing-data codes found."""
    codes = list(table.missing_codes)
    if len(codes) > MAX_CODES:
        raise ExportError(
            f"the study has {len(codes)} missing-data codes; SPSS, Stata and SAS files can "
            f"hold {MAX_CODES} (Stata's .a to .z): export CSV or Excel instead"
        )
    return [_column(variable, table.rows, codes) for variable in table.variables]


def _column(
    variable: Variable, rows: Sequence[Mapping[str, str]], codes: Sequence[str]
) -> PackageColumn:
    raws = [row.get(variable.name, "") for row in rows]
    found = [code for code in codes if variable.takes_codes and code in raws]
    values = []
    as_text = False
    for raw in raws:
        value = typed_value(variable, raw)
        if raw and not is_typed(variable, value) and raw not in found:
            as_text = True
        values.append(value)
    if as_text or variable.kind == TEXT:
        values = [raw or None for raw in raws]
    return PackageColumn(variable, tuple(values), tuple(found), as_text)


def sentinel(code_index: int) -> int:
    """The number SPSS and SAS files store for the study's code number ``code_index`` (from 0)."""
    return FIRST_SENTINEL - code_index


def stata_letter(code_index: int) -> str:
    """Stata's extended missing value for the study's code number ``code_index`` (0 is a)."""
    return string.ascii_lowercase[code_index]


def code_label(code: str, missing_codes: Mapping[str, str]) -> str:
    """A missing-data code's value label: its label, and the code REDCap stores."""
    label = missing_codes.get(code, "")
    return f"{label} ({code})" if label and label != code else code


def clip(text: str, limit: int) -> str:
    """Text cut to at most ``limit`` UTF-8 bytes, never inside a character (no blank at the end)."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip()


def check_sentinels(columns: Sequence[PackageColumn], count: int) -> None:
    """Refuse an export where a real value equals a number that stands for a missing-data code."""
    lowest = sentinel(count - 1)
    for column in columns:
        if column.kind == TEXT or not column.codes:
            continue
        for value in column.values:
            if isinstance(value, int | float) and lowest <= value <= FIRST_SENTINEL:
                raise ExportError(
                    f"{column.variable.name} holds the value {value}, which SPSS and SAS files "
                    f"use for a missing-data code ({lowest} to {FIRST_SENTINEL}); "
                    "export Stata, CSV or Excel instead"
                )
