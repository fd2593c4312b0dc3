"""The Excel, R and CDISC ODM exports, read back by openpyxl, R itself and an ODM parser."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xmlschema
from odmlib import loader, odm_loader

from followup.io.export_table import ExportTable
from followup.io.export_variables import Variable
from followup.io.exports import export_files
from followup.io.labels import label_header
from tests.io.export_cases import corpus_cases, corpus_table, expected, mll03_table

ODM_SCHEMA = Path(odm_loader.__file__).parent / "schemas" / "odm" / "1.3.2" / "ODM1-3-2.xsd"
REDCAP_NS = "{https://projectredcap.org}"


def _tables(tmp_path: Path) -> list[ExportTable]:
    return [mll03_table(tmp_path), *(corpus_table(c) for c in corpus_cases())]


def test_excel_round_trip(tmp_path: Path) -> None:
    for table in _tables(tmp_path):
        book = openpyxl.load_workbook(io.BytesIO(export_files(table, "xlsx", "s")["s.xlsx"]))
        assert book.sheetnames == ["Data", "Dictionary", "Codes"]
        header, *cells = list(book["Data"].iter_rows(values_only=True))
        assert list(header) == label_header(table.dictionary, table.columns)
        codes = {
            (v, label): code
            for v, code, label in book["Codes"].iter_rows(min_row=2, values_only=True)
        }
        rows, _text = expected(table)
        for wanted, got in zip(rows, cells, strict=True):
            for variable, value in zip(table.variables, got, strict=True):
                want = _shown(table, variable, wanted[variable.name], value)
                if variable.choice_field and value is not None:
                    value = codes.get((variable.name, value), value)
                    want = None if want is None else str(want)
                if isinstance(value, str) and value.startswith("'="):
                    value = value[1:]  # the safe writer's mark on a formula
                if isinstance(value, dt.datetime) and variable.kind == "date":
                    value = value.date()
                assert value == want, (table.title, variable.name, value, want)
        for row in book["Data"].iter_rows():
            assert all(cell.data_type != "f" for cell in row)  # no cell is a formula


def _shown(table: ExportTable, variable: Variable, want: object, value: object) -> object:
    """What the Data sheet shows for a REDCap column: a form's or event's label."""
    if variable.name == "redcap_repeat_instrument" and want:
        return " ".join(w.capitalize() for w in str(want).split("_"))
    if variable.name == "redcap_event_name" and want:
        event = table.schedule.event(str(want))
        assert event is not None
        return event.label if len(table.schedule.arms) < 2 else value
    return want


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (make test does)")
def test_r_script_makes_the_labelled_data_frame(tmp_path: Path) -> None:
    for number, table in enumerate(_tables(tmp_path)):
        folder = tmp_path / f"r{number}"
        folder.mkdir()
        for name, content in export_files(table, "r", "study").items():
            (folder / name).write_bytes(content)
        dump = folder / "dump.json"
        program = (
            'source("study.r"); out <- list();'
            "for (n in names(data)) out[[n]] <- list(class = class(data[[n]])[1],"
            ' label = if (is.null(attr(data[[n]], "label"))) "" else attr(data[[n]], "label"),'
            " values = as.character(data[[n]]));"
            f'writeLines(jsonlite::toJSON(out, auto_unbox = FALSE, na = "null"), "{dump}")'
        )
        subprocess.run(["Rscript", "-e", program], cwd=folder, check=True, capture_output=True)
        made = json.loads(dump.read_text(encoding="utf-8"))
        rows, as_text = expected(table)
        for variable in table.variables:
            _check_r_column(table, variable, made, rows, as_text)
        if table.missing_codes:
            missing = made["wbc_dx.missing"]["values"]
            assert "Unknown" in missing


def _check_r_column(
    table: ExportTable,
    variable: Variable,
    made: dict[str, Any],
    rows: list[dict[str, object]],
    as_text: set[str],
) -> None:
    r_class = {"integer": "integer", "number": "numeric", "date": "Date", "text": "character"}
    column = made[variable.name]
    assert column["label"] == [variable.label]
    if variable.name not in as_text and variable.kind in r_class:
        assert column["class"] == [r_class[variable.kind]], variable.name
    for wanted, value in zip(rows, column["values"], strict=True):
        want = wanted[variable.name]
        if isinstance(want, str) and want in table.missing_codes and variable.kind != "text":
            want = None  # moved to <name>.missing
        _check_r_value(variable.name, value, want)
    if variable.value_labels and variable.name not in as_text:
        factor = made[variable.name + ".factor"]["values"]
        labels = dict(variable.value_labels)
        for wanted, value in zip(rows, factor, strict=True):
            raw = wanted[variable.name]
            assert value == (labels.get(str(raw)) if raw is not None else None)


def _check_r_value(name: str, value: str | None, want: object) -> None:
    if want is None:
        assert value in (None, ""), (name, value)
    elif isinstance(want, float):
        assert value is not None
        assert float(value) == want
    elif isinstance(want, dt.datetime):
        assert value is not None
        assert value.startswith(want.strftime("%Y-%m-%d %H:%M"))
    else:
        assert value is not None
        if value.startswith("'="):
            value = value[1:]  # the safe writer's mark on a formula
        assert value == str(want), (name, value, want)


def _without_extensions(text: bytes) -> ET.ElementTree[ET.Element]:
    """The document without REDCap's extensions (the plain ODM schema has none).

    Its attributes, and its elements (GlobalVariables' settings, a label's formatted text).
    """
    tree = ET.ElementTree(ET.fromstring(text))
    for element in list(tree.iter()):
        for name in [n for n in element.attrib if n.startswith(REDCAP_NS)]:
            del element.attrib[name]
        for child in [c for c in element if c.tag.startswith(REDCAP_NS)]:
            element.remove(child)
    return tree


def test_odm_is_valid_and_reads_back(tmp_path: Path) -> None:
    schema = xmlschema.XMLSchema(str(ODM_SCHEMA))
    for table in _tables(tmp_path):
        text = export_files(table, "odm", "s")["s.xml"]
        tree = _without_extensions(text)
        errors = list(schema.iter_errors(tree))
        assert errors == [], (table.title, str(errors[0])[:500] if errors else "")
        path = tmp_path / "plain.xml"
        tree.write(path, encoding="utf-8", xml_declaration=True)
        parser = loader.ODMLoader(
            odm_loader.XMLODMLoader(
                model_package="odm_1_3_2", ns_uri="http://www.cdisc.org/ns/odm/v1.3"
            )
        )
        parser.open_odm_document(str(path))
        odm = parser.load_odm()
        version = odm.Study[0].MetaDataVersion[0]
        questions = {i.OID: i.Question.TranslatedText[0]._content for i in version.ItemDef}
        for variable in table.variables:
            status = variable.choice_field and not variable.field
            field = table.dictionary.field(variable.field) if variable.field else None
            if field is not None and field.field_type == "checkbox":
                wanted = re.sub(r"<[^>]+>", "", field.label).strip()  # REDCap: the field's label
            else:
                wanted = "Complete?" if status else variable.label
            if variable.form or variable.name == table.dictionary.record_id:
                assert questions[variable.name] == wanted
        code_lists = {
            c.OID: [(i.CodedValue, i.Decode.TranslatedText[0]._content) for i in c.CodeListItem]
            for c in version.CodeList
        }
        for variable in table.variables:
            if variable.value_labels:
                listed = code_lists[f"{variable.name}.choices"]
                assert sorted(listed) == sorted(variable.value_labels)
        assert _clinical_values(odm, table) == _stored_values(table)


Value = tuple[str, str, str, str, str, str, str]


def _clinical_values(odm: object, table: ExportTable) -> set[Value]:
    found = set()
    for subject in odm.ClinicalData[0].SubjectData:  # type: ignore[attr-defined]
        for event in subject.StudyEventData:
            for form in event.FormData:
                for group in form.ItemGroupData:
                    for item in group.ItemData:
                        found.add(
                            (
                                subject.SubjectKey,
                                event.StudyEventOID,
                                event.StudyEventRepeatKey,
                                form.FormOID,
                                form.FormRepeatKey,
                                item.ItemOID,
                                item.Value,
                            )
                        )
    return found


def _stored_values(table: ExportTable) -> set[Value]:
    """Each stored value with its subject, event, form and repeat keys; date-times ISO 8601."""
    record_id = table.dictionary.record_id
    first_form = table.dictionary.field(record_id).form
    stored = set()
    for row in table.rows:
        instance = row.get("redcap_repeat_instance", "") or "1"
        repeat_form = row.get("redcap_repeat_instrument", "")
        event = "Event." + (row.get("redcap_event_name", "") or "event_1_arm_1")
        keys = (event, "1" if repeat_form else instance)
        forms = set()
        for variable in table.variables:
            raw = row.get(variable.name, "")
            if not raw or not variable.form or variable.name == record_id:
                continue
            if variable.kind == "datetime":
                day, time = raw.split(" ")
                hours, rest = time.split(":", 1)
                raw = f"{day}T{int(hours):02d}:{rest}"
            form_key = instance if repeat_form else "1"
            stored.add(
                (row[record_id], *keys, f"Form.{variable.form}", form_key, variable.name, raw)
            )
            forms.add(variable.form)
        if first_form in forms:
            form_key = instance if repeat_form else "1"
            stored.add(
                (row[record_id], *keys, f"Form.{first_form}", form_key, record_id, row[record_id])
            )
    return stored


def test_csv_reader_of_the_codes_sheet_matches_the_dictionary(tmp_path: Path) -> None:
    table = mll03_table(tmp_path)
    book = openpyxl.load_workbook(io.BytesIO(export_files(table, "xlsx", "s")["s.xlsx"]))
    dictionary_sheet = list(book["Dictionary"].iter_rows(values_only=True))
    original = list(csv.reader(io.StringIO(table.dictionary_text)))
    assert [c or "" for c in dictionary_sheet[0]] == original[0]
    assert len(dictionary_sheet) == len(original)
