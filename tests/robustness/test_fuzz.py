"""Fuzzing the parsers: every input is a located error or a result, never an exception.

The logic parser and evaluator, the records reader, the dictionary reader and the plan loader
each take generated inputs (a few thousand each in the suite, 10,000 and more in all; `make
fuzz` runs ten times as many). Each example must give the module's own error, or a result, within
a second — never a Python exception, a RecursionError or a hang.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup.io import RecordsError, read_records
from followup.study import (
    DictionaryError,
    LogicError,
    load_dictionary,
    parse_logic,
    read_dictionary,
)
from followup.study.dictionary_rows import HEADER
from followup.study.logic_context import LogicContext
from followup.study.plan import PlanError, read_plan

EXAMPLES = int(os.environ.get("FOLLOWUP_FUZZ", "2500"))
FUZZ = settings(max_examples=EXAMPLES, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
STUDY = Path(__file__).parents[2] / "studies" / "mll03"
DICTIONARY = load_dictionary(STUDY / "dictionary.csv")
PLAN = (STUDY / "plan.yaml").read_text(encoding="utf-8")
RECORDS_HEADER = ",".join(DICTIONARY.export_columns())

_pieces = st.sampled_from(
    [
        "[a]", "[b(1)]", "[c:label]", "[e1][a]", "[a][2]", "[record-name]", "[a][last-instance]",
        "(", ")", ",", " and ", " or ", "&&", "||", "=", "<>", "!=", "===", "<", ">=", "+", "-",
        "*", "/", "^", "'x'", '"2010-01-01"', "'today'", "1", "0", "-1e400", "1e308", "400",
        "-400", "if(", "datediff(", "round(", "sum(", "log(", "mod(", "left(", "mid(", "concat_ws(",
        "calcdate(", "stdev(", "sqrt(", "exponential(", "isblankormissingcode(", "\n# note\n", "$",
        "１２", "[", "]", "'",
    ]
)  # fmt: skip
_value = st.one_of(
    st.sampled_from(["", "0", "1", "-1", "1e308", "2010-06-30", "2010-06-30 12:00", "x", "UNK"]),
    st.text(max_size=8),
)


@FUZZ
@given(
    st.lists(_pieces, max_size=40).map("".join),
    st.dictionaries(st.sampled_from(["a", "b___1", "c"]), _value),
)
def test_logic_parses_or_says_where_and_evaluates_without_raising(
    text: str, values: dict[str, str]
) -> None:
    try:
        logic = parse_logic(text)
    except LogicError as error:
        position = error.position
    else:
        position = 0
    if position:
        assert 1 <= position <= len(text) + 1
        return
    context = LogicContext(record="1", checkboxes={"b": ("1",)}, missing_codes=frozenset({"UNK"}))
    logic.value(values, context)
    logic.tree(context)


_cell = st.one_of(
    st.sampled_from(
        ["", "1", "0", "2", "MLL03-001", "2010-06-30", "UNK", "x", "１２", '"', "\x00"]
    ),
    st.text(max_size=6),
)


@FUZZ
@given(
    st.lists(st.lists(_cell, min_size=1, max_size=8), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_a_records_file_is_read_or_refused_with_its_rows(
    rows: list[list[str]], newline: str
) -> None:
    lines = [RECORDS_HEADER] + [",".join(row) for row in rows]
    try:
        read_records(newline.join(lines), DICTIONARY)
    except RecordsError as error:
        problems = error.problems
    else:
        problems = (None,)
    assert problems


@FUZZ
@given(st.lists(st.lists(_cell, min_size=1, max_size=18), max_size=5))
def test_a_dictionary_is_read_or_refused_with_its_rows(rows: list[list[str]]) -> None:
    text = "\n".join([",".join(f'"{h}"' for h in HEADER), *(",".join(r) for r in rows)])
    try:
        read_dictionary(text)
    except DictionaryError as error:
        problems = error.problems
    else:
        problems = (None,)
    assert problems


_yaml = st.sampled_from(
    [
        "study: x\n",
        "endpoints:\n",
        "  a:\n",
        "    label: x\n",
        "    origin: dx_date\n",
        "    censor: last_contact_date\n",
        "    events: [{name: d, when: \"[vital_status] = '2'\", date: last_contact_date}]\n",
        "reporting: {time_points: [.inf]}\n",
        "forms: {x: '[a'}\n",
        "[[[[",
        "]]",
        "{",
        "- ",
        "study: y\n",
        'derived: {g: {label: G, cases: [{when: "((((", value: a}]}}\n',
        "missing_codes: 'UNK, U'\n",
    ]
)


@FUZZ
@given(st.one_of(st.lists(_yaml, max_size=10).map("".join), st.text(max_size=60)))
def test_a_plan_is_read_or_refused_with_its_line(text: str) -> None:
    try:
        read_plan(text, DICTIONARY)
    except PlanError as error:
        said = str(error)
    else:
        said = "read"
    assert said


def test_the_real_plan_still_reads() -> None:
    assert read_plan(PLAN, DICTIONARY).model.study
