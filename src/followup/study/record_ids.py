"""Which record IDs a study may hold: REDCap's rule, and what a web address needs.

REDCap refuses a record name that is blank, longer than 100 bytes, or holds a plus sign,
ampersand, number sign, apostrophe, line break, tab or HTML tag; letters of any script, digits,
spaces, dots, hyphens and underscores are fine, and IDs differing only in letter case are the
same record. Followup also refuses what would break a page's address or a file: a slash or
backslash, any control character (NUL among them), and the IDs '.' and '..'; and invisible
characters (format characters such as a right-to-left override or a zero-width space), with
which one record could pass for another on screen.
Leading and trailing spaces are trimmed before the check, as REDCap trims them.
"""

from __future__ import annotations

import re
import unicodedata

MAX_BYTES = 100
_FORBIDDEN = re.compile(r"[+&#'/\\<>]|[\x00-\x1f\x7f]")
_NAMES = {
    "+": "a plus sign (+)",
    "&": "an ampersand (&)",
    "#": "a number sign (#)",
    "'": "an apostrophe (')",
    "/": "a slash (/)",
    "\\": "a backslash (\\)",
    "<": "an angle bracket (<), as in HTML",
    ">": "an angle bracket (>), as in HTML",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a line break",
}


def record_id_problem(record_id: str) -> str | None:
    """Why ``record_id`` (already trimmed) cannot be a record ID, or None when it can."""
    if not record_id:
        return "the record ID is blank"
    if len(record_id.encode("utf-8")) > MAX_BYTES:
        return f"the record ID is longer than {MAX_BYTES} bytes (REDCap's limit)"
    if record_id in (".", ".."):
        return f"'{record_id}' cannot be a record ID"
    invisible = next(
        (c for c in record_id if unicodedata.category(c) in ("Cf", "Co", "Cs", "Zl", "Zp")), None
    )
    if invisible is not None:
        name = unicodedata.name(invisible, "unnamed")
        return (
            f"the record ID {record_id!r} contains the invisible character U+{ord(invisible):04X} "
            f"({name}), which would make it look like another"
        )
    found = _FORBIDDEN.search(record_id)
    if found:
        char = found.group()
        what = _NAMES.get(char, f"the control character U+{ord(char):04X}")
        return (
            f"the record ID {record_id!r} contains {what}; use letters, digits, spaces, "
            "dots, hyphens and underscores"
        )
    return None


def same_record(a: str, b: str) -> bool:
    """REDCap matches record IDs without regard to letter case."""
    return a.casefold() == b.casefold()
