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
_value = st.sampled_from(
    ["", "0", "1", "2", "10", "2.5", "-3", "x", "X", "2008-01-01", "2009-06-30", " "]
)
_atom = st.one_of(
    st.sampled_from(["[a]", "[b]", "[c(1)]", "[c(2)]", "[d]"]),
    _value.map(lambda v: f"'{v}'"),
    st.sampled_from(["0", "1", "2.5", "10"]),
)


@st.composite
def _expression(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.integers(0, 3)) == 0:
        return draw(_atom)
    kind = draw(st.sampled_from(["cmp", "cmp", "bool", "arith", "call", "paren"]))
    left, right = draw(_expression(depth + 1)), draw(_expression(depth + 1))
    if kind == "cmp":
        return (
            f"({left}) {draw(st.sampled_from(['=', '<>', '!=', '<', '<=', '>', '>=']))} ({right})"
        )
    if kind == "bool":
        return f"({left}) {draw(st.sampled_from(['and', 'or']))} ({right})"
    if kind == "arith":
        return f"(({left}) {draw(st.sampled_from(['+', '-', '*', '/']))} ({right})) > 1"
    if kind == "call":
        call = draw(
            st.sampled_from(
                [
                    f"if({left}, {right}, 'no')",
                    f"sum({left}, {right})",
                    f"isnumber({left})",
                    f"abs({left})",
                    f"contains({left}, {right})",
                    f"datediff({left}, {right}, 'd', true)",
                ]
            )
        )
        return f"({call}) = '1'" if draw(st.booleans()) else call
    return f"({left})"


_values = st.fixed_dictionaries(
    {"a": _value, "b": _value, "c___1": _value, "c___2": _value, "d": _value}
)


@pytest.mark.skipif(
    NODE is None, reason="node is not installed (make test installs Debian's nodejs)"
)
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_expression(), _values), min_size=20, max_size=20))
def test_browser_and_server_agree(cases: list[tuple[str, dict[str, str]]]) -> None:
    trees = [[parse_logic(text).tree(), values] for text, values in cases]
    program = SCRIPT.read_text(encoding="utf-8") + (
        "\nconst cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "\nprocess.stdout.write(JSON.stringify(cases.map(([t, v]) => FollowupLogic.show(t, v))));"
    )
    node = [NODE or "node", "-e", program]
    done = subprocess.run(node, input=json.dumps(trees), capture_output=True, text=True, check=True)
    browser = json.loads(done.stdout)
    server = [parse_logic(text).show(values) for text, values in cases]
    disagree = [
        (text, values, b, s)
        for (text, values), b, s in zip(cases, browser, server, strict=True)
        if b != s
    ]
    assert disagree == []
