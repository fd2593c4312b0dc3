"""Records as REDCap's label export shows them: field labels as headers, choice labels as values.

The inverse of what ``read_records`` does with a label export, so that a label file written here
reads back to the same raw values. REDCap's conventions: a checkbox option's header is
``Label (choice=Option)`` and its cells ``Checked``/``Unchecked``; a form's status column is headed
``Complete?`` and holds Incomplete/Unverified/Complete; the event column holds the event's label
and the repeating-form column the form's label. Cells that are no choice's code (a missing-data
code, a code no longer in the dictionary) and the hospital's code are written as they are, so
nothing is lost in the translation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from followup.study import DataDictionary
from followup.study.choices import checkbox_column
from followup.study.schedule import CLASSIC, Schedule
from followup.study.values import FORM_STATUS

STATUS_HEADER = "Complete?"
SYSTEM_LABELS = {
    "redcap_event_name": "Event Name",
    "redcap_repeat_instrument": "Repeat Instrument",
    "redcap_repeat_instance": "Repeat Instance",
    "redcap_data_access_group": "Data Access Group",
    "redcap_survey_identifier": "Survey Identifier",
}
CHECKED = {"1": "Checked", "0": "Unchecked"}


def plain_label(label: str) -> str:
    """A label as REDCap writes it in a label export: HTML tags removed, ends trimmed."""
    return re.sub(r"<[^>]+>", "", label).strip()


def form_label(form: str) -> str:
    """A form's label from its unique name, as REDCap derives it (``follow_up`` → Follow Up)."""
    return " ".join(word.capitalize() for word in form.split("_") if word)


def event_label(schedule: Schedule, name: str) -> str:
    """An event's label as a label export writes it; with several arms, its arm too."""
    event = schedule.event(name)
    if event is None:
        return name
    if len(schedule.arms) > 1:
        return f"{event.label} (Arm {event.arm}: {schedule.arms.get(event.arm, '')})"
    return event.label


def label_header(dictionary: DataDictionary, columns: Sequence[str]) -> list[str]:
    """Each export column's header in a label export, in the same order."""
    owner = dictionary.column_owner()
    statuses = {f"{form}_complete" for form in dictionary.forms}
    header = []
    for column in columns:
        field = owner.get(column)
        if column in SYSTEM_LABELS:
            header.append(SYSTEM_LABELS[column])
        elif column in statuses:
            header.append(STATUS_HEADER)
        elif field is None:
            header.append(column)
        elif field.field_type == "checkbox":
            option = next(
                (c.label for c in field.choices if checkbox_column(field.name, c.code) == column),
                column,
            )
            header.append(f"{plain_label(field.label)} (choice={plain_label(option)})")
        else:
            header.append(plain_label(field.label))
    return header


def label_row(
    dictionary: DataDictionary, row: Mapping[str, str], schedule: Schedule = CLASSIC
) -> dict[str, str]:
    """One raw row with every choice, checkbox, status, event and form shown by its label."""
    owner = dictionary.column_owner()
    labelled = dict(row)
    for column, raw in row.items():
        if raw == "":
            continue
        field = owner.get(column)
        if column.endswith("_complete") and column[: -len("_complete")] in dictionary.forms:
            labelled[column] = FORM_STATUS.get(raw, raw)
        elif column == "redcap_event_name":
            labelled[column] = event_label(schedule, raw)
        elif column == "redcap_repeat_instrument":
            labelled[column] = form_label(raw)
        elif field is None or column == dictionary.record_id:
            continue
        elif field.field_type == "checkbox":
            labelled[column] = CHECKED.get(raw, raw)
        elif field.choices:
            label = field.label_of(raw)
            labelled[column] = plain_label(label) if label is not None else raw
    return labelled
