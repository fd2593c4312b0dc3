"""The Excel questionnaire page: a workbook per hospital to download, and its upload back.

The data manager downloads any hospital's workbook; a coordinator only their own hospital's
(another hospital's code is the same 404 as a code that does not exist). The statistician and
the administrator enter no data: 403. An upload is all or nothing (``workbook_import``).
"""

from __future__ import annotations

from pathlib import PurePath

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from followup.capture import access
from followup.capture.audit import Change, append
from followup.capture.models import Membership, Role
from followup.capture.views.study import MAX_UPLOAD
from followup.capture.workbook_import import Imported, import_workbook
from followup.capture.workbook_problems import Problem
from followup.capture.workbook_sheets import (
    form_sheets,
    hospital_records,
    workbook_meta,
    workbook_words,
)
from followup.io.questionnaire_write import write_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_REFUSAL = gettext_lazy(
    "Excel questionnaires are filled by the hospitals' coordinators and the data manager."
)


def _member(request: HttpRequest) -> Membership:
    roles = (Role.DATA_MANAGER, Role.COORDINATOR)
    return access.require(request.user, roles, str(_REFUSAL))


@login_required
def workbooks(request: HttpRequest) -> HttpResponse:
    """The hospitals' workbooks to download, the upload form and what an upload did."""
    member = _member(request)
    result: Imported | None = None
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("workbook")
        if upload is None:
            result = Imported(0, 0, (Problem("", None, "", "", _("Choose a file to upload.")),))
        elif upload.size is not None and upload.size > MAX_UPLOAD:
            text = _("%(name)s is larger than %(limit)d MB.") % {
                "name": PurePath(str(upload.name)).name,
                "limit": MAX_UPLOAD // (1024 * 1024),
            }
            result = Imported(0, 0, (Problem("", None, "", "", text),))
        else:
            name = str(upload.name or "workbook.xlsx")
            data = upload.read(MAX_UPLOAD + 1)
            result = import_workbook(member, data, name, request.user.get_username())
        status = 400 if result.problems else 200
    context = {
        "hospitals": access.hospitals_in_reach(member),
        "result": result,
        "summary": _summary(result) if result and not result.problems else "",
    }
    return render(request, "capture/workbooks.html", context, status=status)


def _summary(result: Imported) -> str:
    """What a successful upload did, in a sentence."""
    if not result.values:
        return _("The workbook of %(hospital)s holds no changes: nothing was saved.") % {
            "hospital": result.hospital
        }
    values = ngettext("%(count)d value", "%(count)d values", result.values) % {
        "count": result.values
    }
    records = ngettext("%(count)d record", "%(count)d records", result.records) % {
        "count": result.records
    }
    return _("Saved: %(values)s in %(records)s of %(hospital)s.") % {
        "values": values,
        "records": records,
        "hospital": result.hospital,
    }


@login_required
def download(request: HttpRequest, hospital: str) -> HttpResponse:
    """One hospital's workbook, its values as stored now (an entry of the trail)."""
    member = _member(request)
    chosen = next((h for h in access.hospitals_in_reach(member) if h.code == hospital), None)
    if chosen is None:
        raise Http404("no such hospital")
    study = member.study
    language = get_language() or "en"
    user = request.user.get_username()
    meta = workbook_meta(study, chosen, language)
    url = request.build_absolute_uri(reverse("workbooks"))
    words = workbook_words(study, chosen, meta.downloaded, user, url)
    records = list(hospital_records(chosen))
    sheets = form_sheets(study, records, language, words)
    data = write_workbook(sheets, meta, words)
    rows = sum(len(sheet.rows) for sheet in sheets)
    change = Change(
        "",
        "",
        f"questionnaire:{chosen.code}",
        "export",
        "",
        f"Excel questionnaire of {chosen.code}: {len(records)} records, {rows} rows",
        "Excel questionnaire download",
    )
    append(study, user, [change])
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"questionnaire_{chosen.code}_{stamp}.xlsx"
    )
    return response
