"""Every real REDCap dictionary in tests/redcap_corpus loads as REDCap would load it.

One test per file (SOURCES.csv names each file's repository, path, commit and licence). A file
REDCap itself accepts loads with no finding of severity error, and every expression in it
(branching logic, calculations, @CALCTEXT, @CALCDATE, @IF) evaluates on a blank record and on a
filled one without an exception; a file REDCap refuses (its notes start NEGATIVE, from REDCap's
own validation tests) is refused with the problem located.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from followup.study import DataDictionary, DictionaryError, Field, load_dictionary, read_dictionary
from followup.study.logic_context import LogicContext
from followup.study.record_context import context_for

CORPUS = Path(__file__).parents[1] / "redcap_corpus"
SOURCES = list(csv.DictReader((CORPUS / "SOURCES.csv").read_text(encoding="utf-8").splitlines()))
DICTIONARIES = [
    row
    for row in SOURCES
    if row["kind"] in ("dictionary", "metadata_csv", "metadata_json", "instrument_csv")
]


def _filled(field: Field) -> dict[str, str]:
    """A plausible answer for one field, by type: what a record with everything answered holds."""
    if field.field_type == "checkbox":
        return {column: "1" for column in field.export_columns}
    if field.choices:
        return {field.name: field.choices[0].code}
    kind = field.text_type.kind if field.text_type else ""
    value = {
        "date": "2010-06-30",
        "datetime": "2010-06-30 12:30",
        "time": "12:30",
        "number": "1",
    }.get(kind, "1" if field.field_type in ("calc", "slider") else "text")
    return {field.name: value}


def _context(dictionary: DataDictionary) -> LogicContext:
    return context_for(dictionary, record="1")


@pytest.mark.parametrize("source", DICTIONARIES, ids=[row["file"] for row in DICTIONARIES])
def test_a_real_dictionary_loads_as_redcap_loads_it(source: dict[str, str]) -> None:
    path = CORPUS / source["file"]
    if source["notes"].startswith("NEGATIVE"):
        with pytest.raises(DictionaryError) as refused:
            load_dictionary(path)
        assert all(p.row is not None and p.column for p in refused.value.problems)
        return
    dictionary = load_dictionary(path)
    assert len(dictionary.fields) > 0
    filled: dict[str, str] = {}
    for field in dictionary:
        filled |= _filled(field)
    context = _context(dictionary)
    for field in dictionary:
        for _, logic in field.expressions():
            logic.value({}, context)
            logic.value(filled, context)


LARGE = CORPUS / "projects" / "convertpheno_ibd" / "convertpheno_redcap_dictionary.csv"


@pytest.mark.parametrize(
    ("column", "broken"),
    [
        (3, "radiobutton"),  # field type
        (5, "1, Yes | 1, No"),  # choices: a code twice
        (7, "integr"),  # validation type
    ],
)
def test_one_broken_row_of_a_large_real_dictionary_is_one_finding_at_that_row(
    column: int, broken: str
) -> None:
    """The most referenced choice field of a 391-field clinical dictionary, broken: one error."""
    text = LARGE.read_text(encoding="utf-8-sig")
    reader = csv.reader(text.splitlines(), delimiter=";")
    rows = list(reader)
    dictionary = load_dictionary(LARGE)
    counts: dict[str, int] = {}
    for field in dictionary:
        for _, logic in field.expressions():
            for reference in logic.references:
                counts[reference.field] = counts.get(reference.field, 0) + 1
    choice_fields = [n for n in counts if dictionary.field(n).field_type in ("radio", "dropdown")]
    target = max(choice_fields, key=lambda name: counts[name])
    assert counts[target] >= 5  # what would have cascaded
    index = next(i for i, row in enumerate(rows) if row[0] == target)
    rows[index][column] = broken
    if column == 7:
        rows[index][3] = "text"
    out = csv_text(rows)
    with pytest.raises(DictionaryError) as refused:
        read_dictionary(out)
    (problem,) = refused.value.problems
    assert problem.row == index + 1


def csv_text(rows: list[list[str]]) -> str:
    import io

    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    return out.getvalue()
