"""The SAS program that comes with an XPORT file: it reads the data and gives the value labels.

XPORT files hold variable labels but no formats catalogue, so, as REDCap's SAS export does, the
value labels come as a program: PROC FORMAT with one format per labelled variable, then a DATA
step that turns the numbers standing for missing-data codes (−99991, −99992 …) into SAS's special
missing values (.A, .B …) and attaches the formats. Text is quoted SAS's way (a quote doubled).
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping, Sequence

from followup.io.export_variables import INTEGER, TEXT
from followup.io.package_columns import PackageColumn, code_label, sentinel


def quoted(text: str) -> str:
    """A SAS string literal: single quotes, a quote inside doubled, one line."""
    return "'" + " ".join(text.split()).replace("'", "''") + "'"


def sas_script(
    columns: Sequence[PackageColumn],
    names: Mapping[str, str],
    missing_codes: Mapping[str, str],
    xpt_name: str,
    version: int,
    title: str,
) -> str:
    """The program for one export (see the module's docstring)."""
    codes = list(missing_codes)
    formats: list[str] = []
    assignments: list[str] = []
    recodes: list[str] = []
    for number, column in enumerate(columns, start=1):
        name = names[column.variable.name]
        values = _format_values(column, codes, missing_codes)
        if values:
            format_name = f"{'$' if column.kind == TEXT else ''}F{number}F"
            formats.append(f"  value {format_name}  /* {name} */\n" + "\n".join(values) + "\n  ;")
            assignments.append(f"  format {name} {format_name}.;")
        if column.kind != TEXT:
            recodes += [
                f"  if {name} = {sentinel(codes.index(code))} then {name} = "
                f".{string.ascii_uppercase[codes.index(code)]};"
                for code in column.codes
            ]
    read = (
        f"libname xptin xport '{xpt_name}';\nproc copy inlib=xptin outlib=work;\nrun;"
        if version == 5
        else f"%xpt2loc(libref=work, memlist=records, filespec='{xpt_name}');"
    )
    lines = [
        f"/* {' '.join(title.split()).replace('*/', '* /')}: exported by Followup on "
        f"{dt.date.today().isoformat()}. */",
        f"/* Reads {xpt_name} (SAS XPORT version {version}) into WORK.RECORDS and labels its",
        "   values. Run it from the folder that holds the .xpt file. */",
        read,
        "",
        "proc format;",
        *formats,
        "run;",
        "",
        "data work.records;",
        "  set work.records;",
        *recodes,
        *assignments,
        "run;",
        "",
    ]
    return "\n".join(lines)


def _format_values(
    column: PackageColumn, codes: list[str], missing_codes: Mapping[str, str]
) -> list[str]:
    """The ``value = 'label'`` lines of one variable's format."""
    lines = []
    if column.kind in (INTEGER, TEXT):
        for code, label in column.variable.value_labels:
            key = code if column.kind == INTEGER else quoted(code)
            lines.append(f"    {key} = {quoted(label)}")
    for code in column.codes:
        key = (
            quoted(code) if column.kind == TEXT else f".{string.ascii_uppercase[codes.index(code)]}"
        )
        lines.append(f"    {key} = {quoted(code_label(code, missing_codes))}")
    return lines
