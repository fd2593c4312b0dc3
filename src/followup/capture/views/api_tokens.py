"""The data manager's API tokens page: who has one, since when, last used; create and revoke.

A new token is shown on the page that answers its creation, once: only its hash is kept, so it
cannot be shown again (a lost token is revoked and a new one made).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from followup.capture import access
from followup.capture.api_auth import TokenRefused, create_token, revoke_token
from followup.capture.models import ApiToken, Membership, Role
from followup.capture.posted import posted_int

_REFUSAL = gettext_lazy("API tokens are managed by the data manager.")


def _manager(request: HttpRequest) -> Membership:
    return access.require(request.user, (Role.DATA_MANAGER,), str(_REFUSAL))


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """Every token of the study (revoked ones too); POST creates one for a user."""
    m = _manager(request)
    members = (
        Membership.objects.filter(study=m.study, role__in=access.DATA_ROLES)
        .select_related("user", "hospital")
        .order_by("role", "hospital__code", "user__username")
    )
    new_token = ""
    status = 200
    if request.method == "POST":
        chosen = members.filter(user_id=posted_int(request, "user")).first()
        if chosen is None:
            messages.error(request, _("There is no such user in this study."))
            status = 400
        else:
            try:
                _token, new_token = create_token(chosen, by=request.user.get_username())
            except TokenRefused as refused:
                messages.error(request, str(refused))
                status = 400
    context = {
        "members": members,
        "tokens": ApiToken.objects.filter(study=m.study).select_related("user"),
        "new_token": new_token,
        "api_url": request.build_absolute_uri("/api/"),
    }
    response = render(request, "capture/api_tokens.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"  # the token is on this page only
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the study's tokens (it stays listed, with when and by whom)."""
    m = _manager(request)
    token = ApiToken.objects.filter(study=m.study, pk=token_id).select_related("user").first()
    if token is None:
        raise Http404("no such token")
    try:
        revoke_token(token, by=request.user.get_username())
    except TokenRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("The API token of %(name)s was revoked.") % {"name": token.user.get_username()},
        )
    return redirect("api_tokens")
