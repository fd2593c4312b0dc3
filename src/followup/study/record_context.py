"""The evaluation context a dictionary gives its expressions: labels, checkboxes, decimal commas.

Logic is parsed without the dictionary; what ``[field:label]``, a whole checkbox or a number
typed with a decimal comma mean comes from here, with the record, event and instance the caller
knows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol

from followup.study.dictionary import DataDictionary
from followup.study.logic_context import LogicContext


def context_for(
    dictionary: DataDictionary, *, missing_codes: Collection[str] = (), **where: Any
) -> LogicContext:
    """A LogicContext for ``dictionary``'s fields; ``where`` sets record, event and instance."""
    return LogicContext(
        checkboxes={
            f.name: tuple(c.code for c in f.choices)
            for f in dictionary
            if f.field_type == "checkbox"
        },
        choice_labels={
            f.name: {c.code: c.label for c in f.choices} for f in dictionary if f.choices
        },
        comma_decimals=frozenset(
            f.name for f in dictionary if f.text_type is not None and "comma" in f.text_type.name
        ),
        missing_codes=frozenset(missing_codes),
        **where,
    )


class RowLike(Protocol):
    """One row of a record as io.records reads it."""

    @property
    def record_id(self) -> str:
        """The record ID."""

    @property
    def event(self) -> str:
        """The event (blank in a classic study)."""

    @property
    def repeat_form(self) -> str:
        """The repeating form (blank if none)."""

    @property
    def instance(self) -> int | None:
        """The instance (None if it does not repeat)."""

    @property
    def values(self) -> Mapping[str, str]:
        """Raw values by export column."""

    @property
    def access_group(self) -> str:
        """The hospital."""


def row_context(
    dictionary: DataDictionary,
    rows: Sequence[RowLike],
    row: RowLike,
    *,
    missing_codes: Collection[str] = (),
    events: Sequence[str] = (),
) -> LogicContext:
    """The context of one row among its record's rows: other events and instances readable."""
    owner = {c: f.form for c, f in dictionary.column_owner().items()}

    def holds(other: RowLike, event: str | None, column: str, instance: int | None) -> bool:
        if event is not None and other.event != event:
            return False
        form = owner.get(column, "")
        if instance is None:
            return other.instance is None or other.repeat_form not in ("", form)
        return other.instance == instance and other.repeat_form in ("", form)

    def lookup(event: str | None, column: str, instance: int | None) -> str:
        for other in rows:
            value = other.values.get(column, "")
            if value and holds(other, event, column, instance):
                return value
        return ""

    def instances(event: str | None, field: str) -> list[int]:
        form = owner.get(field, "")
        return sorted(
            r.instance
            for r in rows
            if r.instance is not None
            and (event is None or r.event == event)
            and r.repeat_form in ("", form)
        )

    return context_for(
        dictionary,
        missing_codes=missing_codes,
        record=row.record_id,
        record_dag=row.access_group,
        event=row.event or None,
        events=tuple(events) or tuple(dict.fromkeys(r.event for r in rows if r.event)),
        instance=row.instance,
        lookup=lookup,
        instances=instances,
    )
