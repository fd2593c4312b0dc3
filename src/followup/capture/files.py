"""Files uploaded into file fields: checked, kept outside the database, never overwritten.

A file is refused when it is larger than ``FILE_LIMIT`` or its kind is not one a clinical
questionnaire attaches (documents, spreadsheets, images, text); the browser's word for its type
is not trusted, only its name's ending and its size. The content is stored once under its
SHA-256 in ``DATA_DIR/files`` — written to a scratch file and renamed, so a failure leaves no
half file — and served back only as a download (never displayed inline, never sniffed).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path, PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

FILE_LIMIT = 20 * 1024 * 1024  # bytes of one uploaded file
ALLOWED = frozenset(
    [
        ".pdf",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".tif",
        ".tiff",
        ".bmp",
        ".txt",
        ".csv",
        ".rtf",
        ".doc",
        ".docx",
        ".odt",
        ".xls",
        ".xlsx",
        ".ods",
        ".ppt",
        ".pptx",
        ".odp",
        ".zip",
        ".xml",
        ".dcm",
    ]
)


def _root() -> Path:
    return Path(settings.DATA_DIR) / "files"


def file_problem(upload: UploadedFile) -> str | None:
    """Why an upload cannot be kept, in the coordinator's words, or None."""
    name = PurePath(str(upload.name or "")).name
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED:
        kinds = ", ".join(sorted(k.lstrip(".") for k in ALLOWED))
        return _("%(name)s: files of this kind cannot be attached (allowed: %(kinds)s).") % {
            "name": name,
            "kinds": kinds,
        }
    if upload.size is not None and upload.size > FILE_LIMIT:
        return _("%(name)s is larger than %(limit)d MB.") % {
            "name": name,
            "limit": FILE_LIMIT // (1024 * 1024),
        }
    return None


def store(upload: UploadedFile) -> tuple[str, int]:
    """Keep the upload's content; its SHA-256 and size (an identical file is kept once)."""
    root = _root()
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, scratch = tempfile.mkstemp(prefix=".upload-", dir=root)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > FILE_LIMIT:
                    raise ValueError(file_problem(upload) or "too large")
                digest.update(chunk)
                out.write(chunk)
        path = content_path(digest.hexdigest())
        path.parent.mkdir(parents=True, exist_ok=True)
        Path(scratch).replace(path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def content_path(sha256: str) -> Path:
    """Where a stored file's content is (by its hash; the hash is checked to be one)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256")
    return _root() / sha256[:2] / sha256
