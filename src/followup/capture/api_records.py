"""Exporting records through the API: REDCap's flat export of the records the user may see.

The lines are the web export's (followup.capture.export.export_rows: REDCap's order, one per
record, event and instance). ``records[]`` keeps some records: one of another hospital is left out
exactly as one that does not exist. ``fields[]`` and ``forms[]`` keep some columns (the record ID
only when asked for, as REDCap); ``events[]`` keeps some events. ``rawOrLabel=label`` writes
choices, statuses and events by their labels (``exportCheckboxLabel``: a ticked option's label,
blank when not ticked), ``rawOrLabelHeaders=label`` the CSV's headers as field labels.
``exportDataAccessGroups`` adds the hospital column for the data center (never a coordinator's).
Each export is an entry of the trail: who, how many lines, which options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from followup.capture import access
from followup.capture.api_metadata import chosen_fields
from followup.capture.api_protocol import ApiError, ApiRequest, invalid, table_response
from followup.capture.audit import Change, append
from followup.capture.export import export_rows
from followup.capture.models import Membership, Role
from followup.io import export_header
from followup.io.labels import label_header, row_labeller
from followup.study import DataDictionary
from followup.study.choices import checkbox_column

_SYSTEM = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance")
_GROUP = "redcap_data_access_group"
# Parameters REDCap has that Followup does not apply: refused when given, never ignored.
_NOT_APPLIED = ("filterLogic", "dateRangeBegin", "dateRangeEnd", "csvDelimiter")


def export_records(member: Membership, request: ApiRequest) -> HttpResponse:
    """The chosen lines and columns, raw or labelled, as CSV or JSON."""
    fmt = request.format
    request.choice("type", ("flat",), "flat")
    for name in _NOT_APPLIED:
        if request.value(name).strip() not in ("", ","):
            raise ApiError(
                400,
                _('Followup\'s API does not apply the parameter "%(name)s": leave it out.')
                % {"name": name},
            )
    if request.value("decimalCharacter").strip() not in ("", "."):
        raise ApiError(400, _("Followup's API writes numbers with a decimal point only."))
    labels = request.choice("rawOrLabel", ("raw", "label"), "raw") == "label"
    label_headers = request.choice("rawOrLabelHeaders", ("raw", "label"), "raw") == "label"
    checkbox_labels = request.flag("exportCheckboxLabel")
    request.flag("exportSurveyFields")
    study = member.study
    dictionary, schedule = study.dictionary, study.schedule
    with_group = request.flag("exportDataAccessGroups") and member.role != Role.COORDINATOR
    header = _header(member, request, with_group)
    events = _events(member, request)
    records = access.visible_records(member.user).prefetch_related("forms")
    wanted = request.array("records")
    if wanted:
        records = records.filter(record_id__in=wanted)
    owner = dictionary.column_owner()
    forms_kept = {
        owner[c].form if c in owner else c.removesuffix("_complete")
        for c in header
        if c not in _SYSTEM and c != _GROUP and c != dictionary.record_id
    }
    with_id = dictionary.record_id in header
    lines = [
        line
        for line in export_rows(study, records)
        if (not events or line["redcap_event_name"] in events)
        and _kept(line, forms_kept, with_id, study)
    ]
    if labels:
        labelled = row_labeller(dictionary, schedule)  # worked out once for every line
        lines = [_labelled(dictionary, labelled, line, checkbox_labels) for line in lines]
    items = [_item(line, header) for line in lines]
    shown = label_header(dictionary, header) if label_headers and fmt == "csv" else None
    _audit(member, request, len(items), fmt, labels)
    return table_response(items, header, fmt, csv_header=shown)


def _header(member: Membership, request: ApiRequest, with_group: bool) -> list[str]:
    """The export's columns: the chosen fields' columns in REDCap's order, row columns first."""
    study = member.study
    dictionary = study.dictionary
    full = export_header(dictionary, access_group=with_group, schedule=study.schedule)
    if not request.array("fields") and not request.array("forms"):
        return full
    names = set(chosen_fields(dictionary, request))
    owner = dictionary.column_owner()
    return [
        c
        for c in full
        if c in _SYSTEM or c == _GROUP or c in names or (c in owner and owner[c].name in names)
    ]


def _events(member: Membership, request: ApiRequest) -> set[str]:
    asked = request.array("events")
    schedule = member.study.schedule
    unknown = [e for e in asked if schedule.event(e) is None]
    if unknown:
        raise invalid("events", unknown)
    return set(asked)


def _kept(line: Mapping[str, str], forms: set[str], with_id: bool, study: Any) -> bool:
    """A line only when it can hold a chosen column (REDCap leaves the others out).

    A repeating form's line when its form is chosen; an event's own line when the record ID or a
    form it holds (not repeating there) is chosen.
    """
    form, event = line["redcap_repeat_instrument"], line["redcap_event_name"]
    schedule = study.schedule
    if form:
        return form in forms
    if line["redcap_repeat_instance"]:
        return with_id or any(schedule.form_in(event, f) for f in forms)
    return with_id or any(
        schedule.form_in(event, f) and not schedule.repeats_form(event, f) for f in forms
    )


def _labelled(
    dictionary: DataDictionary,
    labeller: Callable[[Mapping[str, str]], dict[str, str]],
    line: dict[str, str],
    checkbox_labels: bool,
) -> dict[str, str]:
    labelled = labeller(line)
    if checkbox_labels:
        for f in dictionary:
            if f.field_type != "checkbox":
                continue
            for choice in f.choices:
                column = checkbox_column(f.name, choice.code)
                if column in line:
                    labelled[column] = choice.label if line[column] == "1" else ""
    return labelled


def _item(line: Mapping[str, str], header: list[str]) -> dict[str, Any]:
    """One line's chosen columns; the instance a number where there is one, as REDCap's JSON."""
    item: dict[str, Any] = {c: line.get(c, "") for c in header}
    instance = item.get("redcap_repeat_instance", "")
    if isinstance(instance, str) and instance.isdigit():
        item["redcap_repeat_instance"] = int(instance)
    return item


def _audit(member: Membership, request: ApiRequest, count: int, fmt: str, labels: bool) -> None:
    options = ", ".join(
        part
        for part in (
            f"format={fmt}",
            "labels" if labels else "raw",
            f"records={','.join(request.array('records'))[:500]}"
            if request.array("records")
            else "",
            f"fields={','.join(request.array('fields'))[:500]}" if request.array("fields") else "",
            f"forms={','.join(request.array('forms'))}" if request.array("forms") else "",
            f"events={','.join(request.array('events'))}" if request.array("events") else "",
        )
        if part
    )
    append(
        member.study,
        member.user.get_username(),
        [Change("", "", "records", "api_export", "", f"{count} lines", f"API export: {options}")],
    )
