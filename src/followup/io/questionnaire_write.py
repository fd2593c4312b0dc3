"""Writing a hospital's Excel questionnaire with openpyxl.

Sheet by sheet: the instructions first, then one sheet per form. A form's sheet has three header
rows (field labels, variable names, a hint: the "fill only if …" condition, the format and range)
above one row per record, event and instance; the key columns and the headers are locked (sheet
protection, no password: it guards against slips, the upload checks everything anyway), value
cells are open. Choice cells offer their labels in a dropdown (lists on a hidden sheet, as labels
hold commas), dates and numbers have Excel's validation with the dictionary's minimum and
maximum, field notes are comments on the headers. A very hidden sheet keeps each row's key,
stored version and fingerprint, so that the upload can tell a row nobody touched from one
changed here while the web app changed it too (a conflict).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from followup.io.questionnaire_cells import cell_value, missing_entry, row_digest, safe
from followup.io.questionnaire_layout import Column, FormSheet, Meta, SheetRow, Words

HEADER_ROWS = 3  # labels, variable names, hints; data from row 4
META_SHEET, ROWS_SHEET, LISTS_SHEET = "_followup", "_followup_rows", "_followup_lists"
FORMAT = "followup-questionnaire-1"
ROW_TABLE = ("sheet", "row", "record", "event", "instance", "version", "digest")
_NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
_NUMBER_FORMATS["datetime_seconds"] = "yyyy-mm-dd hh:mm:ss"
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_LOCKED_FILL = PatternFill("solid", fgColor="EEEEEE")
_OPEN = Protection(locked=False)


def write_workbook(sheets: Sequence[FormSheet], meta: Meta, words: Words) -> bytes:
    """The workbook as .xlsx bytes."""
    book = Workbook()
    instructions = book.active
    assert instructions is not None
    instructions.title = words.instructions_title[:31] or "Instructions"
    _instructions(instructions, words)
    lists = _Lists(book.create_sheet(LISTS_SHEET))
    rows = book.create_sheet(ROWS_SHEET)
    rows.append(list(ROW_TABLE))
    for sheet in sheets:
        _form_sheet(book.create_sheet(sheet.title), sheet, words, lists, rows)
    _meta(book.create_sheet(META_SHEET), meta)
    for hidden in (lists.sheet, rows):  # after the forms: sheet tabs in reading order
        book.move_sheet(hidden, len(book.sheetnames) - 1 - book.index(hidden))
    lists.sheet.sheet_state = "hidden"
    rows.sheet_state = "veryHidden"
    book[META_SHEET].sheet_state = "veryHidden"
    book.properties.creator = "Followup"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _instructions(sheet: Worksheet, words: Words) -> None:
    sheet.column_dimensions["A"].width = 110
    sheet.append([safe(words.instructions_title)])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in words.instructions:
        sheet.append([safe(line)])
        sheet.cell(sheet.max_row, 1).alignment = Alignment(wrap_text=True, vertical="top")


def _meta(sheet: Worksheet, meta: Meta) -> None:
    sheet.append(["format", FORMAT])
    for name in ("study", "study_name", "hospital", "hospital_name", "language", "downloaded"):
        sheet.append([name, safe(str(getattr(meta, name)))])


class _Lists:
    """The dropdowns' entries, one column per distinct list, on a hidden sheet."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self._made: dict[tuple[str, ...], str] = {}

    def range_of(self, entries: tuple[str, ...]) -> str:
        """The absolute range holding these entries (written once)."""
        if entries not in self._made:
            column = len(self._made) + 1
            for row, entry in enumerate(entries, start=1):
                self.sheet.cell(row, column, safe(entry))
            letter = get_column_letter(column)
            self._made[entries] = (
                f"{quote_sheetname(self.sheet.title)}!${letter}$1:${letter}${len(entries)}"
            )
        return self._made[entries]


def _form_sheet(
    sheet: Worksheet, form: FormSheet, words: Words, lists: _Lists, table: Worksheet
) -> None:
    keys = form.key_headers
    key_words = {"record_id": words.record, "redcap_event_name": words.event}
    key_words["redcap_repeat_instance"] = words.instance
    header = [key_words[k] for k in keys] + [c.header for c in form.columns]
    names = [*keys, *(c.column for c in form.columns)]
    hints = [""] * len(keys) + [_hint(c, words) for c in form.columns]
    for line, texts in enumerate((header, names, hints), start=1):
        for index, text in enumerate(texts, start=1):
            cell = sheet.cell(line, index, safe(text))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.fill = _HEADER_FILL if line == 1 else PatternFill()
            cell.font = Font(bold=True) if line == 1 else Font(size=8, color="555555", italic=True)
    for index, column in enumerate(form.columns, start=len(keys) + 1):
        note = "\n".join(t for t in (column.note, _branching(column, words)) if t)
        if note:
            comment = Comment(note, "Followup")
            comment.width, comment.height = 300, 150
            sheet.cell(1, index).comment = comment
        sheet.column_dimensions[get_column_letter(index)].width = 22
    for index in range(1, len(keys) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    for number, row in enumerate(form.rows, start=HEADER_ROWS + 1):
        _row(sheet, form, row, number, len(keys))
        written = {c.column: cell_value(c, row.values.get(c.column, "")) for c in form.columns}
        table.append(
            [
                safe(form.title),
                number,
                safe(row.key.record),
                safe(row.key.event),
                row.key.instance if row.key.instance is not None else "",
                row.version,
                row_digest(form.columns, written),
            ]
        )
    last = HEADER_ROWS + len(form.rows)
    if form.rows:
        for index, column in enumerate(form.columns, start=len(keys) + 1):
            _validation(sheet, column, index, last, words, lists)
    sheet.freeze_panes = f"{get_column_letter(len(keys) + 1)}{HEADER_ROWS + 1}"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # people may widen a column or a row
    sheet.protection.formatRows = False


def _row(sheet: Worksheet, form: FormSheet, row: SheetRow, number: int, offset: int) -> None:
    keys: list[str | int] = [row.key.record]
    if form.longitudinal:
        keys.append(row.event_label or row.key.event)
    if form.repeats:
        keys.append(row.key.instance if row.key.instance is not None else "")
    for index, key in enumerate(keys, start=1):
        cell = sheet.cell(number, index, safe(key))
        cell.fill = _LOCKED_FILL
        cell.number_format = "@" if isinstance(key, str) else "0"
    for index, column in enumerate(form.columns, start=offset + 1):
        cell = sheet.cell(number, index, cell_value(column, row.values.get(column.column, "")))
        cell.number_format = _NUMBER_FORMATS.get(column.kind) or _format(column)
        if (
            column.kind == "text"
            and column.field is not None
            and column.field.field_type == "notes"
        ):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if column.read_only or row.locked:
            cell.fill = _LOCKED_FILL
        else:
            cell.protection = _OPEN


def _format(column: Column) -> str:
    if column.kind == "number" and column.decimals:
        return "0." + "0" * column.decimals
    if column.kind in ("integer", "number"):
        return "General"
    return "@"  # text: Excel keeps what is typed as typed (no 1-2 turned into a date)


def _branching(column: Column, words: Words) -> str:
    return words.fill_only_if % {"condition": column.branching} if column.branching else ""


def _hint(column: Column, words: Words) -> str:
    """The third header row: when to fill it, in what format, or that it is not to be typed."""
    parts = [_branching(column, words)]
    if column.read_only:
        parts.append(words.read_only)
    field = column.field
    low, high = (field.minimum, field.maximum) if field is not None else ("", "")
    bounds = words.from_to % {"min": low, "max": high} if low and high else ""
    if column.kind in _NUMBER_FORMATS:
        kind = words.date if column.kind == "date" else words.datetime
        parts.append(" ".join(p for p in (kind, bounds) if p))
    elif column.kind in ("integer", "number"):
        kind = words.whole if column.kind == "integer" else words.number
        parts.append(" ".join(p for p in (kind, bounds) if p))
    if column.missing:
        codes = ", ".join(code for code, _label in column.missing)
        parts.append(words.missing_codes % {"codes": codes})
    return "\n".join(p for p in parts if p)


def _validation(
    sheet: Worksheet, column: Column, index: int, last: int, words: Words, lists: _Lists
) -> None:
    """Excel's check of the column's cells: a dropdown, a date or a number in range."""
    letter = get_column_letter(index)
    if column.read_only:
        return
    warning = bool(column.missing)  # a missing-data code is text: Excel warns, does not refuse
    if column.kind in ("choice", "status", "checkbox"):
        entries = [label for _code, label in column.choices]
        entries += [missing_entry(code, label) for code, label in column.missing]
        rule = DataValidation(type="list", formula1=lists.range_of(tuple(entries)))
        warning = False
    elif column.kind in _NUMBER_FORMATS:
        low, high = _date_bound(column, "minimum"), _date_bound(column, "maximum")
        rule = DataValidation(
            type="date",
            operator="between",
            formula1=f"DATE({low.year},{low.month},{low.day})",
            formula2=f"DATE({high.year},{high.month},{high.day})",
        )
    elif column.kind in ("integer", "number"):
        low_text, high_text = _number_bounds(column)
        rule = DataValidation(
            type="whole" if column.kind == "integer" else "decimal",
            operator="between",
            formula1=low_text,
            formula2=high_text,
        )
    else:
        return
    rule.allow_blank = True
    rule.showErrorMessage = True
    rule.errorStyle = "warning" if warning else "stop"
    rule.error = _hint(column, words) or column.header
    rule.errorTitle = column.header[:32]
    sheet.add_data_validation(rule)
    rule.add(f"{letter}{HEADER_ROWS + 1}:{letter}{last}")


def _date_bound(column: Column, end: str) -> dt.date:
    """A date field's minimum or maximum (a bound such as 'today' is no bound here)."""
    text = getattr(column.field, end, "") if column.field is not None else ""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    return dt.date(1900, 1, 1) if end == "minimum" else dt.date(9999, 12, 31)


def _number_bounds(column: Column) -> tuple[str, str]:
    field = column.field
    low, high = ("-1E+15", "1E+15")
    if field is None:
        return low, high
    if field.field_type == "slider":
        return field.minimum or "0", field.maximum or "100"
    number = re.compile(r"-?\d+(\.\d+)?")
    return (
        field.minimum if number.fullmatch(field.minimum) else low,
        field.maximum if number.fullmatch(field.maximum) else high,
    )
