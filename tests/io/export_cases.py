"""Studies every export format is tried on, and what their records hold, read independently.

The MLL03 demo with the cells a real study has and a naive export loses — missing-data codes in
a number, a date and a choice, a formula typed into a text box, Japanese text, a line break, a
long note — and real REDCap projects of other groups from tests/redcap_corpus (repeating forms,
events and arms, checkboxes, every validation type).

``expected`` turns a table's raw cells into the values a package should hold, by the rules the
issue states (numbers as numbers, dates as dates, codes kept), written here without the
exporter's own code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from followup.cli.demo import write_demo_records
from followup.io import load_records
from followup.io.export_table import ExportTable, export_table, record_rows, schedule_of
from followup.study import DataDictionary, load_dictionary
from followup.study.plan import load_plan
from followup.study.schedule import CLASSIC, Schedule, load_schedule

CORPUS = Path(__file__).parents[1] / "redcap_corpus"
PROJECTS = CORPUS / "projects"


@dataclass(frozen=True)
class Case:
    """A study to export: its dictionary file, records file, schedule and missing codes."""

    name: str
    dictionary: Path
    records: Path
    schedule: Callable[[], Schedule] = lambda: CLASSIC
    missing_codes: tuple[tuple[str, str], ...] = ()


def corpus_cases() -> list[Case]:
    """Real projects: classic, repeating, longitudinal with arms, checkboxes, validation types."""
    exports, dictionaries = CORPUS / "exports", CORPUS / "dictionaries"
    longitudinal = PROJECTS / "redcapr_longitudinal"
    api = PROJECTS / "redcapapi_offline"
    return [
        Case(
            "redcapr_repeating",
            dictionaries / "redcapr_repeating_instruments_dictionary.csv",
            exports / "redcapr_repeating_instruments_data.csv",
        ),
        Case(
            "redcapr_checkboxes",
            dictionaries / "redcapr_checkboxes_1_dictionary.csv",
            exports / "redcapr_checkboxes_1_data.csv",
        ),
        Case(
            "redcapr_validation_types",
            dictionaries / "redcapr_validation_types_1_dictionary.csv",
            exports / "redcapr_validation_types_1_data.csv",
        ),
        Case(
            "redcapr_longitudinal",
            longitudinal / "redcapr_longitudinal_dictionary.csv",
            longitudinal / "redcapr_longitudinal_data.csv",
            lambda: load_schedule(
                events=longitudinal / "redcapr_longitudinal_event.csv",
                arms=longitudinal / "redcapr_longitudinal_arm.csv",
            ),
        ),
        Case(
            "redcapapi_longitudinal",
            api / "redcapapi_TestRedcapAPI_DataDictionary.csv",
            api / "redcapapi_TestRedcapAPI_Records.csv",
            lambda: load_schedule(
                events=api / "redcapapi_TestRedcapAPI_Events.csv",
                arms=api / "redcapapi_TestRedcapAPI_Arms.csv",
                mapping=api / "redcapapi_TestRedcapAPI_InstrumentDesignations.csv",
            ),
        ),
    ]


# Cells a real study holds: (record row, column, raw value as REDCap stores it).
HARD_CELLS = [
    (0, "wbc_dx", "UNK"),
    (0, "rel_site_other", '=HYPERLINK("http://evil.example","click")'),
    (4, "dx_date", "NASK"),
    (4, "cns_dx", "UNK"),
    (4, "rel_site_other", "骨髄と中枢神経"),
    (6, "rel_chemo_regimen", 'line one\nline two, "quoted"\n' + "long " * 400),
]


def mll03_table(folder: Path, **options: object) -> ExportTable:
    """The MLL03 demo records with the hard cells written in."""
    folder.mkdir(parents=True, exist_ok=True)
    dictionary_path, records_path, plan_path = write_demo_records(folder)
    dictionary = load_dictionary(dictionary_path)
    plan = load_plan(plan_path, dictionary)
    schedule = plan.load_schedule()
    records = load_records(
        records_path, dictionary, missing_codes=plan.missing_codes, schedule=schedule
    )
    rows = record_rows(records)
    base_rows = [i for i, row in enumerate(rows) if not row["redcap_repeat_instrument"]]
    for index, column, value in HARD_CELLS:
        rows[base_rows[index]][column] = value
    return export_table(
        dictionary,
        rows,
        title="MLL03 relapse questionnaire",
        schedule=schedule,
        missing_codes=plan.missing_codes,
        dictionary_text=dictionary_path.read_text(encoding="utf-8"),
        **options,  # type: ignore[arg-type]
    )


def corpus_table(case: Case) -> ExportTable:
    """A corpus project's records as an export table of every form."""
    dictionary = load_dictionary(case.dictionary)
    codes = dict(case.missing_codes)
    records = load_records(case.records, dictionary, missing_codes=codes, schedule=case.schedule())
    return export_table(
        dictionary,
        record_rows(records),
        title=case.name,
        schedule=schedule_of(records, case.schedule()),
        missing_codes=codes,
        dictionary_text=case.dictionary.read_text(encoding="utf-8-sig"),
    )


# What each kind of raw cell is in a package, by REDCap's storage rules.
_INTEGER = re.compile(r"-?[0-9]+")


def kind_reader(kind: str) -> Callable[[str], object]:
    """How a raw cell of a variable of this kind is read (ValueError when it is not one)."""
    readers: dict[str, Callable[[str], object]] = {
        "integer": lambda raw: int(raw) if _INTEGER.fullmatch(raw) else _refuse(raw),
        "number": float,
        "date": dt.date.fromisoformat,
        "datetime": lambda raw: dt.datetime.strptime(
            raw, "%Y-%m-%d %H:%M:%S" if raw.count(":") == 2 else "%Y-%m-%d %H:%M"
        ),
        "text": str,
    }
    return readers[kind]


def _refuse(raw: str) -> object:
    raise ValueError(raw)


def expected(table: ExportTable) -> tuple[list[dict[str, object]], set[str]]:
    """The typed values each row should hold, and the numeric variables kept as text.

    A missing-data code stays its code text; a numeric or date variable with a value that is
    neither its kind nor a code is text throughout (nothing is lost).
    """
    codes = set(table.missing_codes)
    as_text = set()
    for variable in table.variables:
        if variable.kind == "text":
            continue
        read = kind_reader(variable.kind)
        for row in table.rows:
            raw = row.get(variable.name, "")
            if raw and not (raw in codes and variable.takes_codes):
                try:
                    read(raw)
                except ValueError:
                    as_text.add(variable.name)
                    break
    rows = []
    for row in table.rows:
        values: dict[str, object] = {}
        for variable in table.variables:
            raw = row.get(variable.name, "")
            if raw == "":
                values[variable.name] = None
            elif variable.kind == "text" or variable.name in as_text or raw in codes:
                values[variable.name] = raw
            else:
                values[variable.name] = kind_reader(variable.kind)(raw)
        rows.append(values)
    return rows, as_text


def dictionary_labels(dictionary: DataDictionary) -> dict[str, str]:
    """Each field's label with HTML tags removed, as REDCap writes it in a label export."""
    return {f.name: re.sub(r"<[^>]+>", "", f.label).strip() for f in dictionary}
