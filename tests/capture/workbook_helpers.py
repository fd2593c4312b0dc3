"""Downloading, filling and uploading a hospital's Excel questionnaire in the web tests."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from followup.capture.models import AuditEntry, FormEntry
from tests.capture.conftest import Site

FIRST = 4  # the first row of values, under the three header rows


def download(site: Site, code: str, role: str = "data_manager") -> bytes:
    response = site.clients[role].get(f"/questionnaires/{code}.xlsx")
    assert response.status_code == 200, response.status_code
    return bytes(response.content)


def book_of(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(site: Site, data: bytes, role: str = "data_manager", name: str = "filled.xlsx") -> Any:
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    response: HttpResponse = site.clients[role].post("/questionnaires/", {"workbook": file})
    return response


def column(sheet: Worksheet, name: str) -> str:
    """The letter of the column whose variable-name header (row 2) is ``name``."""
    for cell in sheet[2]:
        if cell.value == name:
            return str(cell.column_letter)
    raise KeyError(name)


def row_of(sheet: Worksheet, record_id: str, instance: int | None = None) -> int:
    """The row of a record (and instance) on a sheet."""
    for number in range(FIRST, sheet.max_row + 1):
        if sheet.cell(number, 1).value != record_id:
            continue
        if instance is None or sheet.cell(number, 2).value == instance:
            return number
    raise KeyError((record_id, instance))


def set_value(book: Workbook, title: str, record_id: str, name: str, value: object,
              instance: int | None = None) -> str:  # fmt: skip
    """Type ``value`` into a record's cell; the cell's address."""
    sheet = book[title]
    address = f"{column(sheet, name)}{row_of(sheet, record_id, instance)}"
    sheet[address] = value
    return address


def stored_state() -> tuple[list[tuple[Any, ...]], int]:
    """Every entry's values, status and version, and the trail's length."""
    entries = sorted(
        (e.record_id, e.event, e.form, e.instance, sorted(e.values.items()), e.status, e.version)
        for e in FormEntry.objects.all()
    )
    return entries, AuditEntry.objects.count()
