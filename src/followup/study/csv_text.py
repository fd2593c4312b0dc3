"""Reading REDCap's CSV files as REDCap does: comma, semicolon or tab, any line ending, a BOM.

REDCap's upload pages let the user pick the delimiter (comma, tab, semicolon); a file says which
by its header line. Files saved on old Macs end lines with CR alone. One cell may hold up to
``FIELD_LIMIT`` characters (a label with a whole HTML table in it is a few hundred KB); past that
the file is refused with the line where the cell starts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

FIELD_LIMIT = 16 * 1024 * 1024  # characters in one cell
DELIMITERS = (",", ";", "\t")


class CsvTextError(ValueError):
    """Text that is not CSV; ``line`` is the 1-based line where reading stopped."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def delimiter_of(header_line: str) -> str:
    """The delimiter that splits the header line into the most cells (comma on a tie)."""

    def cells(delimiter: str) -> int:
        try:
            return len(next(csv.reader([header_line], delimiter=delimiter), []))
        except csv.Error:  # a quote left open on the first line: the reader will say where
            return 0

    counts = {d: cells(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


def csv_rows(text: str) -> list[list[str]]:
    """Every row of CSV text; CsvTextError names the line of a cell too long or a stray quote."""
    text = text.lstrip("\ufeff")
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
    header_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(header_line))
    try:
        return list(reader)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            message = f"a cell is longer than {FIELD_LIMIT:,} characters (the limit)"
        else:
            message = f"is not readable as CSV ({error})"
        raise CsvTextError(reader.line_num + 1, message) from None


# A cell a spreadsheet would run as a formula (=HYPERLINK(…), +cmd|…, @SUM(…), a leading tab or
# carriage return); OWASP's CSV-injection advice: prefix it with ' so it is shown as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


def safe_cell(value: object) -> object:
    """A cell as written to a CSV a person may open in Excel: a formula is made text.

    Numbers (-3, +2.5) are left as they are; any other text starting = + - @ tab or CR is
    prefixed with a single quote.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every cell goes through safe_cell: the one writer of Followup's CSVs."""

    def __init__(self, handle: Any, **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[object]) -> None:
        """Write one row, formulas made text."""
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write the rows, formulas made text."""
        for row in rows:
            self.writerow(row)
