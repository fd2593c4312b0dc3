"""What an export holds: which forms, fields and hospitals, and how it is de-identified.

REDCap's export dialog offers the same: a choice of instruments and fields, and de-identification
— remove the fields tagged Identifier, remove free text (unvalidated text and notes), remove
dates, shift every date of a record by the same number of days (0–364, so intervals within a
record are kept and survival times do not change), and hash the record ID. Shifts and hashes are
keyed (HMAC-SHA256 with a key the caller keeps), so two exports of one study agree with each
other and nobody without the key can undo them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from followup.io.export import export_header
from followup.io.export_variables import DATE, DATETIME, Variable
from followup.study import DataDictionary, Field
from followup.study.inputs import InputError
from followup.study.schedule import CLASSIC, Schedule

SHIFT_DAYS = 365  # a record's dates move back by 0 … 364 days
_DATE_PART = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(\Z| )")


@dataclass(frozen=True)
class ExportOptions:
    """Forms, fields and hospitals chosen (empty: all), and the de-identification asked for."""

    forms: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    hospitals: tuple[str, ...] = ()
    drop_identifiers: bool = False
    remove_free_text: bool = False
    remove_dates: bool = False
    shift_dates: bool = False
    hash_record_id: bool = False

    @property
    def deidentified(self) -> bool:
        """Whether anything is removed, shifted or hashed."""
        return any(
            (
                self.drop_identifiers,
                self.remove_free_text,
                self.remove_dates,
                self.shift_dates,
                self.hash_record_id,
            )
        )

    def describe(self) -> str:
        """The options in one line, for the audit trail."""
        parts = [
            f"forms: {', '.join(self.forms) or 'all'}",
            f"fields: {', '.join(self.fields) or 'all'}",
            f"hospitals: {', '.join(self.hospitals) or 'all'}",
        ]
        steps = [
            name
            for name, on in (
                ("identifiers removed", self.drop_identifiers),
                ("free text removed", self.remove_free_text),
                ("dates removed", self.remove_dates),
                ("dates shifted", self.shift_dates),
                ("record IDs hashed", self.hash_record_id),
            )
            if on
        ]
        return "; ".join([*parts, ", ".join(steps) or "not de-identified"])


EVERYTHING = ExportOptions()


def chosen_columns(
    dictionary: DataDictionary, options: ExportOptions, schedule: Schedule = CLASSIC
) -> list[str]:
    """The export's columns: record ID, REDCap's row columns, then the chosen fields' columns.

    A form chosen whole brings its status column; fields chosen one by one bring only themselves.
    Unknown names are an InputError listing the study's forms or fields.
    """
    _check_names(options.forms, dictionary.forms, "form", "forms")
    _check_names(options.fields, [f.name for f in dictionary], "field", "fields")
    forms = options.forms or (() if options.fields else dictionary.forms)
    chosen = set(options.fields)
    data_columns = set(dictionary.export_columns()) - {dictionary.record_id}
    columns = [c for c in export_header(dictionary, schedule=schedule) if c not in data_columns]
    for form in dictionary.forms:
        whole = form in forms
        for field in dictionary.form_fields(form):
            asked = whole or field.name in chosen
            if field.name != dictionary.record_id and asked and not _removed(field, options):
                columns += field.export_columns
        if whole:
            columns.append(f"{form}_complete")
    return columns


def _check_names(asked: Sequence[str], known: Sequence[str], what: str, plural: str) -> None:
    unknown = [name for name in asked if name not in known]
    if unknown:
        raise InputError(
            plural,
            f"{', '.join(map(repr, unknown))} is not a {what} of the study; "
            f"the {plural} are: {', '.join(known)}",
        )


def _removed(field: Field, options: ExportOptions) -> bool:
    """Whether de-identification removes the field."""
    free_text = field.field_type == "notes" or (
        field.field_type == "text" and field.text_type is None
    )
    is_date = field.text_type is not None and field.text_type.kind in (DATE, DATETIME)
    return (
        (options.drop_identifiers and field.identifier)
        or (options.remove_free_text and free_text)
        or (options.remove_dates and is_date)
    )


def chosen_rows(
    rows: Iterable[Mapping[str, str]], options: ExportOptions, dictionary: DataDictionary
) -> list[dict[str, str]]:
    """The rows of the chosen hospitals; instances of a repeating form not chosen are left out."""
    forms = set(options.forms or dictionary.forms)
    fields_forms = {dictionary.field(name).form for name in options.fields}
    wanted = forms | fields_forms if options.forms or options.fields else forms
    hospitals = set(options.hospitals)
    kept = []
    for row in rows:
        if hospitals and row.get("redcap_data_access_group", "") not in hospitals:
            continue
        if row.get("redcap_repeat_instrument", "") not in ("", *wanted):
            continue
        kept.append(dict(row))
    return kept


def record_shift(key: bytes, record_id: str) -> int:
    """The days a record's dates move back: 0 … 364, the same in every export with this key."""
    digest = hmac.new(key, b"shift:" + record_id.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % SHIFT_DAYS


def hashed_record_id(key: bytes, record_id: str) -> str:
    """A record ID replaced by 32 hexadecimal digits of its keyed hash."""
    return hmac.new(key, b"id:" + record_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def deidentify(
    rows: list[dict[str, str]],
    variables: Sequence[Variable],
    record_id: str,
    options: ExportOptions,
    key: bytes,
) -> list[dict[str, str]]:
    """Dates shifted per record and record IDs hashed, as the options ask (rows are copied)."""
    dated = [v.name for v in variables if v.kind in (DATE, DATETIME)]
    result = []
    for row in rows:
        row = dict(row)
        original = row.get(record_id, "")
        if options.shift_dates:
            days = dt.timedelta(days=record_shift(key, original))
            for column in dated:
                row[column] = _shifted(row.get(column, ""), days)
        if options.hash_record_id:
            row[record_id] = hashed_record_id(key, original)
        result.append(row)
    return result


def _shifted(raw: str, days: dt.timedelta) -> str:
    """A stored date or date-time moved back (its time of day kept); other text unchanged.

    Other text is a missing-data code or a value that is no date: nothing to shift.
    """
    match = _DATE_PART.match(raw)
    if match is None:
        return raw
    try:
        day = dt.date.fromisoformat(match.group(1))
    except ValueError:
        return raw
    return (day - days).isoformat() + raw[10:]
