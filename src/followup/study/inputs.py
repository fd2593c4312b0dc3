"""Reading an input file with a bound: a regular file, no larger than its kind's limit.

``followup -r /dev/zero`` must not read until memory runs out, and a named pipe or a folder is
not a records file: the file is checked before a byte is read, and reading stops at the limit.
"""

from __future__ import annotations

import stat
from pathlib import Path

MAX_RECORDS = 2 * 1024**3  # bytes of a records export read at once (larger: issue #17's engines)
MAX_DEFINITION = 50 * 1024**2  # bytes of a dictionary, a translation or a schedule file


class InputError(ValueError):
    """A file that is not read: not a regular file, or larger than the limit."""


def read_input(path: Path, limit: int) -> bytes:
    """The file's bytes; InputError if it is not a regular file or is larger than ``limit``."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise InputError("it is not a regular file (a folder, a device or a pipe); give a file")
    if info.st_size > limit:
        raise InputError(
            f"it has {info.st_size:,} bytes, more than the {limit:,} bytes an input may have"
        )
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"it grew past the {limit:,} bytes an input may have while being read")
    return data
