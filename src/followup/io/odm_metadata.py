"""The study half of a CDISC ODM 1.3.2 file, in the shape REDCap's own project XML has.

REDCap's "CDISC ODM (XML)" export (and its "create a project from an XML file") describes a
project with plain ODM plus attributes and elements in its namespace; tests/redcap_corpus holds
one such file, written by REDCap 15, and the tests compare this writer with it. REDCap's
conventions, followed here:

- events ``Event.<unique name>`` named by their label ("Label (Arm n: Name)" when the study has
  several arms); a classic study has no events in
  REDCap, but ODM's clinical data needs one, so it is written as ``event_1_arm_1``, the name
  REDCap gives a classic project's event;
- forms ``Form.<name>``; item groups split at section headers, ``<form>.<first item>``, and the
  status in its own group ``<form>.<form>_complete`` named "Form Status";
- an item per export column (a checkbox option is one, boolean, its code list Checked/Unchecked
  and the field's choices in ``redcap:CheckboxChoices``); REDCap's internal names for field types
  (``textarea``, ``select``) and validations (``int``, ``float``); ODM data types as REDCap
  chooses them (``partialDatetime``, ``partialTime``, ``boolean`` …); min and max as soft range
  checks; the dictionary's notes, branching, calculations, annotations in ``redcap:`` attributes;
- repeating forms and events, and the hospitals (data access groups), in GlobalVariables.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

from followup.io.export_table import ExportTable
from followup.io.export_variables import Variable
from followup.io.labels import form_label, plain_label
from followup.study import Field
from followup.study.schedule import Schedule

ODM = "http://www.cdisc.org/ns/odm/v1.3"
REDCAP = "https://projectredcap.org"
CLASSIC_EVENT = "event_1_arm_1"
FIELD_TYPES = {"notes": "textarea", "dropdown": "select"}  # REDCap's internal names
VALIDATIONS = {"integer": "int", "number": "float"}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DECIMALS = re.compile(r"number_(\d)dp")

ET.register_namespace("", ODM)
ET.register_namespace("redcap", REDCAP)


def tag(name: str) -> str:
    """An ODM element's qualified name."""
    return f"{{{ODM}}}{name}"


def rc(name: str) -> str:
    """A REDCap extension's qualified name."""
    return f"{{{REDCAP}}}{name}"


def xml_text(value: str) -> str:
    """Text XML can hold: control characters left out."""
    return _NOT_XML.sub("", value)


@dataclass(frozen=True)
class Item:
    """One item of the metadata: an export column, or a descriptive field (text, no data)."""

    oid: str
    field: Field | None  # None for a form's status
    variable: Variable | None  # None for a descriptive field
    form: str


@dataclass(frozen=True)
class Group:
    """An item group: a form's items from one section header to the next, or its status."""

    oid: str
    name: str
    items: tuple[Item, ...]


def form_groups(table: ExportTable) -> dict[str, list[Group]]:
    """Each exported form's item groups, in dictionary order (REDCap's split at sections)."""
    chosen = {v.name: v for v in table.variables}
    whole = {v.form for v in table.variables if v.choice_field and not v.field}
    groups: dict[str, list[Group]] = {}
    for form in table.dictionary.forms:
        items: list[tuple[Item, str]] = []
        for field in table.dictionary.form_fields(form):
            header = plain_label(field.section_header)
            if field.field_type == "descriptive":
                if form in whole:
                    items.append((Item(field.name, field, None, form), header))
                continue
            for column in field.export_columns:
                if column in chosen:
                    items.append((Item(column, field, chosen[column], form), header))
                    header = ""
        if not items and f"{form}_complete" not in chosen:
            continue
        groups[form] = list(_sections(form, items))
        if f"{form}_complete" in chosen:
            status = Item(f"{form}_complete", None, chosen[f"{form}_complete"], form)
            groups[form].append(Group(f"{form}.{form}_complete", "Form Status", (status,)))
    return groups


def _sections(form: str, items: list[tuple[Item, str]]) -> Iterator[Group]:
    """A form's items grouped as REDCap groups them.

    A field under a section header is a group of its own, named after the header; the fields
    after it, up to the next header, are a group named after the form.
    """
    current: list[Item] = []
    name = form_label(form)
    under_header: Field | None = None
    for item, header in items:
        leaves_header = under_header is not None and item.field is not under_header
        if header or leaves_header:
            if current:
                yield Group(f"{form}.{current[0].oid}", name, tuple(current))
            current = []
            name = header or form_label(form)
            under_header = item.field if header else None
        current.append(item)
    if current:
        yield Group(f"{form}.{current[0].oid}", name, tuple(current))


def event_list(table: ExportTable) -> list[tuple[str, str, tuple[str, ...]]]:
    """(unique name, ODM name, forms) of each event; a classic study has one holding them all."""
    forms = tuple(form_groups(table))
    schedule = table.schedule
    if not schedule.longitudinal:
        return [(CLASSIC_EVENT, "Event 1", forms)]
    several_arms = len({e.arm for e in schedule.events}) > 1
    return [
        (
            e.name,
            f"{e.label} (Arm {e.arm}: {schedule.arms.get(e.arm, '')})" if several_arms else e.label,
            tuple(f for f in forms if schedule.form_in(e.name, f)),
        )
        for e in schedule.events
    ]


def global_extensions(variables: ET.Element, table: ExportTable) -> None:
    """REDCap's project settings in GlobalVariables: what repeats, and the hospitals."""
    schedule = table.schedule
    if schedule.repeating:
        repeats = ET.SubElement(variables, rc("RepeatingInstrumentsAndEvents"))
        for event, form in sorted(schedule.repeating):
            unique = event or CLASSIC_EVENT
            if not form:
                ET.SubElement(repeats, rc("RepeatingEvent"), {rc("UniqueEventName"): unique})
        forms = [(e, f) for e, f in sorted(schedule.repeating) if f]
        if forms:
            instruments = ET.SubElement(repeats, rc("RepeatingInstruments"))
            for event, form in forms:
                attributes = {
                    rc("UniqueEventName"): event or CLASSIC_EVENT,
                    rc("RepeatInstrument"): form,
                    rc("CustomLabel"): "",
                }
                ET.SubElement(instruments, rc("RepeatingInstrument"), attributes)
    hospitals = sorted({r.get("redcap_data_access_group", "") for r in table.rows} - {""})
    if hospitals:
        groups = ET.SubElement(variables, rc("DataAccessGroupsGroup"))
        for code in hospitals:
            ET.SubElement(groups, rc("DataAccessGroups"), group_name=code)


def metadata(version: ET.Element, table: ExportTable) -> None:
    """Protocol, events, forms, item groups, items and code lists, in the order ODM requires."""
    events = event_list(table)
    groups = form_groups(table)
    protocol = ET.SubElement(version, tag("Protocol"))
    for order, (name, _label, _forms) in enumerate(events, start=1):
        ET.SubElement(
            protocol,
            tag("StudyEventRef"),
            StudyEventOID=f"Event.{name}",
            OrderNumber=str(order),
            Mandatory="No",
        )
    for name, label, forms in events:
        _event_def(version, table.schedule, name, label, forms)
    for form, form_items in groups.items():
        definition = ET.SubElement(
            version,
            tag("FormDef"),
            {
                "OID": f"Form.{form}",
                "Name": form_label(form),
                "Repeating": "No",
                rc("FormName"): form,
            },
        )
        for group in form_items:
            ET.SubElement(definition, tag("ItemGroupRef"), ItemGroupOID=group.oid, Mandatory="No")
    for form_items in groups.values():
        for group in form_items:
            _group_def(version, group)
    every = [item for form_items in groups.values() for g in form_items for item in g.items]
    for item in every:
        item_def(version, item)
    for item in every:
        if item.variable is not None and item.variable.value_labels:
            code_list(version, item)


def _event_def(
    version: ET.Element, schedule: Schedule, name: str, label: str, forms: tuple[str, ...]
) -> None:
    attributes = {"OID": f"Event.{name}", "Name": xml_text(label), "Type": "Common"}
    attributes["Repeating"] = "No"  # as REDCap: what repeats is in GlobalVariables
    event = schedule.event(name)
    if event is not None:
        attributes |= {
            rc("EventName"): xml_text(event.label),
            rc("UniqueEventName"): name,
            rc("ArmNum"): str(event.arm),
            rc("ArmName"): xml_text(schedule.arms.get(event.arm, "")),
        }
    definition = ET.SubElement(version, tag("StudyEventDef"), attributes)
    for order, form in enumerate(forms, start=1):
        ET.SubElement(
            definition,
            tag("FormRef"),
            {
                "FormOID": f"Form.{form}",
                "OrderNumber": str(order),
                "Mandatory": "No",
                rc("FormName"): form,
            },
        )


def _group_def(version: ET.Element, group: Group) -> None:
    element = ET.SubElement(
        version, tag("ItemGroupDef"), OID=group.oid, Name=xml_text(group.name), Repeating="No"
    )
    for item in group.items:
        required = item.field is not None and item.field.required
        ET.SubElement(
            element,
            tag("ItemRef"),
            {
                "ItemOID": item.oid,
                "Mandatory": "Yes" if required else "No",
                rc("Variable"): item.field.name if item.field is not None else item.oid,
            },
        )


def data_type(item: Item) -> tuple[str, str]:
    """The ODM data type and length REDCap gives an item."""
    field = item.field
    if field is None:
        return "text", "1"  # a form's status: 0, 1, 2
    if field.field_type in ("checkbox", "yesno", "truefalse"):
        return "boolean", "1"
    if field.field_type in ("radio", "dropdown"):
        return "text", str(max((len(c.code) for c in field.choices), default=1))
    if field.field_type == "calc":
        return "float", "999"
    if field.field_type == "slider":
        return "integer", "999"
    return _text_type(VALIDATIONS.get(field.validation, field.validation)), "999"


def _text_type(validation: str) -> str:
    """A text field's ODM data type, by its validation (REDCap's internal name)."""
    if validation.startswith("datetime"):
        return "partialDatetime"
    if validation.startswith("date"):
        return "date"
    if validation.startswith("time"):
        return "partialTime"
    if validation == "int":
        return "integer"
    if validation == "float" or validation.startswith("number"):
        return "float"
    return "text"


def item_def(version: ET.Element, item: Item) -> None:
    """One ItemDef with REDCap's attributes, its question, range checks and code list."""
    field = item.field
    kind, length = data_type(item)
    attributes = {"OID": item.oid, "Name": item.oid, "DataType": kind, "Length": length}
    decimals = _DECIMALS.fullmatch(field.validation) if field is not None else None
    if decimals:
        attributes["SignificantDigits"] = decimals.group(1)
    attributes[rc("Variable")] = field.name if field is not None else item.oid
    attributes[rc("FieldType")] = (
        FIELD_TYPES.get(field.field_type, field.field_type) if field else "select"
    )
    attributes |= (
        _field_attributes(field) if field is not None else {rc("SectionHeader"): "Form Status"}
    )
    element = ET.SubElement(version, tag("ItemDef"), attributes)
    question = ET.SubElement(element, tag("Question"))
    label = field.label if field is not None else "Complete?"
    ET.SubElement(question, tag("TranslatedText")).text = xml_text(plain_label(label))
    if plain_label(label) != label.strip():
        ET.SubElement(question, rc("FormattedTranslatedText")).text = xml_text(label)
    if field is not None and field.field_type == "text":
        for comparator, limit in (("GE", field.minimum), ("LE", field.maximum)):
            if limit:
                check = ET.SubElement(
                    element, tag("RangeCheck"), Comparator=comparator, SoftHard="Soft"
                )
                ET.SubElement(check, tag("CheckValue")).text = xml_text(limit)
    if item.variable is not None and item.variable.value_labels:
        ET.SubElement(element, tag("CodeListRef"), CodeListOID=f"{item.oid}.choices")


def _field_attributes(field: Field) -> dict[str, str]:
    """The dictionary's columns REDCap keeps as attributes, where a field has them."""
    values = {
        "Calculation": field.options_text if field.field_type == "calc" else "",
        "SliderLabels": field.options_text if field.field_type == "slider" else "",
        "TextValidationType": VALIDATIONS.get(field.validation, field.validation),
        "FieldNote": field.note,
        "SectionHeader": field.section_header,
        "BranchingLogic": field.branching.text.strip(),
        "RequiredField": "y" if field.required else "",
        "Identifier": "y" if field.identifier else "",
        "CustomAlignment": field.alignment,
        "MatrixGroupName": field.matrix_group,
        "FieldAnnotation": field.annotation,
    }
    return {rc(name): xml_text(value) for name, value in values.items() if value}


def code_list(version: ET.Element, item: Item) -> None:
    """An item's code list: its choices, Checked/Unchecked, Yes/No or the form statuses."""
    assert item.variable is not None
    kind, _length = data_type(item)
    kind = "integer" if kind == "boolean" else kind  # ODM's code lists have no boolean type
    attributes = {"OID": f"{item.oid}.choices", "Name": item.oid, "DataType": kind}
    attributes[rc("Variable")] = item.field.name if item.field is not None else item.oid
    labels = list(item.variable.value_labels)
    if item.field is not None and item.field.field_type == "checkbox":
        choices = " | ".join(f"{c.code}, {c.label}" for c in item.field.choices)
        attributes[rc("CheckboxChoices")] = xml_text(choices)
        labels = labels[::-1]  # REDCap lists Checked first
    element = ET.SubElement(version, tag("CodeList"), attributes)
    for code, label in labels:
        entry = ET.SubElement(element, tag("CodeListItem"), CodedValue=code)
        decode = ET.SubElement(entry, tag("Decode"))
        ET.SubElement(decode, tag("TranslatedText")).text = xml_text(plain_label(label))
