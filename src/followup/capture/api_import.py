"""Importing records through the API: all or nothing, every form through the web form's save.

The ``data`` is read as any REDCap export is (followup.io.read_records: flat CSV or JSON, every
problem located); then, in one transaction, each line's forms are saved by
followup.capture.entry.save — validation, the plan's rules, branching, locks and the trail, the
reason "API import" — and if any record, line or value is refused, every problem is listed in
REDCap's form (``"record","field","value","message"`` per line) and nothing is kept.

Which records a user reaches, and which the data manager may add, is api_import_scope's.
``overwriteBehavior=normal`` leaves stored values
where the import has a blank; ``overwrite`` blanks them. A value in a field that its branching
logic hides is refused (the form would erase it).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from followup.capture.api_import_scope import REASON, Problem, record_in_reach
from followup.capture.api_protocol import ApiError, ApiRequest, import_response
from followup.capture.entry import Place, SaveRefused, place_values, save
from followup.capture.models import FormEntry, Membership, Record, Role
from followup.capture.questionnaire import form_columns
from followup.io import RecordsError, RecordSet, read_records
from followup.io.record_layouts import LayoutError, flat_table
from followup.io.records import Record as Line
from followup.study.csv_text import SafeWriter

MAX_SHOWN = 200  # problems listed in one answer


class _Refused(Exception):  # noqa: N818  (carries the problems out of the transaction)
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(len(problems))
        self.problems = problems


@dataclass
class _Import:
    """One request's import: who, how blanks are read, and the problems found so far."""

    member: Membership
    overwrite: bool
    keys: dict[int, set[str]] | None  # each JSON line's own keys (absent ≠ blank when overwriting)
    problems: list[Problem]


def import_records(member: Membership, request: ApiRequest) -> HttpResponse:
    """Import the posted records (all or nothing); the count or IDs, as REDCap answers."""
    if member.role not in (Role.COORDINATOR, Role.DATA_MANAGER):
        raise ApiError(403, _("You do not have API Import privileges"))
    fmt = request.format
    request.choice("type", ("flat",), "flat")
    overwrite = request.choice("overwriteBehavior", ("normal", "overwrite"), "normal")
    date_format = request.choice("dateFormat", ("YMD", "MDY", "DMY"), "YMD")
    answer = request.choice("returnContent", ("count", "ids", "nothing"), "count")
    if request.flag("forceAutoNumber"):
        raise ApiError(
            400,
            _(
                "Followup does not number records itself: send each record's ID, and leave "
                "forceAutoNumber false."
            ),
        )
    data = request.value("data")
    if not data.strip():
        raise ApiError(400, _('The parameter "data" is empty: send the records to import.'))
    if (fmt == "json") != data.lstrip().startswith(("[", "{")):
        raise ApiError(
            400,
            _('The data is not in the format the parameter "format" names (%(format)s).')
            % {"format": fmt},
        )
    study = member.study
    plan = study.plan
    try:
        records = read_records(
            data,
            study.dictionary,
            source="data",
            missing_codes=plan.missing_codes if plan else (),
            schedule=study.schedule,
            date_format=date_format,
        )
    except RecordsError as error:
        raise _refusal(_located(data, study.dictionary.record_id, error)) from None
    keys = _json_keys(data) if fmt == "json" and overwrite == "overwrite" else None
    job = _Import(member, overwrite == "overwrite", keys, [])
    try:
        with transaction.atomic():
            _store(job, records)
            if job.problems:
                raise _Refused(job.problems)
    except _Refused as refused:
        raise _refusal(refused.problems) from None
    return import_response(records.record_ids(), answer, request.return_format)


def _located(data: str, id_column: str, error: RecordsError) -> list[Problem]:
    """The reading problems as REDCap's lines: each with its row's record ID and the cell."""
    try:
        header, rows = flat_table(data, id_column)
    except LayoutError:
        header, rows = [], []
    lines = []
    for p in error.problems:
        cells = rows[p.row - 2] if p.row is not None and 2 <= p.row < len(rows) + 2 else []
        record = cells[header.index(id_column)] if id_column in header and cells else ""
        at = header.index(p.column) if p.column in header else len(cells)
        lines.append((record.strip(), p.column or "", cells[at] if at < len(cells) else "", str(p)))
    return lines


def _json_keys(data: str) -> dict[int, set[str]]:
    """Each JSON object's keys by its line number (header = 1, first object = 2)."""
    items = json.loads(data)
    items = items if isinstance(items, list) else [items]
    return {
        number: set(item) for number, item in enumerate(items, start=2) if isinstance(item, dict)
    }


def _refusal(problems: list[Problem]) -> ApiError:
    """REDCap's import error: one CSV line per problem, nothing imported."""
    out = io.StringIO()
    SafeWriter(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(problems[:MAX_SHOWN])
    text = out.getvalue().rstrip("\n")
    if len(problems) > MAX_SHOWN:
        text += "\n" + _("… and %(count)d more problems") % {"count": len(problems) - MAX_SHOWN}
    return ApiError(400, text)


def _store(job: _Import, records: RecordSet) -> None:
    """Each record found (or added) and each of its lines saved; problems noted, not raised."""
    stored = {
        r.casefold(): r
        for r in Record.objects.filter(study=job.member.study).values_list("record_id", flat=True)
    }
    for record_id, lines in records.rows_of().items():
        record = record_in_reach(job.member, record_id, lines, stored)
        if isinstance(record, tuple):
            job.problems.append(record)
        else:
            for line in lines:
                _save_line(job, record, line)


def _forms_of(record: Record, line: Line) -> list[str]:
    """The forms one line holds: its repeating form, or the event's forms that fit the line."""
    if line.repeat_form:
        return [line.repeat_form]
    schedule = record.study.schedule
    return [
        form
        for form in record.study.dictionary.forms
        if schedule.form_in(line.event, form)
        and (line.instance is not None or not schedule.repeats_form(line.event, form))
    ]


def _save_line(job: _Import, record: Record, line: Line) -> None:
    """Save each form of the line that the import gives a value or a status."""
    study = record.study
    schedule = study.schedule
    own_keys = job.keys.get(line.row) if job.keys is not None else None
    for form in _forms_of(record, line):
        columns = form_columns(study, form)
        given = {
            c: v
            for c, v in line.values.items()
            if c in columns and (own_keys is None or c in own_keys)
        }
        if not job.overwrite:
            given = {c: v for c, v in given.items() if v != ""}
        status_text = line.values.get(f"{form}_complete", "").strip()
        repeats = schedule.repeats_form(line.event, form) or schedule.repeats_event(line.event)
        place = Place(line.event, line.instance or 1, repeats)
        entry = FormEntry.objects.filter(
            record=record, event=place.event, form=form, instance=place.instance
        ).first()
        if not status_text and not any(given.values()) and (entry is None or not given):
            continue
        if _hidden(job, record, form, place, given, line.row):
            continue
        status = int(status_text) if status_text else (entry.status if entry else 0)
        try:
            save(
                record.pk,
                form,
                given,
                user=job.member.user.get_username(),
                version=entry.version if entry else 0,
                status=status,
                reason=REASON,
                place=place,
            )
        except SaveRefused as refused:
            job.problems.extend(_refused_lines(record, form, given, line.row, refused))


def _hidden(
    job: _Import, record: Record, form: str, place: Place, given: dict[str, str], row: int
) -> bool:
    """Whether the import fills a field its branching hides (each such field noted)."""
    merged = {**place_values(record, form, place), **given}
    found = False
    for f in record.study.dictionary.form_fields(form):
        if not f.branching.text.strip() or f.branching.show(merged):
            continue
        blank = ("", "0") if f.field_type == "checkbox" else ("",)
        for column in f.export_columns:
            if given.get(column, "") not in blank:
                found = True
                job.problems.append(
                    (
                        record.record_id,
                        column,
                        given[column],
                        _(
                            "row %(row)d: its branching logic (%(logic)s) hides this field, so the "
                            "form would erase the value: leave it blank, or fill what it depends on"
                        )
                        % {"row": row, "logic": f.branching.text.strip()},
                    )
                )
    return found


def _refused_lines(
    record: Record, form: str, given: dict[str, str], row: int, refused: SaveRefused
) -> list[Problem]:
    """A refused save as REDCap's error lines: each finding at its field, else at the form."""
    if not refused.findings:
        return [(record.record_id, form, "", _at(row, refused.message))]
    return [
        (record.record_id, f.field, given.get(f.field, ""), _at(row, f.message))
        for f in refused.findings
    ]


def _at(row: int, message: str) -> str:
    return _("row %(row)d: %(message)s") % {"row": row, "message": message}
