"""The R export: the raw CSV and a script that makes it a labelled data frame, as REDCap's does.

The script needs base R only. It reads every column as text (record IDs keep their leading
zeros), turns numbers into numbers and dates into ``Date``/``POSIXct``, adds a ``<name>.factor``
beside each choice field with the choice labels (REDCap's convention), puts each field's label in
the ``label`` attribute (what Hmisc, haven and labelled read), and moves any missing-data code
(UNK …) out of a numeric or date column into ``<name>.missing``, a factor of the codes' labels, so
the column itself is ``NA`` there.
"""

from __future__ import annotations

import datetime as dt

from followup.io.csv_exports import raw_csv_files
from followup.io.export_table import ExportTable
from followup.io.export_variables import DATE, DATETIME, INTEGER, NUMBER, TEXT, Variable

Files = dict[str, bytes]
_CONVERT = {INTEGER: "as.integer", NUMBER: "as.numeric", DATE: "as.Date"}


def r_string(text: str) -> str:
    """An R string literal (double quotes; backslash, quote and line breaks escaped)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def _vector(values: list[str]) -> str:
    return "c(" + ", ".join(r_string(v) for v in values) + ")"


def r_files(table: ExportTable, stem: str) -> Files:
    """``<stem>.csv`` and ``<stem>.r``, the script that reads and labels it."""
    files = raw_csv_files(table, stem)
    files[f"{stem}.r"] = r_script(table, f"{stem}.csv").encode("utf-8")
    return files


def r_script(table: ExportTable, csv_name: str) -> str:
    """The script for one export (see the module's docstring)."""
    codes = dict(table.missing_codes)
    lines = [
        f"# {' '.join(table.title.split())}: exported by Followup on {dt.date.today()}.",
        f"# Reads {csv_name} (REDCap's raw export) into the data frame `data`, with factors,",
        "# dates and labels. Run it from the folder that holds the CSV file.",
        f'data <- read.csv({r_string(csv_name)}, colClasses = "character", na.strings = "",',
        '                 encoding = "UTF-8", check.names = FALSE)',
        f"missing_codes <- {_vector(list(codes))}",
        f"missing_labels <- {_vector([codes[c] or c for c in codes])}",
        "",
    ]
    for variable in table.variables:
        lines += _variable_lines(table, variable, bool(codes))
    lines.append("")
    return "\n".join(lines)


def _variable_lines(table: ExportTable, variable: Variable, has_codes: bool) -> list[str]:
    column = f"data[[{r_string(variable.name)}]]"
    lines = []
    if has_codes and variable.takes_codes and variable.kind != TEXT:
        missing = f"data[[{r_string(variable.name + '.missing')}]]"
        lines += [
            f"if (any({column} %in% missing_codes)) {{",
            f"  {missing} <- factor({column}, levels = missing_codes, labels = missing_labels)",
            f"  {column}[{column} %in% missing_codes] <- NA",
            "}",
        ]
    convert = _CONVERT.get(variable.kind)
    if variable.kind == DATETIME:
        seconds = _with_seconds(table, variable)
        layout = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
        lines.append(f'{column} <- as.POSIXct({column}, format = "{layout}", tz = "UTC")')
    elif convert is not None:
        lines.append(f"{column} <- {convert}({column})")
    if variable.value_labels:
        codes = [code for code, _ in variable.value_labels]
        labels = [label for _, label in variable.value_labels]
        factor = f"data[[{r_string(variable.name + '.factor')}]]"
        lines.append(
            f"{factor} <- factor({column}, levels = {_vector(codes)}, labels = {_vector(labels)})"
        )
    lines.append(f'attr({column}, "label") <- {r_string(variable.label)}')
    return lines


def _with_seconds(table: ExportTable, variable: Variable) -> bool:
    field = table.dictionary.field(variable.field) if variable.field else None
    return field is not None and field.text_type is not None and "seconds" in field.text_type.name
