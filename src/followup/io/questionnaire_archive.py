"""The checks an uploaded workbook passes before openpyxl reads it.

An .xlsx is a ZIP of XML parts. A file that is no ZIP (a CSV, an old .xls, a password-protected
workbook, which Excel stores as an OLE file) is refused by what it is; a ZIP is refused when its
parts would unpack to more than ``MAX_UNPACKED`` bytes or number more than ``MAX_PARTS`` (a zip
bomb), when a part is damaged, or when an XML part declares a DTD (entity expansion: no
workbook Excel writes has one).
"""

from __future__ import annotations

import io
import zipfile
import zlib

MAX_UNPACKED = 256 * 1024 * 1024  # bytes, all parts unpacked: a 50 MB upload of real sheets fits
MAX_PARTS = 10_000
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected Office file
_PEEK = 4096  # a DTD comes before the root element


class WorkbookError(ValueError):
    """A file that cannot be read as a questionnaire at all.

    ``kind``: not_xlsx, encrypted_or_xls, corrupt, too_big, not_ours (no questionnaire of this
    app), or one the caller raises (other_study, other_hospital); ``detail`` says more.
    """

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


def check_archive(data: bytes, limit: int = MAX_UNPACKED) -> None:
    """Refuse, with WorkbookError, what openpyxl should not be given."""
    if data.startswith(_OLE):
        raise WorkbookError("encrypted_or_xls")
    if not data.startswith(b"PK"):
        raise WorkbookError("not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > limit:
                raise WorkbookError("too_big")
            names = {p.filename for p in parts}
            if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
                raise WorkbookError("not_xlsx", "zip")
            for part in parts:
                if part.filename.endswith((".xml", ".rels")):
                    with archive.open(part) as stream:
                        start = stream.read(_PEEK)
                    if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                        raise WorkbookError("corrupt", f"{part.filename} declares a DTD")
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        RuntimeError,
        NotImplementedError,
    ) as error:
        raise WorkbookError("corrupt", type(error).__name__) from None
