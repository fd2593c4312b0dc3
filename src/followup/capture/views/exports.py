"""The export page: REDCap's export menu — a format, forms, hospitals, de-identification.

Everyone with data (data manager, statistician, coordinator) exports the records they may read:
a coordinator only their hospital's, whatever hospitals the request names. Every export is an
audit entry saying who exported what, in which format, with which options. Date shifts and
hashed record IDs are keyed by the deployment's secret and the study, so two exports of the same
study shift each record the same way and nobody without the key can undo them.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from followup.capture import access
from followup.capture.audit import Change, append
from followup.capture.export import export_rows
from followup.capture.models import Hospital, Membership, Role, Study
from followup.capture.posted import posted_choice
from followup.capture.setup import UNASSIGNED
from followup.capture.translations import field_label, form_title
from followup.io.export_options import ExportOptions
from followup.io.export_table import export_table
from followup.io.exports import FORMATS, export_files, zipped
from followup.io.labels import plain_label
from followup.study.inputs import InputError

_DEIDENTIFY = (
    "drop_identifiers",
    "remove_free_text",
    "remove_dates",
    "shift_dates",
    "hash_record_id",
)
# The formats as the page names them (followup.io.exports.FORMATS has the command line's words).
FORMAT_TITLES = {
    "csv": gettext_lazy("CSV, raw codes (REDCap's raw export)"),
    "labels": gettext_lazy("CSV, labels (REDCap's label export)"),
    "xlsx": gettext_lazy("Excel: data with labels, dictionary, codes"),
    "spss": gettext_lazy("SPSS (.sav)"),
    "stata": gettext_lazy("Stata (.dta)"),
    "sas": gettext_lazy("SAS (XPORT version 8 and a formats program)"),
    "sas5": gettext_lazy("SAS (XPORT version 5: 8-character names)"),
    "r": gettext_lazy("R (CSV and a script that labels it)"),
    "odm": gettext_lazy("CDISC ODM 1.3.2 XML"),
    "dictionary": gettext_lazy("Data dictionary (CSV)"),
}
_CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".sav": "application/x-spss-sav",
    ".dta": "application/x-stata-dta",
    ".xml": "application/xml",
}


def export_key(study: Study) -> bytes:
    """The key of a study's date shifts and hashed IDs: the deployment's secret, per study."""
    return hmac.new(
        settings.SECRET_KEY.encode("utf-8"), f"export:{study.pk}".encode(), hashlib.sha256
    ).digest()


@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    """GET: the export menu; POST: the file (one, or a zip when the format is several)."""
    m = access.require(
        request.user, access.DATA_ROLES, _("The administrator does not see patient records.")
    )
    hospitals = access.hospitals_in_reach(m)
    language = get_language() or "en"
    if request.method != "POST":
        return render(
            request,
            "capture/export.html",
            {
                "formats": [(name, FORMAT_TITLES[name]) for name in FORMATS],
                "forms": [(f, form_title(m.study, f, language)) for f in m.study.dictionary.forms],
                "fields": _fields_by_form(m.study, language),
                "hospitals": hospitals,
            },
        )
    options = _options(request, m, hospitals)
    format_name = posted_choice(request, "format", FORMATS)
    records = access.visible_records(request.user).prefetch_related("forms")
    plan = m.study.plan
    try:
        table = export_table(
            m.study.dictionary,
            export_rows(m.study, records),
            title=m.study.name,
            options=options,
            schedule=m.study.schedule,
            missing_codes=plan.missing_codes if plan else {},
            key=export_key(m.study),
            dictionary_text=m.study.dictionary_csv,
        )
        files = export_files(table, format_name, _stem(m.study))
    except (InputError, ValueError) as error:
        raise BadRequest(str(error)) from None
    append(
        m.study,
        request.user.get_username(),
        [Change("", "", format_name, "export", "", options.describe(), _("export"))],
    )
    return _download(files)


def _fields_by_form(study: Study, language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each form's title and data fields (name, label in the user's language)."""
    dictionary = study.dictionary
    return [
        (
            form_title(study, form, language),
            [
                (f.name, plain_label(field_label(study, f, language)))
                for f in dictionary.form_fields(form)
                if f.holds_data
            ],
        )
        for form in dictionary.forms
    ]


def _options(request: HttpRequest, m: Membership, hospitals: list[Hospital]) -> ExportOptions:
    """The posted choices, each checked against what the page offered."""
    forms = request.POST.getlist("forms")
    fields = request.POST.getlist("fields")
    known = {f.name for f in m.study.dictionary if f.holds_data}
    unknown = [f for f in forms if f not in m.study.dictionary.forms]
    unknown += [f for f in fields if f not in known]
    codes = request.POST.getlist("hospitals")
    allowed = {h.code for h in hospitals}
    outside = [c for c in codes if c not in allowed]
    if unknown or outside or max(len(forms), len(fields), len(codes)) > 10_000:
        raise BadRequest(
            _("The export names forms, fields or hospitals you cannot export: %(names)s.")
            % {"names": ", ".join(repr(n[:40]) for n in (unknown + outside)[:10])}
        )
    if m.role == Role.COORDINATOR:
        codes = sorted(allowed)
    codes = ["" if code == UNASSIGNED else code for code in codes]  # as export rows write it
    ticked = {name for name in _DEIDENTIFY if request.POST.get(name) == "on"}
    return ExportOptions(
        forms=tuple(forms),
        fields=tuple(fields),
        hospitals=tuple(codes),
        drop_identifiers="drop_identifiers" in ticked,
        remove_free_text="remove_free_text" in ticked,
        remove_dates="remove_dates" in ticked,
        shift_dates="shift_dates" in ticked,
        hash_record_id="hash_record_id" in ticked,
    )


def _stem(study: Study) -> str:
    name = "".join(c if c.isascii() and c.isalnum() else "_" for c in study.name).strip("_")
    return f"{name or 'study'}_{timezone.now():%Y-%m-%d}"


def _download(files: dict[str, bytes]) -> HttpResponse:
    if len(files) == 1:
        ((name, content),) = files.items()
        suffix = name[name.rfind(".") :]
        content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
    else:
        name = next(iter(files)).rsplit(".", 1)[0] + ".zip"
        content, content_type = zipped(files), "application/zip"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
