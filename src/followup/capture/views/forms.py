"""The questionnaire page: show a form, save it (or say why not), a field's history, conflicts.

What the person chose survives a refused save, the form status included. The "still blank and
required" list is exactly what validation would block "Complete" on (branching respected).
A form the plan says does not apply to this patient cannot be saved.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from followup.capture import access
from followup.capture.entry import SaveRefused, check, questions, save
from followup.capture.history import field_history
from followup.capture.locking import MEANING
from followup.capture.messages import messages_by_field, shown_value
from followup.capture.models import FormEntry, FormStatus, Record
from followup.capture.posted import posted_choice, posted_int, posted_text
from followup.capture.progress import form_applies
from followup.capture.questionnaire import form_columns, questionnaire, raw_values
from followup.capture.translations import field_label, form_title

STATUSES = tuple(int(s) for s in FormStatus.values)


def _record_and_form(request: HttpRequest, record_id: str, form: str) -> Record:
    record = access.record_for(request.user, record_id)
    if form not in record.study.dictionary.forms:
        raise Http404("no such form")
    return record


@login_required
def form_page(request: HttpRequest, record_id: str, form: str) -> HttpResponse:
    """GET shows the form; POST saves it, or shows it again with every choice kept."""
    record = _record_and_form(request, record_id, form)
    entry = FormEntry.objects.filter(record=record, form=form).first()
    stored = dict(entry.values) if entry else {}
    editable = access.can_edit(request.user) and not record.locked
    language = get_language()
    context: dict[str, Any] = {
        "record": record,
        "form": form,
        "title": form_title(record.study, form, language),
        "editable": editable,
        "version": entry.version if entry else 0,
        "status": entry.status if entry else FormStatus.INCOMPLETE,
        "stored_complete": bool(entry and entry.status == FormStatus.COMPLETE),
        "statuses": [(code, str(label)) for code, label in FormStatus.choices],
        "esign_meaning": MEANING,
    }
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(
                _("This record is locked: it cannot be changed.")
                if record.locked
                else _("Your role cannot change records.")
            )
        return _save(request, record, form, stored, context, language)
    bound = questionnaire(record.study, form, stored, readonly=not editable, language=language)
    return _form_response(request, record, form, bound, stored, [], context, 200)


def _save(
    request: HttpRequest,
    record: Record,
    form: str,
    stored: dict[str, str],
    context: dict[str, Any],
    language: str,
) -> HttpResponse:
    version = posted_int(request, "version")
    status = posted_int(request, "status", allowed=STATUSES)
    reason = posted_text(request, "reason")
    then = posted_choice(request, "then", {"", "stay", "next"}) if "then" in request.POST else ""
    context |= {"status": status, "reason": reason, "version": version}
    bound = questionnaire(record.study, form, stored, data=request.POST, language=language)
    if not bound.is_valid():  # a choice that is not one, a value and a missing code at once
        context["error"] = _("Nothing was saved: please correct the fields marked below.")
        return _form_response(request, record, form, bound, stored, [], context, 400)
    values = raw_values(record.study, form, bound)
    try:
        result = save(
            record.pk,
            form,
            values,
            user=request.user.get_username(),
            version=version,
            status=status,
            reason=reason,
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
    return redirect("form", record_id=record.record_id, form=form)


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
    stored = record.values()
    merged = {**stored, **values}
    by_field = messages_by_field(study, form, findings, merged, language)
    queries = list(record.queries.filter(form=form).prefetch_related("messages").order_by("pk"))
    fields = questions(study, form, bound, by_field, queries, language)
    _, missing = check(record, form, merged)
    dictionary = study.dictionary
    context |= {
        "questions": fields,
        "context_values": {k: v for k, v in stored.items() if k not in values},
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
        "action": reverse("resolve_conflict", args=[record.record_id, form]),
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
    entry = FormEntry.objects.filter(record=record, form=form).first()
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
        )
    except SaveRefused as refused:
        messages.error(request, refused.message)
        return redirect("form", record_id=record.record_id, form=form)
    messages.success(request, _("Saved, with the values you chose."))
    return redirect("form", record_id=record.record_id, form=form)


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
