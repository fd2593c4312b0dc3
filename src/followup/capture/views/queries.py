"""Queries where the work is: open one on a field, answer, close, reopen; the list of open ones."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from followup.capture import access
from followup.capture.models import DataQuery, Role
from followup.capture.posted import posted_choice, posted_text
from followup.capture.queries import QueryRefused, open_query, respond
from followup.capture.translations import field_label, form_title

_NEED_TEXT = gettext_lazy("Write what you ask or answer: a query step needs its text.")


@login_required
@require_POST
def open_on_field(request: HttpRequest, record_id: str, form: str) -> HttpResponse:
    """The data manager asks about one field of one form."""
    access.require(request.user, (Role.DATA_MANAGER,), _("Only the data manager opens queries."))
    record = access.record_for(request.user, record_id)
    if form not in record.study.dictionary.forms:
        raise Http404("no such form")
    fields = {f.name for f in record.study.dictionary.form_fields(form)}
    field = posted_choice(request, "field", fields)
    text = posted_text(request, "text", required=True, what=str(_NEED_TEXT))
    try:
        query = open_query(record, form, field, text, request.user.get_username())
    except QueryRefused as refused:
        messages.error(request, str(refused))
        return redirect("form", record_id=record.record_id, form=form)
    messages.success(request, _("Query opened."))
    return redirect(f"{_form_url(record.record_id, form)}#query-{query.pk}")


def _form_url(record_id: str, form: str) -> str:
    return reverse("form", args=[record_id, form])


@login_required
@require_POST
def reply(request: HttpRequest, record_id: str, query_id: int) -> HttpResponse:
    """Answer; the data manager may also close or reopen (each with its text)."""
    record = access.record_for(request.user, record_id)
    if not access.can_edit(request.user):
        raise PermissionDenied(_("Your role cannot answer queries."))
    query = record.queries.filter(pk=query_id).first()
    if query is None:
        raise Http404("no such query")
    action = (
        posted_choice(request, "action", {"reply", "close", "reopen"})
        if "action" in request.POST
        else "reply"
    )
    if request.POST.get("close") and action == "reply":
        action = "close"  # the older form's checkbox
    text = posted_text(request, "text", required=True, what=str(_NEED_TEXT))
    try:
        respond(
            query, access.role_of(request.user) or "", request.user.get_username(), text, action
        )
    except QueryRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Query updated."))
    return redirect(f"{_form_url(record.record_id, query.form)}#query-{query.pk}")


@login_required
def query_list(request: HttpRequest) -> HttpResponse:
    """Open queries (or all, or closed): every hospital for the data center, one's own otherwise."""
    m = access.require(
        request.user, access.DATA_ROLES, _("The administrator does not see patient records.")
    )
    queries = DataQuery.objects.filter(record__in=access.visible_records(request.user))
    status = request.GET.get("status", "unresolved")
    if status not in ("unresolved", "open", "answered", "closed", "all"):
        raise BadRequest(_("There is no status %(status)s.") % {"status": repr(status[:40])})
    if status == "unresolved":
        queries = queries.exclude(status=DataQuery.Status.CLOSED)
    elif status != "all":
        queries = queries.filter(status=status)
    hospitals, hospital = access.hospital_filter(m, request.GET.get("hospital", ""))
    if hospital:
        queries = queries.filter(record__hospital__code=hospital)
    queries = queries.select_related("record", "record__hospital").prefetch_related("messages")
    page = Paginator(queries.order_by("-opened", "-pk"), 50).get_page(request.GET.get("page"))
    language = get_language()
    study = m.study
    dictionary = study.dictionary
    rows = [
        {
            "query": q,
            "form_title": form_title(study, q.form, language),
            "label": field_label(study, dictionary.field(q.field), language)
            if q.field in dictionary
            else q.field,
            "last": next(reversed(q.messages.all()), None),
        }
        for q in page
    ]
    context = {
        "rows": rows,
        "page": page,
        "status": status,
        "hospitals": hospitals,
        "hospital": hospital,
        "statuses": [
            ("unresolved", _("Not closed")),
            ("open", _("Open (awaiting the hospital)")),
            ("answered", _("Answered (awaiting the data center)")),
            ("closed", _("Closed")),
            ("all", _("All")),
        ],
    }
    return render(request, "capture/queries.html", context)
