"""REDCap raw CSV of stored records: the same file REDCap itself would export.

One line per record in a classic study; in a longitudinal or repeating one, one line per record
and event, and one per instance of a repeating form or event, in REDCap's order (events as the
schedule lists them, the event's own line first, then instances by form and number).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from followup.capture.models import Record, Study
from followup.capture.setup import UNASSIGNED
from followup.io import records_csv

Key = tuple[str, str, int | None]


def export_rows(study: Study, records: Iterable[Record]) -> Iterator[dict[str, str]]:
    """Each record's lines, with its ID, hospital, event, repeating form and instance."""
    schedule = study.schedule
    dictionary = study.dictionary
    event_order = {e.name: i for i, e in enumerate(schedule.events)}
    form_order = {f: i for i, f in enumerate(dictionary.forms)}
    for record in records:
        lines: dict[Key, dict[str, str]] = {}
        for entry in record.forms.all():
            if schedule.repeats_form(entry.event, entry.form):
                key: Key = (entry.event, entry.form, entry.instance)
            elif schedule.repeats_event(entry.event):
                key = (entry.event, "", entry.instance)
            else:
                key = (entry.event, "", None)
            line = lines.setdefault(key, {})
            line |= entry.values
            line[f"{entry.form}_complete"] = str(entry.status)
        if not lines:
            lines[("", "", None)] = {}
        for (event, form, instance), values in sorted(
            lines.items(),
            key=lambda item: (
                event_order.get(item[0][0], -1),
                form_order.get(item[0][1], -1),
                item[0][2] or 0,
            ),
        ):
            yield values | {
                dictionary.record_id: record.record_id,
                "redcap_event_name": event,
                "redcap_repeat_instrument": form,
                "redcap_repeat_instance": "" if instance is None else str(instance),
                "redcap_data_access_group": ""
                if record.hospital.code == UNASSIGNED
                else record.hospital.code,
            }


def export_csv(study: Study, records: Iterable[Record]) -> str:
    """Header and the records' lines, blanks where nothing was entered, statuses included."""
    return records_csv(study.dictionary, export_rows(study, records), schedule=study.schedule)
