"""Writing records as a REDCap raw export, the file every REDCap tool reads back.

REDCap's layout: the record ID; ``redcap_event_name`` in a longitudinal study;
``redcap_repeat_instrument`` and ``redcap_repeat_instance`` when anything repeats; the hospital
(``redcap_data_access_group``); then every field's columns and each form's status. A row is one
line: a record's row of an event, or one instance of a repeating form or event, with only the
columns it holds filled in.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from followup.study import DataDictionary
from followup.study.csv_text import SafeWriter
from followup.study.schedule import CLASSIC, Schedule

ACCESS_GROUP = "redcap_data_access_group"
EVENT = "redcap_event_name"
REPEAT_FORM = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"


def export_header(
    dictionary: DataDictionary, *, access_group: bool = True, schedule: Schedule = CLASSIC
) -> list[str]:
    """The export's header, in REDCap's order.

    Record ID, the row's event and instance where the study has them, the hospital column when
    wanted, then every field's columns and form statuses.
    """
    columns = list(dictionary.export_columns())
    system = [EVENT] if schedule.longitudinal else []
    system += [REPEAT_FORM, REPEAT_INSTANCE] if schedule.has_repeats else []
    system += [ACCESS_GROUP] if access_group else []
    return [columns[0], *system, *columns[1:]]


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV text, every cell through the safe writer (a formula made text)."""
    out = io.StringIO()
    SafeWriter(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def records_csv(
    dictionary: DataDictionary,
    rows: Iterable[Mapping[str, str]],
    *,
    access_group: bool = True,
    schedule: Schedule = CLASSIC,
) -> str:
    """Raw values (blank where a row has none) under REDCap's export header, as CSV text.

    Each row maps export columns to raw values; a row of an event or an instance carries its
    ``redcap_event_name``, ``redcap_repeat_instrument`` and ``redcap_repeat_instance``.
    """
    header = export_header(dictionary, access_group=access_group, schedule=schedule)
    return csv_text([header, *([row.get(column, "") for column in header] for row in rows)])


def write_records(
    path: str | Path,
    dictionary: DataDictionary,
    rows: Iterable[Mapping[str, str]],
    *,
    access_group: bool = True,
    schedule: Schedule = CLASSIC,
) -> Path:
    """Write the records as a REDCap raw export file (see records_csv)."""
    path = Path(path)
    text = records_csv(dictionary, rows, access_group=access_group, schedule=schedule)
    path.write_text(text, encoding="utf-8", newline="")
    return path
