"""A study's records as one table: raw values, choice labels and the plan's derived variables.

Everything the analysis counts is read from here, so a table in the report and the number in its
Results paragraph cannot disagree: both come from the same column. A record is one row of the
table however many rows its export has (events, instances of a repeating form): they are merged
as followup.study.record_view says, with the instances the plan's ``instances`` chooses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from followup.io import RecordSet
from followup.study import DataDictionary, Field, Logic, parse_logic
from followup.study.plan import Plan
from followup.study.record_view import record_views
from followup.study.schedule import CLASSIC, Schedule
from followup.study.validation import is_missing_code

CATEGORICAL_TYPES = ("radio", "dropdown", "yesno", "truefalse")
NUMERIC_TYPES = ("integer", "number")


class AnalysisError(ValueError):
    """A plan asks for what these records cannot give; the message says what and why."""


@dataclass(frozen=True)
class Variable:
    """A field or derived variable as tables show it: its label, kind and level order."""

    name: str
    label: str
    kind: Literal["categorical", "continuous"]
    levels: tuple[str, ...]  # categorical levels in display order; the first is the reference


@dataclass(frozen=True)
class StudyData:
    """One row per record (index: record ID): raw values, plus a column per derived variable."""

    dictionary: DataDictionary
    plan: Plan
    raw: pd.DataFrame
    derived: pd.DataFrame
    values: tuple[dict[str, str], ...]  # each record's raw values, as logic reads them (row order)

    def where(self, expression: str) -> pd.Series:
        """Which records satisfy a REDCap logic expression ('' = every record)."""
        if not expression.strip():
            return pd.Series(True, index=self.raw.index)
        logic = parse_logic(expression)
        return pd.Series([logic.show(v) for v in self.values], index=self.raw.index)

    def variable(self, name: str) -> Variable:
        """How a variable is shown: derived variables by their plan, fields by the dictionary."""
        if name in self.plan.model.derived:
            spec = self.plan.model.derived[name]
            seen = [c.value for c in spec.cases if c.value]
            levels = tuple(spec.order or dict.fromkeys(seen))
            return Variable(name, spec.label, "categorical", levels)
        field = self.dictionary.field(name)
        if field.field_type in CATEGORICAL_TYPES:
            return Variable(
                name, _plain(field.label), "categorical", tuple(c.label for c in field.choices)
            )
        if field.text_type is not None and field.text_type.name in NUMERIC_TYPES:
            return Variable(name, _plain(field.label), "continuous", ())
        raise AnalysisError(
            f"'{name}' is a {field.field_type} field; tables and models take choice fields, "
            "integer or number fields, or derived variables"
        )

    def column(self, name: str) -> pd.Series:
        """Labels of a categorical variable ('' = blank) or numbers (NaN = blank) per record."""
        if name in self.derived:
            return self.derived[name]
        variable = self.variable(name)
        field = self.dictionary.field(name)
        raw = self.raw[name]
        if variable.kind == "continuous":
            return raw.map(lambda v: float(v) if v else np.nan).astype(float)
        return raw.map(lambda v: (field.label_of(v) or v) if v else "")

    def dates(self, name: str) -> pd.Series:
        """A date field as datetimes (NaT = blank)."""
        return pd.to_datetime(self.raw[name].replace("", None), format="%Y-%m-%d")


def study_data(records: RecordSet, plan: Plan, *, schedule: Schedule = CLASSIC) -> StudyData:
    """Tabulate the records, one row per record, and evaluate every derived variable once.

    ``schedule`` gives the order of a longitudinal study's events (default: as the rows come).
    """
    dictionary = records.dictionary
    columns = [
        dictionary.record_id,
        *(c for c in dictionary.export_columns() if c != dictionary.record_id),
    ]
    codes = plan.missing_codes
    owner = dictionary.column_owner()
    rows = [
        {c: _without_code(owner.get(c), r.values.get(c, ""), codes) for c in columns}
        | {"redcap_data_access_group": r.access_group}
        for r in record_views(records, dictionary, instances=plan.instances, schedule=schedule)
    ]
    raw = pd.DataFrame(rows, columns=[*columns, "redcap_data_access_group"], dtype=object).fillna(
        ""
    )
    raw.index = pd.Index(raw[dictionary.record_id], name="record_id")
    values = tuple({str(k): str(v) for k, v in row.items()} for row in raw.to_dict("records"))
    derived = pd.DataFrame(index=raw.index)
    for name, spec in plan.model.derived.items():
        cases = [(parse_logic(c.when) if c.when else None, c.value) for c in spec.cases]
        derived[name] = [_first_case(cases, v) for v in values]
    return StudyData(dictionary, plan, raw, derived, values)


def _without_code(field: Field | None, raw: str, codes: Mapping[str, str]) -> str:
    """A missing-data code (UNK, NASK…) is kept out of the statistics: it counts as blank."""
    return "" if field is not None and is_missing_code(field, raw, codes) else raw


def _first_case(cases: list[tuple[Logic | None, str]], values: Mapping[str, str]) -> str:
    for logic, value in cases:
        if logic is None or logic.show(values):
            return value
    return ""


def _plain(label: str) -> str:
    """A field label without REDCap's HTML."""
    return " ".join(label.replace("<br>", " ").split())
