"""An Excel questionnaire's problems in the uploader's words: where, and what was expected.

``followup.io.questionnaire_read`` says what is wrong by kind and where (sheet, row, column
letter, label); here each kind becomes a sentence in the user's language, with what the cell
should hold (the same words as the web form's messages for types and ranges).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from followup.capture.messages import field_message
from followup.capture.models import FormStatus, Hospital, Study
from followup.capture.translations import choices
from followup.io.questionnaire_archive import MAX_UNPACKED, WorkbookError
from followup.io.questionnaire_read import Located
from followup.study import Field
from followup.study.validation import Finding


@dataclass(frozen=True)
class Problem:
    """One problem as the page lists it: sheet, row, column letter, field label, message."""

    sheet: str
    row: int | None
    column: str
    label: str
    message: str


def file_problem(error: WorkbookError, name: str) -> Problem:
    """A file that cannot be taken as a whole: what it is, and what to do."""
    values = {"name": name, "detail": error.detail, "limit": MAX_UNPACKED // (1024 * 1024)}
    texts = {
        "not_xlsx": _(
            "%(name)s is not an Excel workbook (.xlsx). Upload the questionnaire downloaded "
            "from this page, saved as an Excel workbook."
        ),
        "encrypted_or_xls": _(
            "%(name)s is an old Excel file (.xls) or is protected by a password. Save it as an "
            "Excel workbook (.xlsx) without a password and upload it again."
        ),
        "corrupt": _(
            "%(name)s is damaged and cannot be read (%(detail)s). Open it in Excel, save it "
            "again and upload it again."
        ),
        "too_big": _("%(name)s unpacks to more than %(limit)d MB: it is not a questionnaire."),
        "not_ours": _(
            "%(name)s is not an Excel questionnaire downloaded from Followup (its hidden sheets "
            "are missing or changed). Download a new one and fill that."
        ),
        "other_study": _("%(name)s is the questionnaire of another study (%(detail)s)."),
        "other_hospital": _(
            "%(name)s is the questionnaire of hospital “%(detail)s”, which you cannot upload here."
        ),
        "too_large_upload": _("%(name)s is larger than %(limit)d MB."),
    }
    text = texts.get(error.kind, texts["corrupt"])
    return Problem("", None, "", "", text % values)


def located_problem(study: Study, hospital: Hospital, problem: Located) -> Problem:
    """One located problem of the reader, said in words."""
    return Problem(
        problem.sheet,
        problem.row,
        problem.letter,
        problem.label,
        _message(study, hospital, problem),
    )


def _message(study: Study, hospital: Hospital, problem: Located) -> str:
    value = problem.value if len(problem.value) <= 60 else problem.value[:57] + "…"
    field = _field(study, problem.column)
    if problem.kind == "wrong_type" and field is not None:
        finding = Finding("", "", field.name, "type", "", "error")
        return field_message(field, finding, value)
    texts = {
        "wrong_type": _("“%(value)s” is not a value this column takes."),
        "unknown_choice": _("“%(value)s” is not one of the choices: %(choices)s."),
        "formula": _("A formula or an error value (%(value)s): type the value itself."),
        "read_only": _("This value is computed or read-only: it cannot be changed here."),
        "changed_key": _(
            "This key cell was changed (it reads “%(value)s”): keys say which patient, event "
            "and instance a row is, and cannot be changed."
        ),
        "unknown_record": _(
            "“%(value)s” is not a patient of %(hospital)s in this workbook: new patients are "
            "registered in the web app."
        ),
        "sheet_missing": _(
            "The sheet “%(sheet)s” is missing: sheets are not to be renamed or removed."
        ),
        "changed_header": _(
            "The columns were changed (the variable %(value)s was expected here), or the "
            "study's forms changed since the download: download a new workbook."
        ),
        "extra_column": _(
            "“%(value)s” is outside the questionnaire's columns and would be lost: remove it."
        ),
        "too_many": _("More problems were found: correct these first."),
    }
    text = texts.get(problem.kind, texts["wrong_type"])
    shown = {"value": value, "hospital": hospital.name, "sheet": problem.sheet}
    if problem.kind == "unknown_choice":
        shown["choices"] = _choice_list(study, problem.column)
    return text % shown


def _field(study: Study, column: str) -> Field | None:
    return study.dictionary.column_owner().get(column)


def _choice_list(study: Study, column: str) -> str:
    """The labels a choice cell takes, as its dropdown lists them."""
    field = _field(study, column)
    if field is None:
        return ", ".join(str(label) for _value, label in FormStatus.choices)
    if field.field_type == "checkbox":
        return ", ".join((_("Checked"), _("Unchecked")))
    return ", ".join(label for _code, label in choices(study, field, get_language()))
