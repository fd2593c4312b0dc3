"""CDISC ODM 1.3.2: the study's metadata and its records in one XML file.

The layout REDCap's own "CDISC ODM (XML)" export uses, so REDCap's "create a project from an
XML file" and OpenClinica read it: events (a classic study has one, ``Event.event_1_arm_1``),
forms with one item group each, an item per export column (a checkbox's options are items of
their own, as in the raw export; a form's status is ``<form>_complete``), code lists for choices,
and REDCap's extension attributes (field type, validation, branching) in REDCap's namespace.
Clinical data follows: subjects, events (repeat keys for repeating events), forms (repeat keys
for repeating forms) and items, each value as REDCap stores it; date-times in ISO 8601 form.
Characters XML cannot hold (control characters) are left out of the file.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping

from followup.io.export_table import ExportTable
from followup.io.export_variables import DATE, DATETIME, INTEGER, NUMBER, Variable
from followup.io.labels import form_label

Files = dict[str, bytes]
ODM = "http://www.cdisc.org/ns/odm/v1.3"
REDCAP = "https://projectredcap.org"
CLASSIC_EVENT = "event_1_arm_1"
_DATA_TYPES = {INTEGER: "integer", NUMBER: "float", DATE: "date", DATETIME: "datetime"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

ET.register_namespace("", ODM)
ET.register_namespace("redcap", REDCAP)


def _tag(name: str) -> str:
    return f"{{{ODM}}}{name}"


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def odm_files(table: ExportTable, stem: str) -> Files:
    """``<stem>.xml``: the ODM document (see the module's docstring)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", table.title).strip("_") or "study"
    root = ET.Element(
        _tag("ODM"),
        {
            "ODMVersion": "1.3.2",
            "FileType": "Snapshot",
            "FileOID": f"Followup.{slug}.{now}",
            "CreationDateTime": now,
            "SourceSystem": "Followup",
        },
    )
    study = ET.SubElement(root, _tag("Study"), OID=f"Project.{slug}")
    names = ET.SubElement(study, _tag("GlobalVariables"))
    for element in ("StudyName", "StudyDescription", "ProtocolName"):
        ET.SubElement(names, _tag(element)).text = _text(table.title)
    metadata_oid = f"Metadata.{slug}"
    _metadata(
        ET.SubElement(study, _tag("MetaDataVersion"), OID=metadata_oid, Name=table.title), table
    )
    _clinical_data(root, table, f"Project.{slug}", metadata_oid)
    ET.indent(root)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return {f"{stem}.xml": body}


def _events(table: ExportTable) -> list[tuple[str, str, tuple[str, ...]]]:
    """(unique name, label, forms) of each event; a classic study has one holding every form."""
    forms = tuple(dict.fromkeys(v.form for v in table.variables if v.form))
    if not table.schedule.longitudinal:
        return [(CLASSIC_EVENT, "Event 1", forms)]
    return [
        (e.name, e.label, tuple(f for f in forms if table.schedule.form_in(e.name, f)))
        for e in table.schedule.events
    ]


def _metadata(version: ET.Element, table: ExportTable) -> None:
    """Protocol, events, forms, item groups, items and code lists, in the order ODM requires."""
    _event_defs(version, table)
    by_form = _items_by_form(table)
    _form_defs(version, table, list(by_form))
    for form, items in by_form.items():
        group = ET.SubElement(
            version,
            _tag("ItemGroupDef"),
            OID=f"{form}.items",
            Name=form_label(form),
            Repeating="No",
        )
        for variable in items:
            ET.SubElement(group, _tag("ItemRef"), ItemOID=variable.name, Mandatory="No")
    every = [variable for items in by_form.values() for variable in items]
    for variable in every:
        _item_def(version, variable, table)
    for variable in every:
        if variable.value_labels:
            _code_list(version, variable)


def _event_defs(version: ET.Element, table: ExportTable) -> None:
    events = _events(table)
    protocol = ET.SubElement(version, _tag("Protocol"))
    for order, (name, _label, _forms) in enumerate(events, start=1):
        ET.SubElement(
            protocol,
            _tag("StudyEventRef"),
            StudyEventOID=f"Event.{name}",
            OrderNumber=str(order),
            Mandatory="No",
        )
    for name, label, forms in events:
        repeats = table.schedule.repeats_event(name if table.schedule.longitudinal else "")
        event = ET.SubElement(
            version,
            _tag("StudyEventDef"),
            OID=f"Event.{name}",
            Name=_text(label),
            Repeating="Yes" if repeats else "No",
            Type="Common",
        )
        for order, form in enumerate(forms, start=1):
            ET.SubElement(
                event,
                _tag("FormRef"),
                FormOID=f"Form.{form}",
                OrderNumber=str(order),
                Mandatory="No",
            )


def _form_defs(version: ET.Element, table: ExportTable, forms: list[str]) -> None:
    events = [e.name for e in table.schedule.events] or [""]
    for form in forms:
        repeats = any(table.schedule.repeats_form(event, form) for event in events)
        definition = ET.SubElement(
            version,
            _tag("FormDef"),
            OID=f"Form.{form}",
            Name=form_label(form),
            Repeating="Yes" if repeats else "No",
            attrib={f"{{{REDCAP}}}FormName": form},
        )
        ET.SubElement(
            definition, _tag("ItemGroupRef"), ItemGroupOID=f"{form}.items", Mandatory="No"
        )


def _items_by_form(table: ExportTable) -> dict[str, list[Variable]]:
    """Each form's items: its fields' columns and its status; the record ID in the first form."""
    by_form: dict[str, list[Variable]] = defaultdict(list)
    first = table.dictionary.field(table.dictionary.record_id).form
    for variable in table.variables:
        if variable.name == table.dictionary.record_id:
            by_form[first].insert(0, variable)
        elif variable.form:
            by_form[variable.form].append(variable)
    return dict(by_form)


def _item_def(version: ET.Element, variable: Variable, table: ExportTable) -> None:
    attributes = {
        "OID": variable.name,
        "Name": variable.name,
        "DataType": _DATA_TYPES.get(variable.kind, "text"),
        f"{{{REDCAP}}}Variable": variable.field or variable.name,
    }
    if variable.field:
        field = table.dictionary.field(variable.field)
        attributes[f"{{{REDCAP}}}FieldType"] = field.field_type
        if field.validation:
            attributes[f"{{{REDCAP}}}TextValidationType"] = field.validation
        if field.branching.text.strip():
            attributes[f"{{{REDCAP}}}BranchingLogic"] = _text(field.branching.text)
        if field.identifier:
            attributes[f"{{{REDCAP}}}Identifier"] = "y"
    item = ET.SubElement(version, _tag("ItemDef"), attributes)
    question = ET.SubElement(item, _tag("Question"))
    ET.SubElement(question, _tag("TranslatedText")).text = _text(variable.label)
    if variable.value_labels:
        ET.SubElement(item, _tag("CodeListRef"), CodeListOID=f"{variable.name}.choices")


def _code_list(version: ET.Element, variable: Variable) -> None:
    data_type = "integer" if variable.kind == INTEGER else "text"
    codes = ET.SubElement(
        version,
        _tag("CodeList"),
        OID=f"{variable.name}.choices",
        Name=variable.name,
        DataType=data_type,
    )
    for code, label in variable.value_labels:
        item = ET.SubElement(codes, _tag("CodeListItem"), CodedValue=code)
        decode = ET.SubElement(item, _tag("Decode"))
        ET.SubElement(decode, _tag("TranslatedText")).text = _text(label)


def _clinical_data(root: ET.Element, table: ExportTable, study: str, metadata: str) -> None:
    clinical = ET.SubElement(
        root, _tag("ClinicalData"), StudyOID=study, MetaDataVersionOID=metadata
    )
    by_form = _items_by_form(table)
    record_id = table.dictionary.record_id
    subjects: dict[str, ET.Element] = {}
    for row in table.rows:
        key = row.get(record_id, "")
        if key not in subjects:
            subjects[key] = ET.SubElement(
                clinical,
                _tag("SubjectData"),
                SubjectKey=_text(key),
                attrib={f"{{{REDCAP}}}RecordIdField": record_id},
            )
            group = row.get("redcap_data_access_group", "")
            if group:
                subjects[key].set(f"{{{REDCAP}}}DataAccessGroup", group)
        _row_data(subjects[key], row, table, by_form)


def _row_data(
    subject: ET.Element,
    row: Mapping[str, str],
    table: ExportTable,
    by_form: dict[str, list[Variable]],
) -> None:
    """One export row: its event (and repeat key) with the forms it holds values for."""
    event = row.get("redcap_event_name", "") or CLASSIC_EVENT
    repeat_form = row.get("redcap_repeat_instrument", "")
    instance = row.get("redcap_repeat_instance", "")
    event_data = ET.SubElement(subject, _tag("StudyEventData"), StudyEventOID=f"Event.{event}")
    if instance and not repeat_form:
        event_data.set("StudyEventRepeatKey", instance)
    record_id = table.dictionary.record_id
    for form, items in by_form.items():
        if repeat_form and form != repeat_form:
            continue
        values = [
            (v.name, _odm_value(v, row.get(v.name, ""))) for v in items if v.name != record_id
        ]
        values = [(name, value) for name, value in values if value != ""]
        if not values:
            continue
        if items[0].name == record_id:
            values.insert(0, (record_id, row.get(record_id, "")))
        form_data = ET.SubElement(event_data, _tag("FormData"), FormOID=f"Form.{form}")
        if repeat_form:
            form_data.set("FormRepeatKey", instance or "1")
        group = ET.SubElement(form_data, _tag("ItemGroupData"), ItemGroupOID=f"{form}.items")
        for name, value in values:
            ET.SubElement(group, _tag("ItemData"), ItemOID=name, Value=_text(value))


def _odm_value(variable: Variable, raw: str) -> str:
    """A stored value as ODM writes it: a date-time with a T between date and time."""
    if variable.kind == DATETIME and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}(:\d{2})?", raw):
        day, time = raw.split(" ")
        hours, rest = time.split(":", 1)
        return f"{day}T{int(hours):02d}:{rest}" + (":00" if rest.count(":") == 0 else "")
    return raw
