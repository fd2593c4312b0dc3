"""Taking a filled Excel questionnaire back: all or nothing, through the web form's own save.

The workbook's rows are read against the hospital's rows as stored now (``workbook_sheets``).
Then, inside one transaction, each changed row is checked and saved in sheet order (so that a
relapse marked on the enrollment sheet opens the relapse questionnaire on the next): a form
saved in the web app since the download is a conflict, not overwritten; a value its branching
hides is refused, as is anything ``entry.save`` refuses (types, ranges, the plan's rules,
locked records, forms the plan does not ask). One problem anywhere, and the transaction is
rolled back: nothing is saved. Otherwise every changed value is in the audit trail with the
reason "Excel import (<file name>)" and the uploader as user; unchanged cells change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from followup.capture.entry import Place, SaveRefused, place_values, save
from followup.capture.logic_context import form_context
from followup.capture.messages import messages_by_field
from followup.capture.models import FormEntry, Hospital, Membership, Record, Role
from followup.capture.workbook_problems import Problem, file_problem, located_problem
from followup.capture.workbook_sheets import form_sheets, hospital_records, workbook_words
from followup.io.questionnaire_archive import WorkbookError
from followup.io.questionnaire_layout import FormSheet
from followup.io.questionnaire_read import Located, RowChange, read_workbook

REASON = "Excel import (%s)"  # the trail's reason, in the trail's language (not translated)


@dataclass(frozen=True)
class Imported:
    """What an upload did: values saved in how many records, or the problems (nothing saved)."""

    values: int
    records: int
    problems: tuple[Problem, ...]
    hospital: str = ""


def import_workbook(member: Membership, data: bytes, filename: str, user: str) -> Imported:
    """Read, check and save an uploaded workbook for ``member`` (data manager or coordinator)."""
    name = PurePath(filename).name[:100] or "workbook.xlsx"
    found: list[Hospital] = []
    order: dict[str, int] = {}

    def layout(meta: Mapping[str, str]) -> list[FormSheet]:
        hospital = _hospital(member, meta)
        found.append(hospital)
        language = meta.get("language", "")
        if language not in dict(settings.LANGUAGES):
            language = get_language() or settings.LANGUAGE_CODE
        with override(language):
            words = workbook_words(member.study, hospital, "", "", "")
            sheets = form_sheets(member.study, hospital_records(hospital), language, words)
        order.update((sheet.form, index) for index, sheet in enumerate(sheets))
        return sheets

    try:
        upload = read_workbook(data, layout)
    except WorkbookError as error:
        return Imported(0, 0, (file_problem(error, name),))
    hospital = found[0]
    problems = [located_problem(member.study, hospital, p) for p in upload.problems]
    saved = 0
    records: set[str] = set()
    with transaction.atomic():
        for row in sorted(upload.rows, key=lambda r: (order[r.sheet.form], r.row)):
            count, row_problems = _save_row(member, hospital, row, user, REASON % name)
            problems += row_problems
            saved += count
            if count:
                records.add(row.stored.key.record)
        if problems:  # all or nothing: every save of this upload is undone
            transaction.set_rollback(True)
            return Imported(0, 0, tuple(problems), hospital.name)
    return Imported(saved, len(records), (), hospital.name)


def _hospital(member: Membership, meta: Mapping[str, str]) -> Hospital:
    """The workbook's hospital, if this user may upload it (WorkbookError otherwise)."""
    if meta.get("study") != str(member.study.pk):
        raise WorkbookError("other_study", meta.get("study_name", "")[:100])
    code = meta.get("hospital", "")
    hospital = Hospital.objects.filter(study=member.study, code=code).first()
    if hospital is None or (member.role == Role.COORDINATOR and hospital != member.hospital):
        raise WorkbookError("other_hospital", code[:64])
    return hospital


def _save_row(
    member: Membership, hospital: Hospital, row: RowChange, user: str, reason: str
) -> tuple[int, list[Problem]]:
    """Save one row's changes through the form's save; the problems if it cannot be."""
    sheet, key = row.sheet, row.stored.key
    record = Record.objects.filter(hospital=hospital, record_id=key.record).first()
    if record is None:  # moved to another hospital since the download
        located = Located(sheet.title, row.row, "A", "", "unknown_record", key.record)
        return 0, [located_problem(member.study, hospital, located)]
    entry = FormEntry.objects.filter(
        record=record, event=key.event, form=sheet.form, instance=key.instance or 1
    ).first()
    version = entry.version if entry else 0
    if version != row.version:
        return 0, list(_conflicts(row, entry))
    changes = dict(row.changes)
    status_text = changes.pop(f"{sheet.form}_complete", None)
    status = int(status_text) if status_text else (entry.status if entry else 0)
    place = Place(key.event, key.instance or 1, key.instance is not None)
    hidden = list(_hidden(record, sheet, row, changes, place, user))
    if hidden:
        return 0, hidden
    try:
        result = save(
            record.pk,
            sheet.form,
            changes,
            user=user,
            version=version,
            status=status,
            reason=reason,
            place=place,
        )
    except SaveRefused as refused:
        return 0, _refusal(record, row, changes, place, refused)
    return result.changed, []


def _conflicts(row: RowChange, entry: FormEntry | None) -> Iterator[Problem]:
    when = entry.updated.strftime("%Y-%m-%d %H:%M") if entry else ""
    who = entry.updated_by if entry else ""
    for column in row.changes:
        label = next((c.label for c in row.sheet.columns if c.column == column), column)
        yield Problem(
            row.sheet.title,
            row.row,
            row.letters.get(column, ""),
            label,
            _(
                "Conflict: this form was saved in the web app by %(user)s at %(when)s, after "
                "your download; your value was not saved. Download a new workbook and enter "
                "it again."
            )
            % {"user": who or "?", "when": when},
        )


def _hidden(
    record: Record,
    sheet: FormSheet,
    row: RowChange,
    changes: Mapping[str, str],
    place: Place,
    user: str,
) -> Iterator[Problem]:
    """A value in a field its branching hides (typed, or left when its condition changed)."""
    before = place_values(record, sheet.form, place)
    after = {**before, **changes}
    context = form_context(
        record, sheet.form, place.event, place.instance if place.repeats else None, user=user
    )
    for column in sheet.columns:
        field = column.field
        if field is None or not column.branching or field.branching.show(after, context):
            continue
        value = after.get(column.column, "")
        filled = value == "1" if column.kind == "checkbox" else value.strip() != ""
        if filled and (column.column in changes or field.branching.show(before, context)):
            yield Problem(
                sheet.title,
                row.row,
                row.letters.get(column.column, ""),
                column.label,
                _("Filled, but the form asks this only if %(condition)s. Empty the cell.")
                % {"condition": column.branching},
            )


def _refusal(
    record: Record,
    row: RowChange,
    changes: Mapping[str, str],
    place: Place,
    refused: SaveRefused,
) -> list[Problem]:
    """The save's refusal, each finding at its field's cell."""
    if not refused.findings:
        return [Problem(row.sheet.title, row.row, "", "", refused.message)]
    values = {**place_values(record, row.sheet.form, place), **changes}
    study = record.study
    by_field = messages_by_field(study, row.sheet.form, refused.findings, values, get_language())
    problems = []
    for name, texts in by_field.items():
        columns = [c for c in row.sheet.columns if c.field is not None and c.field.name == name]
        letter = row.letters.get(columns[0].column, "") if columns else ""
        label = columns[0].label if columns else name
        for text in texts:
            problems.append(Problem(row.sheet.title, row.row, letter, label, text))
    return problems
