"""branching.js gives the same answer as followup.study for every expression and every value.

Random expressions (comparisons, arithmetic, and/or, checkbox options, functions the browser
evaluates) and random values are evaluated by the Python parser and, from the tree it sends to the
page, by branching.js in Node; every pair must agree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.study import parse_logic
from followup.study._logic_functions import FUNCTIONS
from followup.study.logic_context import LogicContext

SCRIPT = (
    Path(__file__).parents[2]
    / "src"
    / "followup"
    / "capture"
    / "static"
    / "capture"
    / "branching.js"
)
NODE = shutil.which("node")
CONTEXT = LogicContext(
    checkboxes={"c": ("1", "2")},
    choice_labels={"a": {"1": "One", "2": "Two"}, "c": {"1": "Red", "2": "Blue"}},
    missing_codes=frozenset({"UNK"}),
)
ENV = {"missingCodes": ["UNK"]}
_value = st.sampled_from(
    [
        "",
        "0",
        "1",
        "2",
        "10",
        "2.5",
        "-3",
        "x",
        "X",
        "abc",
        "UNK",
        "2008-01-01",
        "2009-06-30",
        "2009-06-30 12:30",
        "30-06-2009",
        "12:30",
        " ",
    ]
)
_atom = st.one_of(
    st.sampled_from(
        [
            "[a]",
            "[b]",
            "[c(1)]",
            "[c(2)]",
            "[d]",
            "[a:label]",
            "[c:checked]",
            "[c]",
            "[c(1):unchecked]",
        ]
    ),
    _value.map(lambda v: f"'{v}'"),
    st.sampled_from(["0", "1", "2.5", "10", "true", "false"]),
)
# Every function REDCap documents that Followup evaluates, with the arguments it takes.
ARITY = {name: (low, min(high, low + 2)) for name, (low, high, _) in FUNCTIONS.items()}


@st.composite
def _expression(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.integers(0, 3)) == 0:
        return draw(_atom)
    kind = draw(st.sampled_from(["cmp", "cmp", "bool", "arith", "call", "call", "paren"]))
    left, right = draw(_expression(depth + 1)), draw(_expression(depth + 1))
    if kind == "cmp":
        operators = ["=", "==", "===", "<>", "!=", "!==", "<", "<=", ">", ">="]
        return f"({left}) {draw(st.sampled_from(operators))} ({right})"
    if kind == "bool":
        return f"({left}) {draw(st.sampled_from(['and', 'or', '&&', '||', 'AND']))} ({right})"
    if kind == "arith":
        return f"(({left}) {draw(st.sampled_from(['+', '-', '*', '/']))} ({right}))"
    if kind == "call":
        name = draw(st.sampled_from(sorted(FUNCTIONS)))
        low, high = ARITY[name]
        count = draw(st.integers(low, high))
        extra = [draw(_expression(depth + 1)) for _ in range(max(0, count - 2))]
        if name == "datediff":
            unit = draw(st.sampled_from(["'y'", "'M'", "'d'", "'h'", "'m'", "'s'", "'x'"]))
            tail = draw(st.sampled_from([[], ["true"], ["'dmy'"], ["'mdy'", "'1'"], ["false"]]))
            return f"datediff({left}, {right}, {unit}{''.join(', ' + t for t in tail)})"
        arguments = [left, right, *extra][:count]
        return f"{name}({', '.join(arguments)})"
    return f"({left})"


_values = st.fixed_dictionaries(
    {
        "a": _value,
        "b": _value,
        "c___1": st.sampled_from(["", "0", "1"]),
        "c___2": _value,
        "d": _value,
    }
)


def _kind(value: object) -> tuple[str, object]:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    return ("text", value)


@pytest.mark.skipif(
    NODE is None, reason="node is not installed (make test installs Debian's nodejs)"
)
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_expression(), _values), min_size=20, max_size=20))
def test_browser_and_server_agree(cases: list[tuple[str, dict[str, str]]]) -> None:
    trees = [[parse_logic(text).tree(CONTEXT), values] for text, values in cases]
    program = SCRIPT.read_text(encoding="utf-8") + (
        "\nconst env = " + json.dumps(ENV) + ";"
        "\nconst cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "\nprocess.stdout.write(JSON.stringify(cases.map(([t, v]) => "
        "[FollowupLogic.show(t, v, env), FollowupLogic.evaluate(t, v, env)])));"
    )
    node = [NODE or "node", "-e", program]
    done = subprocess.run(node, input=json.dumps(trees), capture_output=True, text=True, check=True)
    browser = [(shown, _kind(value)) for shown, value in json.loads(done.stdout)]
    server = [
        (
            parse_logic(text).show(values, CONTEXT),
            _kind(parse_logic(text).value(values, CONTEXT)),
        )
        for text, values in cases
    ]
    disagree = [
        (text, values, b, s)
        for (text, values), b, s in zip(cases, browser, server, strict=True)
        if b != s
    ]
    assert disagree == []


def test_every_function_is_in_the_browser() -> None:
    """branching.js names each function the server evaluates (so none is silently 'shown')."""
    script = SCRIPT.read_text(encoding="utf-8")
    table = script[script.index("const FUNCTIONS = {") :]
    missing = [
        name
        for name in FUNCTIONS
        if name != "if" and f"\n    {name}:" not in table and f"\n    {name}," not in table
    ]
    assert missing == []
