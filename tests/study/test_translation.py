"""Reading a dictionary's translation from REDCap's Multi-Language Management CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followup.study import load_dictionary
from followup.study.translation import TranslationError, read_translation

STUDY = Path(__file__).parents[2] / "studies" / "mll03"
DICTIONARY = load_dictionary(STUDY / "dictionary.csv")
HEADER = ["section", "type", "name", "index", "kind", "text"]


def _items() -> list[tuple[str, str, str]]:
    """Every (type, name, index) of MLL03 an MLM file may translate."""
    items = [("label", f.name, "") for f in DICTIONARY]
    items += [("note", f.name, "") for f in DICTIONARY if f.note]
    items += [("header", f.name, "") for f in DICTIONARY if f.section_header]
    items += [("enum", f.name, c.code) for f in DICTIONARY for c in f.choices]
    return items


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
    out.write('#,"REDCap MLM"\n')
    writer.writerow(HEADER)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()


_text = st.text(  # any text a translator types, line breaks included
    st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n"),
    min_size=1,
    max_size=20,
).filter(str.strip)


@given(
    st.lists(st.tuples(st.sampled_from(_items()), _text), unique_by=lambda t: t[0], max_size=15),
    st.sampled_from([",", ";", "\t"]),
)
def test_every_translated_text_is_read_back(
    chosen: list[tuple[tuple[str, str, str], str]], delimiter: str
) -> None:
    rows = [
        ["fieldTranslations", kind, name, index, "translation", text]
        for (kind, name, index), text in chosen
    ]
    rows.insert(0, ["fieldTranslations", "label", "sex", "", "hash", "d41d8cd9"])  # not a text
    parsed = read_translation(_csv(rows, delimiter), DICTIONARY, source="t.csv")
    expected = {key: text.strip() for key, text in chosen}
    assert parsed.texts == expected


def test_the_mll03_translation_covers_every_label_and_choice() -> None:
    text = (STUDY / "translations" / "ja.csv").read_text(encoding="utf-8-sig")
    parsed = read_translation(text, DICTIONARY, source="ja.csv")
    assert parsed.language == "ja"
    missing = [item for item in _items() if item not in parsed.texts]
    assert missing == []
    for form in DICTIONARY.forms:
        assert parsed.form_label(form)


def test_rows_naming_what_the_dictionary_lacks_are_listed_with_their_rows() -> None:
    rows = [
        ["fieldTranslations", "label", "sex", "", "translation", "性別"],
        ["fieldTranslations", "label", "nonesuch", "", "translation", "x"],
        ["fieldTranslations", "enum", "sex", "7", "translation", "x"],
        ["formTranslations", "name", "no_form", "", "translation", "x"],
        ["surveyTranslations", "title", "enrollment", "", "translation", "skipped"],
    ]
    with pytest.raises(TranslationError) as raised:
        read_translation(_csv(rows), DICTIONARY, source="ja.csv")
    message = str(raised.value)
    assert "ja.csv: translation file has 3 problems" in message
    assert "row 4, column 'name': there is no field 'nonesuch'" in message
    assert "row 5, column 'name': '7' is not a choice code of 'sex' (1, 2)" in message
    assert "row 6, column 'name': there is no form 'no_form'" in message


def test_a_file_without_redcaps_header_is_refused() -> None:
    with pytest.raises(TranslationError, match="section,type,name,index,kind,text"):
        read_translation("field,label\nsex,性別\n", DICTIONARY, source="t.csv")
