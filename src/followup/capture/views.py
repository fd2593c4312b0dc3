"""The pages: records, questionnaire, dashboard, queries, locking, trail, exports, report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from followup.analysis import analyze
from followup.capture import access
from followup.capture.audit import Change, append, trail_csv
from followup.capture.distribution import invite, remind
from followup.capture.entry import SaveRefused, questions, save
from followup.capture.export import export_csv
from followup.capture.models import (
    AuditEntry,
    DataQuery,
    FormEntry,
    FormStatus,
    Hospital,
    QueryMessage,
    Role,
)
from followup.capture.questionnaire import questionnaire, raw_values
from followup.capture.setup import SetupError, load_records, replace_definition
from followup.io import read_records
from followup.report import report_html
from followup.study import StudyError

NOT_APPLICABLE = -1


def _forms_of(study: Any) -> list[str]:
    return list(study.dictionary.forms)


@login_required
def home(request: HttpRequest) -> HttpResponseBase:
    """Data managers land on the dashboard, everyone else on their records."""
    role = access.role_of(request.user)
    if role == Role.DATA_MANAGER:
        return redirect("dashboard")
    if role == Role.ADMINISTRATOR:
        return redirect("admin:index")
    return redirect("records")


@login_required
def records(request: HttpRequest) -> HttpResponse:
    """Every record the user may see, with each form's status and open queries."""
    m = access.membership(request.user)
    visible = access.visible_records(request.user).prefetch_related("forms")
    rows = []
    forms = _forms_of(m.study) if m else []
    plan = m.study.plan if m else None
    applies = plan.form_logic if plan else {}
    for record in visible:
        status: dict[str, int | None] = {e.form: e.status for e in record.forms.all()}
        values = record.values()
        for form, logic in applies.items():
            if not logic.show(values):
                status[form] = (
                    NOT_APPLICABLE  # e.g. no relapse questionnaire for a patient in remission
                )
        rows.append(
            {
                "record": record,
                "forms": [(f, status.get(f)) for f in forms],
                "open_queries": record.queries.exclude(status=DataQuery.Status.CLOSED).count(),
            }
        )
    return render(request, "capture/records.html", {"rows": rows, "forms": forms})


@login_required
def form_page(request: HttpRequest, record_id: str, form: str) -> HttpResponse:
    """The questionnaire: GET shows it, POST saves it (or says why not)."""
    record = access.record_for(request.user, record_id)
    if form not in record.study.dictionary.forms:
        raise PermissionDenied("no such form")
    entry = FormEntry.objects.filter(record=record, form=form).first()
    stored = dict(entry.values) if entry else {}
    editable = access.can_edit(request.user) and not record.locked
    context: dict[str, Any] = {
        "record": record,
        "form": form,
        "editable": editable,
        "version": entry.version if entry else 0,
        "status": entry.status if entry else FormStatus.INCOMPLETE,
        "statuses": FormStatus.choices,
    }
    findings: list[Any] = []
    values = stored
    dictionary = record.study.dictionary
    bound = questionnaire(dictionary, form, stored, readonly=not editable)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("you cannot change this record")
        bound = questionnaire(dictionary, form, stored, data=request.POST)
        if not bound.is_valid():  # Django's own checks (a choice that is not one): nothing saved
            context["error"] = "Nothing was saved: please correct the fields marked below."
            return _form_response(request, record, form, bound, stored, [], context, 400)
        values = raw_values(dictionary, form, bound)
        try:
            result = save(
                record.pk,
                form,
                values,
                user=request.user.get_username(),
                version=int(request.POST.get("version", "0")),
                status=int(request.POST.get("status", FormStatus.INCOMPLETE)),
                reason=request.POST.get("reason", ""),
            )
        except SaveRefused as refused:
            findings = refused.findings
            context |= {"error": refused.message, "reason": request.POST.get("reason", "")}
            if refused.conflict is not None:
                context["conflict_rows"] = _conflict_rows(
                    record, form, values, refused.conflict.values
                )
                return render(request, "capture/conflict.html", context, status=409)
        else:
            if result.missing_required:
                messages.warning(
                    request, "Saved as incomplete: some required fields are still blank."
                )
            else:
                messages.success(request, "Saved." if result.changed else "Nothing had changed.")
            return redirect("form", record_id=record.record_id, form=form)
    return _form_response(
        request, record, form, bound, values, findings, context, 400 if findings else 200
    )


def _form_response(
    request: HttpRequest,
    record: Any,
    form: str,
    bound: Any,
    values: dict[str, str],
    findings: list[Any],
    context: dict[str, Any],
    status: int,
) -> HttpResponse:
    """The questionnaire page: widgets, messages beside their fields, the required-field summary."""
    fields = questions(record, form, bound, findings)
    missing = [q.field.label for q in fields if q.field.required and not _has(q.field, values)]
    context |= {
        "questions": fields,
        "context_values": {k: v for k, v in record.values().items() if k not in values},
        "missing": missing,
        "queries": record.queries.filter(form=form).prefetch_related("messages"),
    }
    return render(request, "capture/form.html", context, status=status)


def _has(field: Any, values: dict[str, str]) -> bool:
    if field.field_type == "checkbox":
        return any(values.get(c) == "1" for c in field.export_columns)
    return bool(values.get(field.name, ""))


def _conflict_rows(
    record: Any, form: str, mine: dict[str, str], theirs: dict[str, str]
) -> list[dict[str, str]]:
    rows = []
    for f in record.study.dictionary.form_fields(form):
        for column in f.export_columns:
            if mine.get(column, "") != theirs.get(column, ""):
                rows.append(
                    {
                        "field": f.label,
                        "column": column,
                        "mine": mine.get(column, ""),
                        "theirs": theirs.get(column, ""),
                    }
                )
    return rows


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Per hospital: patients, forms complete, last activity, open queries (data manager)."""
    m = access.require(request.user, (Role.DATA_MANAGER,), "the dashboard is the data manager's")
    hospitals = (
        Hospital.objects.filter(study=m.study)
        .annotate(
            patients=Count("records", distinct=True),
            complete=Count(
                "records__forms",
                filter=Q(records__forms__status=FormStatus.COMPLETE),
                distinct=True,
            ),
            entries=Count("records__forms", distinct=True),
            last=Max("records__forms__updated"),
            open_queries=Count(
                "records__queries",
                filter=~Q(records__queries__status=DataQuery.Status.CLOSED),
                distinct=True,
            ),
        )
        .order_by("code")
    )  # Meta.ordering does not survive GROUP BY
    return render(request, "capture/dashboard.html", {"hospitals": hospitals})


@login_required
def study_setup(request: HttpRequest) -> HttpResponse:
    """Load records from a REDCap CSV, or replace the dictionary and plan (data manager)."""
    m = access.require(request.user, (Role.DATA_MANAGER,), "study set-up is the data manager's")
    problems: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "records":
                name, text = _upload(request, "records")
                imported = read_records(text, m.study.dictionary, source=name)
                count = load_records(m.study, imported, user=request.user.get_username())
                messages.success(request, f"{count} records loaded from {name}.")
            else:
                dictionary = _upload(request, "dictionary")[1]
                plan = _upload(request, "plan")[1] if "plan" in request.FILES else None
                removed = replace_definition(m.study, dictionary, plan)
                note = f" Fields without data removed: {', '.join(removed)}." if removed else ""
                messages.success(request, "The study's dictionary and plan were replaced." + note)
            return redirect("setup")
        except (StudyError, SetupError, UnicodeDecodeError, KeyError) as error:
            problems = _problem_lines(error)
    context = {"study": m.study, "problems": problems, "forms": m.study.dictionary.forms}
    return render(request, "capture/setup.html", context, status=400 if problems else 200)


def _upload(request: HttpRequest, name: str) -> tuple[str, str]:
    """An uploaded file's name and its text (a BOM from Excel stripped)."""
    upload = request.FILES.get(name)
    if upload is None:
        raise KeyError(name)
    return str(upload.name or name), upload.read().decode("utf-8-sig")


def _problem_lines(error: Exception) -> list[str]:
    if isinstance(error, KeyError):
        return ["Choose a file to upload."]
    if isinstance(error, UnicodeDecodeError):
        return ["The file is not UTF-8 text: save it from Excel as “CSV UTF-8”."]
    return str(error).splitlines()


@login_required
@require_POST
def remind_hospital(request: HttpRequest, hospital_id: int) -> HttpResponse:
    """Mail a hospital's coordinators the forms still open there (data manager)."""
    m = access.require(request.user, (Role.DATA_MANAGER,), "reminders are the data manager's")
    hospital = Hospital.objects.get(study=m.study, pk=hospital_id)
    sent = remind(hospital)
    if sent:
        messages.success(request, f"Reminder sent to {sent} coordinator(s) at {hospital.name}.")
    else:
        messages.warning(
            request, f"No reminder sent: {hospital.name} has nothing open or no coordinator e-mail."
        )
    return redirect("dashboard")


@login_required
@require_POST
def invite_coordinator(request: HttpRequest) -> HttpResponse:
    """Create a hospital's coordinator and mail the sign-in link (data manager)."""
    m = access.require(request.user, (Role.DATA_MANAGER,), "invitations are the data manager's")
    hospital = Hospital.objects.get(study=m.study, pk=int(request.POST["hospital"]))
    username, email = (
        request.POST.get("username", "").strip(),
        request.POST.get("email", "").strip(),
    )
    if not username or "@" not in email:
        messages.error(request, "Give a user name and an e-mail address to invite a coordinator.")
        return redirect("dashboard")
    invite(m.study, username, email, hospital)
    messages.success(request, f"Invitation sent to {email} for {hospital.name}.")
    return redirect("dashboard")


@login_required
@require_POST
def lock(request: HttpRequest, record_id: str) -> HttpResponse:
    """Lock or unlock a record (data manager), audited."""
    if not access.is_data_manager(request.user):
        raise PermissionDenied("only the data manager locks records")
    record = access.record_for(request.user, record_id)
    locking = request.POST.get("action") == "lock"
    if record.locked != locking:
        record.locked = locking
        record.save(update_fields=["locked"])
        append(
            record.study,
            request.user.get_username(),
            [
                Change(
                    record.record_id,
                    "",
                    "",
                    "lock" if locking else "unlock",
                    str(not locking),
                    str(locking),
                    request.POST.get("reason", ""),
                )
            ],
        )
    messages.success(request, f"Record {record.record_id} {'locked' if locking else 'unlocked'}.")
    return redirect(request.POST.get("next") or "records")


@login_required
@require_POST
def open_query(request: HttpRequest, record_id: str, form: str) -> HttpResponse:
    """The data manager asks about one field."""
    if not access.is_data_manager(request.user):
        raise PermissionDenied("only the data manager opens queries")
    record = access.record_for(request.user, record_id)
    field = request.POST.get("field", "")
    if field not in {f.name for f in record.study.dictionary.form_fields(form)}:
        raise PermissionDenied("no such field")
    query = DataQuery.objects.create(record=record, form=form, field=field)
    QueryMessage.objects.create(
        query=query, user=request.user.get_username(), text=request.POST.get("text", "")
    )
    return redirect("form", record_id=record.record_id, form=form)


@login_required
@require_POST
def reply_query(request: HttpRequest, record_id: str, query_id: int) -> HttpResponse:
    """The site answers; the data manager closes or answers back."""
    record = access.record_for(request.user, record_id)
    if not access.can_edit(request.user):
        raise PermissionDenied("you cannot answer queries")
    query = record.queries.get(pk=query_id)
    QueryMessage.objects.create(
        query=query, user=request.user.get_username(), text=request.POST.get("text", "")
    )
    if access.is_data_manager(request.user) and request.POST.get("close"):
        query.status = DataQuery.Status.CLOSED
    elif not access.is_data_manager(request.user):
        query.status = DataQuery.Status.ANSWERED
    query.save(update_fields=["status"])
    return redirect("form", record_id=record.record_id, form=query.form)


@login_required
def record_trail(request: HttpRequest, record_id: str) -> HttpResponse:
    """Every change of one record; ?format=csv downloads it."""
    record = access.record_for(request.user, record_id)
    entries = list(AuditEntry.objects.filter(study=record.study.pk, record=record.record_id))
    if request.GET.get("format") == "csv":
        response = HttpResponse(trail_csv(entries), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit_{record.record_id}.csv"'
        return response
    return render(request, "capture/trail.html", {"record": record, "entries": entries})


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """A REDCap raw export of the records the user may see (a hospital sees only its own)."""
    m = access.membership(request.user)
    if m is None or m.role == Role.ADMINISTRATOR:
        raise PermissionDenied("no records to export")
    text = export_csv(m.study, access.visible_records(request.user))
    stamp = timezone.now().strftime("%Y-%m-%d")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="followup_export_{stamp}.csv"'
    return response


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Run the study's plan on the current records and show the report (no PDF on the web page)."""
    m = access.require(
        request.user,
        access.REPORTERS,
        "the report is for the data manager and the statistician",
    )
    plan = m.study.plan
    if plan is None:
        context = {
            "title": "No analysis plan",
            "text": "Upload the study's analysis plan to see its report.",
        }
        return render(request, "capture/message.html", context)
    records = read_records(
        export_csv(m.study, access.visible_records(request.user)),
        m.study.dictionary,
        source="the current records",
    )
    return HttpResponse(report_html(analyze(records, plan)))
