"""Adding an instrument to a study: REDCap's instrument ZIP (its Shared Library's format).

The ZIP holds ``instrument.csv`` — the form's rows of a data dictionary, usually without the
record-ID row — and notes such as ``OriginID.txt``. As REDCap's own upload does, a form or field
whose name the study already has is renamed (``name_`` and six hexadecimal digits), and every
reference to a renamed field inside the instrument's rows (logic, calculations, action tags,
piped labels) is rewritten. The result is the study's dictionary with the form added at its end,
checked whole, and the list of what was renamed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile

from followup.study.csv_text import CsvTextError, csv_rows
from followup.study.dictionary import DataDictionary, dictionary_table, read_dictionary
from followup.study.dictionary_rows import HEADER
from followup.study.errors import DictionaryError, Problem

MAX_ZIP = 20 * 1024 * 1024  # bytes of the ZIP, and of instrument.csv once unpacked


def _refuse(source: str, message: str) -> DictionaryError:
    return DictionaryError(source, [Problem(None, None, message)])


def instrument_text(data: bytes, source: str = "instrument ZIP") -> str:
    """The text of a ZIP's instrument.csv (DictionaryError when the ZIP is not an instrument)."""
    if len(data) > MAX_ZIP:
        raise _refuse(source, f"the ZIP is larger than {MAX_ZIP // (1024 * 1024)} MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse(source, "is not a ZIP file") from None
    names = [n for n in archive.namelist() if not n.startswith("__MACOSX/")]
    found = [n for n in names if n.rsplit("/", 1)[-1] == "instrument.csv"]
    if len(found) != 1:
        shown = ", ".join(names[:6]) + (" …" if len(names) > 6 else "")
        raise _refuse(
            source,
            "a REDCap instrument ZIP holds one instrument.csv (REDCap's Shared Library format); "
            f"this one holds: {shown or 'nothing'}",
        )
    info = archive.getinfo(found[0])
    if info.file_size > MAX_ZIP:
        raise _refuse(source, f"instrument.csv is larger than {MAX_ZIP // (1024 * 1024)} MB")
    try:
        return archive.read(found[0]).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refuse(source, f"instrument.csv is not UTF-8 (byte {error.start + 1})") from None


def _suffixed(name: str, taken: set[str], limit: int) -> str:
    """REDCap's rename of a clashing name: cut, then _ and six hex digits (here deterministic)."""
    digest = hashlib.sha1(name.encode()).hexdigest()
    for start in range(len(digest) - 6):
        candidate = f"{name[: limit - 7]}_{digest[start : start + 6]}"
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free name for {name}")  # 34 tries: cannot happen in practice


def _rewrite(text: str, renamed: dict[str, str]) -> str:
    """References [old], [old(…)], [old:…] written with the new names."""
    if not renamed or "[" not in text:
        return text
    pattern = re.compile(r"\[(" + "|".join(map(re.escape, renamed)) + r")(?=[\]:(])")
    return pattern.sub(lambda m: "[" + renamed[m.group(1)], text)


def add_instrument(
    dictionary: DataDictionary, dictionary_text: str, data: bytes, source: str = "instrument ZIP"
) -> tuple[str, list[str]]:
    """The study's dictionary text with the ZIP's form added, and what had to be renamed.

    The new text has REDCap's 18-column header; it is read whole before it is returned, so a
    problem in the instrument is a DictionaryError naming its row in instrument.csv.
    """
    text = instrument_text(data, source)
    instrument = read_dictionary(text, source=f"{source}: instrument.csv", record_id_row=False)
    try:
        rows = [r + [""] * (len(HEADER) - len(r)) for r in csv_rows(text)[1:] if any(r)]
    except CsvTextError as error:  # read_dictionary read it: cannot happen
        raise _refuse(source, str(error)) from None
    taken_fields = {f.name for f in dictionary} | {f"{f}_complete" for f in dictionary.forms}
    taken_forms = set(dictionary.forms)
    renamed: dict[str, str] = {}
    notes: list[str] = []
    form_names: dict[str, str] = {}
    for form in instrument.forms:
        new = _suffixed(form, taken_forms, 64) if form in taken_forms else form
        form_names[form] = new
        if new != form:
            notes.append(f"form {form} → {new}")
    if dictionary.record_id in {f.name for f in instrument}:
        rows = [r for r in rows if r[0].strip().lower() != dictionary.record_id]
    for field in instrument:
        if field.name in taken_fields and field.name != dictionary.record_id:
            renamed[field.name] = _suffixed(field.name, taken_fields | set(renamed.values()), 100)
            notes.append(f"field {field.name} → {renamed[field.name]}")
    added = []
    for row in rows:
        name, form = row[0].strip().lower(), row[1].strip().lower()
        row[0] = renamed.get(name, row[0].strip())
        row[1] = form_names.get(form, row[1].strip())
        added.append([row[0], row[1], *(_rewrite(cell, renamed) for cell in row[2:])])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for existing in dictionary_table(dictionary_text.lstrip("\ufeff"), dictionary.source)[1:]:
        if any(c.strip() for c in existing):
            writer.writerow(existing + [""] * (len(HEADER) - len(existing)))
    writer.writerows(added)
    combined = out.getvalue()
    read_dictionary(combined, source=f"{dictionary.source} with {source}")
    return combined, notes
