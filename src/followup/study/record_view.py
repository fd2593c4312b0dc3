"""One record as the plan reads it: its rows (events, instances) merged into one set of values.

A REDCap record is one row in a classic project, but one row per event in a longitudinal one and
one more per instance of a repeating form (a yearly follow-up visit). The plan's expressions, the
analysis and the rules between fields read one value per field, so the rows are merged:

* Rows that do not repeat, in event order (the schedule's, else the file's): a field takes its
  value from the last row that has one. A field is usually collected once and then that is its
  value; when two events hold different values the last event's wins, and the view lists the
  field in ``differing``, for a caller to say so. A checkbox has a value when an option is
  ticked (its columns of '0' do not overwrite a ticked one); columns of no field
  (``<form>_complete``) take their last non-blank value.
* Then each repeating form's chosen instance (see InstanceChoice): its fields and form status
  replace the form's values. A form with no instance that qualifies keeps what the other rows
  give (blank in a classic project).

The record's hospital (access group) is the first its rows name. Nothing here reads files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from followup.study.dictionary import DataDictionary, Field
from followup.study.logic import Logic
from followup.study.schedule import CLASSIC, Schedule

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class RowLike(Protocol):
    """What a row needs: its record, hospital and raw values (event and instance optional)."""

    @property
    def record_id(self) -> str:
        """The record's ID, as text."""

    @property
    def access_group(self) -> str:
        """The hospital (data access group) it belongs to."""

    @property
    def values(self) -> Mapping[str, str]:
        """Raw values by export column; missing means blank."""


@dataclass(frozen=True)
class InstanceChoice:
    """Which instance of a repeating form stands for the record (the plan's ``instances``).

    Among the instances where ``when`` holds (no ``when``: all) and, when ``by`` names a date
    field, whose ``by`` is a date: ``latest`` takes the one with the latest ``by`` and ``first``
    the earliest; ties, and every instance when there is no ``by``, go by event and instance
    number (``latest`` the highest, ``first`` the lowest). ``when`` reads the instance's values
    over the record's other values, so it may name any field.
    """

    take: Literal["latest", "first"] = "latest"
    by: str | None = None
    when: Logic | None = None


LATEST = InstanceChoice()  # a repeating form the plan does not name: its last instance


@dataclass(frozen=True)
class RecordView:
    """One record's values as the plan reads them (see the module's docstring)."""

    record_id: str
    access_group: str
    values: Mapping[str, str]
    chosen: Mapping[str, int | None]  # each repeating form's instance taken (None: none qualified)
    differing: tuple[str, ...] = ()  # fields whose events hold different values (the last won)


def has_value(field: Field, values: Mapping[str, str]) -> bool:
    """A checkbox has a value when an option is ticked; any other field when not blank."""
    if field.field_type == "checkbox":
        return any(values.get(c, "").strip() not in ("", "0") for c in field.export_columns)
    return bool(values.get(field.name, "").strip())


def record_view(
    rows: Sequence[RowLike],
    dictionary: DataDictionary,
    *,
    instances: Mapping[str, InstanceChoice] | None = None,
    schedule: Schedule = CLASSIC,
) -> RecordView:
    """Merge the rows of one record (at least one) into its view."""
    if not rows:
        raise ValueError("a record has at least one row")
    return _Merger(dictionary, instances or {}, schedule).view(list(rows))


def record_views(
    rows: Iterable[RowLike],
    dictionary: DataDictionary,
    *,
    instances: Mapping[str, InstanceChoice] | None = None,
    schedule: Schedule = CLASSIC,
) -> list[RecordView]:
    """Each record's view, records in order of their first row (rows grouped by record ID)."""
    grouped: dict[str, list[RowLike]] = {}
    for row in rows:
        grouped.setdefault(row.record_id, []).append(row)
    merger = _Merger(dictionary, instances or {}, schedule)
    return [merger.view(group) for group in grouped.values()]


@dataclass(frozen=True)
class _Instance:
    form: str
    order: tuple[int, int]  # event position, instance number
    values: Mapping[str, str]


class _Merger:
    """The dictionary's layout, worked out once for every record."""

    def __init__(
        self,
        dictionary: DataDictionary,
        instances: Mapping[str, InstanceChoice],
        schedule: Schedule,
    ) -> None:
        self.dictionary = dictionary
        self.instances = instances
        self.fields = tuple(f for f in dictionary if f.holds_data)
        self.owned = frozenset(c for f in self.fields for c in f.export_columns)
        self.fields_of = {  # each form's fields but the record ID, which every row holds
            form: tuple(f for f in self.fields if f.form == form and f.name != dictionary.record_id)
            for form in dictionary.forms
        }
        self.form_columns = {  # a form's columns in an export: its fields', then its status
            form: (*(c for f in fields for c in f.export_columns), f"{form}_complete")
            for form, fields in self.fields_of.items()
        }
        self.event_position = {e.name: i for i, e in enumerate(schedule.events)}

    def view(self, rows: list[RowLike]) -> RecordView:
        base = [r for r in rows if getattr(r, "instance", None) is None]
        base.sort(key=self._event_order)  # stable: the file's order within an event's position
        values, differing = self._merged(base)
        values.setdefault(self.dictionary.record_id, rows[0].record_id)
        repeats = [i for r in rows if getattr(r, "instance", None) is not None for i in self._of(r)]
        chosen: dict[str, int | None] = {}
        for form in dict.fromkeys(i.form for i in repeats):
            pick = self._choose(form, [i for i in repeats if i.form == form], values)
            chosen[form] = pick.order[1] if pick is not None else None
            if pick is not None:
                values.update({c: pick.values.get(c, "") for c in self.form_columns[form]})
        group = next((r.access_group for r in rows if r.access_group), "")
        return RecordView(rows[0].record_id, group, values, chosen, differing)

    def _event_order(self, row: RowLike) -> int:
        return self.event_position.get(getattr(row, "event", ""), len(self.event_position))

    def _merged(self, base: list[RowLike]) -> tuple[dict[str, str], tuple[str, ...]]:
        values: dict[str, str] = {}
        for row in base:  # columns of no field: the last non-blank value
            for column, value in row.values.items():
                if column not in self.owned and (value.strip() or column not in values):
                    values[column] = value
        differing = []
        for field in self.fields:
            holding = [r.values for r in base if has_value(field, r.values)]
            present = [r.values for r in base if any(c in r.values for c in field.export_columns)]
            source = holding[-1] if holding else (present[-1] if present else None)
            if source is None:
                continue
            values.update({c: source.get(c, "") for c in field.export_columns})
            if len({tuple(v.get(c, "") for c in field.export_columns) for v in holding}) > 1:
                differing.append(field.name)
        return values, tuple(differing)

    def _of(self, row: RowLike) -> list[_Instance]:
        """The instances a repeating row holds: its form's, or each form with values there."""
        order = (self._event_order(row), getattr(row, "instance", None) or 1)
        form = getattr(row, "repeat_form", "")
        if form in self.form_columns:
            return [_Instance(form, order, row.values)]
        if form:
            return []  # a form the dictionary does not have: nothing to read
        return [  # a repeating event: every form with a value in the row
            _Instance(f, order, row.values)
            for f, fields in self.fields_of.items()
            if row.values.get(f"{f}_complete", "").strip()
            or any(has_value(field, row.values) for field in fields)
        ]

    def _choose(
        self, form: str, candidates: list[_Instance], values: Mapping[str, str]
    ) -> _Instance | None:
        choice = self.instances.get(form, LATEST)
        if choice.when is not None:
            when, columns = choice.when, self.form_columns[form]
            candidates = [
                i
                for i in candidates
                if when.show({**values, **{c: i.values.get(c, "") for c in columns}})
            ]
        by = choice.by
        if by is not None:
            candidates = [i for i in candidates if _DATE.match(i.values.get(by, "").strip())]
        if not candidates:
            return None

        def key(instance: _Instance) -> tuple[str, tuple[int, int]]:
            return (instance.values.get(by, "").strip() if by else "", instance.order)

        return (max if choice.take == "latest" else min)(candidates, key=key)
