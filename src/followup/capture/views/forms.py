"""The questionnaire page: show a form, save it (or say why not), a field's history, conflicts.

What the person chose survives a refused save, the form status included. The "still blank and
required" list is exactly what validation would block "Complete" on (branching respected).
A form the plan says does not apply to this patient cannot be saved.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from followup.capture import access
from followup.capture.entry import (
    Place,
    SaveRefused,
    check,
    place_of,
    place_values,
    questions,
    save,
)
from followup.capture.files import content_path
from followup.capture.form_tags import Behaviour, behaviour, prefilled
from followup.capture.history import field_history
from followup.capture.locking import MEANING
from followup.capture.logic_context import form_context
from followup.capture.messages import messages_by_field, shown_value
from followup.capture.models import FormEntry, FormStatus, Record, StoredFile
from followup.capture.piping import piped_text
from followup.capture.posted import posted_choice, posted_int, posted_text
from followup.capture.progress import form_applies
from followup.capture.questionnaire import (
    form_columns,
    form_fields,
    questionnaire,
    raw_values,
    uploads,
)
from followup.capture.translations import field_label, form_title
from followup.study.logic_context import LogicContext

STATUSES = tuple(int(s) for s in FormStatus.values)


def _record_and_form(request: HttpRequest, record_id: str, form: str) -> Record:
    record = access.record_for(request.user, record_id)
    if form not in record.study.dictionary.forms:
        raise Http404("no such form")
    return record


def _place(request: HttpRequest, record: Record, form: str) -> Place:
    """The event and instance the page's address names (checked: nothing else is possible)."""
    event = request.GET.get("event", "")
    instance = request.GET.get("instance", "1")
    place = place_of(record, form, event, instance)
    if place is None:
        raise Http404("no such event or instance")
    return place


def _query(place: Place, instance: int | None = None) -> str:
    """The query string naming a place (another instance of it, when given)."""
    parts = [f"event={place.event}"] if place.event else []
    number = instance if instance is not None else place.instance
    parts += [f"instance={number}"] if place.repeats else []
    return "?" + "&".join(parts) if parts else ""


def _form_url(record: Record, form: str, place: Place, instance: int | None = None) -> str:
    """The address of the form at a place (another instance of it, when given)."""
    return reverse("form", args=[record.record_id, form]) + _query(place, instance)


def _instances(record: Record, form: str, place: Place) -> list[int]:
    return sorted(
        FormEntry.objects.filter(record=record, event=place.event, form=form).values_list(
            "instance", flat=True
        )
    )


@login_required
def form_page(request: HttpRequest, record_id: str, form: str) -> HttpResponse:
    """GET shows the form; POST saves it, or shows it again with every choice kept."""
    record = _record_and_form(request, record_id, form)
    place = _place(request, record, form)
    entry = FormEntry.objects.filter(
        record=record, event=place.event, form=form, instance=place.instance
    ).first()
    stored = dict(entry.values) if entry else {}
    editable = access.can_edit(request.user) and not record.locked
    language = get_language()
    saved = _instances(record, form, place)
    event = record.study.schedule.event(place.event)
    context: dict[str, Any] = {
        "record": record,
        "form": form,
        "place": place,
        "event_label": event.label if event else "",
        "instances": [(n, _form_url(record, form, place, n)) for n in saved]
        if place.repeats
        else [],
        "new_instance": _form_url(record, form, place, max(saved, default=0) + 1)
        if place.repeats and place.instance in saved
        else "",
        "title": form_title(record.study, form, language),
        "editable": editable,
        "version": entry.version if entry else 0,
        "status": entry.status if entry else FormStatus.INCOMPLETE,
        "stored_complete": bool(entry and entry.status == FormStatus.COMPLETE),
        "statuses": [(code, str(label)) for code, label in FormStatus.choices],
        "esign_meaning": MEANING,
    }
    logic, behaviours, opened = _tags(request, record, form, place, stored, entry is not None)
    context |= {"logic": logic, "behaviours": behaviours, "opened": opened}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(
                _("This record is locked: it cannot be changed.")
                if record.locked
                else _("Your role cannot change records.")
            )
        return _save(request, record, form, place, stored, context, language)
    shown = {**stored, **opened} if editable else stored
    bound = questionnaire(
        record.study,
        form,
        shown,
        readonly=not editable,
        language=language,
        behaviours=behaviours,
    )
    return _form_response(request, record, form, bound, shown, [], context, 200)


def _tags(
    request: HttpRequest,
    record: Record,
    form: str,
    place: Place,
    stored: dict[str, str],
    saved: bool,
) -> tuple[LogicContext, dict[str, Behaviour], dict[str, str]]:
    """The form's logic context, its fields' behaviours, and what the tags fill in on opening."""
    user = request.user.get_username()
    logic = form_context(
        record, form, place.event, place.instance if place.repeats else None, user=user
    )
    merged = place_values(record, form, place)
    fields = form_fields(record.study.dictionary, form)
    behaviours = {f.name: behaviour(f, merged, logic) for f in fields}
    names = frozenset(f.name for f in record.study.dictionary)
    opened = prefilled(
        fields,
        behaviours,
        stored,
        lambda text: piped_text(text, merged, logic, names),
        saved=saved,
        user=user,
        now=datetime.now(),
    )
    return logic, behaviours, opened


def _save(
    request: HttpRequest,
    record: Record,
    form: str,
    place: Place,
    stored: dict[str, str],
    context: dict[str, Any],
    language: str,
) -> HttpResponse:
    version = posted_int(request, "version")
    status = posted_int(request, "status", allowed=STATUSES)
    reason = posted_text(request, "reason")
    then = posted_choice(request, "then", {"", "stay", "next"}) if "then" in request.POST else ""
    context |= {"status": status, "reason": reason, "version": version}
    bound = questionnaire(
        record.study,
        form,
        {**stored, **context["opened"]},  # a read-only field saves what the page showed it
        data=request.POST,
        files=request.FILES,
        language=language,
        behaviours=context["behaviours"],
    )
    if not bound.is_valid():  # a choice that is not one, a value and a missing code at once
        context["error"] = _("Nothing was saved: please correct the fields marked below.")
        return _form_response(request, record, form, bound, stored, [], context, 400)
    values = raw_values(record.study, form, bound)
    try:
        result = save(
            record.pk,
            form,
            values,
            files=uploads(record.study, form, bound),
            user=request.user.get_username(),
            version=version,
            status=status,
            reason=reason,
            place=place,
        )
    except SaveRefused as refused:
        context["error"] = refused.message
        if refused.conflict is not None:
            return _conflict(request, record, form, values, refused.conflict, context, language)
        return _form_response(request, record, form, bound, values, refused.findings, context, 400)
    if result.missing_required:
        messages.warning(request, _("Saved as incomplete: some required fields are still blank."))
    else:
        messages.success(request, _("Saved.") if result.changed else _("Nothing had changed."))
    if then == "next":
        following = _next_form(record, form, record.values())
        if following:
            return redirect("form", record_id=record.record_id, form=following)
        return redirect("records")
    return redirect(_form_url(record, form, place))


def _next_form(record: Record, form: str, values: dict[str, str]) -> str | None:
    """The next form of this record that the plan asks for, after ``form``."""
    forms = record.study.dictionary.forms
    after = forms[forms.index(form) + 1 :]
    return next((f for f in after if form_applies(record.study, f, values)), None)


def _form_response(
    request: HttpRequest,
    record: Record,
    form: str,
    bound: Any,
    values: dict[str, str],
    findings: list[Any],
    context: dict[str, Any],
    status: int,
) -> HttpResponse:
    """The page: widgets, messages beside their fields, what is still required, the queries."""
    language = get_language()
    study = record.study
    place = context["place"]
    stored = place_values(record, form, place)
    merged = {**stored, **values}
    by_field = messages_by_field(study, form, findings, merged, language)
    queries = list(record.queries.filter(form=form).prefetch_related("messages").order_by("pk"))
    kept = {
        f.field: f
        for f in StoredFile.objects.filter(
            record=record, event=place.event, form=form, instance=place.instance
        )
        if merged.get(f.field)
    }
    fields = questions(
        study,
        form,
        bound,
        by_field,
        queries,
        language,
        values=merged,
        context=context["logic"],
        behaviours=context["behaviours"],
        files=kept,
    )
    _, missing = check(record, form, merged)
    dictionary = study.dictionary
    context |= {
        "questions": fields,
        "context_values": {k: v for k, v in stored.items() if k not in values},
        "logic_env": {"missingCodes": sorted(study.plan.missing_codes) if study.plan else []},
        "query": _query(place),
        "missing": [
            (f.field, field_label(study, dictionary.field(f.field), language))
            for f in missing
            if f.field in dictionary
        ],
        "queries": queries,
        "next_form": _next_form(record, form, merged),
        "forms": [(f, form_title(study, f, language)) for f in dictionary.forms],
    }
    return render(request, "capture/form.html", context, status=status)


def _conflict(
    request: HttpRequest,
    record: Record,
    form: str,
    mine: dict[str, str],
    theirs: FormEntry,
    context: dict[str, Any],
    language: str,
) -> HttpResponse:
    """Both versions side by side, labelled; the second editor picks, field by field."""
    study = record.study
    own = form_columns(study, form)
    rows = []
    for f in study.dictionary.form_fields(form):
        columns = [c for c in f.export_columns if c in own]
        if any(mine.get(c, "") != theirs.values.get(c, "") for c in columns):
            rows.append(
                {
                    "name": f.name,
                    "label": field_label(study, f, language),
                    "mine": _shown(study, f, mine, language),
                    "theirs": _shown(study, f, theirs.values, language),
                }
            )
    context |= {
        "conflict_rows": rows,
        "mine_json": json.dumps({c: mine.get(c, "") for c in own}),
        "saved_version": theirs.version,
        "saved_by": theirs.updated_by,
        "saved_at": theirs.updated,
        "action": reverse("resolve_conflict", args=[record.record_id, form])
        + _query(context["place"]),
    }
    return render(request, "capture/conflict.html", context, status=409)


def _shown(study: Any, field: Any, values: dict[str, str], language: str) -> str:
    if field.field_type == "checkbox":
        ticked = [
            shown_value(study, field, c.code, language)
            for c, column in zip(field.choices, field.export_columns, strict=True)
            if values.get(column) == "1"
        ]
        return ", ".join(ticked) or _("none ticked")
    return shown_value(study, field, values.get(field.name, ""), language)


@login_required
def resolve_conflict(request: HttpRequest, record_id: str, form: str) -> HttpResponse:
    """Save the saved version with the fields the second editor chose to keep from theirs."""
    if request.method != "POST":
        return redirect("form", record_id=record_id, form=form)
    record = _record_and_form(request, record_id, form)
    if not access.can_edit(request.user) or record.locked:
        raise PermissionDenied(_("You cannot change this record."))
    place = _place(request, record, form)
    study = record.study
    columns = form_columns(study, form)
    try:
        mine = json.loads(posted_text(request, "mine", required=True))
    except ValueError:
        raise BadRequest(_("The form's values were changed in the browser.")) from None
    if not isinstance(mine, dict) or not all(
        isinstance(k, str) and k in columns and isinstance(v, str) and "\x00" not in v
        for k, v in mine.items()
    ):
        raise BadRequest(_("The form's values were changed in the browser."))
    entry = FormEntry.objects.filter(
        record=record, event=place.event, form=form, instance=place.instance
    ).first()
    values = dict(entry.values) if entry else {}
    for f in study.dictionary.form_fields(form):
        if f"keep-{f.name}" in request.POST:
            choice = posted_choice(request, f"keep-{f.name}", {"mine", "theirs"})
            if choice == "mine":
                values |= {c: mine.get(c, "") for c in f.export_columns if c in columns}
    version = posted_int(request, "version")
    status = posted_int(request, "status", allowed=STATUSES)
    try:
        save(
            record.pk,
            form,
            {c: values.get(c, "") for c in columns},
            user=request.user.get_username(),
            version=version,
            status=status,
            reason=posted_text(request, "reason"),
            place=place,
        )
    except SaveRefused as refused:
        messages.error(request, refused.message)
        return redirect(_form_url(record, form, place))
    messages.success(request, _("Saved, with the values you chose."))
    return redirect(_form_url(record, form, place))


@login_required
def history(request: HttpRequest, record_id: str, form: str, field: str) -> HttpResponse:
    """Every value one field has had: when, who, old → new, why (from the audit trail)."""
    record = _record_and_form(request, record_id, form)
    study = record.study
    if field not in {f.name for f in study.dictionary.form_fields(form)}:
        raise Http404("no such field")
    language = get_language()
    f = study.dictionary.field(field)
    context = {
        "record": record,
        "form": form,
        "title": form_title(study, form, language),
        "field": f,
        "label": field_label(study, f, language),
        "changes": field_history(record, f, language),
    }
    return render(request, "capture/history.html", context)


@login_required
def download(request: HttpRequest, record_id: str, form: str, field: str) -> HttpResponse:
    """The file a file field holds, as a download (whoever may read the record)."""
    record = _record_and_form(request, record_id, form)
    place = _place(request, record, form)
    kept = StoredFile.objects.filter(
        record=record, event=place.event, form=form, instance=place.instance, field=field
    ).last()
    entry = FormEntry.objects.filter(
        record=record, event=place.event, form=form, instance=place.instance
    ).first()
    if kept is None or entry is None or not entry.values.get(field):
        raise Http404("no file")
    response = HttpResponse(  # at most FILE_LIMIT bytes: read whole, no handle left open
        content_path(kept.sha256).read_bytes(), content_type="application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(True, kept.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
