"""Reading a filled Excel questionnaire back: the changed values, and every problem located.

Each problem names its sheet, row, column letter and field label: a cell that is no value its
column takes (wrong type, unknown choice, a formula), a key cell changed, a row of no patient in
the workbook's hospital, a sheet or header changed or missing. A row whose cells are all as they
were downloaded (its fingerprint on the hidden sheet) changes nothing; in any other row, a cell
differing from the value stored now is a change. What is then done with the changes (conflicts,
branching, the save) is the caller's.

The file is checked before openpyxl reads it (``questionnaire_archive``), and only the expected
rows and columns (plus a margin, to report what was added) are read, in read-only mode.
"""

from __future__ import annotations

import io
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from followup.io.questionnaire_archive import WorkbookError, check_archive
from followup.io.questionnaire_cells import (
    CellError,
    cell_value,
    raw_value,
    row_digest,
    shown,
    unquoted,
)
from followup.io.questionnaire_layout import FormSheet, RowKey, SheetRow
from followup.io.questionnaire_write import FORMAT, HEADER_ROWS, META_SHEET, ROW_TABLE, ROWS_SHEET

EXTRA_COLUMNS = 20  # columns read past the last expected one, to report cells typed there
EXTRA_ROWS = 1000  # rows read past the last downloaded one, in one pass
MAX_PROBLEMS = 500


@dataclass(frozen=True)
class Located:
    """One problem: sheet, row (None: the whole sheet or file), column letter, label, kind.

    ``kind`` says what is wrong (wrong_type, unknown_choice, formula, read_only, changed_key,
    unknown_record, sheet_missing, changed_header, extra_column, too_many); ``value`` is the
    cell as read; ``column`` the export column (or key) it concerns.
    """

    sheet: str
    row: int | None
    letter: str
    label: str
    kind: str
    value: str = ""
    column: str = ""


@dataclass(frozen=True)
class RowChange:
    """One row's changed values (raw, by export column) and where its cells are."""

    sheet: FormSheet
    row: int
    stored: SheetRow
    version: int  # the entry's version when the workbook was downloaded
    changes: Mapping[str, str]
    letters: Mapping[str, str]


@dataclass(frozen=True)
class Upload:
    """What the workbook says: its meta, each changed row, and every problem."""

    meta: Mapping[str, str]
    rows: tuple[RowChange, ...]
    problems: tuple[Located, ...]


@dataclass
class _Problems:
    found: list[Located] = field(default_factory=list)

    def add(self, problem: Located) -> None:
        if len(self.found) < MAX_PROBLEMS:
            self.found.append(problem)
        elif len(self.found) == MAX_PROBLEMS:
            self.found.append(Located(problem.sheet, None, "", "", "too_many"))


Layout = Callable[[Mapping[str, str]], Sequence[FormSheet]]
# What reading a damaged part raises: a bad CRC or deflate stream, XML that does not parse
# (SyntaxError is the base of ElementTree's and lxml's parse errors), a cell openpyxl cannot read.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    SyntaxError,
    KeyError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
)


def read_workbook(data: bytes, layout: Layout) -> Upload:
    """Read an uploaded workbook; ``layout(meta)`` gives the sheets as stored now.

    WorkbookError when the file as a whole cannot be read (not xlsx, corrupt, too big, not a
    questionnaire of this app); ``layout`` may raise it too (another hospital's workbook).
    """
    check_archive(data)
    with _opened(data) as book:
        meta = _meta(book)
        sheets = layout(meta)
        downloaded = _row_table(book)
        problems = _Problems()
        changes: list[RowChange] = []
        for sheet in sheets:
            if sheet.title not in book.sheetnames:
                problems.add(Located(sheet.title, None, "", "", "sheet_missing"))
                continue
            rows = downloaded.get(sheet.title, {})
            changes += _sheet(book[sheet.title], sheet, rows, problems)
    return Upload(meta, tuple(changes), tuple(problems.found))


@contextmanager
def _opened(data: bytes) -> Iterator[Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Excel's extensions openpyxl does not keep
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise WorkbookError("corrupt", type(error).__name__) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield book
    except WorkbookError:
        raise
    except _DAMAGED as error:  # a part that breaks only when it is read (openpyxl is lazy)
        raise WorkbookError("corrupt", type(error).__name__) from None
    finally:
        book.close()


def _meta(book: Any) -> dict[str, str]:
    if META_SHEET not in book.sheetnames:
        raise WorkbookError("not_ours", "")
    meta: dict[str, str] = {}
    for row in book[META_SHEET].iter_rows(max_row=50, max_col=2, values_only=True):
        if row and row[0] is not None:
            meta[str(row[0])] = "" if row[1] is None else unquoted(str(row[1]))
    if meta.get("format") != FORMAT:
        raise WorkbookError("not_ours", meta.get("format", ""))
    return meta


@dataclass(frozen=True)
class _Downloaded:
    key: RowKey
    version: int
    digest: str


def _row_table(book: Any) -> dict[str, dict[int, _Downloaded]]:
    """The hidden table of rows as downloaded, by sheet title and row number."""
    if ROWS_SHEET not in book.sheetnames:
        raise WorkbookError("not_ours", ROWS_SHEET)
    table: dict[str, dict[int, _Downloaded]] = {}
    for number, row in enumerate(
        book[ROWS_SHEET].iter_rows(max_col=len(ROW_TABLE), values_only=True)
    ):
        if number == 0 or not any(v is not None for v in row):
            continue
        title, at, record, event, instance, version, digest = (
            v if v is not None else "" for v in row
        )
        try:
            repeat = int(instance) if instance != "" else None
            key = RowKey(unquoted(str(record)), unquoted(str(event)), repeat)
            found = _Downloaded(key, int(version), str(digest))
            table.setdefault(unquoted(str(title)), {})[int(at)] = found
        except (TypeError, ValueError):
            raise WorkbookError("not_ours", ROWS_SHEET) from None
    return table


def _sheet(
    worksheet: Any, sheet: FormSheet, downloaded: Mapping[int, _Downloaded], problems: _Problems
) -> list[RowChange]:
    keys = sheet.key_headers
    names = [*keys, *(c.column for c in sheet.columns)]
    width = len(names)
    limit = max([HEADER_ROWS, *downloaded]) + EXTRA_ROWS
    stored = {row.key: row for row in sheet.rows}
    found: list[RowChange] = []
    headers: list[str] = []
    for number, cells in enumerate(
        worksheet.iter_rows(min_row=1, max_row=limit, max_col=width + EXTRA_COLUMNS), start=1
    ):
        values = [getattr(c, "value", None) for c in cells]
        if number == 1:
            headers = ["" if v is None else str(v) for v in values[:width]]
            headers += [""] * (width - len(headers))
        elif number == 2 and [str(v or "") for v in values[:width]] != names:
            at = next(
                i
                for i, name in enumerate(names)
                if i >= len(values) or str(values[i] or "") != name
            )
            letter = get_column_letter(at + 1)
            problems.add(Located(sheet.title, 2, letter, headers[at], "changed_header", names[at]))
            return []
        elif number > HEADER_ROWS:
            change = _row(sheet, number, cells, headers, downloaded.get(number), stored, problems)
            if change is not None:
                found.append(change)
    _beyond(worksheet, sheet, limit, width, problems)
    return found


def _beyond(worksheet: Any, sheet: FormSheet, limit: int, width: int, problems: _Problems) -> None:
    """A row typed past the rows read: one problem for the first (the rest are alike)."""
    for number, values in enumerate(
        worksheet.iter_rows(min_row=limit + 1, max_col=width, values_only=True), start=limit + 1
    ):
        if any(v not in (None, "") for v in values):
            problems.add(
                Located(sheet.title, number, "A", "", "unknown_record", str(values[0] or ""))
            )
            return


def _row(
    sheet: FormSheet,
    number: int,
    cells: Sequence[Any],
    headers: Sequence[str],
    downloaded: _Downloaded | None,
    stored: Mapping[RowKey, SheetRow],
    problems: _Problems,
) -> RowChange | None:
    keys = sheet.key_headers
    width = len(keys) + len(sheet.columns)
    values = [getattr(c, "value", None) for c in cells]
    for index in range(width, len(values)):
        if values[index] not in (None, ""):
            letter = get_column_letter(index + 1)
            problems.add(
                Located(sheet.title, number, letter, "", "extra_column", str(values[index]))
            )
    if downloaded is None or downloaded.key not in stored:
        if any(v not in (None, "") for v in values[:width]):
            record = str(values[0] if values[0] is not None else "")
            problems.add(Located(sheet.title, number, "A", headers[0], "unknown_record", record))
        return None
    row = stored[downloaded.key]
    bad = _changed_keys(sheet, number, values, headers, row, problems)
    own = dict(zip((c.column for c in sheet.columns), values[len(keys) : width], strict=False))
    letters = {
        c.column: get_column_letter(i) for i, c in enumerate(sheet.columns, start=len(keys) + 1)
    }
    for index, column in enumerate(sheet.columns, start=len(keys)):
        kind = getattr(cells[index], "data_type", "") if index < len(cells) else ""
        if kind in ("f", "e"):  # a formula, or an error value such as #N/A
            place = (sheet.title, number, letters[column.column], column.label)
            problems.add(Located(*place, "formula", str(values[index]), column.column))
            bad = True
    if bad or row_digest(sheet.columns, own) == downloaded.digest:
        return None
    changes = _changes(sheet, number, row, own, letters, problems)
    if not changes:
        return None
    return RowChange(sheet, number, row, downloaded.version, changes, letters)


def _changes(
    sheet: FormSheet,
    number: int,
    row: SheetRow,
    own: Mapping[str, Any],
    letters: Mapping[str, str],
    problems: _Problems,
) -> dict[str, str]:
    """The raw values of the cells that differ from what is stored now."""
    changes: dict[str, str] = {}
    for column in sheet.columns:
        uploaded = own.get(column.column)
        now = cell_value(column, row.values.get(column.column, ""))
        if shown(column, uploaded) == shown(column, now):
            continue
        place = (sheet.title, number, letters[column.column], column.label)
        if column.read_only:
            problems.add(Located(*place, "read_only", shown(column, uploaded), column.column))
            continue
        try:
            changes[column.column] = raw_value(column, uploaded)
        except CellError as problem:
            problems.add(Located(*place, problem.kind, problem.shown, column.column))
    return changes


def _changed_keys(
    sheet: FormSheet,
    number: int,
    values: Sequence[Any],
    headers: Sequence[str],
    row: SheetRow,
    problems: _Problems,
) -> bool:
    """Whether a key cell differs from the row's key as downloaded (each one a problem)."""
    expected: list[object] = [row.key.record]
    if sheet.longitudinal:
        expected.append(row.event_label or row.key.event)
    if sheet.repeats:
        expected.append(row.key.instance)
    changed = False
    for index, (want, got) in enumerate(zip(expected, values, strict=False)):
        text = "" if got is None else str(got).strip()
        if isinstance(got, float) and got.is_integer():
            text = str(int(got))
        text = unquoted(text)
        if text != ("" if want is None else str(want)):
            letter = get_column_letter(index + 1)
            key = sheet.key_headers[index]
            problems.add(
                Located(sheet.title, number, letter, headers[index], "changed_key", text, key)
            )
            changed = True
    return changed
