"""Entering one form of one record: the fields as the dictionary defines them, saved with care.

A save is refused, with the reason shown next to each field, when a value has the wrong type,
range or choice; it is refused as a conflict when somebody else saved the form since it was opened;
it needs a reason when it changes a form marked complete; it is impossible on a locked record, for
a form the plan says does not apply, and with a status other than REDCap's 0, 1 and 2. Only the
form's own columns are written, whatever else a request carries. Every value that changes becomes
an audit entry in the same transaction as the change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django import forms
from django.db import transaction
from django.forms import BoundField
from django.utils.translation import gettext as _

from followup.capture.audit import Change, append
from followup.capture.models import DataQuery, FormEntry, FormStatus, Record, Study
from followup.capture.progress import form_applies
from followup.capture.questionnaire import date_kind, form_columns, form_fields
from followup.capture.translations import field_label, field_note, section_header
from followup.study import Field
from followup.study.validation import Finding, rule_fields, validate


@dataclass(frozen=True)
class Question:
    """One field as the page shows it: widget, words in the user's language, messages, queries."""

    field: Field
    bound: BoundField
    missing: BoundField | None  # the missing-data code chooser, where the study has codes
    label: str
    note: str
    section: str
    branching: str  # JSON tree, '' when always shown
    messages: tuple[str, ...] = ()
    queries: tuple[DataQuery, ...] = ()

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
) -> list[Question]:
    """The form's fields, each with Django's widget and what belongs to it."""
    by_field = {name: list(texts) for name, texts in messages.items()}
    if bound.is_bound and not bound.is_valid():
        for name, errors in bound.errors.items():
            by_field.setdefault(name.removesuffix("__missing"), []).extend(str(e) for e in errors)
    result = []
    for f in form_fields(study.dictionary, form):
        tree = json.dumps(f.branching.tree()) if f.branching.text.strip() else ""
        missing = f"{f.name}__missing"
        result.append(
            Question(
                f,
                bound[f.name],
                bound[missing] if missing in bound.fields else None,
                field_label(study, f, language),
                field_note(study, f, language),
                section_header(study, f, language),
                tree,
                tuple(by_field.get(f.name, ())),
                tuple(q for q in queries if q.field == f.name),
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


def save(
    record_pk: int,
    form: str,
    values: dict[str, str],
    *,
    user: str,
    version: int,
    status: int,
    reason: str,
) -> SaveResult:
    """Save the form if it may be saved, with an audit entry for every changed value."""
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
        columns = form_columns(record.study, form)
        values = {c: v for c, v in values.items() if c in columns}
        stored = record.values()
        if not form_applies(record.study, form, {**stored, **values}):
            raise SaveRefused(
                _("The study's plan does not ask this form for this patient: it cannot be saved.")
            )
        entry, _created = FormEntry.objects.select_for_update().get_or_create(
            record=record, form=form
        )
        if entry.version != version:
            raise SaveRefused(
                _("Somebody else saved this form after you opened it."), conflict=entry
            )
        values = without_hidden(record, form, stored, values)
        blocking, missing = check(
            record, form, {**stored, **values, f"{form}_complete": str(status)}
        )
        if blocking:
            raise SaveRefused(
                _("Nothing was saved: please correct the fields marked below."), findings=blocking
            )
        if missing and status == FormStatus.COMPLETE:
            status = FormStatus.INCOMPLETE  # REDCap: required fields block 'Complete' only
        changes = _changes(record, form, entry, values, status, reason)
        if changes and entry.status == FormStatus.COMPLETE and not reason.strip():
            raise SaveRefused(_("This form is marked complete: give a reason for the change."))
        if changes:
            append(record.study, user, changes)
            entry.values = {**entry.values, **values}
            entry.status = status
            entry.version += 1
            entry.updated_by = user
            entry.save()
        return SaveResult(len(changes), status, [f.field for f in missing])


def _changes(
    record: Record, form: str, entry: FormEntry, values: dict[str, str], status: int, reason: str
) -> list[Change]:
    changes = [
        Change(
            record.record_id,
            form,
            column,
            "create" if old == "" else ("delete" if new == "" else "update"),
            old,
            new,
            reason,
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
            )
        )
    return changes
