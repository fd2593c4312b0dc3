"""Entering one form of one record: the fields as the dictionary defines them, saved with care.

A save is refused, with the reason shown next to each field, when a value has the wrong type,
range or choice; it is refused as a conflict when somebody else saved the form since it was opened;
it needs a reason when it changes a form marked complete; it is impossible on a locked record, for
a form the plan says does not apply, and with a status other than REDCap's 0, 1 and 2. Only the
form's own columns are written, whatever else a request carries. Every value that changes becomes
an audit entry in the same transaction as the change.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.forms import BoundField
from django.utils.translation import gettext as _

from followup.capture.audit import Change, append
from followup.capture.files import file_problem, store
from followup.capture.form_tags import Behaviour, behaviour, limit_messages
from followup.capture.logic_context import form_context
from followup.capture.models import DataQuery, FormEntry, FormStatus, Record, StoredFile, Study
from followup.capture.piping import rendered
from followup.capture.progress import form_applies
from followup.capture.questionnaire import date_kind, form_columns
from followup.capture.translations import field_label, field_note, section_header
from followup.study import Field
from followup.study.calculations import compute
from followup.study.logic_context import CLASSIC, LogicContext
from followup.study.validation import Finding, rule_fields, validate
from followup.study.values import slider_range


@dataclass(frozen=True)
class Question:
    """One field as the page shows it: widget, words in the user's language, messages, queries.

    ``label``, ``note`` and ``section`` are allow-listed HTML with pipes filled (piping.py).
    """

    field: Field
    bound: BoundField | None  # None for descriptive text, which has no answer
    missing: BoundField | None  # the missing-data code chooser, where the study has codes
    label: str
    note: str
    section: str
    branching: str  # JSON tree, '' when always shown
    messages: tuple[str, ...] = ()
    queries: tuple[DataQuery, ...] = ()
    behaviour: Behaviour = dataclasses.field(default_factory=Behaviour)
    calc: str = ""  # JSON tree of the formula of a computed field, '' otherwise
    file: StoredFile | None = None  # the file a file field holds
    clear: BoundField | None = None  # "remove the file", where there is one

    @property
    def slider(self) -> tuple[int, int, list[str]] | None:
        """A slider's range and its labels (left, middle, right), or None."""
        if self.field.field_type != "slider":
            return None
        low, high = slider_range(self.field)
        labels = (
            [t.strip() for t in self.field.options_text.split("|")]
            if self.field.options_text
            else []
        )
        return low, high, labels

    @property
    def computed_kind(self) -> str:
        """How the page writes a computed value: number, text or the date's validation."""
        if self.field.calculation is not None:
            return "number"
        return self.field.validation if self.field.tag("@CALCDATE") else "text"

    @property
    def grouped(self) -> bool:
        """Radio buttons and checkboxes sit in a fieldset with a legend."""
        return self.field.field_type in ("radio", "yesno", "truefalse", "checkbox")

    @property
    def radio(self) -> bool:
        """A single choice of buttons, which a 'reset' link can clear."""
        return self.field.field_type in ("radio", "yesno", "truefalse")

    @property
    def date(self) -> bool:
        """A date or date-time field, which a 'today' button can fill."""
        return date_kind(self.field) is not None


def questions(
    study: Study,
    form: str,
    bound: forms.Form,
    messages: Mapping[str, list[str]],
    queries: Sequence[DataQuery],
    language: str,
    *,
    values: Mapping[str, str] | None = None,
    context: LogicContext = CLASSIC,
    behaviours: Mapping[str, Behaviour] | None = None,
    files: Mapping[str, StoredFile] | None = None,
) -> list[Question]:
    """The form's fields, each with Django's widget and what belongs to it."""
    by_field = {name: list(texts) for name, texts in messages.items()}
    if bound.is_bound and not bound.is_valid():
        for name, errors in bound.errors.items():
            by_field.setdefault(name.removesuffix("__missing"), []).extend(str(e) for e in errors)
    names = frozenset(f.name for f in study.dictionary)
    shown = dict(values or {})
    result = []
    dictionary = study.dictionary
    for f in dictionary.form_fields(form):
        if f.name == dictionary.record_id:
            continue
        tree = json.dumps(f.branching.tree(context)) if f.branching.text.strip() else ""
        missing = f"{f.name}__missing"
        computed = f.computed
        result.append(
            Question(
                f,
                bound[f.name] if f.holds_data else None,
                bound[missing] if missing in bound.fields else None,
                rendered(field_label(study, f, language), shown, context, names),
                rendered(field_note(study, f, language), shown, context, names),
                rendered(section_header(study, f, language), shown, context, names),
                tree,
                tuple(by_field.get(f.name, ())),
                tuple(q for q in queries if q.field == f.name),
                (behaviours or {}).get(f.name, Behaviour()),
                json.dumps(computed.tree(context)) if computed is not None else "",
                (files or {}).get(f.name),
                bound[f"{f.name}__clear"] if f"{f.name}__clear" in bound.fields else None,
            )
        )
    return result


class SaveRefused(Exception):  # noqa: N818  (a refusal, shown to the user, not a crash)
    """The save did not happen; ``findings`` or ``conflict`` say why."""

    def __init__(
        self,
        message: str,
        *,
        findings: list[Finding] | None = None,
        conflict: FormEntry | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.findings = findings or []
        self.conflict = conflict


@dataclass
class SaveResult:
    """What a save did."""

    changed: int
    status: int
    missing_required: list[str] = field(default_factory=list)


def without_hidden(
    record: Record, form: str, stored: Mapping[str, str], values: dict[str, str]
) -> dict[str, str]:
    """Blank every field its branching hides, as REDCap erases them (the browser does it too)."""
    merged = {**stored, **values}
    cleared = dict(values)
    for f in record.study.dictionary.form_fields(form):
        if f.branching.text.strip() and not f.branching.show(merged):
            for column in f.export_columns:
                if column in cleared:
                    cleared[column] = "0" if f.field_type == "checkbox" else ""
    return cleared


@dataclass(frozen=True)
class _Values:
    """One record's values as validation reads them."""

    record_id: str
    access_group: str
    values: Mapping[str, str]


def check(
    record: Record, form: str, merged: Mapping[str, str]
) -> tuple[list[Finding], list[Finding]]:
    """Blocking findings (type, range, choice, the plan's rules) and missing required fields.

    Both are exactly what ``followup validate`` says of this form: a field its branching hides
    is neither required nor checked.
    """
    dictionary = record.study.dictionary
    plan = record.study.plan
    found = validate(
        dictionary,
        [_Values(record.record_id, record.hospital.code, merged)],
        plan.rules if plan else (),
        plan.form_logic if plan else None,
        plan.missing_codes if plan else (),
    )
    own = {f.name for f in dictionary.form_fields(form)}
    named = _rule_fields(record.study)
    mine = [
        f
        for f in found
        if f.field in own or own.intersection(named.get(f.rule, ())) or f.field not in dictionary
    ]
    missing = [f for f in mine if f.rule == "required"]
    blocking = [f for f in mine if f.rule != "required" and f.severity == "error"]
    return blocking, missing


def _rule_fields(study: Study) -> dict[str, tuple[str, ...]]:
    """Each plan rule's fields (a rule between forms belongs to each of them)."""
    plan = study.plan
    return {rule.name: rule_fields(rule, study.dictionary) for rule in (plan.rules if plan else ())}


@dataclass(frozen=True)
class Place:
    """Which entry of a record a form page is: its event and instance."""

    event: str = ""
    instance: int = 1
    repeats: bool = False


def place_of(record: Record, form: str, event: str, instance: str) -> Place | None:
    """The place a request names, or None if the study has no such event, form or instance.

    An instance may be one saved or the next new one; a form that does not repeat has only 1.
    """
    schedule = record.study.schedule
    if schedule.longitudinal:
        event = event or next(
            (e.name for e in schedule.events if schedule.form_in(e.name, form)), ""
        )
        if schedule.event(event) is None or not schedule.form_in(event, form):
            return None
    elif event:
        return None
    repeats = schedule.repeats_form(event, form) or schedule.repeats_event(event)
    if not (instance.isascii() and instance.isdigit()) or len(instance) > 9:
        return None
    number = int(instance)
    if (
        number < 1
        or (not repeats and number != 1)
        or number > last_instance(record, event, form) + 1
    ):
        return None
    return Place(event, number, repeats)


def last_instance(record: Record, event: str, form: str) -> int:
    """The highest instance saved of a form at an event (0 when none)."""
    numbers = FormEntry.objects.filter(record=record, event=event, form=form).values_list(
        "instance", flat=True
    )
    return max(numbers, default=0)


def place_values(record: Record, form: str, place: Place) -> dict[str, str]:
    """The record's values as a form at this place sees them (its instance in place)."""
    if place.repeats:
        return record.instance_values(place.event, form, place.instance)
    return record.values()


def save(
    record_pk: int,
    form: str,
    values: dict[str, str],
    *,
    user: str,
    version: int,
    status: int,
    reason: str,
    place: Place | None = None,
    files: Mapping[str, UploadedFile] | None = None,
) -> SaveResult:
    """Save the form if it may be saved, with an audit entry for every changed value.

    ``place`` is the event and instance; by default the first event's, instance 1. ``files``
    are uploads into the form's file fields, kept when the save is.
    """
    if status not in FormStatus.values:
        raise SaveRefused(_("The form status must be Incomplete, Unverified or Complete."))
    with transaction.atomic():
        record = (
            Record.objects.select_for_update().select_related("study", "hospital").get(pk=record_pk)
        )
        if record.locked:
            raise SaveRefused(
                _("This record is locked by the data center: it cannot be changed until unlocked.")
            )
        named = place or Place()
        checked = place_of(record, form, named.event, str(named.instance))
        if checked is None or (place is not None and checked != place):
            raise SaveRefused(_("This form has no such event or instance for this record."))
        place = checked
        columns = form_columns(record.study, form)
        values = {c: v for c, v in values.items() if c in columns}
        stored = place_values(record, form, place)
        if not form_applies(record.study, form, {**stored, **values}):
            raise SaveRefused(
                _("The study's plan does not ask this form for this patient: it cannot be saved.")
            )
        entry, _created = FormEntry.objects.select_for_update().get_or_create(
            record=record, event=place.event, form=form, instance=place.instance
        )
        if entry.version != version:
            raise SaveRefused(
                _("Somebody else saved this form after you opened it."), conflict=entry
            )
        values = without_hidden(record, form, stored, values)
        context = form_context(
            record, form, place.event, place.instance if place.repeats else None, user=user
        )
        own = record.study.dictionary.form_fields(form)
        values |= compute(record.study.dictionary, {**stored, **values}, context, tuple(own))
        blocking, missing = check(
            record, form, {**stored, **values, f"{form}_complete": str(status)}
        )
        blocking += _limit_findings(record, own, {**stored, **values}, context)
        blocking += [
            Finding(record.record_id, record.hospital.code, name, "file", problem, "error")
            for name, upload in (files or {}).items()
            if (problem := file_problem(upload)) is not None
        ]
        if blocking:
            raise SaveRefused(
                _("Nothing was saved: please correct the fields marked below."), findings=blocking
            )
        if missing and status == FormStatus.COMPLETE:
            status = FormStatus.INCOMPLETE  # REDCap: required fields block 'Complete' only
        changes = _changes(record, form, entry, values, status, reason, place)
        if changes and entry.status == FormStatus.COMPLETE and not reason.strip():
            raise SaveRefused(_("This form is marked complete: give a reason for the change."))
        changes += _kept_files(record, form, place, files or {}, user, reason)
        if changes:
            append(record.study, user, changes)
            entry.values = {**entry.values, **values}
            entry.status = status
            entry.version += 1
            entry.updated_by = user
            entry.save()
        return SaveResult(len(changes), status, [f.field for f in missing])


def _kept_files(
    record: Record,
    form: str,
    place: Place,
    files: Mapping[str, UploadedFile],
    user: str,
    reason: str,
) -> list[Change]:
    """Store each upload, and the trail's line for it: old file → new file, with its hash."""
    changes = []
    for name, upload in files.items():
        where = {"record": record, "event": place.event, "form": form, "instance": place.instance}
        before = StoredFile.objects.filter(**where, field=name).last()
        sha256, size = store(upload)
        kept = StoredFile.objects.create(
            **where,
            field=name,
            name=PurePath(str(upload.name)).name[:255],
            sha256=sha256,
            size=size,
            uploaded_by=user,
        )
        changes.append(
            Change(
                record.record_id,
                form,
                name,
                "upload",
                before.name if before else "",
                f"{kept.name} ({size} bytes, sha256 {sha256})",
                reason,
                place.event,
                place.instance if place.repeats else None,
            )
        )
    return changes


def _limit_findings(
    record: Record, fields: Sequence[Field], values: Mapping[str, str], context: LogicContext
) -> list[Finding]:
    """The action tags' limits a save breaks (@CHARLIMIT, @MAXCHECKED, …), each at its field."""
    return [
        Finding(record.record_id, record.hospital.code, f.name, "action_tag", message, "error")
        for f in fields
        for message in limit_messages(f, behaviour(f, values, context), values)
    ]


def _changes(
    record: Record,
    form: str,
    entry: FormEntry,
    values: dict[str, str],
    status: int,
    reason: str,
    place: Place,
) -> list[Change]:
    instance = place.instance if place.repeats else None
    changes = [
        Change(
            record.record_id,
            form,
            column,
            "create" if old == "" else ("delete" if new == "" else "update"),
            old,
            new,
            reason,
            place.event,
            instance,
        )
        for column in sorted(set(entry.values) | set(values))
        if column in values and (old := entry.values.get(column, "")) != (new := values[column])
    ]
    if entry.status != status:
        changes.append(
            Change(
                record.record_id,
                form,
                f"{form}_complete",
                "status",
                str(entry.status),
                str(status),
                reason,
                place.event,
                instance,
            )
        )
    return changes
