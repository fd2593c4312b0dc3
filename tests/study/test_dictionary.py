"""Data dictionaries: the MLL03 questionnaire loads; each broken rule is named by row and column."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.study import DictionaryError, load_dictionary, read_dictionary
from followup.study.choices import Choice, parse_choices
from followup.study.dictionary_rows import API_HEADER, HEADER

ROOT = Path(__file__).parents[2]
MLL03 = ROOT / "studies" / "mll03" / "dictionary.csv"


def test_the_committed_mll03_dictionary_is_the_shared_one() -> None:
    shared = ROOT.parent / "shared" / "study" / "mll03_relapse_dictionary.csv"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    assert MLL03.read_bytes() == shared.read_bytes()


def test_mll03_loads_with_its_forms_and_export_columns() -> None:
    dictionary = load_dictionary(MLL03)
    rows = list(csv.DictReader(io.StringIO(MLL03.read_text())))
    assert dictionary.record_id == rows[0][HEADER[0]]
    assert dictionary.forms == tuple(dict.fromkeys(r[HEADER[1]] for r in rows))
    assert [f.name for f in dictionary] == [r[HEADER[0]] for r in rows]
    site = dictionary.field("rel_site")
    assert site.export_columns == tuple(f"rel_site___{c.code}" for c in site.choices)
    columns = dictionary.export_columns()
    assert columns[0] == "record_id"
    assert [c for c in columns if c.endswith("_complete")] == [
        f"{form}_complete" for form in dictionary.forms
    ]
    assert dictionary.field("cr1").choices == (Choice("1", "Yes"), Choice("0", "No"))
    assert dictionary.field("dx_date").text_type.name == "date_ymd"  # type: ignore[union-attr]
    assert dictionary.field("sct2_date").branching.show({"sct2": "1"})
    assert not dictionary.field("sct2_date").branching.show({"sct2": "0"})


def _dictionary(*rows: dict[str, str], header: tuple[str, ...] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    base = [{HEADER[0]: "record_id", HEADER[1]: "form_a", HEADER[3]: "text", HEADER[4]: "ID"}]
    for row in base + list(rows):
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue()


def _field(name: str, **cells: str) -> dict[str, str]:
    row = {HEADER[0]: name, HEADER[1]: "form_a", HEADER[3]: "text", HEADER[4]: name.title()}
    names = dict(
        zip(
            [
                "name",
                "form",
                "section",
                "type",
                "label",
                "choices",
                "note",
                "validation",
                "minimum",
                "maximum",
                "identifier",
                "branching",
                "required",
                "alignment",
            ],
            HEADER,
            strict=False,
        )
    )
    row.update({names[k]: v for k, v in cells.items()})
    return row


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (_field("1sex"), "Variable / Field Name", "must start with a letter"),
        (_field("sex_"), "Variable / Field Name", "must not end with _"),
        (_field("sex___1"), "Variable / Field Name", "___ is kept for checkbox"),
        (_field("x" * 101), "Variable / Field Name", "longer than 100 characters"),
        (_field("redcap_event_name"), "Variable / Field Name", "REDCap keeps for itself"),
        (_field("sex", type=""), "Field Type", r"'\(blank\)' is not a field type"),
        (_field("sex", type="radiobutton"), "Field Type", "'radiobutton' is not a field type"),
        (
            _field("sex", type="radio", choices="1, Male | 1, Female"),
            HEADER[5],
            "'1' appears twice",
        ),
        (
            _field("sex", type="radio", choices="1 Male | 2, Female"),
            HEADER[5],
            "has code '1 Male': codes are letters, digits",
        ),
        (_field("age", validation="integr"), HEADER[7], "'integr' is not a REDCap validation type"),
        (
            _field("age", validation="integer", minimum="zero"),
            HEADER[8],
            "'zero' is not a whole number",
        ),
        (_field("dx", validation="date_ymd", maximum="2009-02-30"), HEADER[9], "not a date"),
        (_field("dx", validation="date_ymd", minimum="1/2/xx"), HEADER[8], "not a date"),
        (_field("age", minimum="0"), HEADER[8], "needs a validation type"),
        (_field("level", type="slider", minimum="0.5"), HEADER[8], "whole numbers"),
        (_field("sig", type="text", validation="signature"), HEADER[7], "applies to file fields"),
        (_field("sex", type="sql"), HEADER[5], "needs its query"),
        (
            _field("sex", type="radio", choices="1, M | 2, F", validation="integer"),
            HEADER[7],
            "applies to text fields",
        ),
        (_field("age", branching="[sex] = '1"), HEADER[11], "never closed at character 9"),
        (
            _field("age", branching="[sexx] = '1'"),
            HEADER[11],
            r"\[sexx\] at character 1, which is not a field",
        ),
        (_field("score", type="calc"), HEADER[5], "needs its calculation"),
        (_field("form_a_complete"), HEADER[0], "REDCap's own column of form 'form_a'"),
        (_field("form_a_timestamp"), HEADER[0], "REDCap's own column of form 'form_a'"),
        (_field("record_id"), HEADER[0], "already defined in row 2"),
    ],
)
def test_each_broken_rule_is_named(row: dict[str, str], column: str, message: str) -> None:
    with pytest.raises(DictionaryError, match=message) as raised:
        read_dictionary(_dictionary(row))
    (problem,) = raised.value.problems
    assert (problem.row, problem.column) == (3, column)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (_field("Sex"), HEADER[0], "field name 'Sex' becomes 'sex'"),
        (_field("age", label=""), HEADER[4], "has no label"),
        (_field("age", required="yes"), HEADER[12], "should be y or blank"),
        (_field("age", identifier="Yes"), HEADER[10], "should be y or blank"),
        (_field("age", alignment="center"), HEADER[13], "not one of RV"),
        (_field("age", validation="INT"), HEADER[7], "'INT' is read as 'integer'"),
        (_field("age", branching="[record_id(2)] = '1'"), HEADER[11], "has no checkbox option"),
        (_field("age", form="Form A"), HEADER[1], "form name 'Form A' becomes 'form_a'"),
        (_field("sex", type="radio"), HEADER[5], "a radio field without choices"),
        (_field("level", type="slider", validation="yes"), HEADER[7], "with 'number'"),
    ],
)
def test_what_redcap_fixes_itself_is_fixed_and_warned(
    row: dict[str, str], column: str, message: str
) -> None:
    dictionary = read_dictionary(_dictionary(row))
    (warning,) = dictionary.warnings
    assert (warning.row, warning.column, warning.severity) == (3, column, "warning")
    assert message.replace("\\", "") in warning.message or pytest.fail(warning.message)


def test_all_problems_are_listed_at_once_in_row_order() -> None:
    text = _dictionary(_field("1bad"), _field("ok"), _field("x", type="nope"))
    with pytest.raises(DictionaryError, match="2 problems") as raised:
        read_dictionary(text)
    assert [p.row for p in raised.value.problems] == [3, 5]


def test_forms_must_be_contiguous() -> None:
    text = _dictionary(_field("a", form="form_b"), _field("b", form="form_a"))
    with pytest.raises(DictionaryError, match="rows of form 'form_a' must be together") as raised:
        read_dictionary(text)
    assert raised.value.problems[0].row == 4


def test_a_header_cell_misspelt_is_read_by_position_as_redcap_does() -> None:
    dictionary = read_dictionary(_dictionary().replace("Variable / Field Name", "Variable Name", 1))
    (warning,) = dictionary.warnings
    assert (warning.row, warning.column) == (1, "Variable Name")
    assert "column 1 is read as 'Variable / Field Name'" in warning.message


def test_a_file_that_is_not_a_dictionary_is_named_as_such() -> None:
    with pytest.raises(DictionaryError, match="this is not a REDCap data dictionary"):
        read_dictionary("record_id,age,sex,dx_date,form_a_complete,b,c\n1,2,3,4,5,6,7\n")


def test_the_api_metadata_header_and_json_are_read_alike() -> None:
    rows = [_field("age", validation="integer", minimum="0")]
    from_csv = read_dictionary(_dictionary(*rows))
    api = read_dictionary(
        _dictionary(*rows)
        .replace(",".join(HEADER[:1]), "field_name", 1)
        .replace(next(iter(_dictionary().splitlines())), ",".join(API_HEADER), 1)
    )
    records = [
        dict(zip(API_HEADER, r, strict=False)) for r in csv.reader(io.StringIO(_dictionary(*rows)))
    ][1:]
    from_json = read_dictionary(json.dumps(records))
    assert from_csv.fields == api.fields == from_json.fields


def test_older_files_with_fewer_columns_and_a_bom_load() -> None:
    text = "\ufeff" + _dictionary(_field("age", validation="integer"), header=HEADER[:13])
    assert [f.name for f in read_dictionary(text)] == ["record_id", "age"]


def test_the_record_id_comes_first_and_becomes_text_as_in_redcap() -> None:
    text = _dictionary().replace("record_id,form_a,,text", "record_id,form_a,,notes")
    dictionary = read_dictionary(text)
    assert dictionary.fields[0].field_type == "text"
    assert "REDCap makes it a text field" in dictionary.warnings[0].message


def test_an_unreadable_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(DictionaryError, match="cannot read"):
        load_dictionary(tmp_path / "missing.csv")
    (tmp_path / "latin1.csv").write_bytes("Variable / Field Name,é".encode("latin-1"))
    with pytest.raises(DictionaryError, match="not UTF-8"):
        load_dictionary(tmp_path / "latin1.csv")


_code = st.from_regex(r"[A-Za-z0-9_.\-]{1,4}", fullmatch=True)
_label = (
    st.text(
        st.characters(blacklist_characters="|\r\n", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@given(st.lists(st.tuples(_code, _label), min_size=1, max_size=6, unique_by=lambda c: c[0]))
def test_choices_round_trip(choices: list[tuple[str, str]]) -> None:
    text = " | ".join(f"{code}, {label}" for code, label in choices)
    parsed, problems = parse_choices(text)
    assert problems == []
    assert parsed == tuple(Choice(code, label) for code, label in choices)


def test_choices_tolerate_missing_spaces_and_newlines() -> None:
    parsed, problems = parse_choices("1, Yes|2,No\n3, Maybe, later")
    assert problems == []
    assert [c.label for c in parsed] == ["Yes", "No", "Maybe, later"]
