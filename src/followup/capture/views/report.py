"""The report of the current records: in the app (with the way back), as PDF, HTML, Word, JSON."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from followup.capture import access
from followup.capture.export import export_csv
from followup.capture.models import Membership
from followup.capture.report_cache import CachedReport, report_for, style_hashes

_FILES = {
    "pdf": ("report.pdf", "application/pdf"),
    "html": ("report.html", "text/html; charset=utf-8"),
    "json": ("results.json", "application/json"),
    "docx": (
        "report.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
}


def _report(request: HttpRequest) -> tuple[Membership, CachedReport | None]:
    m = access.require(
        request.user,
        access.REPORTERS,
        _("The report is for the data manager and the statistician."),
    )
    if not m.study.plan_yaml:
        return m, None
    links = [
        (_("← Patients"), reverse("records")),
        (_("Download PDF"), reverse("report_file", args=["pdf"])),
        (_("Download HTML"), reverse("report_file", args=["html"])),
        (_("Download Word"), reverse("report_file", args=["docx"])),
        (_("Numbers (results.json)"), reverse("report_file", args=["json"])),
    ]
    export = export_csv(m.study, access.visible_records(request.user))
    text = (m.study.dictionary_csv, m.study.plan_yaml)
    return m, report_for(text, export, links, m.study.schedule)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The study's plan run on the current records (built once per state of the data)."""
    _m, built = _report(request)
    if built is None:
        context = {
            "title": _("No analysis plan"),
            "text": _("Upload the study's analysis plan to see its report."),
        }
        return render(request, "capture/message.html", context)
    page = built.page.read_text(encoding="utf-8")
    response = HttpResponse(page)
    response._csp_update = {"style-src": style_hashes(page)}  # type: ignore[attr-defined]
    return response


@login_required
def report_file(request: HttpRequest, kind: str) -> HttpResponse:
    """The report's PDF, standalone HTML, Word document or results.json, as a download."""
    if kind not in _FILES:
        from django.http import Http404

        raise Http404("no such file")
    _m, built = _report(request)
    if built is None:
        return report(request)
    name, content_type = _FILES[kind]
    path = built.pdf() if kind == "pdf" else built.folder / name
    response = HttpResponse(path.read_bytes(), content_type=content_type)  # small files
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response
