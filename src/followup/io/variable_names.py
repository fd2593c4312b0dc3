"""Variable names that SPSS, Stata and SAS accept, and the table of every name changed.

REDCap field names are lower-case letters, digits and underscores starting with a letter, which
every package accepts, but not always at their length: a checkbox option's column
(``field___code``) can pass Stata's 32 characters, and SAS XPORT version 5 allows 8. A few names
are words a package reserves (SPSS's ``by``, ``to``; Stata's ``in``, ``if``, ``int``). Such a
name is changed, by one rule every export states in its rename table:

1. a reserved word gets ``_`` appended;
2. a name too long is cut to the limit;
3. a name already taken (ignoring case where the package does) has its end replaced by ``_2``,
   ``_3`` … until it is unique.

Names are taken in export order, so the same export always renames the same way.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NameRules:
    """One package's rules: the longest name, reserved words, whether case distinguishes names."""

    package: str
    limit: int
    reserved: frozenset[str]
    reserved_pattern: str = r"(?!)"  # never matches
    case_sensitive: bool = False

    def is_reserved(self, name: str) -> bool:
        """Whether the package refuses the name as a variable name."""
        key = name if self.case_sensitive else name.lower()
        return key in self.reserved or re.fullmatch(self.reserved_pattern, name) is not None


SPSS = NameRules(
    "SPSS",
    64,
    frozenset({"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}),
)
STATA = NameRules(
    "Stata",
    32,
    frozenset(
        {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long"}
        | {"_n", "_N", "_pi", "_pred", "_rc", "_skip", "strL", "using", "with"}
    ),
    reserved_pattern=r"str[0-9]+",
    case_sensitive=True,
)


def stata_rules(labelled: int) -> NameRules:
    """Stata's rules for a file with ``labelled`` labelled variables.

    pyreadstat names each variable's value-label set after the variable and a counter, and
    Stata's 32 characters hold both: a name is 32 characters less the counter's digits.
    """
    return dataclasses.replace(STATA, limit=STATA.limit - len(str(max(labelled, 1))))


SAS = NameRules("SAS", 32, frozenset({"_n_", "_error_", "_all_", "_numeric_", "_character_"}))
SAS_V5 = NameRules("SAS XPORT version 5", 8, SAS.reserved)


def package_names(names: Sequence[str], rules: NameRules) -> dict[str, str]:
    """Each name as the package will have it (most unchanged), by the module's three rules."""
    taken: set[str] = set()
    result = {}
    for name in names:
        candidate = name + "_" if rules.is_reserved(name) else name
        base = candidate = candidate[: rules.limit]
        number = 1
        while _key(candidate, rules) in taken:
            number += 1
            suffix = f"_{number}"
            candidate = base[: rules.limit - len(suffix)] + suffix
        taken.add(_key(candidate, rules))
        result[name] = candidate
    return result


def renamed(names: dict[str, str]) -> list[tuple[str, str]]:
    """The rename table: (REDCap name, package name) for each name changed, in export order."""
    return [(old, new) for old, new in names.items() if old != new]


def _key(name: str, rules: NameRules) -> str:
    return name if rules.case_sensitive else name.lower()
