"""Locking a record, with a reason and, if the data manager signs, an electronic signature.

A signature is given by entering one's password again (21 CFR Part 11 §11.200: two components,
user name and password); the trail records the signer's name, the time and the meaning of the
signature (§11.50), and the record shows them. Wrong passwords count towards the sign-in lockout
(django-axes sees them), so a signature cannot be used to guess a password. Unlocking needs a
reason and negates the signature, as in REDCap.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followup.capture.audit import Change, append
from followup.capture.models import Record

MEANING = gettext_lazy(
    "I have reviewed this record's data and approve them as complete and correct."
)


class LockRefused(ValueError):  # noqa: N818  (a refusal shown to the user, not a crash)
    """Nothing was locked or unlocked; the message says why."""


def _signer_name(request: HttpRequest) -> str:
    user = request.user
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    name = user.get_username()
    return f"{full} ({name})" if full else name


def _signature_request(request: HttpRequest) -> HttpRequest:
    """The request as the sign-in protection sees a signature: who and from where, nothing else.

    django-axes counts the attempt (by user name and address) and keeps what a request carried;
    the record's ID and the reason stay out of that log, which the administrator reads.
    """
    seen = HttpRequest()
    seen.method = "POST"
    seen.path = seen.path_info = "/e-signature/"
    seen.META = {
        key: request.META[key]
        for key in ("REMOTE_ADDR", "HTTP_USER_AGENT", "HTTP_X_FORWARDED_FOR", "HTTP_ACCEPT")
        if key in request.META
    }
    return seen


def lock(request: HttpRequest, record: Record, reason: str, *, sign: bool, password: str) -> None:
    """Lock (and sign) the record; LockRefused if the reason or the password is missing or wrong."""
    if record.locked:
        raise LockRefused(_("The record is already locked."))
    if not reason:
        raise LockRefused(_("Give a reason for locking the record."))
    username = request.user.get_username()
    if sign:
        if not password:
            raise LockRefused(_("Enter your password to sign."))
        try:
            verified = authenticate(
                _signature_request(request), username=username, password=password
            )
        except PermissionDenied:
            verified = None
        if verified is None or verified.pk != request.user.pk:
            raise LockRefused(
                _("The password is not right: the record was neither locked nor signed.")
            )
    now = timezone.now()
    with transaction.atomic():
        fresh = Record.objects.select_for_update().get(pk=record.pk)
        if fresh.locked:
            raise LockRefused(_("The record is already locked."))
        changes = [Change(record.record_id, "", "", "lock", "False", "True", reason)]
        fresh.locked = True
        if sign:
            fresh.signed_by, fresh.signed_at = _signer_name(request), now
            changes.append(
                Change(
                    record.record_id,
                    "",
                    "",
                    "esign",
                    "",
                    fresh.signed_by,
                    _("Meaning: %(meaning)s Reason: %(reason)s")
                    % {"meaning": MEANING, "reason": reason},
                )
            )
        fresh.save(update_fields=["locked", "signed_by", "signed_at"])
        append(record.study, username, changes)


def unlock(request: HttpRequest, record: Record, reason: str) -> None:
    """Unlock the record (its signature, if any, is negated); a reason is required."""
    if not record.locked:
        raise LockRefused(_("The record is not locked."))
    if not reason:
        raise LockRefused(_("Give a reason for unlocking the record."))
    with transaction.atomic():
        fresh = Record.objects.select_for_update().get(pk=record.pk)
        if not fresh.locked:
            raise LockRefused(_("The record is not locked."))
        changes = [Change(record.record_id, "", "", "unlock", "True", "False", reason)]
        if fresh.signed_by:
            changes.append(
                Change(record.record_id, "", "", "esign_negate", fresh.signed_by, "", reason)
            )
        fresh.locked, fresh.signed_by, fresh.signed_at = False, "", None
        fresh.save(update_fields=["locked", "signed_by", "signed_at"])
        append(record.study, request.user.get_username(), changes)
