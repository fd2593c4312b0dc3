"""Getting the questionnaires answered: reminders by e-mail, in each coordinator's language."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from followup.capture.models import Hospital, Membership, Role
from followup.capture.progress import FormState, progress
from followup.capture.translations import form_title


def open_forms(hospital: Hospital) -> list[tuple[str, str]]:
    """The hospital's forms that apply and are not complete, as (record ID, form)."""
    return [
        (row.record.record_id, cell.slot.form)
        for row in progress(hospital.study, hospital.records.all())
        for cell in row.forms
        if cell.state not in (FormState.NOT_NEEDED, FormState.COMPLETE)
    ]


def remind(hospital: Hospital, url: str) -> int:
    """Mail the hospital's active coordinators what is still open; returns how many were mailed."""
    still_open = open_forms(hospital)
    if not still_open:
        return 0
    people = Membership.objects.filter(
        hospital=hospital, role=Role.COORDINATOR, user__is_active=True
    ).select_related("user")
    sent = 0
    for m in people:
        if not m.user.email:
            continue
        language = m.language or translation.get_language()
        listing = "\n".join(
            f"  - {record}: {form_title(hospital.study, form, language)}"
            for record, form in still_open
        )
        with translation.override(language):
            send_mail(
                _("%(study)s: %(count)d questionnaire(s) still open at %(hospital)s")
                % {
                    "study": hospital.study.name,
                    "count": len(still_open),
                    "hospital": hospital.name,
                },
                _("These forms are not complete yet:\n%(listing)s\n\nSign in: %(url)s/")
                % {"listing": listing, "url": url},
                None,
                [m.user.email],
            )
        sent += 1
    return sent
