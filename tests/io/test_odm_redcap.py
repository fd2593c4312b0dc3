"""The ODM export against REDCap's own: the same project, written by REDCap and by Followup.

tests/redcap_corpus holds project XMLs that REDCap wrote (redcap-etl's test projects: a classic
one by REDCap 15.0.22 with 50 records, a longitudinal one by REDCap 8). The data dictionary,
events and records are read off each file here, by a transcription that knows nothing of the
exporter; Followup then exports them, and its metadata (items, their types, REDCap's
attributes, questions, code lists, item groups, events) and its clinical data must be REDCap's.
Where REDCap departs from the ODM 1.3.2 schema — a code list of type "boolean", a classic
project's forms directly under the subject — Followup writes what the schema allows, and the
comparison says so.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from followup.io.export_table import export_table
from followup.io.exports import export_files
from followup.study import read_dictionary
from followup.study.dictionary_rows import API_HEADER  # REDCap's API metadata columns
from followup.study.schedule import Event, Schedule

FOLDER = Path(__file__).parents[1] / "redcap_corpus" / "projects" / "redcapetl_multiple_choice"
# A classic project by REDCap 15 (odd checkbox codes), a longitudinal one by REDCap 8.
PROJECTS = ["redcapetl_MultipleChoice.REDCap.xml", "redcapetl_Visits.REDCap.xml"]
ODM_NS = "{http://www.cdisc.org/ns/odm/v1.3}"
RC = "{https://projectredcap.org}"
DICTIONARY_TYPES = {"select": "dropdown", "textarea": "notes"}
DICTIONARY_VALIDATIONS = {"int": "integer", "float": "number"}
COMPARED = ("DataType", "Length", f"{RC}Variable", f"{RC}FieldType", f"{RC}TextValidationType",
            f"{RC}Identifier", f"{RC}SectionHeader", f"{RC}CustomAlignment", f"{RC}FieldNote",
            f"{RC}RequiredField", f"{RC}BranchingLogic", f"{RC}Calculation")  # fmt: skip


def _question(item: ET.Element) -> str:
    return item.findtext(f"{ODM_NS}Question/{ODM_NS}TranslatedText") or ""


def _dictionary_of(root: ET.Element) -> str:
    """REDCap's metadata as a data dictionary (REDCap's API metadata CSV)."""
    version = root.find(f"{ODM_NS}Study/{ODM_NS}MetaDataVersion")
    assert version is not None
    items = {i.get("OID"): i for i in version.iter(f"{ODM_NS}ItemDef")}
    code_lists = {c.get("OID"): c for c in version.iter(f"{ODM_NS}CodeList")}
    forms = [f.get(f"{RC}FormName") for f in version.iter(f"{ODM_NS}FormDef")]
    rows, seen = [], set()
    for group in version.iter(f"{ODM_NS}ItemGroupDef"):
        form = str(group.get("OID")).split(".")[0]
        assert form in forms
        for ref in group.iter(f"{ODM_NS}ItemRef"):
            item = items[ref.get("ItemOID")]
            name = item.get(f"{RC}Variable")
            if name in seen or item.get(f"{RC}SectionHeader") == "Form Status":
                continue
            seen.add(name)
            kind = item.get(f"{RC}FieldType", "")
            choices = ""
            reference = item.find(f"{ODM_NS}CodeListRef")
            if reference is not None and kind not in ("yesno", "truefalse"):
                codes = code_lists[reference.get("CodeListOID")]
                choices = codes.get(f"{RC}CheckboxChoices") or " | ".join(
                    f"{c.get('CodedValue')}, {c.findtext(f'{ODM_NS}Decode/{ODM_NS}TranslatedText')}"
                    for c in codes.iter(f"{ODM_NS}CodeListItem")
                )
            validation = item.get(f"{RC}TextValidationType", "")
            rows.append(
                {
                    "field_name": name,
                    "form_name": form,
                    "section_header": item.get(f"{RC}SectionHeader", ""),
                    "field_type": DICTIONARY_TYPES.get(kind, kind),
                    "field_label": _question(item),
                    "select_choices_or_calculations": choices or item.get(f"{RC}Calculation", ""),
                    "field_note": item.get(f"{RC}FieldNote", ""),
                    "text_validation_type_or_show_slider_number": DICTIONARY_VALIDATIONS.get(
                        validation, validation
                    ),
                    "identifier": item.get(f"{RC}Identifier", ""),
                    "branching_logic": item.get(f"{RC}BranchingLogic", ""),
                    "required_field": item.get(f"{RC}RequiredField", ""),
                    "custom_alignment": item.get(f"{RC}CustomAlignment", ""),
                }
            )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=API_HEADER, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _schedule_of(root: ET.Element) -> Schedule:
    """REDCap's events, arms and form mapping (a classic project has none)."""
    events, arms, forms_of = [], {}, {}
    for event in root.iter(f"{ODM_NS}StudyEventDef"):
        name = str(event.get(f"{RC}UniqueEventName"))
        arm = int(str(event.get(f"{RC}ArmNum")))
        events.append(Event(name, str(event.get(f"{RC}EventName")), arm))
        arms[arm] = str(event.get(f"{RC}ArmName"))
        forms_of[name] = tuple(str(f.get(f"{RC}FormName")) for f in event.iter(f"{ODM_NS}FormRef"))
    return Schedule(tuple(events), arms, forms_of)


def _records_of(root: ET.Element, record_id: str) -> list[dict[str, str]]:
    """REDCap's clinical data as raw export rows: one per subject, or per subject and event."""
    rows = []
    for subject in root.iter(f"{ODM_NS}SubjectData"):
        events = subject.findall(f"{ODM_NS}StudyEventData") or [subject]
        for event in events:
            row = {record_id: str(subject.get("SubjectKey"))}
            if event is not subject:
                row["redcap_event_name"] = str(event.get(f"{RC}UniqueEventName"))
            for item in event.iter(f"{ODM_NS}ItemData"):
                value = str(item.get("Value"))  # a date-time: T between date and time in ODM
                row[str(item.get("ItemOID"))] = re.sub(r"^(\d{4}-\d\d-\d\d)T", r"\1 ", value)
            rows.append(row)
    return rows


@pytest.fixture(scope="module", params=PROJECTS)
def both(request: pytest.FixtureRequest) -> tuple[ET.Element, ET.Element]:
    redcap = ET.parse(FOLDER / request.param).getroot()
    dictionary = read_dictionary(_dictionary_of(redcap), source=request.param)
    table = export_table(
        dictionary,
        _records_of(redcap, dictionary.record_id),
        title=str(redcap.get("Description")),
        schedule=_schedule_of(redcap),
    )
    ours = ET.fromstring(export_files(table, "odm", "s")["s.xml"])
    return redcap, ours


def _items(root: ET.Element) -> dict[str, ET.Element]:
    return {str(i.get("OID")): i for i in root.iter(f"{ODM_NS}ItemDef")}


def test_every_item_has_redcaps_type_and_attributes(both: tuple[ET.Element, ET.Element]) -> None:
    redcap, ours = both
    theirs, mine = _items(redcap), _items(ours)
    assert list(mine) == list(theirs)
    for oid, item in theirs.items():
        for attribute in COMPARED:
            assert mine[oid].get(attribute) == item.get(attribute), (oid, attribute)
        assert _question(mine[oid]) == _question(item)


def test_every_code_list_is_redcaps(both: tuple[ET.Element, ET.Element]) -> None:
    redcap, ours = both

    def lists(root: ET.Element) -> dict[str, tuple[object, ...]]:
        return {
            str(c.get("OID")): (
                c.get(f"{RC}Variable"),
                " ".join((c.get(f"{RC}CheckboxChoices") or "").split()),
                # REDCap types yes/no and checkbox lists "boolean", which ODM 1.3.2 does not
                # allow for a code list; Followup writes "integer" (their codes are 1 and 0).
                "integer" if c.get("DataType") == "boolean" else c.get("DataType"),
                sorted(
                    (i.get("CodedValue"), i.findtext(f"{ODM_NS}Decode/{ODM_NS}TranslatedText"))
                    for i in c.iter(f"{ODM_NS}CodeListItem")
                ),
            )
            for c in root.iter(f"{ODM_NS}CodeList")
        }

    assert lists(ours) == lists(redcap)


def test_item_groups_split_where_redcaps_do(both: tuple[ET.Element, ET.Element]) -> None:
    redcap, ours = both

    def groups(root: ET.Element) -> list[tuple[object, ...]]:
        found = []
        for group in root.iter(f"{ODM_NS}ItemGroupDef"):
            refs = tuple(dict.fromkeys(r.get("ItemOID") for r in group.iter(f"{ODM_NS}ItemRef")))
            found.append((group.get("OID"), refs))
        return found

    assert groups(ours) == groups(redcap)
    sections = {
        str(g.get("OID")): g.get("Name")
        for g in redcap.iter(f"{ODM_NS}ItemGroupDef")
        if g.get("Name") in ("Contact Information", "Form Status")
    }
    assert {k: v for k, v in sections.items()} == {
        str(g.get("OID")): g.get("Name")
        for g in ours.iter(f"{ODM_NS}ItemGroupDef")
        if str(g.get("OID")) in sections
    }


def test_the_clinical_data_is_redcaps(both: tuple[ET.Element, ET.Element]) -> None:
    redcap, ours = both

    def values(root: ET.Element) -> set[tuple[object, ...]]:
        found = set()
        for subject in root.iter(f"{ODM_NS}SubjectData"):
            events = subject.findall(f"{ODM_NS}StudyEventData") or [subject]
            for event in events:
                found |= {
                    (event.get("StudyEventOID"), *value) for value in _form_values(subject, event)
                }
        return found

    theirs, mine = values(redcap), values(ours)
    if all(event is None for event, *_rest in theirs):  # a classic project: no events in REDCap
        mine = {(None, *rest) for _event, *rest in mine}
    assert mine == theirs
    # ODM 1.3.2 puts forms in an event; REDCap's classic project leaves the event out.
    assert ours.find(f".//{ODM_NS}SubjectData/{ODM_NS}StudyEventData") is not None


def _form_values(subject: ET.Element, event: ET.Element) -> set[tuple[object, ...]]:
    found = set()
    for form in event.iter(f"{ODM_NS}FormData"):
        for group in form.iter(f"{ODM_NS}ItemGroupData"):
            for item in group.iter(f"{ODM_NS}ItemData"):
                found.add(
                    (
                        subject.get("SubjectKey"),
                        form.get("FormOID"),
                        form.get("FormRepeatKey"),
                        group.get("ItemGroupOID"),
                        item.get("ItemOID"),
                        item.get("Value"),
                    )
                )
    return found


def test_events_are_redcaps(both: tuple[ET.Element, ET.Element]) -> None:
    redcap, ours = both

    def events(root: ET.Element) -> list[tuple[object, ...]]:
        return [
            (
                e.get("OID"),
                e.get("Name"),
                e.get(f"{RC}UniqueEventName"),
                e.get(f"{RC}ArmNum"),
                tuple(f.get("FormOID") for f in e.iter(f"{ODM_NS}FormRef")),
            )
            for e in root.iter(f"{ODM_NS}StudyEventDef")
        ]

    if events(redcap):
        assert events(ours) == events(redcap)
