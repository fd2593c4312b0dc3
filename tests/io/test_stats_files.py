"""SPSS, Stata and SAS files, read back by pyreadstat, hold the records, labels and codes.

Each file is read as its package would read it; values must equal the records (numbers as
numbers, dates as dates, each missing-data code as that package's own missing value with the
code's label), every variable label the dictionary's, every choice its label.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat
import pytest

from followup.io.export_table import ExportTable
from followup.io.exports import export_files
from followup.io.variable_names import SAS_V5, package_names
from tests.io.export_cases import corpus_cases, corpus_table, expected, mll03_table

# The numbers and letters the rule gives the study's codes, in the plan's order.
SENTINELS = {"UNK": -99991.0, "NASK": -99992.0}
LETTERS = {"UNK": "a", "NASK": "b"}


def _tables(tmp_path: Path) -> list[ExportTable]:
    return [mll03_table(tmp_path), *(corpus_table(c) for c in corpus_cases())]


def _names(table: ExportTable, files: dict[str, bytes], stem: str) -> dict[str, str]:
    """The rename table of the export (REDCap name → name in the file), all others unchanged."""
    names = {c: c for c in table.columns}
    table_file = files.get(f"{stem}_renamed.csv")
    if table_file is not None:
        lines = table_file.decode("utf-8").splitlines()
        assert lines[0] == "redcap_name,name_in_file"
        names |= dict(line.split(",") for line in lines[1:])
    return names


def _same(value: object, wanted: object, padded: bool) -> bool:
    if isinstance(wanted, str) and padded:  # SPSS and SAS pad text with blanks: trailing ones go
        wanted = wanted.rstrip(" ") or None
    if wanted is None:
        return value is None or value == "" or bool(pd.isna(value))
    if isinstance(wanted, dt.datetime) and isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) == wanted
    if isinstance(wanted, int | float) and isinstance(value, int | float):
        return float(value) == float(wanted)
    return value == wanted


def _check_values(
    table: ExportTable,
    frame: Any,
    names: dict[str, str],
    code_of: dict[object, str],
    padded: bool = True,
) -> None:
    rows, _text = expected(table)
    assert len(frame) == len(rows)
    for number, wanted_row in enumerate(rows):
        for column, wanted in wanted_row.items():
            value = frame[names[column]].iloc[number]
            if (
                isinstance(wanted, str)
                and wanted in table.missing_codes
                and _text.isdisjoint({column})
            ):
                variable = next(v for v in table.variables if v.name == column)
                if variable.kind != "text":
                    assert code_of.get(_key(value)) == wanted, (column, number, value)
                    continue
            if hasattr(value, "to_pydatetime"):
                value = value.to_pydatetime()
            assert _same(value, wanted, padded), (table.title, column, number, value, wanted)


def _key(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value
    return value


def test_spss_round_trip(tmp_path: Path) -> None:
    for table in _tables(tmp_path):
        files = export_files(table, "spss", "study")
        path = tmp_path / "study.sav"
        path.write_bytes(files["study.sav"])
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
        names = _names(table, files, "study")
        seconds = {
            (dt.datetime(1582, 10, 14) + dt.timedelta(seconds=s)).date(): code
            for code, s in SENTINELS.items()
        }
        _check_values(table, frame, names, {**{s: c for c, s in SENTINELS.items()}, **seconds})
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        _rows, as_text = expected(table)
        for variable in table.variables:
            name = names[variable.name]
            assert labels[name] == variable.label.encode()[:256].decode(errors="ignore").rstrip()
            value_labels = meta.variable_value_labels.get(name, {})
            for code, label in variable.value_labels:
                numeric = variable.kind == "integer" and variable.name not in as_text
                key = float(code) if numeric else code
                assert value_labels[key] == label.encode()[:120].decode(errors="ignore").rstrip()
        ranges = meta.missing_ranges
        if table.missing_codes:
            assert ranges["wbc_dx"] == [{"lo": -99992.0, "hi": -99991.0}]
            assert meta.variable_value_labels["wbc_dx"][-99991.0] == "Unknown (UNK)"


def test_stata_round_trip(tmp_path: Path) -> None:
    for table in _tables(tmp_path):
        files = export_files(table, "stata", "study")
        path = tmp_path / "study.dta"
        path.write_bytes(files["study.dta"])
        frame, meta = pyreadstat.read_dta(str(path), user_missing=True)
        names = _names(table, files, "study")
        assert all(len(n) <= 32 - len(str(len(table.columns))) for n in names.values())
        _check_values(
            table, frame, names, {letter: code for code, letter in LETTERS.items()}, padded=False
        )
        _rows, as_text = expected(table)
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        for variable in table.variables:
            name = names[variable.name]
            assert labels[name] == variable.label.encode()[:80].decode(errors="ignore").rstrip()
            if (
                variable.kind == "integer"
                and variable.value_labels
                and variable.name not in as_text
            ):
                stored = meta.variable_value_labels[name]
                assert {int(k): v for k, v in stored.items() if not isinstance(k, str)} == {
                    int(code): label for code, label in variable.value_labels
                }
        if table.missing_codes:
            assert meta.missing_user_values["wbc_dx"] == ["a"]
            assert meta.variable_value_labels["dx_date"]["b"] == "Not asked (NASK)"


@pytest.mark.parametrize("version", [8, 5])
def test_sas_round_trip(tmp_path: Path, version: int) -> None:
    kind = "sas" if version == 8 else "sas5"
    for table in _tables(tmp_path):
        files = export_files(table, kind, "study")
        path = tmp_path / "study.xpt"
        path.write_bytes(files["study.xpt"])
        frame, meta = pyreadstat.read_xport(str(path))
        names = _names(table, files, "study")
        if version == 5:
            assert all(len(n) <= 8 for n in names.values())
            assert names == package_names(table.columns, SAS_V5)
        epoch = dt.date(1960, 1, 1)
        dates = {epoch + dt.timedelta(days=s): c for c, s in SENTINELS.items()}
        _check_values(table, frame, names, {**{s: c for c, s in SENTINELS.items()}, **dates})
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        limit = 40 if version == 5 else 256
        for variable in table.variables:
            assert (
                labels[names[variable.name]]
                == variable.label.encode()[:limit].decode(errors="ignore").rstrip()
            )
        _check_sas_program(table, files["study.sas"].decode("utf-8"), names)


def _check_sas_program(table: ExportTable, program: str, names: dict[str, str]) -> None:
    """Every choice's label is in the program's PROC FORMAT; each code becomes .A, .B and so on."""
    formats = dict(re.findall(r"value (\$?F\d+F)\s+/\* (\w+) \*/", program))
    applied = dict(re.findall(r"format (\w+) (\$?F\d+F)\.;", program))
    for variable in table.variables:
        if not variable.value_labels:
            continue
        name = names[variable.name]
        format_name = applied[name]
        assert formats[format_name] == name
        body = program.split(f"value {format_name} ")[1].split(";")[0]
        for code, label in variable.value_labels:
            key = code if variable.kind == "integer" else f"'{code}'"
            quoted = "'" + " ".join(label.split()).replace("'", "''") + "'"
            assert f"    {key} = {quoted}" in body
    if table.missing_codes:
        assert "if wbc_dx = -99991 then wbc_dx = .A;" in program
        assert "if dx_date = -99992 then dx_date = .B;" in program


def test_a_value_on_a_code_number_is_refused_not_mistaken(tmp_path: Path) -> None:
    from followup.io.package_columns import ExportError

    table = mll03_table(tmp_path)
    rows = list(table.rows)
    rows[1] = {**rows[1], "wbc_dx": "-99991"}
    clash = ExportTable(
        table.title,
        table.dictionary,
        table.variables,
        tuple(rows),
        table.options,
        table.schedule,
        table.missing_codes,
    )
    with pytest.raises(ExportError, match=r"wbc_dx holds the value -99991"):
        export_files(clash, "spss", "study")
    export_files(clash, "stata", "study")  # Stata's codes are letters: no clash
