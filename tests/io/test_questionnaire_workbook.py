"""The Excel questionnaire without the web app: written, filled with openpyxl, read back.

The study is MLL03's dictionary; the patients' values are typed here from that dictionary's
codes, and every expected cell comes from the dictionary (its labels, its minimum and maximum).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from followup.io.questionnaire_archive import WorkbookError, check_archive
from followup.io.questionnaire_branching import BranchingText
from followup.io.questionnaire_cells import cell_value, raw_value, shown
from followup.io.questionnaire_layout import (
    FormSheet,
    Meta,
    RowKey,
    SheetRow,
    Words,
    sheet_columns,
    sheet_titles,
)
from followup.io.questionnaire_read import Located, Upload, read_workbook
from followup.io.questionnaire_write import HEADER_ROWS, ROWS_SHEET, write_workbook
from followup.study import Field, load_dictionary

MLL03 = Path(__file__).parents[2] / "studies" / "mll03" / "dictionary.csv"
DICTIONARY = load_dictionary(MLL03)
CODES = {"UNK": "Unknown", "NASK": "Not asked"}  # MLL03's plan
WORDS = Words()
META = Meta("1", "MLL03", "hospital_a", "Hospital A", "en", "2024-05-01 10:00")

PATIENT = {
    "sex": "2", "age_dx_days": "95", "dx_date": "2005-03-01", "wbc_dx": "312.5", "cns_dx": "0",
    "mll_status": "1", "cr1": "1", "cr1_date": "2005-04-02", "sct1": "0", "relapsed": "1",
    "enrollment_complete": "2",
}  # fmt: skip
RELAPSE = {"rel_date": "2006-01-15", "rel_site___1": "1", "rel_site___2": "0", "rel_treatment": "9"}
FOLLOWUP = {"last_contact_date": "2010-02-03", "vital_status": "1", "followup_complete": "0"}


def _label(name: str) -> str:
    return DICTIONARY.field(name).label


def _choice(name: str, code: str) -> str:
    field = DICTIONARY.field(name)
    if field.field_type == "yesno":
        return {"1": "Yes", "0": "No"}.get(code, code)
    return field.label_of(code) or code


BRANCHING = BranchingText(
    DICTIONARY,
    _label,
    _choice,
    {"and": "and", "or": "or", "ticked": "is ticked", "not_ticked": "is not ticked"},
)


def _sheet(form: str, title: str, rows: Sequence[SheetRow], repeats: bool = False) -> FormSheet:
    columns = sheet_columns(
        DICTIONARY, form, WORDS, missing_codes=CODES, branching=lambda f: BRANCHING(f.branching)
    )
    return FormSheet(form, title, columns, tuple(rows), repeats=repeats)


def _sheets(
    enrollment: Mapping[str, str] = PATIENT, version: int = 3, locked: bool = False
) -> list[FormSheet]:
    return [
        _sheet(
            "enrollment",
            "Enrollment",
            [
                SheetRow(RowKey("007"), enrollment, version, locked=locked),
                SheetRow(RowKey("@12"), {"sex": "1"}, 1),  # an ID a spreadsheet would run
            ],
        ),
        _sheet("relapse_questionnaire", "Relapse", [SheetRow(RowKey("007"), RELAPSE, 1)]),
        _sheet(
            "followup",
            "Follow-up",
            [
                SheetRow(RowKey("007", "", 1), FOLLOWUP, 2),
                SheetRow(RowKey("007", "", 2), {}, 0),
            ],
            repeats=True,
        ),
    ]


def _written(sheets: Sequence[FormSheet] | None = None) -> bytes:
    return write_workbook(sheets or _sheets(), META, WORDS)


def _edited(data: bytes, edit: object) -> bytes:
    book = load_workbook(io.BytesIO(data))
    edit(book)  # type: ignore[operator]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read(data: bytes, sheets: Sequence[FormSheet] | None = None) -> Upload:
    return read_workbook(data, lambda meta: sheets or _sheets())


def _column(sheet: Worksheet, name: str) -> str:
    """The letter of the column whose variable-name header is ``name``."""
    for cell in sheet[2]:
        if cell.value == name:
            return str(cell.column_letter)
    raise KeyError(name)


def _cell(book: object, title: str, name: str, row: int = HEADER_ROWS + 1) -> object:
    sheet = book[title]  # type: ignore[index]
    return sheet[f"{_column(sheet, name)}{row}"]


# --- the layout ---------------------------------------------------------------------------


def test_sheet_titles_are_excels_names_and_all_different() -> None:
    long = "Relapse questionnaire for the patient's institution"
    titles = sheet_titles(
        [long, long, "a/b:c*d?", "Instructions", "instructions"], ["Instructions"]
    )
    assert all(len(t) <= 31 for t in titles)
    assert titles[0] == long[:31]
    assert titles[1].endswith(" (2)")
    assert titles[1] != titles[0]
    assert titles[2] == "a b c d"
    assert len({t.casefold() for t in [*titles, "Instructions"]}) == 6


def test_every_field_has_a_column_and_a_checkbox_one_per_option() -> None:
    columns = [c.column for c in _sheet("relapse_questionnaire", "R", []).columns]
    expected = [
        column
        for f in DICTIONARY.form_fields("relapse_questionnaire")
        for column in f.export_columns
    ]
    assert columns == [*expected, "relapse_questionnaire_complete"]


def test_branching_reads_with_labels() -> None:
    field: Field = DICTIONARY.field("cr1_date")
    assert BRANCHING(field.branching) == f"“{_label('cr1')}” = “Yes”"
    other = DICTIONARY.field("rel_site_other")
    option = DICTIONARY.field("rel_site").label_of("4")
    assert BRANCHING(other.branching) == f"“{_label('rel_site')}: {option}” is ticked"
    regimen = DICTIONARY.field("rel_chemo_regimen")
    treatment = DICTIONARY.field("rel_treatment")
    assert BRANCHING(regimen.branching) == (
        f"“{treatment.label}” = “{treatment.label_of('1')}” or "
        f"“{treatment.label}” = “{treatment.label_of('2')}”"
    )


# --- the written workbook -----------------------------------------------------------------


def test_cells_hold_labels_dates_numbers_and_validation() -> None:
    book = load_workbook(io.BytesIO(_written()))
    assert book.sheetnames[0] == "Instructions"
    sheet = book["Enrollment"]
    assert _cell(book, "Enrollment", "sex").value == _choice("sex", PATIENT["sex"])  # type: ignore[attr-defined]
    assert _cell(book, "Enrollment", "dx_date").value == dt.datetime(2005, 3, 1)  # type: ignore[attr-defined]
    assert _cell(book, "Enrollment", "dx_date").number_format == "yyyy-mm-dd"  # type: ignore[attr-defined]
    assert _cell(book, "Enrollment", "age_dx_days").value == int(PATIENT["age_dx_days"])  # type: ignore[attr-defined]
    assert _cell(book, "Enrollment", "wbc_dx").value == float(PATIENT["wbc_dx"])  # type: ignore[attr-defined]
    rules = {str(r.sqref).split(":")[0]: r for r in sheet.data_validations.dataValidation}
    age = DICTIONARY.field("age_dx_days")
    whole = rules[f"{_column(sheet, 'age_dx_days')}{HEADER_ROWS + 1}"]
    assert (whole.type, whole.formula1, whole.formula2) == ("whole", age.minimum, age.maximum)
    date = rules[f"{_column(sheet, 'dx_date')}{HEADER_ROWS + 1}"]
    low = dt.date.fromisoformat(DICTIONARY.field("dx_date").minimum)
    assert date.type == "date"
    assert date.formula1 == f"DATE({low.year},{low.month},{low.day})"
    sex = rules[f"{_column(sheet, 'sex')}{HEADER_ROWS + 1}"]
    assert sex.type == "list"
    listed = [c.value for row in book[sex.formula1.split("!")[0].strip("'")][
        sex.formula1.split("!")[1].replace("$", "")] for c in row]  # fmt: skip
    labels = [c.label for c in DICTIONARY.field("sex").choices]
    assert listed == [*labels, "UNK — Unknown", "NASK — Not asked"]
    note = sheet[f"{_column(sheet, 'age_dx_days')}1"].comment
    assert note is not None
    assert DICTIONARY.field("age_dx_days").note in note.text
    hint = sheet[f"{_column(sheet, 'cr1_date')}3"].value
    assert f"Fill only if: “{_label('cr1')}” = “Yes”" in hint


def test_keys_and_headers_are_locked_values_open() -> None:
    book = load_workbook(io.BytesIO(_written()))
    sheet = book["Enrollment"]
    assert sheet.protection.sheet
    assert sheet["A4"].protection.locked
    assert sheet["B1"].protection.locked
    assert not sheet["B4"].protection.locked
    assert book[ROWS_SHEET].sheet_state == "veryHidden"


def test_a_locked_record_and_computed_fields_stay_locked() -> None:
    book = load_workbook(io.BytesIO(_written(_sheets(locked=True))))
    assert book["Enrollment"]["B4"].protection.locked


def test_a_record_id_a_spreadsheet_would_run_is_written_as_text() -> None:
    book = load_workbook(io.BytesIO(_written()))
    cell = book["Enrollment"]["A5"]
    assert cell.value == "'@12"
    assert cell.data_type == "s"
    assert _read(_written()).problems == ()  # and it reads back as the key it was


# --- reading it back ----------------------------------------------------------------------


def test_a_workbook_nobody_touched_changes_nothing() -> None:
    upload = _read(_written())
    assert upload.rows == ()
    assert upload.problems == ()
    assert upload.meta["hospital"] == META.hospital


def test_a_workbook_saved_again_by_openpyxl_changes_nothing() -> None:
    assert _read(_edited(_written(), lambda book: None)).rows == ()


def test_changed_cells_come_back_as_raw_values() -> None:
    def fill(book: object) -> None:
        _cell(book, "Enrollment", "wbc_dx").value = 12  # type: ignore[attr-defined]
        _cell(book, "Enrollment", "sex").value = _choice("sex", "1")  # type: ignore[attr-defined]
        _cell(book, "Enrollment", "cr1_date").value = "UNK — Unknown"  # type: ignore[attr-defined]
        _cell(book, "Relapse", "rel_site___2").value = "Checked"  # type: ignore[attr-defined]
        _cell(book, "Relapse", "rel_site___1").value = None  # type: ignore[attr-defined]
        _cell(book, "Follow-up", "last_contact_date", 5).value = dt.datetime(2011, 7, 8)  # type: ignore[attr-defined]
        _cell(book, "Follow-up", "vital_status", 5).value = "2"  # a code, typed

    upload = _read(_edited(_written(), fill))
    assert upload.problems == ()
    changes = {(r.sheet.form, r.stored.key): dict(r.changes) for r in upload.rows}
    assert changes == {
        ("enrollment", RowKey("007")): {"wbc_dx": "12", "sex": "1", "cr1_date": "UNK"},
        ("relapse_questionnaire", RowKey("007")): {"rel_site___2": "1", "rel_site___1": "0"},
        ("followup", RowKey("007", "", 2)): {
            "last_contact_date": "2011-07-08",
            "vital_status": "2",
        },
    }
    assert {r.sheet.form: r.version for r in upload.rows} == {
        "enrollment": 3,
        "relapse_questionnaire": 1,
        "followup": 0,
    }


def test_text_a_spreadsheet_would_run_is_neutral_and_reads_back() -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    sheets = _sheets()
    relapse = _sheet(
        "relapse_questionnaire",
        "Relapse",
        [SheetRow(RowKey("007"), {**RELAPSE, "rel_chemo_regimen": formula}, 1)],
    )
    sheets[1] = relapse
    book = load_workbook(io.BytesIO(_written(sheets)))
    cell = _cell(book, "Relapse", "rel_chemo_regimen")
    assert cell.value == "'" + formula
    assert cell.data_type == "s"
    assert _read(_written(sheets), sheets).rows == ()


def _problems(upload: Upload) -> set[tuple[str, int | None, str, str]]:
    return {(p.sheet, p.row, p.letter, p.kind) for p in upload.problems}


def test_every_problem_is_located() -> None:
    def spoil(book: object) -> None:
        enrollment = book["Enrollment"]  # type: ignore[index]
        _cell(book, "Enrollment", "age_dx_days").value = "ninety"  # type: ignore[attr-defined]
        _cell(book, "Enrollment", "sex").value = "Unknown sex"  # type: ignore[attr-defined]
        _cell(book, "Enrollment", "wbc_dx", 5).value = "=1+1"  # type: ignore[attr-defined]
        enrollment["A5"] = "008"  # a changed key
        enrollment["A7"] = "099"  # a patient the workbook does not have
        enrollment["Z4"] = "a note"  # beside the questionnaire
        del book["Relapse"]  # type: ignore[attr-defined]

    upload = _read(_edited(_written(), spoil))
    book = load_workbook(io.BytesIO(_written()))
    enrollment = book["Enrollment"]
    assert _problems(upload) == {
        ("Enrollment", 4, _column(enrollment, "age_dx_days"), "wrong_type"),
        ("Enrollment", 4, _column(enrollment, "sex"), "unknown_choice"),
        ("Enrollment", 5, _column(enrollment, "wbc_dx"), "formula"),
        ("Enrollment", 5, "A", "changed_key"),
        ("Enrollment", 7, "A", "unknown_record"),
        ("Enrollment", 4, "Z", "extra_column"),
        ("Relapse", None, "", "sheet_missing"),
    }
    wrong = next(p for p in upload.problems if p.kind == "wrong_type")
    assert wrong == Located(
        "Enrollment", 4, _column(enrollment, "age_dx_days"), _label("age_dx_days"), "wrong_type",
        "ninety", "age_dx_days",
    )  # fmt: skip


def test_a_row_of_a_patient_no_longer_in_the_hospital_is_unknown() -> None:
    sheets = _sheets()
    moved = [
        _sheet("enrollment", "Enrollment", [SheetRow(RowKey("@12"), {"sex": "1"}, 1)]),
        *sheets[1:],
    ]

    def fill(book: object) -> None:
        _cell(book, "Enrollment", "sex").value = _choice("sex", "1")  # type: ignore[attr-defined]

    upload = _read(_edited(_written(), fill), moved)
    assert ("Enrollment", 4, "A", "unknown_record") in _problems(upload)


def test_a_changed_column_header_is_refused_for_its_sheet() -> None:
    def move(book: object) -> None:
        book["Enrollment"]["C2"] = "something_else"  # type: ignore[index]

    assert _problems(_read(_edited(_written(), move))) == {("Enrollment", 2, "C", "changed_header")}


# --- files that are no questionnaire ------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"record_id,sex\n007,2\n", "not_xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "encrypted_or_xls"),
        (b"PK\x03\x04 not really a zip", "corrupt"),
    ],
)
def test_what_is_no_workbook_is_named(data: bytes, kind: str) -> None:
    with pytest.raises(WorkbookError) as refused:
        _read(data)
    assert refused.value.kind == kind


def test_a_truncated_workbook_is_corrupt() -> None:
    data = _written()
    with pytest.raises(WorkbookError) as refused:
        _read(data[: len(data) // 2])
    assert refused.value.kind == "corrupt"


def test_another_zip_is_not_a_workbook() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(WorkbookError) as refused:
        _read(out.getvalue())
    assert refused.value.kind == "not_xlsx"


def test_a_workbook_of_another_app_is_not_ours() -> None:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    with pytest.raises(WorkbookError) as refused:
        _read(out.getvalue())
    assert refused.value.kind == "not_ours"


def _rezipped(data: bytes, extra: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, extra.get(item.filename, source.read(item.filename)))
        for name, content in extra.items():
            if name not in source.namelist():
                target.writestr(name, content)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_unpacking() -> None:
    bomb = _rezipped(_written(), {"xl/media/zeros.bin": b"\0" * 2_000_000})
    assert len(bomb) < 100_000
    with pytest.raises(WorkbookError) as refused:
        check_archive(bomb, limit=1_000_000)
    assert refused.value.kind == "too_big"


def test_an_xml_part_with_entities_is_refused() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(WorkbookError) as refused:
        _read(_rezipped(_written(), {"docProps/core.xml": laughs}))
    assert refused.value.kind == "corrupt"


# --- every value a cell can hold reads back as itself -------------------------------------

_TEXT = _sheet("relapse_questionnaire", "R", []).columns[5]  # rel_site_other, free text
_NUMBER = next(c for c in _sheet("enrollment", "E", []).columns if c.column == "wbc_dx")
_DATE = next(c for c in _sheet("enrollment", "E", []).columns if c.column == "dx_date")
_PRINTABLE = (
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(lambda t: t != "" and t not in CODES)
)


@given(_PRINTABLE)
def test_text_reads_back_as_written(text: str) -> None:
    assert _TEXT.column == "rel_site_other"
    assert raw_value(_TEXT, cell_value(_TEXT, text)) == text


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda x: round(x, 3)))
def test_numbers_read_back_as_the_same_number(number: float) -> None:
    raw = repr(number) if not number.is_integer() else str(int(number))
    assert float(raw_value(_NUMBER, cell_value(_NUMBER, raw))) == float(raw)


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_dates_read_back_through_a_saved_file(day: dt.date) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = cell_value(_DATE, day.isoformat())
    sheet["A1"].number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    again = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    value = next(again.active.iter_rows(values_only=True))[0]  # type: ignore[union-attr]
    again.close()
    assert raw_value(_DATE, value) == day.isoformat()


def test_control_characters_are_left_out_and_the_value_is_not_a_change() -> None:
    stored = "line\x0bbreak"
    written = cell_value(_TEXT, stored)
    assert written == "linebreak"
    assert shown(_TEXT, written) == shown(_TEXT, cell_value(_TEXT, stored))


def test_a_sheet_damaged_inside_the_zip_is_corrupt() -> None:
    """A bad CRC shows only when the sheet is read, after openpyxl opened the file."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_written())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target,
    ):
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
    data = bytearray(out.getvalue())
    at = data.find(b"<sheetData>") + 40  # inside the first form's rows, stored uncompressed
    data[at : at + 4] = b"\x00\x01\x02\x03"
    with pytest.raises(WorkbookError) as refused:
        _read(bytes(data))
    assert (refused.value.kind, refused.value.detail) == ("corrupt", "BadZipFile")


def test_a_longitudinal_sheet_keys_rows_by_record_event_and_instance() -> None:
    rows = [
        SheetRow(RowKey("007", "baseline_arm_1", None), PATIENT, 1, "Baseline"),
        SheetRow(RowKey("007", "year_1_arm_1", None), {}, 0, "Year 1"),
    ]
    sheet = FormSheet("enrollment", "Enrollment", _sheets()[0].columns, tuple(rows), True, False)
    data = write_workbook([sheet], META, WORDS)
    book = load_workbook(io.BytesIO(data))
    assert [c.value for c in book["Enrollment"]["B"][HEADER_ROWS:]] == ["Baseline", "Year 1"]
    assert read_workbook(data, lambda meta: [sheet]).problems == ()

    def spoil(book: object) -> None:
        book["Enrollment"]["B5"] = "Baseline"  # type: ignore[index]
        book["Enrollment"]["C5"] = "Female"  # type: ignore[index]

    upload = read_workbook(_edited(data, spoil), lambda meta: [sheet])
    assert _problems(upload) == {("Enrollment", 5, "B", "changed_key")}
    assert upload.rows == ()
