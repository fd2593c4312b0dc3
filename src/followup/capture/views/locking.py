"""Locking and unlocking a record (the data manager), with reason and e-signature."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from followup.capture import access
from followup.capture.locking import LockRefused, lock, unlock
from followup.capture.models import Role
from followup.capture.posted import posted_choice, posted_text, safe_next


@login_required
@require_POST
def lock_record(request: HttpRequest, record_id: str) -> HttpResponse:
    """Lock (optionally sign) or unlock; back where the person was (only within this site)."""
    access.require(request.user, (Role.DATA_MANAGER,), _("Only the data manager locks records."))
    record = access.record_for(request.user, record_id)
    action = posted_choice(request, "action", {"lock", "unlock"})
    reason = posted_text(request, "reason")
    try:
        if action == "lock":
            sign = request.POST.get("sign") == "1"
            lock(request, record, reason, sign=sign, password=request.POST.get("password", ""))
            done = _("Record %(id)s locked and signed.") if sign else _("Record %(id)s locked.")
        else:
            unlock(request, record, reason)
            done = _("Record %(id)s unlocked.")
    except LockRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, done % {"id": record.record_id})
    return redirect(safe_next(request, reverse("records")))
