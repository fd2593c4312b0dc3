"""The study's files (set-up), its export, and a record's audit trail."""

from __future__ import annotations

import csv
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from followup.capture import access
from followup.capture.audit import Change, append, trail_csv
from followup.capture.export import export_csv
from followup.capture.history import trail_lines
from followup.capture.models import AuditEntry, DictionaryTranslation, Role
from followup.capture.posted import posted_choice, posted_language
from followup.capture.setup import SetupError, load_records, replace_definition, set_translation
from followup.io import read_records
from followup.io.export_options import ExportOptions
from followup.study import StudyError
from followup.study.instruments import add_instrument
from followup.study.schedule import KINDS
from followup.study.validation import validate

MAX_UPLOAD = 50 * 1024 * 1024  # bytes: far above any questionnaire study, far below a disk


@login_required
def study_setup(request: HttpRequest) -> HttpResponse:
    """Load records, replace the dictionary and plan, upload a translation (data manager)."""
    m = access.require(request.user, (Role.DATA_MANAGER,), _("Study set-up is the data manager's."))
    study = m.study
    problems: list[str] = []
    if request.method == "POST":
        action = posted_choice(
            request, "action", {"records", "definition", "instrument", "translation"}
        )
        user = request.user.get_username()
        try:
            if action == "records":
                name, text = _upload(request, "records")
                plan = study.plan
                imported = read_records(
                    text,
                    study.dictionary,
                    source=name,
                    missing_codes=plan.missing_codes if plan else (),
                    schedule=study.schedule,
                )
                count = load_records(study, imported, user=user)
                messages.success(
                    request,
                    _("%(count)d records loaded from %(name)s.") % {"count": count, "name": name},
                )
                stale = [
                    f
                    for f in validate(study.dictionary, imported, schedule=study.schedule)
                    if f.rule == "calc_stale"
                ]
                for finding in stale[:10]:
                    messages.warning(
                        request,
                        _("Record %(record)s, %(field)s: %(message)s (kept as imported).")
                        % {
                            "record": finding.record,
                            "field": finding.field,
                            "message": finding.message,
                        },
                    )
            elif action == "definition":
                name, dictionary = _upload(request, "dictionary")
                plan_text = _upload(request, "plan")[1] if "plan" in request.FILES else None
                schedule = {
                    kind: _upload(request, kind)[1] for kind in KINDS if kind in request.FILES
                }
                removed = replace_definition(
                    study, dictionary, plan_text, by=user, source=name, schedule_files=schedule
                )
                for warning in study.dictionary.warnings[:20]:
                    messages.warning(request, str(warning))
                note = (
                    " "
                    + _("Fields without data removed: %(fields)s.") % {"fields": ", ".join(removed)}
                    if removed
                    else ""
                )
                messages.success(
                    request, _("The study's dictionary and plan were replaced.") + note
                )
            elif action == "instrument":
                name, data = _upload_bytes(request, "instrument")
                text, renamed = add_instrument(study.dictionary, study.dictionary_csv, data, name)
                replace_definition(study, text, None, by=user, source=name)
                added = _("The form of %(name)s was added.") % {"name": name}
                if renamed:
                    added += " " + _("Renamed: %(names)s.") % {"names": "; ".join(renamed)}
                messages.success(request, added)
            else:
                language = posted_language(request, blank=False)
                name, text = _upload(request, "translation")
                count = set_translation(study, language, text, by=user, source=name)
                messages.success(
                    request,
                    _("%(count)d translated texts loaded for %(language)s.")
                    % {"count": count, "language": language},
                )
            return redirect("setup")
        except (
            StudyError,
            SetupError,
            UnicodeDecodeError,
            KeyError,
            ValueError,
            RecursionError,
            csv.Error,
        ) as error:
            problems = _problem_lines(error)
    context = {
        "study": study,
        "problems": problems,
        "forms": study.dictionary.forms,
        "languages": settings.LANGUAGES,
        "translations": DictionaryTranslation.objects.filter(study=study).order_by("language"),
    }
    return render(request, "capture/setup.html", context, status=400 if problems else 200)


def _upload(request: HttpRequest, name: str) -> tuple[str, str]:
    """An uploaded file's name (without any folder) and its text (a BOM from Excel stripped)."""
    filename, data = _upload_bytes(request, name)
    return filename, data.decode("utf-8-sig")


def _upload_bytes(request: HttpRequest, name: str) -> tuple[str, bytes]:
    """An uploaded file's name (without any folder) and its bytes, refused past MAX_UPLOAD."""
    upload = request.FILES.get(name)
    if upload is None:
        raise KeyError(name)
    if upload.size is not None and upload.size > MAX_UPLOAD:
        raise ValueError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": upload.name, "limit": MAX_UPLOAD // (1024 * 1024)}
        )
    return PurePath(str(upload.name or name)).name, upload.read()


def _problem_lines(error: Exception) -> list[str]:
    if isinstance(error, KeyError):
        return [_("Choose a file to upload.")]
    if isinstance(error, UnicodeDecodeError):
        return [_("The file is not UTF-8 text: save it from Excel as “CSV UTF-8”.")]
    if isinstance(error, RecursionError):
        return [
            _(
                "The file is nested too deeply to be read (brackets in logic, or indentation "
                "in YAML, hundreds of levels deep). Simplify it and load it again."
            )
        ]
    if isinstance(error, csv.Error):
        return [_("The file cannot be read as CSV: %(error)s.") % {"error": error}]
    return str(error).splitlines()


@login_required
def record_trail(request: HttpRequest, record_id: str) -> HttpResponse:
    """Every change of one record, values as labels; ?format=csv downloads it as stored."""
    record = access.record_for(request.user, record_id)
    entries = list(AuditEntry.objects.filter(study=record.study.pk, record=record.record_id))
    if request.GET.get("format") == "csv":
        response = HttpResponse(trail_csv(entries), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"audit_{record.record_id}.csv"
        )
        return response
    lines = trail_lines(record.study, entries, get_language())
    return render(request, "capture/trail.html", {"record": record, "lines": lines})


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """A REDCap raw export of the records the user may see (a hospital sees only its own)."""
    m = access.require(
        request.user, access.DATA_ROLES, _("The administrator does not see patient records.")
    )
    text = export_csv(m.study, access.visible_records(request.user))
    append(
        m.study,
        request.user.get_username(),
        [Change("", "", "csv", "export", "", ExportOptions().describe(), _("export"))],
    )
    stamp = timezone.now().strftime("%Y-%m-%d")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="followup_export_{stamp}.csv"'
    return response
