"""Getting the questionnaires answered: invitations with a sign-in link, and reminders by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from followup.capture.models import FormStatus, Hospital, Membership, Role, Study
from followup.capture.setup import add_user, invitation_link


def invite(study: Study, username: str, email: str, hospital: Hospital) -> str:
    """Create the hospital's coordinator and mail the one-use link; returns the link."""
    add_user(study, username, Role.COORDINATOR, hospital=hospital, email=email)
    link = invitation_link(settings.FOLLOWUP_BASE_URL, username).link
    send_mail(
        f"{study.name}: your questionnaires",
        f"The data center of {study.name} invites you to answer its questionnaires for "
        f"{hospital.name}.\n\nChoose your password here (the link works once): {link}\n"
        f"Your user name is {username}.",
        None,
        [email],
    )
    return link


def outstanding(hospital: Hospital) -> list[str]:
    """The hospital's forms that apply and are not complete, as 'record: form'."""
    study = hospital.study
    plan = study.plan
    applies = plan.form_logic if plan else {}
    missing = []
    for record in hospital.records.prefetch_related("forms"):
        values = record.values()
        status = {e.form: e.status for e in record.forms.all()}
        for form in study.dictionary.forms:
            logic = applies.get(form)
            if (logic is None or logic.show(values)) and status.get(form) != FormStatus.COMPLETE:
                missing.append(f"{record.record_id}: {form.replace('_', ' ')}")
    return missing


def remind(hospital: Hospital) -> int:
    """Mail the hospital's coordinators what is still open; returns how many were mailed."""
    forms = outstanding(hospital)
    people = [
        m.user.email
        for m in Membership.objects.filter(hospital=hospital, role=Role.COORDINATOR).select_related(
            "user"
        )
        if m.user.email
    ]
    if not forms or not people:
        return 0
    listing = "\n".join(f"  - {f}" for f in forms)
    send_mail(
        f"{hospital.study.name}: {len(forms)} questionnaire(s) still open at {hospital.name}",
        f"These forms are not complete yet:\n{listing}\n\nSign in: {settings.FOLLOWUP_BASE_URL}/",
        None,
        people,
    )
    return len(people)
