"""Variable names for SPSS, Stata and SAS: unique, within the limit, no reserved word."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from followup.io.variable_names import (
    SAS,
    SAS_V5,
    SPSS,
    STATA,
    NameRules,
    package_names,
    renamed,
    stata_rules,
)

# REDCap's field names, and checkbox columns (field___code): lower case, digits, underscores.
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,40}(___[a-z0-9_]{1,10})?", fullmatch=True)
RULES = st.sampled_from([SPSS, STATA, SAS, SAS_V5, stata_rules(150)])


@given(st.lists(NAMES, unique=True, max_size=60), RULES)
def test_every_name_fits_is_unique_and_not_reserved(names: list[str], rules: NameRules) -> None:
    result = package_names(names, rules)
    assert list(result) == names
    new = list(result.values())
    keys = new if rules.case_sensitive else [n.lower() for n in new]
    assert len(set(keys)) == len(keys)
    for old, name in result.items():
        assert len(name) <= rules.limit
        assert not rules.is_reserved(name)
        if len(old) <= rules.limit and not rules.is_reserved(old) and old == name:
            continue
        assert (old, name) in renamed(result)


@given(st.lists(NAMES, unique=True, max_size=30), RULES)
def test_the_same_export_is_renamed_the_same_way(names: list[str], rules: NameRules) -> None:
    assert package_names(names, rules) == package_names(list(names), rules)


def test_the_rules_examples() -> None:
    assert package_names(["to", "by", "sex"], SPSS) == {"to": "to_", "by": "by_", "sex": "sex"}
    assert package_names(["in", "str12", "age"], STATA)["str12"] == "str12_"
    long = ["redcap_repeat_instrument", "redcap_repeat_instance"]
    assert package_names(long, SAS_V5) == {
        "redcap_repeat_instrument": "redcap_r",
        "redcap_repeat_instance": "redcap_2",
    }
