"""The context a form's expressions are evaluated in: this record, event, instance and user.

Smart variables, ``[event][field]`` and ``[field][previous-instance]`` read it; the record's
other events and instances come from its stored entries.
"""

from __future__ import annotations

from followup.capture.models import Record
from followup.study.logic_context import LogicContext
from followup.study.record_context import context_for


def form_context(
    record: Record, form: str, event: str, instance: int | None, *, user: str = ""
) -> LogicContext:
    """The context of one form of one record, at an event and instance, for this user."""
    study = record.study
    dictionary = study.dictionary
    schedule = study.schedule
    owner = {c: f.form for c, f in dictionary.column_owner().items()}
    entries = list(record.forms.all())
    event_row = schedule.event(event)

    def lookup(at: str | None, column: str, number: int | None) -> str:
        form_of = owner.get(column, "")
        where = at if at is not None else event
        for entry in entries:
            here = entry.form == form_of and entry.event == where
            if here and (number is None or entry.instance == number):
                return str(entry.values.get(column, ""))
        return ""

    def instances(at: str | None, field: str) -> list[int]:
        form_of = owner.get(field, "")
        where = at if at is not None else event
        return sorted(e.instance for e in entries if e.form == form_of and e.event == where)

    plan = study.plan
    return context_for(
        dictionary,
        missing_codes=plan.missing_codes if plan else (),
        record=record.record_id,
        record_dag=record.hospital.code,
        record_dag_label=record.hospital.name,
        user=user,
        event=event or None,
        events=schedule.arm_events(event_row.arm) if event_row else (),
        event_labels={e.name: e.label for e in schedule.events},
        arm=str(event_row.arm) if event_row else "",
        arm_label=schedule.arms.get(event_row.arm, "") if event_row else "",
        instance=instance,
        form=form,
        is_form=True,
        lookup=lookup,
        instances=instances,
    )
