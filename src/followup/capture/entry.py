"""Entering one form of one record: the fields as the dictionary defines them, saved with care.

A save is refused, with the reason shown next to each field, when a value has the wrong type,
range or choice; it is refused as a conflict when somebody else saved the form since it was opened;
it needs a reason when it changes a form marked complete; it is impossible on a locked record.
Every value that changes becomes an audit entry in the same transaction as the change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from django import forms
from django.db import transaction
from django.forms import BoundField

from followup.capture.audit import Change, append
from followup.capture.models import FormEntry, FormStatus, Record
from followup.capture.questionnaire import form_fields
from followup.study import Field
from followup.study.validation import Finding, validate


@dataclass(frozen=True)
class Question:
    """One field as the page shows it: the Django bound field, its branching tree, its messages."""

    field: Field
    bound: BoundField
    branching: str  # JSON tree, '' when always shown
    messages: tuple[str, ...] = ()

    @property
    def grouped(self) -> bool:
        """Radio buttons and checkboxes sit in a fieldset with a legend."""
        return self.field.field_type in ("radio", "yesno", "truefalse", "checkbox")


def questions(
    record: Record, form: str, bound: forms.Form, findings: list[Finding]
) -> list[Question]:
    """The form's fields, each with Django's widget and the messages that belong to it."""
    by_field: dict[str, list[str]] = {}
    for finding in findings:
        by_field.setdefault(finding.field, []).append(finding.message)
    if bound.is_bound and not bound.is_valid():
        for name, errors in bound.errors.items():
            by_field.setdefault(name, []).extend(str(e) for e in errors)
    result = []
    for f in form_fields(record.study.dictionary, form):
        tree = json.dumps(f.branching.tree()) if f.branching.text.strip() else ""
        result.append(Question(f, bound[f.name], tree, tuple(by_field.get(f.name, ()))))
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
    """Blocking findings (type, range, choice, the plan's rules) and missing required fields."""
    dictionary = record.study.dictionary
    plan = record.study.plan
    rules = plan.rules if plan else ()
    form_logic = plan.form_logic if plan else None
    found = validate(
        dictionary, [_Values(record.record_id, record.hospital.code, merged)], rules, form_logic
    )
    own = {f.name for f in dictionary.form_fields(form)}
    fields = {f.name for f in dictionary}
    mine = [f for f in found if f.field in own or f.field not in fields]  # a rule may name no field
    missing = [f for f in mine if f.rule == "required"]
    blocking = [f for f in mine if f.rule != "required" and f.severity == "error"]
    return blocking, missing


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
    with transaction.atomic():
        record = (
            Record.objects.select_for_update().select_related("study", "hospital").get(pk=record_pk)
        )
        if record.locked:
            raise SaveRefused(
                "This record is locked by the data center: it cannot be changed until unlocked."
            )
        entry, _ = FormEntry.objects.select_for_update().get_or_create(record=record, form=form)
        if entry.version != version:
            raise SaveRefused("Somebody else saved this form after you opened it.", conflict=entry)
        stored = record.values()
        values = without_hidden(record, form, stored, values)
        blocking, missing = check(
            record, form, {**stored, **values, f"{form}_complete": str(status)}
        )
        if blocking:
            raise SaveRefused(
                "Nothing was saved: please correct the fields marked below.", findings=blocking
            )
        if missing and status == FormStatus.COMPLETE:
            status = FormStatus.INCOMPLETE  # REDCap: required fields block 'Complete' only
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
            if (old := entry.values.get(column, "")) != (new := values.get(column, ""))
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
        if changes and entry.status == FormStatus.COMPLETE and not reason.strip():
            raise SaveRefused("This form is marked complete: give a reason for the change.")
        if changes:
            append(record.study, user, changes)
            entry.values = {**entry.values, **values}
            entry.status = status
            entry.version += 1
            entry.updated_by = user
            entry.save()
        return SaveResult(len(changes), status, [f.field for f in missing])
