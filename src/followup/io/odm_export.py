"""CDISC ODM 1.3.2: the study's metadata (odm_metadata) and its records, in one XML file.

The clinical data follows REDCap's own XML: a subject per record (``redcap:RecordIdField``, its
hospital in ``redcap:DataAccessGroup``), an event per row's event with its repeat key (1 unless
the event repeats), a form per form holding values with its repeat key (1 unless the form
repeats), the form's item groups as in the metadata, each value as REDCap stores it — a
date-time with a ``T`` between date and time, as ODM and REDCap write it. Valid against the ODM
1.3.2 schema once REDCap's extensions (its namespace's attributes and elements) are set aside,
which is how ODM lets vendors extend it.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from followup.io.export_table import ExportTable
from followup.io.export_variables import DATETIME, STORED_DATETIME
from followup.io.odm_metadata import (
    CLASSIC_EVENT,
    Group,
    form_groups,
    global_extensions,
    metadata,
    rc,
    tag,
    xml_text,
)

Files = dict[str, bytes]


def odm_files(table: ExportTable, stem: str) -> Files:
    """``<stem>.xml``: the ODM document (see the module's docstring)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat()
    slug = re.sub(r"[^A-Za-z0-9]+", "", table.title) or "Study"
    root = ET.Element(
        tag("ODM"),
        {
            "ODMVersion": "1.3.2",
            "FileType": "Snapshot",
            "FileOID": f"Followup.{slug}.{now}",
            "Description": xml_text(table.title),
            "CreationDateTime": now,
            "SourceSystem": "Followup",
        },
    )
    study = ET.SubElement(root, tag("Study"), OID=f"Project.{slug}")
    variables = ET.SubElement(study, tag("GlobalVariables"))
    ET.SubElement(variables, tag("StudyName")).text = xml_text(table.title)
    ET.SubElement(variables, tag("StudyDescription")).text = xml_text(
        f'This file contains the metadata, events, and data for "{table.title}".'
    )
    ET.SubElement(variables, tag("ProtocolName")).text = xml_text(table.title)
    global_extensions(variables, table)
    metadata_oid = f"Metadata.{slug}_{now[:10]}"
    version = ET.SubElement(
        study,
        tag("MetaDataVersion"),
        {
            "OID": metadata_oid,
            "Name": xml_text(table.title),
            rc("RecordIdField"): table.dictionary.record_id,
        },
    )
    metadata(version, table)
    _clinical_data(root, table, f"Project.{slug}", metadata_oid)
    ET.indent(root, space="\t")
    return {f"{stem}.xml": ET.tostring(root, encoding="utf-8", xml_declaration=True)}


def _clinical_data(root: ET.Element, table: ExportTable, study: str, metadata_oid: str) -> None:
    clinical = ET.SubElement(
        root, tag("ClinicalData"), StudyOID=study, MetaDataVersionOID=metadata_oid
    )
    groups = form_groups(table)
    record_id = table.dictionary.record_id
    subjects: dict[str, ET.Element] = {}
    for row in table.rows:
        key = row.get(record_id, "")
        if key not in subjects:
            attributes = {"SubjectKey": xml_text(key), rc("RecordIdField"): record_id}
            if row.get("redcap_data_access_group", ""):
                attributes[rc("DataAccessGroup")] = row["redcap_data_access_group"]
            subjects[key] = ET.SubElement(clinical, tag("SubjectData"), attributes)
        _row_data(subjects[key], row, table, groups)


def _row_data(
    subject: ET.Element, row: Mapping[str, str], table: ExportTable, groups: dict[str, list[Group]]
) -> None:
    """One export row: its event (and repeat key) with the forms it holds values for."""
    event = row.get("redcap_event_name", "") or CLASSIC_EVENT
    repeat_form = row.get("redcap_repeat_instrument", "")
    instance = row.get("redcap_repeat_instance", "") or "1"
    forms = []
    for form, form_groups_ in groups.items():
        if repeat_form and form != repeat_form:
            continue
        data = [(g, _values(g, row)) for g in form_groups_]
        if any(values and not _only_record_id(values, table) for _g, values in data):
            forms.append((form, data))
    if not forms:
        return
    event_data = ET.SubElement(
        subject,
        tag("StudyEventData"),
        {
            "StudyEventOID": f"Event.{event}",
            "StudyEventRepeatKey": instance if not repeat_form else "1",
            rc("UniqueEventName"): event,
        },
    )
    for form, data in forms:
        form_data = ET.SubElement(
            event_data,
            tag("FormData"),
            FormOID=f"Form.{form}",
            FormRepeatKey=instance if repeat_form else "1",
        )
        for group, values in data:
            if not values:
                continue
            group_data = ET.SubElement(
                form_data, tag("ItemGroupData"), ItemGroupOID=group.oid, ItemGroupRepeatKey="1"
            )
            for oid, value in values:
                ET.SubElement(group_data, tag("ItemData"), ItemOID=oid, Value=xml_text(value))


def _values(group: Group, row: Mapping[str, str]) -> list[tuple[str, str]]:
    """The group's stored values in this row (blanks left out), as ODM writes them."""
    values = []
    for item in group.items:
        if item.variable is None:
            continue
        raw = row.get(item.oid, "")
        if raw == "":
            continue
        if item.variable.kind == DATETIME and (match := STORED_DATETIME.fullmatch(raw)):
            day, hour, minute, second = match.groups()
            raw = f"{day}T{int(hour):02d}:{minute}" + (f":{second}" if second else "")
        values.append((item.oid, raw))
    return values


def _only_record_id(values: list[tuple[str, str]], table: ExportTable) -> bool:
    """Whether a group's values are the record ID alone (every row has it: no form data)."""
    return [oid for oid, _value in values] == [table.dictionary.record_id]
