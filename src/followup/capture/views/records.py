"""The record status dashboard (records × forms, REDCap's icons) and the hospitals' overview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from followup.capture import access
from followup.capture.distribution import remind
from followup.capture.models import Hospital, Role
from followup.capture.people import base_url
from followup.capture.progress import FormState, hospital_progress, progress, slot_title, slots

PAGE_SIZE = 50
FILTERS = {
    "": gettext_lazy("Any status"),
    FormState.NOT_STARTED: gettext_lazy("A form not started"),
    FormState.INCOMPLETE: gettext_lazy("A form incomplete"),
    FormState.UNVERIFIED: gettext_lazy("A form unverified"),
    FormState.COMPLETE: gettext_lazy("A form complete"),
    "locked": gettext_lazy("Locked"),
    "query": gettext_lazy("An open query"),
}


@login_required
def records(request: HttpRequest) -> HttpResponse:
    """Every record the user may see × every form: filter by hospital, status and ID; paged."""
    m = access.require(
        request.user, access.DATA_ROLES, _("The administrator does not see patient records.")
    )
    study = m.study
    visible = access.visible_records(request.user)
    hospitals, hospital = access.hospital_filter(m, request.GET.get("hospital", ""))
    if hospital:
        visible = visible.filter(hospital__code=hospital)
    search = request.GET.get("q", "").strip()[:100]
    if search:
        visible = visible.filter(record_id__icontains=search)
    state = request.GET.get("status", "")
    if state not in FILTERS:
        raise BadRequest(_("There is no status %(status)s.") % {"status": repr(state[:40])})
    rows = progress(study, visible)
    if state == "locked":
        rows = [r for r in rows if r.record.locked]
    elif state == "query":
        rows = [r for r in rows if r.open_queries]
    elif state:
        rows = [r for r in rows if r.has(state)]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    language = get_language()
    context = {
        "page": page,
        "forms": [(slot, slot_title(study, slot, language)) for slot in slots(study)],
        "hospitals": hospitals,
        "hospital": hospital,
        "search": search,
        "state": state,
        "filters": [(code, str(label)) for code, label in FILTERS.items()],
        "states": [
            (FormState.NOT_STARTED, _("Not started")),
            (FormState.INCOMPLETE, _("Incomplete")),
            (FormState.UNVERIFIED, _("Unverified")),
            (FormState.COMPLETE, _("Complete")),
            (FormState.NOT_NEEDED, _("Not needed (the plan does not ask it)")),
        ],
        "query_string": _keep(request, exclude="page"),
    }
    return render(request, "capture/records.html", context)


def _keep(request: HttpRequest, *, exclude: str) -> str:
    """The current filters as a query string, for the paging links."""
    kept = request.GET.copy()
    kept.pop(exclude, None)
    return kept.urlencode()


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Per hospital: patients, forms that apply and how many complete, last activity, queries."""
    m = access.require(
        request.user, (Role.DATA_MANAGER,), _("The hospitals' overview is the data manager's.")
    )
    lines = hospital_progress(m.study, progress(m.study, access.visible_records(request.user)))
    return render(request, "capture/dashboard.html", {"hospitals": lines})


@login_required
@require_POST
def remind_hospital(request: HttpRequest, hospital_id: int) -> HttpResponse:
    """Mail a hospital's coordinators the forms still open there (data manager)."""
    m = access.require(
        request.user, (Role.DATA_MANAGER,), _("Reminders are sent by the data manager.")
    )
    hospital = Hospital.objects.filter(study=m.study, pk=hospital_id).first()
    if hospital is None:
        raise Http404("no such hospital")
    sent = remind(hospital, base_url(request.build_absolute_uri("/")))
    if sent:
        messages.success(
            request,
            _("Reminder sent to %(count)d coordinator(s) at %(hospital)s.")
            % {"count": sent, "hospital": hospital.name},
        )
    else:
        messages.warning(
            request,
            _("No reminder sent: %(hospital)s has nothing open or no coordinator e-mail.")
            % {"hospital": hospital.name},
        )
    return redirect("dashboard")
