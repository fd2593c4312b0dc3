"""Branching logic: REDCap's grammar and value rules (REDCAP_FORMAT.md §5), and located errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.study import LogicError, parse_logic


@pytest.mark.parametrize(
    ("expression", "values", "shown"),
    [
        ("[cr1] = '1'", {"cr1": "1"}, True),
        ("[cr1] = '1'", {"cr1": "0"}, False),
        ("[cr1] = '1'", {}, False),  # blank is not 1
        ("[cr1] = 1", {"cr1": "1"}, True),  # bare and quoted values compare alike
        ("[cr1] = ''", {}, True),
        ("[cr1] = 0", {"cr1": ""}, False),  # blank is not 0
        ("[cr1] <> ''", {"cr1": "0"}, True),
        ("[cr1] != '0'", {"cr1": "0"}, False),
        ("[rel_site(4)] = '1'", {"rel_site___4": "1"}, True),
        ("[rel_site(4)] = '0'", {}, True),  # an option never ticked is unchecked
        ("[cb(-99)] = '1'", {"cb____99": "1"}, True),  # '-' in a code becomes '_' in the column
        ("[a] = '1' or [a] = '2'", {"a": "2"}, True),
        ("[a] = '1' OR [b] = '1' AND [c] = '1'", {"a": "1"}, True),  # and binds tighter
        ("([a] = '1' or [b] = '1') and [c] = '1'", {"a": "1"}, False),
        ("[age] < 183", {"age": "90"}, True),
        ("[age] < 183", {"age": ""}, False),  # an ordering with a blank side is false
        ("[age] >= 183", {"age": "183"}, True),
        ("[age] < 20", {"age": "100"}, False),  # numbers compare as numbers, not text
        ("[d] <= '2009-06-30'", {"d": "2009-06-30"}, True),  # ISO dates compare as text
        ("[name] = 'Ann'", {"name": "ann"}, False),  # text comparisons are case-sensitive
        ("[A] = 'x'", {"a": "x"}, True),  # field names are not
        ('[a] = "1"', {"a": "1"}, True),
        ("[a] + [b] = 3", {"a": "1", "b": "2"}, True),
        ("[a] + [b] = ''", {"a": "1"}, True),  # arithmetic with a blank is blank
        ("(2)^(3) = 8", {}, True),
        ("-[a] < 0", {"a": "2"}, True),
        ("datediff([d1], [d2], 'd') = 30", {"d1": "2005-01-01", "d2": "2005-01-31"}, True),
        ("datediff([d2], [d1], 'd') = 30", {"d1": "2005-01-01", "d2": "2005-01-31"}, True),
        ("datediff([d2], [d1], 'd', true) = -30", {"d1": "2005-01-01", "d2": "2005-01-31"}, True),
        ("if([a] = '1', 5, 6) = 5", {"a": "1"}, True),
        ("sum([a], [b]) = 1", {"a": "1"}, True),  # sum() ignores blanks
        ("round(2.345, 2) = 2.35", {}, True),
        ("", {}, True),
    ],
)
def test_branching_follows_redcap(expression: str, values: dict[str, str], shown: bool) -> None:
    assert parse_logic(expression).show(values) is shown


@pytest.mark.parametrize(
    ("expression", "position", "message"),
    [
        ("[a] = '1' and (", 16, "expected a value"),
        ("[a] >< 2", 6, "expected a value"),
        ("[a] = 'yes", 7, "never closed"),
        ("[a] = 1 [b] = 2", 9, r"unexpected \[b\]"),
        ("([a] = 1", 9, r"expected '\)' to close the '\(' at character 1"),
        ("[a = 1", 1, "the \\[ is never closed"),
        ("[a b] = 1", 1, "is not a field reference"),
        ("[a:colour] = 1", 1, "':colour' is not a modifier"),
        ("[record-nam] = 1", 1, r"\[record-nam\] is not a smart variable"),
        ("[e][a][2][3] = 1", 1, "at most"),
        ("[user-name][a] = 1", 1, "does not name an event"),
        ("[2] = 1", 1, "is not a field"),
        ("(" * 61 + "1" + ")" * 61, 61, "nested more than 60 deep"),
        ("a = 1", 1, "field names go in square brackets"),
        ("datediff([a]) = 1", 1, "takes 3 to 5 arguments, got 1"),
        ("[a] = 1 # 2", 9, "unexpected character"),
    ],
)
def test_errors_name_the_character(expression: str, position: int, message: str) -> None:
    with pytest.raises(LogicError, match=message) as raised:
        parse_logic(expression)
    assert raised.value.position == position
    assert str(raised.value).splitlines()[-1].index("^") == 4 + position - 1


def test_references_are_listed_with_their_columns() -> None:
    logic = parse_logic("[sct2] = '1' and [rel_site(4)] = '1'")
    assert [(r.field, r.code, r.column, r.position) for r in logic.references] == [
        ("sct2", None, "sct2", 1),
        ("rel_site", "4", "rel_site___4", 18),
    ]


_field = st.sampled_from(["a", "b", "c"])
_value = st.sampled_from(["", "0", "1", "2", "10", "x"])


@st.composite
def _conditions(draw: st.DrawFn, depth: int = 0) -> tuple[str, object]:
    """A random condition and a Python function that evaluates it by REDCap's rules."""
    if depth > 2 or draw(st.booleans()):
        name, op, literal = (
            draw(_field),
            draw(st.sampled_from(["=", "<>", "<", ">="])),
            draw(_value),
        )

        def leaf(v: dict[str, str]) -> bool:
            left = v.get(name, "")
            numeric = _number(left) is not None and _number(literal) is not None
            if op in ("=", "<>"):
                same = _number(left) == _number(literal) if numeric else left == literal
                return same if op == "=" else not same
            if left == "" or literal == "":
                return False
            a, b = (_number(left), _number(literal)) if numeric else (left, literal)
            return a < b if op == "<" else a >= b  # type: ignore[operator]

        return f"[{name}] {op} '{literal}'", leaf
    left_text, left = draw(_conditions(depth + 1))
    right_text, right = draw(_conditions(depth + 1))
    word = draw(st.sampled_from(["and", "or"]))

    def node(v: dict[str, str]) -> bool:
        return (left(v) and right(v)) if word == "and" else (left(v) or right(v))  # type: ignore[operator]

    return f"({left_text}) {word} ({right_text})", node


def _number(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


@given(_conditions(), st.dictionaries(_field, _value))
def test_random_conditions_evaluate_as_redcap_says(
    condition: tuple[str, object], values: dict[str, str]
) -> None:
    text, expected = condition
    assert parse_logic(text).show(values) is expected(values)  # type: ignore[operator]


@given(st.text(max_size=40))
def test_any_text_parses_or_fails_with_a_position(text: str) -> None:
    position = None
    try:
        parse_logic(text)
    except LogicError as error:
        position = error.position
    assert position is None or 1 <= position <= len(text) + 1
