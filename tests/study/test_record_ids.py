"""Record IDs: REDCap's rule (blank, over 100 bytes, + & # ', line breaks, tabs, HTML) and ours."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from followup.study.record_ids import record_id_problem, same_record

_FINE = (
    st.text(
        st.characters(
            whitelist_categories=("L", "N", "Zs"),
            whitelist_characters="-_.",
            blacklist_characters="\x00",
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda t: t not in ("", ".", ".."))
)


@given(_FINE)
def test_letters_of_any_script_digits_spaces_dots_hyphens_underscores_are_fine(text: str) -> None:
    if len(text.encode()) <= 100:
        assert record_id_problem(text) is None


@given(_FINE, st.sampled_from(list("+&#'/\\<>\t\n\r\x00\x7f")), _FINE)
def test_each_forbidden_character_is_named(before: str, bad: str, after: str) -> None:
    record_id = before + bad + after
    assume(len(record_id.encode()) <= 100)  # a longer one is refused for its length first
    problem = record_id_problem(record_id)
    assert problem is not None
    assert "contains" in problem


def test_the_limits() -> None:
    assert record_id_problem("") == "the record ID is blank"
    assert record_id_problem("x" * 100) is None
    assert record_id_problem("x" * 101) is not None
    assert record_id_problem("症" * 33) is None  # 99 bytes in UTF-8
    assert record_id_problem("症" * 34) is not None  # 102 bytes: REDCap counts bytes
    assert record_id_problem("..") is not None


def test_case_does_not_make_another_record() -> None:
    assert same_record("MLL03-017", "mll03-017")
    assert not same_record("MLL03-017", "MLL03-018")
