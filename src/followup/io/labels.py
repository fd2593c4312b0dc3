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
from collections.abc import Callable, Mapping, Sequence

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


def row_labeller(
    dictionary: DataDictionary, schedule: Schedule = CLASSIC
) -> Callable[[Mapping[str, str]], dict[str, str]]:
    """What turns a raw row into its label-export row, each column's translation worked out once.

    Choices, checkboxes, statuses, events and forms are shown by their labels.
    """
    owner = dictionary.column_owner()
    statuses = {f"{form}_complete" for form in dictionary.forms}
    translations: dict[str, Callable[[str], str]] = {
        "redcap_event_name": lambda raw: event_label(schedule, raw),
        "redcap_repeat_instrument": form_label,
    }
    translations |= {status: lambda raw: FORM_STATUS.get(raw, raw) for status in statuses}
    for column, field in owner.items():
        if column == dictionary.record_id or column in statuses:
            continue
        if field.field_type == "checkbox":
            translations[column] = lambda raw: CHECKED.get(raw, raw)
        elif field.choices:
            shown = {c.code: plain_label(c.label) for c in field.choices}
            translations[column] = lambda raw, shown=shown: shown.get(raw, raw)  # type: ignore[misc]

    def labelled(row: Mapping[str, str]) -> dict[str, str]:
        result = dict(row)
        for column, raw in row.items():
            translate = translations.get(column)
            if translate is not None and raw != "":
                result[column] = translate(raw)
        return result

    return labelled
