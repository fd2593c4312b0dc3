"""SPSS (.sav), Stata (.dta) and SAS (XPORT .xpt with a formats script) files, via pyreadstat.

Each carries the variable labels and value labels of the dictionary, dates as dates, and the
missing-data codes as the package's own missing values (package_columns says how). Names that a
package refuses are renamed by variable_names' rules and listed in ``<stem>_renamed.csv``. Labels
are cut to what each format holds (SPSS 256 bytes per variable label and 120 per value label,
Stata 80, SAS XPORT version 5 40, version 8 256), never inside a character.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat

from followup.io.export import csv_text
from followup.io.export_table import ExportTable
from followup.io.export_variables import DATE, DATETIME, INTEGER, TEXT
from followup.io.package_columns import (
    PackageColumn,
    check_sentinels,
    clip,
    code_label,
    package_columns,
    sentinel,
    stata_letter,
)
from followup.io.sas_script import sas_script
from followup.io.variable_names import (
    SAS,
    SAS_V5,
    SPSS,
    NameRules,
    package_names,
    renamed,
    stata_rules,
)

Files = dict[str, bytes]
_SPSS_EPOCH = dt.datetime(1582, 10, 14)
_SAS_EPOCH = dt.datetime(1960, 1, 1)
_BLANK = float("nan")  # a blank number or date: a column of blanks is then numeric, not text


def spss_files(table: ExportTable, stem: str) -> Files:
    """``<stem>.sav``: numbers, dates (SDATE10) and codes as user-missing values."""
    columns = package_columns(table)
    check_sentinels(columns, len(table.missing_codes))
    names = package_names(table.columns, SPSS)
    codes = list(table.missing_codes)
    frame: dict[str, list[object]] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[Any]] = {}
    formats: dict[str, str] = {}
    measure: dict[str, str] = {}
    for column in columns:
        name = names[column.variable.name]
        frame[name] = [_spss_value(column, value, codes) for value in column.values]
        labels = _choice_labels(column, 120)
        if column.kind == TEXT:
            labels |= {c: clip(code_label(c, table.missing_codes), 120) for c in column.codes}
            short = [code for code in column.codes if len(code.encode("utf-8")) <= 8][:3]
            if short:
                missing[name] = short
        elif column.codes:
            labels |= {
                sentinel(codes.index(code)): clip(code_label(code, table.missing_codes), 120)
                for code in column.codes
            }
            missing[name] = [{"lo": sentinel(len(codes) - 1), "hi": sentinel(0)}]
        if labels:
            value_labels[name] = labels
        if column.kind == DATE:
            formats[name] = "SDATE10"
        elif column.kind == DATETIME:
            formats[name] = "DATETIME20"
        nominal = column.variable.choice_field or column.kind == TEXT
        measure[name] = "nominal" if nominal else "scale"
    return _written(
        stem,
        ".sav",
        table,
        names,
        lambda path: pyreadstat.write_sav(
            pd.DataFrame(frame),
            path,
            file_label=clip(table.title, 64),
            column_labels=_labels(columns, names, 256),
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_format=formats,
            variable_measure=measure,
            row_compress=True,  # SPSS bytecode compression: blank-padded text takes little room
        ),
    )


def stata_files(table: ExportTable, stem: str) -> Files:
    """``<stem>.dta`` (Stata 15): codes in numbers and dates as extended missing values (.a …)."""
    columns = package_columns(table)
    names = package_names(table.columns, stata_rules(len(columns)))
    codes = list(table.missing_codes)
    frame: dict[str, list[object]] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[str]] = {}
    for column in columns:
        name = names[column.variable.name]
        if column.kind == TEXT:
            frame[name] = [value if value is not None else "" for value in column.values]
            continue  # Stata labels numbers only
        letters = {code: stata_letter(codes.index(code)) for code in column.codes}
        frame[name] = [
            _BLANK if v is None else letters.get(v, v) if isinstance(v, str) else v
            for v in column.values
        ]
        labels = _choice_labels(column, 32_000)
        labels |= {letters[code]: code_label(code, table.missing_codes) for code in column.codes}
        if labels:
            value_labels[name] = labels
        if letters:
            missing[name] = sorted(letters.values())
    return _written(
        stem,
        ".dta",
        table,
        names,
        lambda path: pyreadstat.write_dta(
            pd.DataFrame(frame),
            path,
            file_label=clip(table.title, 80),
            column_labels=_labels(columns, names, 80),
            version=15,
            variable_value_labels=value_labels,
            missing_user_values=missing,
        ),
    )


def sas_files(table: ExportTable, stem: str, *, version: int = 8) -> Files:
    """``<stem>.xpt`` (XPORT version 8, or 5) and ``<stem>.sas``, which reads it and labels it.

    XPORT holds variable labels but no value labels: the script's PROC FORMAT gives them, and
    turns the numbers standing for missing-data codes into SAS's special missing .A, .B ….
    """
    columns = package_columns(table)
    check_sentinels(columns, len(table.missing_codes))
    rules: NameRules = SAS if version == 8 else SAS_V5
    names = package_names(table.columns, rules)
    codes = list(table.missing_codes)
    frame: dict[str, list[object]] = {}
    formats: dict[str, str] = {}
    for column in columns:
        name = names[column.variable.name]
        frame[name] = [_sas_value(column, value, codes) for value in column.values]
        if column.kind == DATE:
            formats[name] = "YYMMDD10."
        elif column.kind == DATETIME:
            formats[name] = "E8601DT19."
    files = _written(
        stem,
        ".xpt",
        table,
        names,
        lambda path: pyreadstat.write_xport(
            pd.DataFrame(frame),
            path,
            file_label=clip(table.title, 40),
            column_labels=_labels(columns, names, 40 if version == 5 else 256),
            table_name="records",
            file_format_version=version,  # type: ignore[arg-type]
            variable_format=formats,
        ),
    )
    script = sas_script(columns, names, table.missing_codes, f"{stem}.xpt", version, table.title)
    files[f"{stem}.sas"] = script.encode("utf-8")
    return files


def _number_value(
    column: PackageColumn, value: object, codes: list[str], epoch: dt.datetime, day_unit: float
) -> object:
    """A value as SPSS or SAS stores it: a code's number, dates counted from the epoch.

    Dates count ``day_unit`` per day (SPSS: seconds; SAS: days); date-times count seconds.
    """
    if column.kind == TEXT:
        return value if value is not None else ""
    if value is None:
        return _BLANK
    if isinstance(value, str):
        return float(sentinel(codes.index(value)))
    if column.kind == DATE and isinstance(value, dt.date):
        return (value - epoch.date()).days * day_unit
    if column.kind == DATETIME and isinstance(value, dt.datetime):
        return (value - epoch).total_seconds()
    return value


def _spss_value(column: PackageColumn, value: object, codes: list[str]) -> object:
    return _number_value(column, value, codes, _SPSS_EPOCH, 86_400.0)


def _sas_value(column: PackageColumn, value: object, codes: list[str]) -> object:
    return _number_value(column, value, codes, _SAS_EPOCH, 1.0)


def _choice_labels(column: PackageColumn, limit: int) -> dict[Any, str]:
    """The choices' value labels, keyed by number (integer codes) or by text."""
    if column.kind == INTEGER:
        return {int(code): clip(label, limit) for code, label in column.variable.value_labels}
    if column.kind == TEXT:
        return {code: clip(label, limit) for code, label in column.variable.value_labels}
    return {}


def _labels(
    columns: list[PackageColumn], names: dict[str, str], limit: int
) -> dict[str, str | None]:
    return {names[c.variable.name]: clip(c.variable.label, limit) for c in columns}


def _written(
    stem: str,
    suffix: str,
    table: ExportTable,
    names: dict[str, str],
    write: Callable[[str], None],
) -> Files:
    """The file pyreadstat writes (through a private temporary folder), and the rename table."""
    with tempfile.TemporaryDirectory(prefix="followup-export-") as folder:
        path = Path(folder) / f"export{suffix}"
        write(str(path))
        files = {f"{stem}{suffix}": path.read_bytes()}
    changed = renamed(names)
    if changed:
        files[f"{stem}_renamed.csv"] = rename_table(changed)
    return files


def rename_table(changed: list[tuple[str, str]]) -> bytes:
    """The rename table as CSV: the REDCap name and the name in the file."""
    return csv_text([("redcap_name", "name_in_file"), *changed]).encode("utf-8")
