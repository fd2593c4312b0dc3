"""Where each record and hospital stands: every form the plan says applies, in REDCap's states.

A form counts from the moment the plan says it applies, whether anybody has opened it or not: a
hospital that never started its questionnaires is not finished, it has not begun. The record
status dashboard, the hospitals' overview, reminders and the save check all ask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db.models import Prefetch, QuerySet

from followup.capture.models import DataQuery, FormEntry, FormStatus, Hospital, Record, Study
from followup.capture.translations import form_title


class FormState(StrEnum):
    """A form's state on the status dashboard (REDCap's icons, plus 'not needed')."""

    NOT_NEEDED = "not_needed"  # the plan says the form does not apply to this record
    NOT_STARTED = "not_started"
    INCOMPLETE = "incomplete"
    UNVERIFIED = "unverified"
    COMPLETE = "complete"


_BY_STATUS = {
    FormStatus.INCOMPLETE: FormState.INCOMPLETE,
    FormStatus.UNVERIFIED: FormState.UNVERIFIED,
    FormStatus.COMPLETE: FormState.COMPLETE,
}


def form_applies(study: Study, form: str, values: Mapping[str, str]) -> bool:
    """Whether the plan's ``forms:`` logic says this form is asked for this record."""
    plan = study.plan
    logic = plan.form_logic.get(form) if plan else None
    return logic is None or logic.show(values)


@dataclass(frozen=True)
class Slot:
    """A column of the status dashboard: a form, at an event in a longitudinal study."""

    event: str
    form: str
    repeats: bool

    def query(self, instance: int | None = None) -> str:
        """The form page's query string for this slot (and an instance of it)."""
        parts = [f"event={self.event}"] if self.event else []
        parts += [f"instance={instance}"] if instance else []
        return "?" + "&".join(parts) if parts else ""


def slots(study: Study) -> list[Slot]:
    """Each form of each event the schedule collects it at (each form, in a classic study)."""
    schedule = study.schedule
    events = [e.name for e in schedule.events] or [""]
    return [
        Slot(event, form, schedule.repeats_form(event, form) or schedule.repeats_event(event))
        for event in events
        for form in study.dictionary.forms
        if schedule.form_in(event, form)
    ]


def slot_title(study: Study, slot: Slot, language: str) -> str:
    """A column's heading: the form's title, after its event's label in a longitudinal study."""
    title = form_title(study, slot.form, language)
    event = study.schedule.event(slot.event)
    return f"{event.label}: {title}" if event is not None else title


@dataclass(frozen=True)
class SlotState:
    """One cell: the slot, its state (the latest instance's, for a repeating form), instances."""

    slot: Slot
    state: FormState
    instances: int

    @property
    def link(self) -> str:
        """The query that opens the cell's form: its latest instance when it repeats."""
        return self.slot.query(self.instances or None if self.slot.repeats else None)


@dataclass(frozen=True)
class RecordProgress:
    """One row of the status dashboard."""

    record: Record
    forms: tuple[SlotState, ...]
    open_queries: int

    @property
    def due(self) -> int:
        """Forms that apply to this record."""
        return sum(cell.state != FormState.NOT_NEEDED for cell in self.forms)

    @property
    def complete(self) -> int:
        """Forms that apply and are complete."""
        return sum(cell.state == FormState.COMPLETE for cell in self.forms)

    def has(self, state: str) -> bool:
        """Any form in this state (the dashboard's status filter)."""
        return any(cell.state == state for cell in self.forms)


def with_progress(records: QuerySet[Record]) -> QuerySet[Record]:
    """The records with what ``record_progress`` reads, fetched in three queries in all."""
    open_queries = DataQuery.objects.exclude(status=DataQuery.Status.CLOSED)
    return records.select_related("study", "hospital").prefetch_related(
        "forms", Prefetch("queries", queryset=open_queries, to_attr="open_query_list")
    )


def record_progress(study: Study, record: Record) -> RecordProgress:
    """Each form's state for one record (fetched ``with_progress``)."""
    latest: dict[tuple[str, str], FormEntry] = {}
    counts: dict[tuple[str, str], int] = {}
    for e in sorted(record.forms.all(), key=lambda e: e.instance):
        latest[(e.event, e.form)] = e
        counts[(e.event, e.form)] = counts.get((e.event, e.form), 0) + 1
    values = record.values()  # from the same prefetched forms
    states = []
    for slot in slots(study):
        entry = latest.get((slot.event, slot.form))
        if not form_applies(study, slot.form, values):
            state = FormState.NOT_NEEDED
        elif entry is None or (not entry.values and entry.version == 0):
            state = FormState.NOT_STARTED
        else:
            state = _BY_STATUS.get(FormStatus(entry.status), FormState.INCOMPLETE)
        states.append(SlotState(slot, state, counts.get((slot.event, slot.form), 0)))
    open_queries = record.open_query_list  # type: ignore[attr-defined]  # with_progress's Prefetch
    return RecordProgress(record, tuple(states), len(open_queries))


def progress(study: Study, records: QuerySet[Record]) -> list[RecordProgress]:
    """Every record's progress, in record order."""
    return [record_progress(study, r) for r in with_progress(records)]


@dataclass(frozen=True)
class HospitalProgress:
    """One hospital's line of the data manager's overview."""

    hospital: Hospital
    patients: int
    forms_due: int
    forms_complete: int
    last_activity: datetime | None
    open_queries: int


def hospital_progress(study: Study, records: Iterable[RecordProgress]) -> list[HospitalProgress]:
    """Per hospital of the study: forms that apply, how many complete, last save, open queries."""
    by_hospital: dict[int, list[RecordProgress]] = {}
    for row in records:
        by_hospital.setdefault(row.record.hospital_id, []).append(row)
    lines = []
    for hospital in Hospital.objects.filter(study=study).order_by("code"):
        rows = by_hospital.get(hospital.pk, [])
        updates = [e.updated for r in rows for e in r.record.forms.all() if e.version > 0]
        lines.append(
            HospitalProgress(
                hospital,
                len(rows),
                sum(r.due for r in rows),
                sum(r.complete for r in rows),
                max(updates, default=None),
                sum(r.open_queries for r in rows),
            )
        )
    return lines
