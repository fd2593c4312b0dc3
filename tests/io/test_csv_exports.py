"""The raw and label CSV exports read back into the same records; the dictionary into itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from followup.io import read_records
from followup.io.export_options import ExportOptions
from followup.io.exports import export_files
from followup.study import read_dictionary
from followup.study.csv_text import safe_cell
from tests.io.export_cases import Case, corpus_cases, corpus_table, mll03_table


def _as_written(raw: str) -> str:
    """A cell as the safe writer writes it (a formula made text with a leading quote)."""
    return str(safe_cell(raw))


def _read_back(table, files: dict[str, bytes], name: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    records = read_records(
        files[name].decode("utf-8"),
        table.dictionary,
        source=name,
        missing_codes=table.missing_codes,
        schedule=table.schedule,
    )
    rows = []
    for record in records:
        row = {column: record[column] for column in table.columns}
        row[table.dictionary.record_id] = record.record_id
        row["redcap_data_access_group"] = record.access_group
        row["redcap_event_name"] = record.event
        row["redcap_repeat_instrument"] = record.repeat_form
        row["redcap_repeat_instance"] = "" if record.instance is None else str(record.instance)
        rows.append({c: row[c] for c in table.columns})
    return rows


def _written(table) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [{c: _as_written(row.get(c, "")) for c in table.columns} for row in table.rows]


@pytest.mark.parametrize("kind", ["csv", "labels"])
def test_mll03_reads_back_as_the_same_records(tmp_path: Path, kind: str) -> None:
    table = mll03_table(tmp_path)
    files = export_files(table, kind, "mll03")
    (name,) = files
    assert _read_back(table, files, name) == _written(table)


@pytest.mark.parametrize("case", corpus_cases(), ids=lambda c: c.name)
@pytest.mark.parametrize("kind", ["csv", "labels"])
def test_real_projects_read_back_as_the_same_records(case: Case, kind: str) -> None:
    table = corpus_table(case)
    files = export_files(table, kind, case.name)
    (name,) = files
    assert _read_back(table, files, name) == _written(table)


def test_the_label_export_shows_labels_as_redcap_writes_them(tmp_path: Path) -> None:
    table = mll03_table(tmp_path)
    text = export_files(table, "labels", "mll03")["mll03_labels.csv"].decode("utf-8")
    header = text.splitlines()[0]
    assert header.startswith("Study patient ID,Repeat Instrument,Repeat Instance,Data Access Group")
    assert "Complete?" in header
    assert "Site of first relapse (choice=Bone marrow)" in header or "(choice=" in header
    assert ",Female," in text or ",Male," in text
    assert "'=HYPERLINK" in text  # the formula is text


def test_the_dictionary_export_reads_back_with_the_chosen_fields(tmp_path: Path) -> None:
    table = mll03_table(tmp_path, options=ExportOptions(forms=("enrollment",)))
    text = export_files(table, "dictionary", "mll03")["mll03_dictionary.csv"].decode("utf-8")
    dictionary = read_dictionary(text, source="exported dictionary")
    assert [f.name for f in dictionary] == [
        f.name for f in table.dictionary if f.form == "enrollment"
    ]
    original = [f for f in table.dictionary if f.form == "enrollment"]
    for read, wrote in zip(dictionary, original, strict=True):
        assert (read.label, read.field_type, read.choices, read.branching.text) == (
            wrote.label,
            wrote.field_type,
            wrote.choices,
            wrote.branching.text,
        )
