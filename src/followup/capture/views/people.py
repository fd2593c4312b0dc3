"""The data manager's people page: invite coordinators, deactivate, move, see last sign-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from followup.capture import access
from followup.capture.models import Hospital, Membership, Role
from followup.capture.people import (
    MANAGED_BY_DATA_MANAGER,
    PeopleError,
    base_url,
    invite,
    move_to_hospital,
    set_active,
)
from followup.capture.posted import posted_choice, posted_int, posted_language, posted_text

_REFUSAL = gettext_lazy("People are managed by the data manager.")


def _manager(request: HttpRequest) -> Membership:
    return access.require(request.user, (Role.DATA_MANAGER,), str(_REFUSAL))


@login_required
def people(request: HttpRequest) -> HttpResponse:
    """Everyone in the study, with role, hospital, e-mail, whether active and last sign-in."""
    m = _manager(request)
    members = (
        Membership.objects.filter(study=m.study)
        .select_related("user", "hospital")
        .order_by("role", "hospital__code", "user__username")
    )
    context = {
        "members": members,
        "managed": set(MANAGED_BY_DATA_MANAGER),
        "hospitals": Hospital.objects.filter(study=m.study).order_by("code"),
        "languages": settings.LANGUAGES,
    }
    return render(request, "capture/people.html", context)


@login_required
@require_POST
def invite_coordinator(request: HttpRequest) -> HttpResponse:
    """Create a hospital's coordinator and mail the link (an existing name: see people.invite)."""
    m = _manager(request)
    hospital = Hospital.objects.filter(study=m.study, pk=posted_int(request, "hospital")).first()
    if hospital is None:
        messages.error(request, _("There is no such hospital in this study."))
        return redirect("people")
    username = posted_text(request, "username")
    email = posted_text(request, "email")
    language = posted_language(request, blank=True)
    if not username or not email:
        messages.error(
            request, _("Give a user name and an e-mail address to invite a coordinator.")
        )
        return redirect("people")
    try:
        sent = invite(
            m.study,
            request.user.get_username(),
            username,
            email,
            hospital,
            url=base_url(request.build_absolute_uri("/")),
            language=language,
        )
    except PeopleError as refused:
        messages.error(request, str(refused))
        return redirect("people")
    if sent.new_account:
        messages.success(
            request,
            _("Invitation sent to %(email)s for %(hospital)s.")
            % {"email": sent.email, "hospital": hospital.name},
        )
    else:
        messages.success(
            request,
            _(
                "%(name)s is already this hospital's coordinator: a link to choose a new "
                "password was sent to the address on file. Nothing else was changed."
            )
            % {"name": sent.username},
        )
    return redirect("people")


@login_required
@require_POST
def change_person(request: HttpRequest, user_id: int) -> HttpResponse:
    """Deactivate, reactivate or move a coordinator or statistician."""
    m = _manager(request)
    action = posted_choice(request, "action", {"deactivate", "reactivate", "move"})
    try:
        if action == "move":
            moved = move_to_hospital(m, user_id, posted_int(request, "hospital"))
            text = _("%(name)s now answers for %(hospital)s.") % {
                "name": moved.user.username,
                "hospital": moved.hospital.name if moved.hospital else "",
            }
        else:
            changed = set_active(m, user_id, action == "reactivate")
            text = (
                _("%(name)s can sign in again.")
                if action == "reactivate"
                else _("%(name)s can no longer sign in; their entries stay in the trail.")
            ) % {"name": changed.user.username}
    except PeopleError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, text)
    return redirect("people")
