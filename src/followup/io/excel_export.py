"""The Excel export: the records with labels, the data dictionary, and every code's label.

Three sheets, as a data manager hands data to a colleague: **Data** (the label export's header
and values — choice labels, Checked/Unchecked — with numbers as numbers and dates as Excel dates),
**Dictionary** (the dictionary rows of the exported fields) and **Codes** (each variable's codes
and labels, the missing-data codes included). Text goes through the safe writer's ``safe_cell``
(a cell typed "=HYPERLINK(…)" is written '=HYPERLINK(…), text, never a formula).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from followup.io.csv_exports import label_rows
from followup.io.export_table import ExportTable
from followup.io.export_variables import DATE, DATETIME, TEXT, typed_value
from followup.io.package_columns import code_label
from followup.study.csv_text import safe_cell

Files = dict[str, bytes]
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
CODES_HEADER = ("variable", "code", "label")


def excel_files(table: ExportTable, stem: str) -> Files:
    """``<stem>.xlsx`` with the Data, Dictionary and Codes sheets.

    Written in openpyxl's write-only mode: a registry's hundred thousand rows stream out.
    """
    book = Workbook(write_only=True)
    _data_sheet(book.create_sheet("Data"), table)
    _text_sheet(book.create_sheet("Dictionary"), table.dictionary_rows())
    _text_sheet(book.create_sheet("Codes"), [list(CODES_HEADER), *codes_rows(table)])
    out = io.BytesIO()
    book.save(out)
    return {f"{stem}.xlsx": out.getvalue()}


def codes_rows(table: ExportTable) -> list[list[str]]:
    """(variable, code, label) for every labelled value, missing-data codes last."""
    rows = [[v.name, code, label] for v in table.variables for code, label in v.value_labels]
    present = {
        (v.name, row.get(v.name, ""))
        for v in table.variables
        if v.takes_codes
        for row in table.rows
    }
    rows += [
        [v.name, code, code_label(code, table.missing_codes)]
        for v in table.variables
        for code in table.missing_codes
        if (v.name, code) in present
    ]
    return rows


def _data_sheet(sheet: WriteOnlyWorksheet, table: ExportTable) -> None:
    header, *shown = label_rows(table)
    sheet.freeze_panes = "B2"
    sheet.append([_text(cell) for cell in header])
    formats = {DATE: DATE_FORMAT, DATETIME: DATETIME_FORMAT}
    for raw, labelled in zip(table.rows, shown, strict=True):
        cells: list[object] = []
        for variable, text in zip(table.variables, labelled, strict=True):
            value = typed_value(variable, raw.get(variable.name, ""))
            if variable.kind == TEXT or variable.choice_field or isinstance(value, str):
                cells.append(_text(text) if text else None)
            elif variable.kind in formats and value is not None:
                cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # dates too
                cell.number_format = formats[variable.kind]
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)


def _text_sheet(sheet: WriteOnlyWorksheet, rows: Iterable[Sequence[str]]) -> None:
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_text(cell) if cell else None for cell in row])


def _text(value: str) -> str:
    """Text as the safe writer writes it: never a formula (a leading ' where it would be)."""
    result = safe_cell(value)
    assert isinstance(result, str)
    return result
