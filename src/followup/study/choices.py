"""Choice lists of radio, dropdown and checkbox fields: ``1, Male | 2, Female``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CODE = re.compile(r"^[A-Za-z0-9_.\-]+$")  # REDCap: a number, or letters, digits, . _ -


@dataclass(frozen=True)
class Choice:
    """A raw code (what is stored and compared) and its label (what people read)."""

    code: str
    label: str


YES_NO = (Choice("1", "Yes"), Choice("0", "No"))
TRUE_FALSE = (Choice("1", "True"), Choice("0", "False"))


def parse_choices(text: str) -> tuple[tuple[Choice, ...], list[str]]:
    """Choices and the problems found; each choice splits at its first comma.

    Pipes separate choices; newlines do too (REDCap's online designer writes one per line), and
    missing spaces around either are tolerated. A choice without a comma is its own code and
    label, as REDCap reads it.
    """
    choices: list[Choice] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, part in enumerate(re.split(r"\||\r?\n", text), start=1):
        item = part.strip()
        if not item:
            continue
        code, comma, label = item.partition(",")
        code, label = code.strip(), label.strip() if comma else item
        if not _CODE.match(code):
            problems.append(
                f"choice {number} has code '{code}': codes are letters, digits, _ . and -"
                " (write 'code, label')"
            )
            continue
        if code in seen:
            problems.append(f"choice code '{code}' appears twice")
            continue
        seen.add(code)
        choices.append(Choice(code, label))
    if not choices and not problems:
        problems.append("the field needs choices, such as '1, Yes | 0, No'")
    return tuple(choices), problems


def checkbox_column(field: str, code: str) -> str:
    """A checkbox option's export column, as REDCap names it: field___code.

    The code is lower-cased, '-' and '.' become '_' (REDCap 15 exports the option "4.4" of
    ``race`` as ``race___4_4``: tests/redcap_corpus/projects/redcapetl_multiple_choice) and other
    characters than letters, digits and '_' are dropped.
    """
    code = code.replace("-", "_").replace(".", "_").lower()
    return f"{field}___{re.sub(r'[^a-z0-9_]', '', code)}"
