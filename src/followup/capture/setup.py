"""Setting a study up: its dictionary and plan, its hospitals, its records.

Loading records writes them through the same audited path as a save in the browser, so the trail
starts with where every value came from.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath

from django.db import transaction
from django.utils.translation import gettext as _

from followup.capture.audit import Change, append
from followup.capture.models import DictionaryTranslation, FormEntry, Hospital, Record, Study
from followup.io import RecordSet
from followup.io.records import Record as ImportedRow
from followup.study import DataDictionary, read_dictionary
from followup.study.plan import load_plan, read_plan
from followup.study.schedule import read_schedule
from followup.study.translation import read_translation
from followup.study.values import read_status


def create_study(
    name: str,
    dictionary_csv: str,
    plan_yaml: str = "",
    schedule_files: Mapping[str, str] | None = None,
) -> Study:
    """A study from its files; all are checked before anything is stored.

    ``schedule_files`` holds the texts of REDCap's events, arms, mapping and repeating CSVs.
    """
    dictionary = read_dictionary(dictionary_csv, source="data dictionary")
    if plan_yaml:
        read_plan(plan_yaml, dictionary, source="analysis plan")
    files = dict(schedule_files or {})
    read_schedule(files, source="schedule")
    return Study.objects.create(
        name=name, dictionary_csv=dictionary_csv, plan_yaml=plan_yaml, schedule_files=files
    )


def schedule_texts(plan_path: Path, dictionary: DataDictionary) -> dict[str, str]:
    """The texts of the schedule files a plan on disk names (REDCap's CSVs), by kind."""
    plan = load_plan(plan_path, dictionary)
    return {
        kind: Path(path).read_text(encoding="utf-8-sig")
        for kind, path in plan.schedule_files.items()
    }


_GROUP = re.compile(r"[A-Za-z0-9_-]{1,64}")
UNASSIGNED = "unassigned"  # the hospital of records imported without a data access group


class SetupError(ValueError):
    """An upload that would lose or duplicate data; nothing was changed."""


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def replace_definition(
    study: Study,
    dictionary_csv: str,
    plan_yaml: str | None,
    *,
    by: str,
    source: str = "",
    schedule_files: Mapping[str, str] | None = None,
) -> list[str]:
    """New dictionary (and plan, and schedule files), refused if a field holding data vanishes.

    The trail records each file's replacement: the file name, both versions' SHA-256 and the
    fields added and removed (the files themselves stay in the study, as uploaded).
    ``schedule_files`` replaces those of REDCap's events, arms, mapping and repeating CSVs given.
    """
    dictionary = read_dictionary(dictionary_csv, source="data dictionary")
    schedule = {**(study.schedule_files or {}), **(schedule_files or {})}
    read_schedule(schedule, source="schedule")
    plan_text = study.plan_yaml if plan_yaml is None else plan_yaml
    if plan_text:
        read_plan(plan_text, dictionary, source="analysis plan")
    kept = {c for f in dictionary for c in f.export_columns}
    entries = FormEntry.objects.filter(record__study=study)
    used = {c for e in entries for c, v in e.values.items() if v not in ("", "0")}
    lost = sorted(used - kept)
    if lost:
        raise SetupError(
            _(
                "the new dictionary has no field for data already entered in: %(fields)s; "
                "REDCap would delete those values, Followup refuses (keep the fields, or "
                "export first)"
            )
            % {"fields": ", ".join(lost)}
        )
    before = {c for f in study.dictionary for c in f.export_columns}
    removed = sorted(before - kept)
    added = sorted(kept - before)
    changes = []
    if dictionary_csv != study.dictionary_csv:
        detail = "; ".join(
            part
            for part in (
                f"added: {', '.join(added)}" if added else "",
                f"removed: {', '.join(removed)}" if removed else "",
            )
            if part
        )
        changes.append(
            Change(
                "",
                "",
                "data dictionary",
                "definition",
                _digest(study.dictionary_csv),
                _digest(dictionary_csv),
                f"replaced from {source or 'an upload'}" + (f" ({detail})" if detail else ""),
            )
        )
    if plan_text != study.plan_yaml:
        changes.append(
            Change(
                "",
                "",
                "analysis plan",
                "definition",
                _digest(study.plan_yaml) if study.plan_yaml else "",
                _digest(plan_text),
                "replaced from an upload",
            )
        )
    if schedule != (study.schedule_files or {}):
        changes.append(
            Change(
                "",
                "",
                "schedule",
                "definition",
                _digest(json.dumps(study.schedule_files or {}, sort_keys=True)),
                _digest(json.dumps(schedule, sort_keys=True)),
                f"replaced: {', '.join(sorted(schedule_files or {}))}",
            )
        )
    with transaction.atomic():
        study.dictionary_csv, study.plan_yaml = dictionary_csv, plan_text
        study.schedule_files = schedule
        study.save(update_fields=["dictionary_csv", "plan_yaml", "schedule_files"])
        if changes:
            append(study, by, changes)
    for cached in ("dictionary", "plan", "schedule", "_followup_translations"):
        study.__dict__.pop(cached, None)
    return removed


def set_translation(study: Study, language: str, csv_text: str, *, by: str, source: str) -> int:
    """Store the dictionary's translation into ``language`` (checked first); how many texts."""
    parsed = read_translation(csv_text, study.dictionary, source=source)
    if parsed.language and parsed.language != language:
        raise SetupError(
            _("%(file)s: the file is the '%(found)s' translation, not '%(language)s'")
            % {"file": source, "found": parsed.language, "language": language}
        )
    with transaction.atomic():
        old = DictionaryTranslation.objects.filter(study=study, language=language).first()
        DictionaryTranslation.objects.update_or_create(
            study=study, language=language, defaults={"csv": csv_text}
        )
        append(
            study,
            by,
            [
                Change(
                    "",
                    "",
                    f"translation:{language}",
                    "definition",
                    _digest(old.csv) if old else "",
                    _digest(csv_text),
                    f"{len(parsed.texts)} texts from {source}",
                )
            ],
        )
    study.__dict__.pop("_followup_translations", None)
    return len(parsed.texts)


def _import_row(
    record: Record, row: ImportedRow, skip: set[tuple[str, str]], user: str, source: str
) -> list[Change]:
    """One export line's forms as entries of the record: its event's, or its instance's."""
    dictionary = record.study.dictionary
    forms = [row.repeat_form] if row.repeat_form else list(dictionary.forms)
    instance = row.instance or 1
    changes = []
    for form in forms:
        if (record.record_id, form) in skip:
            continue
        columns = [
            c
            for f in dictionary.form_fields(form)
            for c in f.export_columns
            if f.name != dictionary.record_id
        ]
        values = {c: row[c] for c in columns if row[c] != ""}
        status_text = row[f"{form}_complete"]
        if not values and not status_text:
            continue
        status = read_status(status_text) if status_text else 0
        FormEntry.objects.create(
            record=record,
            event=row.event,
            form=form,
            instance=instance,
            values=values,
            status=status or 0,
            version=1,
            updated_by=user,
        )
        changes += [
            Change(
                record.record_id,
                form,
                c,
                "import",
                "",
                v,
                f"imported from {source}",
                event=row.event,
                instance=row.instance,
            )
            for c, v in values.items()
        ]
        if status:  # the trail says every stored value, the form's status too
            changes.append(
                Change(
                    record.record_id,
                    form,
                    f"{form}_complete",
                    "status",
                    "",
                    str(status),
                    f"imported from {source}",
                    event=row.event,
                    instance=row.instance,
                )
            )
    return changes


def _clash(row: int, record_id: str, stored: str) -> str:
    """One imported row whose record is in the study already (perhaps spelled in another case)."""
    if stored == record_id:
        return _("row %(row)d (%(id)s)") % {"row": row, "id": record_id}
    return _("row %(row)d (%(id)s, stored as %(stored)s)") % {
        "row": row,
        "id": record_id,
        "stored": stored,
    }


def load_records(
    study: Study, records: RecordSet, *, user: str, skip_forms: Iterable[tuple[str, str]] = ()
) -> int:
    """Store imported records (all or nothing), each hospital created from its access group."""
    skip = set(skip_forms)
    source = PurePath(records.source).name  # the file's name: no server path in the trail
    bad_groups = [
        _("row %(row)d (%(value)s)") % {"row": r.row, "value": repr(r.access_group)}
        for r in records
        if r.access_group and not _GROUP.fullmatch(r.access_group)
    ]
    if bad_groups:
        raise SetupError(
            _(
                "%(file)s: redcap_data_access_group must be a code of letters, digits, '-' and "
                "'_' (at most 64), nothing was imported: %(rows)s"
            )
            % {"file": source, "rows": ", ".join(bad_groups)}
        )
    with transaction.atomic():
        stored = {
            r.casefold(): r
            for r in Record.objects.filter(study=study).values_list("record_id", flat=True)
        }
        clash = [r for r in records if r.record_id.casefold() in stored]
        if clash:
            rows = ", ".join(
                _clash(r.row, r.record_id, stored[r.record_id.casefold()]) for r in clash
            )
            raise SetupError(
                _("%(file)s: already in the study, nothing was imported: %(rows)s")
                % {"file": source, "rows": rows}
            )
        for record_id, lines in records.rows_of().items():
            code = next((r.access_group for r in lines if r.access_group), "") or UNASSIGNED
            hospital, _new = Hospital.objects.get_or_create(
                study=study, code=code, defaults={"name": code.replace("_", " ").title()}
            )
            record = Record.objects.create(study=study, record_id=record_id, hospital=hospital)
            changes: list[Change] = []
            for line in lines:
                changes += _import_row(record, line, skip, user, source)
            append(
                study,
                user,
                changes or [Change(record.record_id, "", "", "create", "", "", "record created")],
            )
    return len(records.record_ids())
