"""A hospital's Excel questionnaire as stored now: its sheets, rows, versions and words.

The same layout serves the download and the upload: an upload is compared with the rows as they
are stored at that moment, in the language the workbook was downloaded in. Rows are the
entries of REDCap's export (``followup.capture.export``): one per record in a classic study,
per event in a longitudinal one, per instance of a repeating form or event; a repeating form
also has one empty row per record and event for its next instance, which a hospital fills to
add a follow-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from followup.capture.models import FormEntry, FormStatus, Hospital, Record, Study
from followup.capture.translations import choice_label, field_label, form_title, translation_for
from followup.io.labels import event_label, plain_label
from followup.io.questionnaire_branching import BranchingText
from followup.io.questionnaire_layout import (
    FormSheet,
    Meta,
    RowKey,
    SheetRow,
    Words,
    sheet_columns,
    sheet_titles,
)
from followup.io.questionnaire_write import LISTS_SHEET, META_SHEET, ROWS_SHEET


def workbook_words(study: Study, hospital: Hospital, when: str, by: str, url: str) -> Words:
    """The workbook's words in the active language, the instructions for this hospital."""
    codes = ", ".join(code for code, _label in _missing_codes(study, ""))
    lines = [
        _("Study: %(name)s") % {"name": study.name},
        _("Hospital: %(name)s (%(code)s)") % {"name": hospital.name, "code": hospital.code},
        _("Downloaded: %(when)s by %(user)s") % {"when": when, "user": by},
        "",
        _("How to fill it"),
        _(
            "One sheet per form, one row per patient (and per event or repeated form). Type "
            "into the white cells; the grey cells (patient, event, instance, computed values, "
            "locked records) cannot be changed."
        ),
        _(
            "The first row is the question, the second its variable name, the third when to "
            "fill it (“Fill only if …”) and in what format. Notes on a question are in the "
            "comment of its header (the red corner)."
        ),
        _(
            "Choose answers from the list in the cell. Type dates as yyyy-mm-dd (e.g. "
            "2010-06-30) and numbers with a dot before any decimals."
        ),
        _(
            "A form that repeats (such as a follow-up) has an empty last row for each patient: "
            "fill it to add one more."
        ),
        _("Leave a cell empty when the question does not apply."),
        _("Where a value is not known, use a missing-data code: %(codes)s.") % {"codes": codes}
        if codes
        else "",
        _(
            "Do not add, remove, move or rename rows, columns or sheets: new patients are "
            "registered in the web app."
        ),
        "",
        _("How to return it"),
        _(
            "Save the file as an Excel workbook (.xlsx) and upload it on the page “Excel "
            "questionnaires” of Followup: %(url)s"
        )
        % {"url": url},
        _(
            "Nothing is saved while any cell has a problem: the page lists each one by sheet, "
            "row and column. Correct them and upload the same file again."
        ),
        _(
            "If a patient's form was changed in the web app after this download, your changes "
            "to that form are refused as a conflict: download a new workbook and enter them "
            "again."
        ),
    ]
    return Words(
        record=_("Record ID"),
        event=_("Event"),
        instance=_("Instance"),
        status=_("Form status"),
        statuses=tuple((str(value), str(label)) for value, label in FormStatus.choices),
        checked=_("Checked"),
        unchecked=_("Unchecked"),
        yes_no=(("1", _("Yes")), ("0", _("No"))),
        true_false=(("1", _("True")), ("0", _("False"))),
        fill_only_if=_("Fill only if: %(condition)s"),
        read_only=_("Computed or read-only: leave it as it is."),
        locked_record=_("Locked by the data center: cannot be changed."),
        date=_("Date: yyyy-mm-dd"),
        datetime=_("Date and time: yyyy-mm-dd hh:mm"),
        whole=_("Whole number"),
        number=_("Number"),
        from_to=_("from %(min)s to %(max)s"),
        missing_codes=_("or a missing-data code: %(codes)s"),
        instructions_title=_("Instructions"),
        instructions=tuple(lines),
    )


def _missing_codes(study: Study, language: str) -> list[tuple[str, str]]:
    plan = study.plan
    found = translation_for(study, language) if language else None
    return [
        (code, (found.missing_code(code) if found else None) or label)
        for code, label in dict(plan.missing_codes if plan else {}).items()
    ]


def hospital_records(hospital: Hospital) -> QuerySet[Record]:
    """The hospital's records with their entries, in record-ID order."""
    return (
        Record.objects.filter(hospital=hospital)
        .select_related("study", "hospital")
        .prefetch_related("forms")
        .order_by("record_id")
    )


def form_sheets(
    study: Study, records: Iterable[Record], language: str, words: Words
) -> list[FormSheet]:
    """Every form's sheet with its rows as stored now, texts in ``language``."""
    dictionary = study.dictionary
    schedule = study.schedule
    translation = translation_for(study, language)
    branching = _branching_text(study, language)
    events = [e.name for e in schedule.events] or [""]
    forms = [f for f in dictionary.forms if any(schedule.form_in(e, f) for e in events)]
    taken = (words.instructions_title, META_SHEET, ROWS_SHEET, LISTS_SHEET)
    titles = sheet_titles([form_title(study, f, language) for f in forms], taken)
    listed = list(records)
    sheets = []
    for form, title in zip(forms, titles, strict=True):
        columns = sheet_columns(
            dictionary,
            form,
            words,
            translation=translation,
            missing_codes=dict(_missing_codes(study, language)),
            branching=lambda f: branching(f.branching),
        )
        repeats = any(
            schedule.repeats_form(e, form) or schedule.repeats_event(e)
            for e in events
            if schedule.form_in(e, form)
        )
        rows = tuple(row for record in listed for row in _record_rows(study, record, form))
        sheets.append(FormSheet(form, title, columns, rows, schedule.longitudinal, repeats))
    return sheets


def _record_rows(study: Study, record: Record, form: str) -> list[SheetRow]:
    schedule = study.schedule
    entries = {(e.event, e.instance): e for e in record.forms.all() if e.form == form}
    rows = []
    for event in [e.name for e in schedule.events] or [""]:
        if not schedule.form_in(event, form):
            continue
        label = event_label(schedule, event) if event else ""
        if schedule.repeats_form(event, form) or schedule.repeats_event(event):
            numbers = sorted(n for at, n in entries if at == event)
            for number in [*numbers, max(numbers, default=0) + 1]:
                entry = entries.get((event, number))
                rows.append(
                    _row(record, form, RowKey(record.record_id, event, number), entry, label)
                )
        else:
            entry = entries.get((event, 1))
            rows.append(_row(record, form, RowKey(record.record_id, event, None), entry, label))
    return rows


def _row(record: Record, form: str, key: RowKey, entry: FormEntry | None, label: str) -> SheetRow:
    if entry is None:
        return SheetRow(key, {}, 0, label, record.locked)
    values = {**entry.values, f"{form}_complete": str(entry.status)}
    return SheetRow(key, values, entry.version, label, record.locked)


def _branching_text(study: Study, language: str) -> Callable[..., str]:
    dictionary = study.dictionary

    def label(name: str) -> str:
        if name not in dictionary:
            return name
        return plain_label(field_label(study, dictionary.field(name), language))

    def choice(name: str, code: str) -> str:
        if name not in dictionary:
            return code
        return plain_label(choice_label(study, dictionary.field(name), code, language) or code)

    words = {"and": _("and"), "or": _("or"), "ticked": _("is ticked")}
    words["not_ticked"] = _("is not ticked")
    return BranchingText(dictionary, label, choice, words)


def workbook_meta(study: Study, hospital: Hospital, language: str) -> Meta:
    """What the workbook records of itself."""
    now = timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")
    return Meta(str(study.pk), study.name, hospital.code, hospital.name, language, now)
