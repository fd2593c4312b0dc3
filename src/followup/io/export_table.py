"""One export, ready for any format: the chosen variables, the chosen and de-identified rows.

Every format (CSV, Excel, SPSS, Stata, SAS, R, ODM) is written from an ``ExportTable``, so they
hold the same records, columns and labels; only the packaging differs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from followup.io.export_options import (
    EVERYTHING,
    ExportOptions,
    chosen_columns,
    chosen_rows,
    deidentify,
)
from followup.io.export_variables import Variable, variables
from followup.io.records import RecordSet
from followup.study import DataDictionary
from followup.study.csv_text import csv_rows
from followup.study.schedule import CLASSIC, Schedule


@dataclass(frozen=True)
class ExportTable:
    """The export's variables and raw rows (REDCap's layout), with what labels them.

    ``missing_codes`` maps the study's missing-data codes to their labels; ``dictionary_text``
    is the data dictionary as uploaded (its rows are exported as written).
    """

    title: str
    dictionary: DataDictionary
    variables: tuple[Variable, ...]
    rows: tuple[dict[str, str], ...]
    options: ExportOptions = EVERYTHING
    schedule: Schedule = CLASSIC
    missing_codes: Mapping[str, str] = field(default_factory=dict)
    dictionary_text: str = ""

    @property
    def columns(self) -> list[str]:
        """The export columns, in order."""
        return [v.name for v in self.variables]

    def dictionary_rows(self) -> list[list[str]]:
        """The uploaded dictionary's header and the rows of the exported fields, as written."""
        if not self.dictionary_text:
            return []
        header, *rows = csv_rows(self.dictionary_text)
        return [header, *(row for row in rows if row and self._exports(row[0].strip()))]

    def _exports(self, name: str) -> bool:
        """Whether the export holds the field: the record ID, a chosen field, or text on a form.

        A descriptive field (text, no data) goes with a form exported whole.
        """
        if name not in self.dictionary:
            return False
        if name == self.dictionary.record_id or name in {v.field for v in self.variables}:
            return True
        whole = {v.form for v in self.variables if v.choice_field and not v.field}
        field = self.dictionary.field(name)
        return field.field_type == "descriptive" and field.form in whole


def export_table(
    dictionary: DataDictionary,
    rows: Iterable[Mapping[str, str]],
    *,
    title: str,
    options: ExportOptions = EVERYTHING,
    schedule: Schedule = CLASSIC,
    missing_codes: Mapping[str, str] | None = None,
    key: bytes = b"",
    dictionary_text: str = "",
) -> ExportTable:
    """The chosen columns and rows of the records, de-identified as the options ask.

    ``key`` keys the date shifts and hashed record IDs; it is needed only when the options ask
    for either, and the same key gives the same shifts.
    """
    if (options.shift_dates or options.hash_record_id) and not key:
        raise ValueError("shifting dates or hashing record IDs needs a key")
    chosen = variables(dictionary, chosen_columns(dictionary, options, schedule))
    kept = chosen_rows(rows, options, dictionary)
    kept = deidentify(kept, chosen, dictionary.record_id, options, key)
    return ExportTable(
        title,
        dictionary,
        chosen,
        tuple(kept),
        options,
        schedule,
        dict(missing_codes or {}),
        dictionary_text,
    )


def record_rows(records: RecordSet) -> list[dict[str, str]]:
    """A records file's rows in REDCap's export layout (record ID, event, instance, hospital)."""
    rows = []
    for record in records:
        row = dict(record.values)
        row[records.dictionary.record_id] = record.record_id
        row["redcap_event_name"] = record.event
        row["redcap_repeat_instrument"] = record.repeat_form
        row["redcap_repeat_instance"] = "" if record.instance is None else str(record.instance)
        row["redcap_data_access_group"] = record.access_group
        rows.append(row)
    return rows


def schedule_of(records: RecordSet, schedule: Schedule) -> Schedule:
    """The schedule an export of the records needs, with the repeats the file itself names.

    A file read without the study's repeating set-up names its repeating forms and events in
    ``redcap_repeat_instrument`` and ``redcap_repeat_instance``; the export keeps those columns.
    """
    found = {(r.event, r.repeat_form) for r in records if r.instance is not None}
    if found <= schedule.repeating:
        return schedule
    return dataclasses.replace(schedule, repeating=schedule.repeating | frozenset(found))
