"""How numbers are printed: the two styles readers know, P values as journals print them."""

from __future__ import annotations

from followup.analysis.estimates import AtTime
from followup.study.plan_schema import Reporting

_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_TENS = {
    20: "twenty",
    30: "thirty",
    40: "forty",
    50: "fifty",
    60: "sixty",
    70: "seventy",
    80: "eighty",
    90: "ninety",
}


def percent(value: float, digits: int) -> str:
    """A fraction in [0, 1] as a percentage with the plan's digits."""
    return f"{100 * value:.{digits}f}"


def figure(at: AtTime, reporting: Reporting) -> str:
    """'60.2 ± 11.1%' or '60.2% (95% CI 35.5–78.0%)', as the plan chooses, or 'not estimable'."""
    digits = reporting.digits
    if at.estimate is None:
        return "not estimable"
    if at.std_err is None:  # S = 0: Greenwood's SE is undefined there, as in R
        return f"{percent(at.estimate, digits)}%"
    if reporting.style == "estimate_pm_se":
        return f"{percent(at.estimate, digits)} ± {percent(at.std_err, digits)}%"
    if at.lower is None or at.upper is None:
        return f"{percent(at.estimate, digits)}%"
    level = round(100 * reporting.conf_level)
    low, high = percent(at.lower, digits), percent(at.upper, digits)
    return f"{percent(at.estimate, digits)}% ({level}% CI {low}–{high}%)"


def p_value(p: float | None) -> str:
    """'P = .032', 'P < .001', 'P = .33' (two significant digits), or 'not tested'."""
    if p is None:
        return "not tested"
    if p < 0.001:
        return "P < .001"
    text = f"{p:.3f}" if p < 0.01 else f"{p:.2f}"
    return "P = " + text.removeprefix("0")


def hazard_ratio(value: float, lower: float, upper: float, conf_level: float) -> str:
    """'2.12 (95% CI 0.47–9.60)'."""
    return f"{value:.2f} ({round(100 * conf_level)}% CI {lower:.2f}–{upper:.2f})"


def count_word(n: int, *, capital: bool = False) -> str:
    """Numbers a sentence may start with, in words ('Twenty-one'); digits elsewhere."""
    if n < len(_WORDS):
        word = _WORDS[n]
    elif n < 100:
        tens, ones = divmod(n, 10)
        word = _TENS[10 * tens] + (f"-{_WORDS[ones]}" if ones else "")
    else:
        word = str(n)
    return word[0].upper() + word[1:] if capital else word


def time_label(t: float, unit: str) -> str:
    """'3 years', '18 months'."""
    value = f"{t:g}"
    singular = unit.removesuffix("s")
    return f"{value} {singular if t == 1 else unit}"


def lowered(label: str) -> str:
    """A label inside a sentence: 'Site of relapse' → 'site of relapse'; 'CNS' and 'SCT' stay."""
    words = label.split(" ")
    return " ".join(
        w if sum(ch.isupper() for ch in w) > 1 or not w[:1].isupper() else w.lower() for w in words
    )
