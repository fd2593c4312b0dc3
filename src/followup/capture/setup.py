"""Setting a study up: its dictionary and plan, its hospitals, its records, its people.

Loading records writes them through the same audited path as a save in the browser, so the trail
starts with where every value came from.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from followup.capture.audit import Change, append
from followup.capture.models import FormEntry, Hospital, Membership, Record, Role, Study
from followup.io import RecordSet
from followup.study import read_dictionary
from followup.study.plan import read_plan
from followup.study.values import read_status


def create_study(name: str, dictionary_csv: str, plan_yaml: str = "") -> Study:
    """A study from its files; both are checked before anything is stored."""
    dictionary = read_dictionary(dictionary_csv, source="data dictionary")
    if plan_yaml:
        read_plan(plan_yaml, dictionary, source="analysis plan")
    return Study.objects.create(name=name, dictionary_csv=dictionary_csv, plan_yaml=plan_yaml)


class SetupError(ValueError):
    """An upload that would lose or duplicate data; nothing was changed."""


def replace_definition(study: Study, dictionary_csv: str, plan_yaml: str | None) -> list[str]:
    """New dictionary (and plan) for the study, refused if a field that holds data would vanish."""
    dictionary = read_dictionary(dictionary_csv, source="data dictionary")
    plan_text = study.plan_yaml if plan_yaml is None else plan_yaml
    if plan_text:
        read_plan(plan_text, dictionary, source="analysis plan")
    kept = {c for f in dictionary for c in f.export_columns}
    entries = FormEntry.objects.filter(record__study=study)
    used = {c for e in entries for c, v in e.values.items() if v not in ("", "0")}
    lost = sorted(used - kept)
    if lost:
        raise SetupError(
            f"the new dictionary has no field for data already entered in: {', '.join(lost)}; "
            "REDCap would delete those values, Followup refuses (keep the fields, or export first)"
        )
    removed = sorted({c for f in study.dictionary for c in f.export_columns} - kept)
    study.dictionary_csv, study.plan_yaml = dictionary_csv, plan_text
    study.save(update_fields=["dictionary_csv", "plan_yaml"])
    return removed


def load_records(
    study: Study, records: RecordSet, *, user: str, skip_forms: Iterable[tuple[str, str]] = ()
) -> int:
    """Store imported records (all or nothing), each hospital created from its access group."""
    skip = set(skip_forms)
    dictionary = study.dictionary
    existing = set(
        Record.objects.filter(
            study=study, record_id__in=[r.record_id for r in records]
        ).values_list("record_id", flat=True)
    )
    if existing:
        rows = ", ".join(f"row {r.row} ({r.record_id})" for r in records if r.record_id in existing)
        raise SetupError(f"already in the study, nothing was imported: {rows}")
    with transaction.atomic():
        for imported in records:
            code = imported.access_group or "unassigned"
            hospital, _ = Hospital.objects.get_or_create(
                study=study, code=code, defaults={"name": code.replace("_", " ").title()}
            )
            record = Record.objects.create(
                study=study, record_id=imported.record_id, hospital=hospital
            )
            changes = []
            for form in dictionary.forms:
                if (imported.record_id, form) in skip:
                    continue
                columns = [
                    c
                    for f in dictionary.form_fields(form)
                    for c in f.export_columns
                    if f.name != dictionary.record_id
                ]
                values = {c: imported[c] for c in columns if imported[c] != ""}
                status_text = imported[f"{form}_complete"]
                if not values and not status_text:
                    continue
                status = read_status(status_text) if status_text else 0
                FormEntry.objects.create(
                    record=record,
                    form=form,
                    values=values,
                    status=status or 0,
                    version=1,
                    updated_by=user,
                )
                changes += [
                    Change(
                        record.record_id,
                        form,
                        c,
                        "import",
                        "",
                        v,
                        f"imported from {records.source}",
                    )
                    for c, v in values.items()
                ]
            append(
                study,
                user,
                changes or [Change(record.record_id, "", "", "create", "", "", "record created")],
            )
    return len(records)


@dataclass(frozen=True)
class Invitation:
    """A new user's sign-in link (the password is chosen on first use)."""

    username: str
    link: str


def add_user(
    study: Study,
    username: str,
    role: str,
    *,
    hospital: Hospital | None = None,
    email: str = "",
    password: str | None = None,
) -> str:
    """Create (or reset) a user with a role; returns the password set (random unless given)."""
    if role not in Role.values:
        raise ValueError(f"role must be one of {', '.join(Role.values)}; got {role!r}")
    if role == Role.COORDINATOR and hospital is None:
        raise ValueError("a coordinator needs a hospital")
    users = get_user_model()
    user, _ = users.objects.get_or_create(username=username, defaults={"email": email})
    password = password or secrets.token_urlsafe(9)
    user.set_password(password)
    user.email = email or user.email
    user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
    user.save()
    Membership.objects.update_or_create(
        user=user,
        defaults={
            "study": study,
            "role": role,
            "hospital": hospital if role == Role.COORDINATOR else None,
        },
    )
    return password


def invitation_link(base_url: str, username: str) -> Invitation:
    """A one-use link to choose a password (Django's password-reset token)."""
    user = get_user_model().objects.get(username=username)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return Invitation(username, f"{base_url.rstrip('/')}/password/{uid}/{token}/")
