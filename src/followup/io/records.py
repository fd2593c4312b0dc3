"""A REDCap export of records, raw or label, read against its data dictionary and schedule.

Classic, longitudinal (``redcap_event_name``) and repeating (``redcap_repeat_instrument``,
``redcap_repeat_instance``) exports, in any of REDCap's layouts (flat CSV, JSON, EAV, records as
columns; see record_layouts). Each line is one row of a record: its event and instance, if any.
All or nothing: every problem (unknown column, unknown choice, a date that is not a date, a row
twice, an event the schedule does not have) is collected with its row and column, and one
RecordsError lists them. Values are kept as the raw strings REDCap stores — record IDs stay text,
leading zeros and all — and a label export is translated back to raw codes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from followup.io.record_headers import ROW_COLUMNS, ColumnMap, map_columns
from followup.io.record_layouts import LayoutError, flat_table
from followup.io.record_rows import RowPlacer
from followup.study import DataDictionary, Problem
from followup.study.errors import ProblemsError
from followup.study.inputs import MAX_RECORDS, InputError, read_input
from followup.study.record_ids import record_id_problem
from followup.study.schedule import CLASSIC, Schedule
from followup.study.validation import is_missing_code
from followup.study.values import FORM_STATUS, as_stored, read_status, read_value


class RecordsError(ProblemsError):
    """A records file that cannot be imported; nothing of it was."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(source, problems, "nothing was imported;")


@dataclass(frozen=True)
class Record:
    """One row of a record: raw values by export column ('' = blank), hospital, file row.

    ``event``, ``repeat_form`` and ``instance`` say which row of the record it is ('' and None
    where the study has no events or the row does not repeat).
    """

    record_id: str
    values: Mapping[str, str]
    access_group: str
    row: int
    event: str = ""
    repeat_form: str = ""
    instance: int | None = None

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    @property
    def key(self) -> tuple[str, str, str, int | None]:
        """What makes the row one of a kind: record (case ignored), event, form, instance."""
        return (self.record_id.casefold(), self.event, self.repeat_form, self.instance)


@dataclass(frozen=True)
class RecordSet:
    """Records in file order, with the dictionary that reads them."""

    dictionary: DataDictionary
    records: tuple[Record, ...]
    source: str

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def record_ids(self) -> tuple[str, ...]:
        """Each record once, in order of its first row."""
        return tuple(dict.fromkeys(r.record_id for r in self.records))

    def rows_of(self) -> dict[str, list[Record]]:
        """Each record's rows, in file order."""
        grouped: dict[str, list[Record]] = {}
        for row in self.records:
            grouped.setdefault(row.record_id, []).append(row)
        return grouped


@dataclass(frozen=True)
class ReadOptions:
    """How the file writes what REDCap stores otherwise (REDCap's import and export options)."""

    missing_codes: frozenset[str] = frozenset()
    date_format: str = "YMD"  # the API import's dateFormat: YMD, MDY (4/14/2023) or DMY
    decimal_comma: bool = False  # numbers written 66,14 (an export made with a decimal comma)


def load_records(
    path: str | Path,
    dictionary: DataDictionary,
    *,
    missing_codes: Collection[str] = (),
    schedule: Schedule = CLASSIC,
    date_format: str = "YMD",
    decimal_comma: bool = False,
) -> RecordSet:
    """Read a REDCap export (raw or label; CSV, JSON or EAV) of ``dictionary``'s records.

    ``missing_codes`` are the study's missing-data codes, accepted in any field; ``schedule``
    the study's events and repeats (a classic project's by default; what repeats is then read
    from the file); ``date_format`` and ``decimal_comma`` say how dates and numbers are written
    when not as REDCap stores them (they are read into Y-M-D and a decimal point).
    """
    path = Path(path)
    try:
        text = read_input(path, MAX_RECORDS).decode("utf-8-sig")
    except (OSError, InputError) as error:
        raise RecordsError(str(path), [Problem(None, None, f"cannot read: {error}")]) from None
    except UnicodeDecodeError as error:
        message = f"is not UTF-8 text (byte {error.start + 1}); save as CSV UTF-8"
        raise RecordsError(str(path), [Problem(None, None, message)]) from None
    return read_records(
        text,
        dictionary,
        source=str(path),
        missing_codes=missing_codes,
        schedule=schedule,
        date_format=date_format,
        decimal_comma=decimal_comma,
    )


def read_records(
    text: str,
    dictionary: DataDictionary,
    *,
    source: str = "records",
    missing_codes: Collection[str] = (),
    schedule: Schedule = CLASSIC,
    date_format: str = "YMD",
    decimal_comma: bool = False,
) -> RecordSet:
    """Parse an export's text (see load_records)."""
    options = ReadOptions(frozenset(missing_codes), date_format.upper(), decimal_comma)
    checkboxes = frozenset(f.name for f in dictionary if f.field_type == "checkbox")
    try:
        header, rows = flat_table(text, dictionary.record_id, checkboxes)
    except LayoutError as error:
        raise RecordsError(source, [error.problem]) from None
    problems: list[Problem] = []
    columns = map_columns([c.strip() for c in header], rows, dictionary, problems, missing_codes)
    if options.date_format not in ("YMD", "MDY", "DMY"):
        problems.append(Problem(None, None, f"date format '{date_format}' is not YMD, MDY or DMY"))
    if schedule.longitudinal and not columns.has("redcap_event_name"):
        problems.append(
            Problem(1, None, "the study has events: the file needs a redcap_event_name column")
        )
    if problems:
        raise RecordsError(source, problems)
    placer = RowPlacer(
        dictionary, schedule, columns.has("redcap_event_name"), _repeating_forms(rows, columns)
    )
    records: list[Record] = []
    first_row: dict[tuple[str, str, str, int | None], tuple[int, str]] = {}
    for number, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        record = _record(number, cells, columns, options, placer, problems)
        if record.instance == 0:
            records.append(record)
            continue
        if record.record_id and record.key in first_row:
            row, spelled = first_row[record.key]
            same = "" if spelled == record.record_id else f" (as '{spelled}': IDs ignore case)"
            problems.append(
                Problem(
                    number,
                    dictionary.record_id,
                    f"{_describe(record)} is already in row {row}{same}",
                )
            )
        first_row.setdefault(record.key, (number, record.record_id))
        records.append(record)
    _check_groups(records, problems)
    if problems:
        raise RecordsError(source, problems)
    return RecordSet(dictionary, tuple(_numbered(records)), source)


def _describe(record: Record) -> str:
    parts = [f"record '{record.record_id}'"]
    if record.event:
        parts.append(f"event '{record.event}'")
    if record.repeat_form:
        parts.append(f"form '{record.repeat_form}'")
    if record.instance is not None:
        parts.append(f"instance {record.instance}")
    return ", ".join(parts)


def _repeating_forms(rows: list[list[str]], columns: ColumnMap) -> frozenset[str]:
    """The forms the file itself shows repeating (named in redcap_repeat_instrument)."""
    if not columns.has("redcap_repeat_instrument"):
        return frozenset()
    index = columns.columns.index("redcap_repeat_instrument")
    return frozenset(r[index].strip() for r in rows if index < len(r) and r[index].strip())


def _numbered(records: list[Record]) -> list[Record]:
    """Lines whose instance is 'new' numbered after the last instance of their form."""
    last: dict[tuple[str, str, str], int] = {}
    for r in records:
        if r.instance:
            key = (r.record_id.casefold(), r.event, r.repeat_form)
            last[key] = max(last.get(key, 0), r.instance)
    numbered = []
    for r in records:
        if r.instance == 0:
            key = (r.record_id.casefold(), r.event, r.repeat_form)
            last[key] = last.get(key, 0) + 1
            r = dataclasses.replace(r, instance=last[key])
        numbered.append(r)
    return numbered


def _check_groups(records: list[Record], problems: list[Problem]) -> None:
    """A record belongs to one hospital: its rows may not name two."""
    group_of: dict[str, tuple[str, int]] = {}
    for r in records:
        if not r.access_group:
            continue
        first = group_of.setdefault(r.record_id.casefold(), (r.access_group, r.row))
        if first[0] != r.access_group:
            problems.append(
                Problem(
                    r.row,
                    "redcap_data_access_group",
                    f"record '{r.record_id}' is in '{first[0]}' in row {first[1]}; "
                    "a record belongs to one data access group",
                )
            )


def _record(
    number: int,
    cells: list[str],
    columns: ColumnMap,
    options: ReadOptions,
    placer: RowPlacer,
    problems: list[Problem],
) -> Record:
    if len(cells) != len(columns.header):
        problems.append(
            Problem(
                number,
                None,
                f"has {len(cells)} cells but the header has "
                f"{len(columns.header)} (a stray comma or an unquoted line break?)",
            )
        )
    values: dict[str, str] = {}
    system: dict[str, str] = {}
    for header, column, cell in zip(columns.header, columns.columns, cells, strict=False):
        if column in ROW_COLUMNS and column != "redcap_survey_identifier":
            system[column] = cell
            continue
        values[column] = _raw_value(number, header, column, cell, columns, options, problems)
    record_id = values.get(columns.dictionary.record_id, "").strip()
    problem = record_id_problem(record_id)
    if problem:
        problems.append(Problem(number, columns.dictionary.record_id, problem))
    place = placer.place(number, system, values, problems)
    group = system.get("redcap_data_access_group", "").strip()
    return Record(record_id, values, group, number, place.event, place.form, place.instance)


def _raw_value(
    number: int,
    header: str,
    column: str,
    cell: str,
    columns: ColumnMap,
    options: ReadOptions,
    problems: list[Problem],
) -> str:
    """The raw value of one cell, translated from a label when the file is a label export."""
    if "\x00" in cell:
        problems.append(Problem(number, header, "contains a NUL character (a damaged file?)"))
        return ""
    if column not in columns.owner and column not in columns.statuses:
        return cell  # a survey's timestamp or identifier, or a checkbox's missing-data code
    raw = columns.raw_of(column, cell)
    if column in columns.owner:
        raw = as_stored(raw, columns.owner[column], options.date_format, options.decimal_comma)
    try:
        if column in columns.statuses:
            read_status(raw)
        elif is_missing_code(columns.owner[column], raw, options.missing_codes):
            pass  # a missing-data code stands for the value, whatever the field's type
        else:
            read_value(columns.owner[column], raw)
    except ValueError as error:
        hint = ""
        if columns.labels and column in columns.statuses:
            hint = f" (labels: {', '.join(FORM_STATUS.values())})"
        problems.append(Problem(number, header, f"{error}{hint}"))
        return ""
    keep_as_typed = column in columns.owner and columns.owner[column].field_type == "notes"
    return raw if keep_as_typed else raw.strip()
