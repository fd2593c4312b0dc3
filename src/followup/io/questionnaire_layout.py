"""The Excel questionnaire's layout: which sheets, columns and rows a hospital's workbook has.

One sheet per form, one row per record (and event, and instance of a repeating form or event),
key columns first (record ID, then the event in a longitudinal study, then the instance where
the form repeats), then one column per field: a checkbox has one column per option, ticked or not,
as REDCap's exports have; the form's status comes last. Descriptive text and file fields are no
columns (a file is uploaded in the web app). Texts people read (labels, notes, choices) are the
dictionary's, or its translation's, HTML tags removed; the words of the workbook itself come from
the caller in ``Words`` (translated there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from followup.io.labels import plain_label
from followup.study import DataDictionary, Field
from followup.study.choices import checkbox_column
from followup.study.translation import DictionaryText

SHEET_TITLE_LIMIT = 31  # Excel's longest sheet name
_NOT_IN_TITLES = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet name
KEY_RECORD, KEY_EVENT, KEY_INSTANCE = "record_id", "redcap_event_name", "redcap_repeat_instance"


@dataclass(frozen=True)
class Words:
    """The workbook's own words in the reader's language (the caller translates them).

    Templates use ``%(name)s`` placeholders.
    """

    record: str = "Record ID"
    event: str = "Event"
    instance: str = "Instance"
    status: str = "Form status"
    statuses: tuple[tuple[str, str], ...] = (
        ("0", "Incomplete"),
        ("1", "Unverified"),
        ("2", "Complete"),
    )
    checked: str = "Checked"
    unchecked: str = "Unchecked"
    yes_no: tuple[tuple[str, str], ...] = (("1", "Yes"), ("0", "No"))
    true_false: tuple[tuple[str, str], ...] = (("1", "True"), ("0", "False"))
    fill_only_if: str = "Fill only if: %(condition)s"
    read_only: str = "Computed or read-only: leave as it is."
    locked_record: str = "Locked by the data center: cannot be changed."
    date: str = "Date: yyyy-mm-dd"
    datetime: str = "Date and time: yyyy-mm-dd hh:mm"
    whole: str = "Whole number"
    number: str = "Number"
    from_to: str = "from %(min)s to %(max)s"
    missing_codes: str = "or a missing-data code: %(codes)s"
    instructions_title: str = "Instructions"
    instructions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    """One column of a form's sheet: a field, or one option of a checkbox, or the status.

    ``kind`` is how cells are written and read: choice, checkbox, status, date, datetime,
    integer, number or text. ``choices`` are (code, text shown) pairs of a choice, checkbox
    (checked, unchecked) or status column; ``missing`` are the missing-data codes the cell takes.
    """

    column: str  # the export column: field, field___code, form_complete
    field: Field | None  # None for the status column
    header: str
    kind: str
    choices: tuple[tuple[str, str], ...] = ()
    missing: tuple[tuple[str, str], ...] = ()
    note: str = ""
    branching: str = ""  # readable "fill only if" condition, '' when always asked
    read_only: bool = False
    decimals: int | None = None  # number_2dp: 2

    @property
    def label(self) -> str:
        """The field label a problem is reported under (the header, for the status column)."""
        return self.header


@dataclass(frozen=True)
class RowKey:
    """Which entry a row is: record, event ('' in a classic study), instance (None: no repeat)."""

    record: str
    event: str = ""
    instance: int | None = None


@dataclass(frozen=True)
class SheetRow:
    """One row as stored now: its key, raw values by export column, version, lock."""

    key: RowKey
    values: Mapping[str, str]
    version: int
    event_label: str = ""
    locked: bool = False


@dataclass(frozen=True)
class FormSheet:
    """One form's sheet: its title, columns and rows."""

    form: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[SheetRow, ...]
    longitudinal: bool = False
    repeats: bool = False

    @property
    def key_headers(self) -> tuple[str, ...]:
        """The variable names of the key columns, in order."""
        keys = [KEY_RECORD]
        if self.longitudinal:
            keys.append(KEY_EVENT)
        if self.repeats:
            keys.append(KEY_INSTANCE)
        return tuple(keys)


@dataclass(frozen=True)
class Meta:
    """What the workbook says of itself: study, hospital, language, when it was made."""

    study: str
    study_name: str
    hospital: str
    hospital_name: str
    language: str
    downloaded: str  # ISO date and time
    fields: Mapping[str, str] = field(default_factory=dict)


def sheet_titles(labels: Sequence[str], taken: Collection[str] = ()) -> list[str]:
    r"""Excel sheet names for form labels: ≤ 31 characters, none of []:*?/\\, all different.

    Excel compares names without case; a repeat gets " (2)", " (3)" … within the limit.
    """
    used = {t.casefold() for t in taken}
    titles = []
    for label in labels:
        base = _NOT_IN_TITLES.sub(" ", label).strip().strip("'") or "Form"
        title, number = base[:SHEET_TITLE_LIMIT], 1
        while title.casefold() in used or title.casefold() == "history":
            number += 1
            suffix = f" ({number})"
            title = base[: SHEET_TITLE_LIMIT - len(suffix)] + suffix
        used.add(title.casefold())
        titles.append(title)
    return titles


def sheet_columns(
    dictionary: DataDictionary,
    form: str,
    words: Words,
    *,
    translation: DictionaryText | None = None,
    missing_codes: Mapping[str, str] | None = None,
    branching: Callable[[Field], str] = lambda f: "",
) -> tuple[Column, ...]:
    """The columns of a form's sheet after its keys: fields in order, then the status.

    ``branching`` renders a field's branching logic as the "fill only if" text.
    """
    columns: list[Column] = []
    codes = tuple((missing_codes or {}).items())

    def text(found: str | None, own: str) -> str:
        return plain_label(found or own)

    for f in dictionary.form_fields(form):
        if f.name == dictionary.record_id or f.field_type in ("descriptive", "file"):
            continue
        label = text(translation.label(f.name) if translation else None, f.label)
        note = text(translation.note(f.name) if translation else None, f.note)
        shown = branching(f) if f.branching.text.strip() else ""
        read_only = f.computed is not None or f.tag("@READONLY") is not None
        takes_codes = codes if "@NOMISSING" not in f.annotation.upper() else ()
        if f.field_type == "checkbox":
            ticks = (("1", words.checked), ("0", words.unchecked))
            for choice in f.choices:
                found = translation.choice(f.name, choice.code) if translation else None
                columns.append(
                    Column(
                        checkbox_column(f.name, choice.code),
                        f,
                        f"{label}: {text(found, choice.label)}",
                        "checkbox",
                        ticks,
                        note=note,
                        branching=shown,
                        read_only=read_only,
                    )
                )
            continue
        choices = _choices(f, words, translation)
        kind, decimals = _kind(f, bool(choices))
        columns.append(
            Column(
                f.name,
                f,
                label,
                kind,
                choices,
                takes_codes,
                note=note,
                branching=shown,
                read_only=read_only,
                decimals=decimals,
            )
        )
    columns.append(Column(f"{form}_complete", None, words.status, "status", words.statuses))
    return tuple(columns)


def _choices(
    f: Field, words: Words, translation: DictionaryText | None
) -> tuple[tuple[str, str], ...]:
    if f.field_type == "yesno":
        fixed = dict(words.yes_no)
    elif f.field_type == "truefalse":
        fixed = dict(words.true_false)
    else:
        fixed = {c.code: c.label for c in f.choices}
    return tuple(
        (code, plain_label((translation.choice(f.name, code) if translation else None) or label))
        for code, label in fixed.items()
    )


def _kind(f: Field, has_choices: bool) -> tuple[str, int | None]:
    """How a field's cells are written: its kind, and a number's fixed decimals."""
    if has_choices:
        return "choice", None
    if f.field_type != "text" or f.text_type is None:
        return ("integer", None) if f.field_type == "slider" else ("text", None)
    name = f.text_type.name
    if "comma" in name:  # typed with a decimal comma: kept as text, as typed
        return "text", None
    if name.startswith("datetime"):
        return ("datetime_seconds" if name.startswith("datetime_seconds") else "datetime"), None
    if name.startswith("date"):
        return "date", None
    if name == "integer":
        return "integer", None
    fixed = re.fullmatch(r"number_(\d)dp", name)
    if fixed:
        return "number", int(fixed.group(1))
    if name == "number":
        return "number", None
    return "text", None
