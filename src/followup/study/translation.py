"""A dictionary's texts in another language, from REDCap's Multi-Language Management CSV.

REDCap (MLM) exports one file per language: comment lines starting with ``#``, then the header
``section,type,name,index,kind,text`` (comma, semicolon or tab), then one row per item and kind.
Followup reads the rows whose kind is ``translation`` in the sections that concern the
dictionary: ``fieldTranslations`` (type ``label``, ``note``, ``header`` for the section header
above the field, ``enum`` for a choice whose code is in ``index``), ``formTranslations`` (type
``name``: the form's title) and ``mdcTranslations`` (a missing-data code's label), and the
``lang,info,key`` row naming the language. REDCap's other sections (its own interface, surveys,
alerts…) are skipped, as REDCap skips what it cannot match. Followup adds one section of its own,
``ruleTranslations`` (type ``message``, name = a plan rule's name), for the plan's messages.
Unlike REDCap, a row naming a field, choice or form the dictionary does not have is an error
listed with its row: a typo would otherwise go unnoticed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from followup.study.dictionary import DataDictionary
from followup.study.errors import Problem, ProblemsError

HEADER = ("section", "type", "name", "index", "kind", "text")
_SECTIONS = {"fieldTranslations", "formTranslations", "mdcTranslations", "ruleTranslations"}
_FIELD_TYPES = {"label", "note", "header", "enum"}


class TranslationError(ProblemsError):
    """A translation file that cannot be used; nothing of it was."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(source, problems, "translation file has")


@dataclass(frozen=True)
class DictionaryText:
    """One language's texts, by what they translate; a missing entry means 'not translated'."""

    language: str
    texts: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (type, name, index)

    def label(self, name: str) -> str | None:
        """A field's label."""
        return self.texts.get(("label", name, ""))

    def note(self, name: str) -> str | None:
        """A field's note."""
        return self.texts.get(("note", name, ""))

    def section_header(self, name: str) -> str | None:
        """The section header above a field."""
        return self.texts.get(("header", name, ""))

    def choice(self, name: str, code: str) -> str | None:
        """A choice's label."""
        return self.texts.get(("enum", name, code))

    def form_label(self, form: str) -> str | None:
        """A form's title."""
        return self.texts.get(("form", form, ""))

    def missing_code(self, code: str) -> str | None:
        """A missing-data code's label."""
        return self.texts.get(("mdc", code, ""))

    def rule_message(self, rule: str) -> str | None:
        """A plan rule's message."""
        return self.texts.get(("rule", rule, ""))


def _rows(text: str) -> tuple[int, list[tuple[int, list[str]]]]:
    """The rows from the header on, each with its line number; the header's line number.

    Comment lines (``#``) and blank lines come first in REDCap's file; the header's own line
    says which of comma, semicolon or tab separates the cells.
    """
    text = text.lstrip("\ufeff")
    header = next(
        (line for line in text.splitlines() if line.strip() and not line.startswith("#")), ""
    )
    delimiter = max((",", ";", "\t"), key=header.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    for cells in reader:
        if not rows and (not any(c.strip() for c in cells) or cells[0].startswith("#")):
            continue
        rows.append((reader.line_num, cells))
    return (rows[0][0] if rows else 0), rows


def read_translation(text: str, dictionary: DataDictionary, *, source: str) -> DictionaryText:
    """Parse an MLM CSV against the dictionary; TranslationError lists every problem by row."""
    header_line, rows = _rows(text)
    if not rows or [c.strip() for c in rows[0][1][:6]] != list(HEADER):
        raise TranslationError(
            source,
            [
                Problem(
                    header_line or None,
                    None,
                    "the first line that is not a comment must be "
                    "'section,type,name,index,kind,text' (REDCap's translation export)",
                )
            ],
        )
    problems: list[Problem] = []
    texts: dict[tuple[str, str, str], str] = {}
    language = ""
    forms = set(dictionary.forms)
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        section, kind_of, name, index, kind, value = (cells + [""] * 6)[:6]
        if section == "lang" and kind_of == "info" and name == "key":
            language = value.strip()
            continue
        if section not in _SECTIONS or kind != "translation" or not value.strip():
            continue
        key = _key(section, kind_of, name, index, dictionary, forms)
        if key is None:
            continue
        if isinstance(key, str):
            problems.append(Problem(line, "name", key))
            continue
        texts[key] = value.strip()
    if problems:
        raise TranslationError(source, problems)
    return DictionaryText(language, texts)


def _key(
    section: str,
    kind: str,
    name: str,
    index: str,
    dictionary: DataDictionary,
    forms: set[str],
) -> tuple[str, str, str] | str | None:
    """The entry's key, why the row cannot be matched, or None for a row that is no text."""
    if section == "formTranslations":
        if kind != "name":
            return None  # 'active' and other settings: not texts
        return ("form", name, "") if name in forms else f"there is no form '{name}'"
    if section == "mdcTranslations":
        return ("mdc", name, "")
    if section == "ruleTranslations":
        return ("rule", name, "")
    if kind not in _FIELD_TYPES:
        return None  # video URLs, action tags: nothing Followup shows
    if name not in dictionary:
        return f"there is no field '{name}' in the dictionary"
    if kind == "enum":
        target = dictionary.field(name)
        codes = {c.code for c in target.choices} | (
            {"1", "0"} if target.field_type in ("yesno", "truefalse") else set()
        )
        if index not in codes:
            return f"'{index}' is not a choice code of '{name}' ({', '.join(sorted(codes))})"
        return ("enum", name, index)
    return (kind, name, "")
