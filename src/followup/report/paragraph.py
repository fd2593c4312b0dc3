"""The Results paragraph, written from the results alone, in the style of the seed's abstract.

Every number in it is read from ``StudyResults``; none is typed. Each sentence is built from the
plan's structure (flow steps, characteristics, endpoints, comparisons, risk factors), so a new
study gets its paragraph without new code.
"""

from __future__ import annotations

from followup.analysis import EndpointResult, StudyResults
from followup.analysis.characteristics import Characteristic
from followup.analysis.estimates import Comparison, GroupEstimate
from followup.report.numbers import count_word, figure, hazard_ratio, lowered, p_value, time_label


def results_paragraphs(results: StudyResults) -> list[str]:
    """The Results section's paragraphs: the cohort, then one per endpoint, then risk factors."""
    groups = [[_cohort(results), *_flow(results), *_characteristics(results)]]
    groups += [_endpoint(endpoint, results) for endpoint in results.endpoints]
    groups.append(_risk_factors(results))
    groups.append(_exposure_models(results))
    return [" ".join(s for s in sentences if s) for sentences in groups if any(sentences)]


def _cohort(results: StudyResults) -> str:
    follow = results.follow_up
    text = f"A total of {results.flow.treated} patients were treated"
    if follow is None:
        return text + "."
    median = ""
    if follow.median_reverse_km is not None:
        median = (
            f"; median follow-up by reverse Kaplan-Meier, {follow.median_reverse_km:.1f} months"
        )
    return text + f" (mean follow-up, {follow.mean:.1f} months{median})."


def _flow(results: StudyResults) -> list[str]:
    sentences = []
    for step in results.flow.steps:
        text = (
            f"{step.name}: {step.count} of {step.of_previous} patients "
            f"({step.percent_of_treated:.0f}% of the {results.flow.treated} treated)."
        )
        for breakdown in step.breakdowns:
            parts = [
                f"{level.label} in {level.count} ({level.percent:.1f}%)"
                for level in breakdown.levels
                if level.count
            ]
            text += f" By {lowered(breakdown.label)}: {_join(parts)}."
        sentences.append(text)
    return sentences


def _characteristics(results: StudyResults) -> list[str]:
    parts = [_characteristic(c) for c in results.characteristics[:3]]
    if not parts:
        return []
    return [
        f"Of the {results.characteristics_patients} {lowered(results.characteristics_label)}, "
        f"{_join(parts)}."
    ]


def _characteristic(c: Characteristic) -> str:
    if c.kind == "continuous":
        if c.median is None:
            return f"{lowered(c.label)} was not recorded"
        return f"the median {lowered(c.label)} was {c.median:g} (range {c.minimum:g}–{c.maximum:g})"
    levels = [f"{lowered(lv.label)} in {lv.count}" for lv in c.levels if lv.count]
    return f"{lowered(c.label)} was {_join(levels)}"


def _endpoint(endpoint: EndpointResult, results: StudyResults) -> list[str]:
    reporting = results.reporting
    if not endpoint.patients:
        return [f"No patient is in the {lowered(endpoint.label)} analysis."]
    points = [a for a in endpoint.overall.at_times if a.estimate is not None]
    if not points:
        return [
            f"No patient was followed long enough to estimate {lowered(endpoint.label)} "
            "at the time points."
        ]
    figures = [f"{figure(a, reporting)} at {time_label(a.time, endpoint.unit)}" for a in points]
    what = "cumulative incidence" if endpoint.kind == "incidence" else "rate"
    lead = (
        f"The {lowered(endpoint.label)} of {endpoint.patients} patients was"
        if endpoint.kind == "incidence"
        else f"The {lowered(endpoint.label)} {what} of {endpoint.patients} patients was"
    )
    sentences = [f"{lead} {_join(figures, last='; and ', sep='; ')}."]
    competing = [a for a in endpoint.overall.competing_at_times if a.estimate is not None]
    if competing:
        shown = [
            f"{figure(a, reporting)} at {time_label(a.time, endpoint.unit)}" for a in competing
        ]
        sentences.append(
            f"The cumulative incidence of the competing event ({endpoint.competing_event}) "
            f"was {_join(shown, last='; and ', sep='; ')}."
        )
    for comparison in endpoint.comparisons:
        sentences.append(_comparison(comparison, endpoint, results))
    return sentences


def _comparison(comparison: Comparison, endpoint: EndpointResult, results: StudyResults) -> str:
    last = results.reporting.time_points[-1]
    parts = [_group_part(group, last, endpoint, results) for group in comparison.groups]
    test = (
        f"{comparison.test} {p_value(comparison.p)}" if comparison.p is not None else "not tested"
    )
    year = time_label(last, endpoint.unit).replace(" ", "-").removesuffix("s")
    figures = _join(parts, last=" versus ", sep="; ")
    return f"By {lowered(comparison.label)}, the {year} figure was {figures} ({test})."


def _group_part(
    group: GroupEstimate, last: float, endpoint: EndpointResult, results: StudyResults
) -> str:
    at = next(a for a in group.at_times if a.time == last)
    name = f"{group.group} (n = {group.patients})"
    if group.events == 0 and endpoint.kind == "survival":
        return f"all {count_word(group.patients)} patients with {name} had no event by last contact"
    if at.estimate is None:
        return f"not estimable for {name}, nobody followed that long"
    return f"{figure(at, results.reporting)} for {name}"


def _risk_factors(results: StudyResults) -> list[str]:
    if not results.risk_factors:
        return []
    endpoint = lowered(results.endpoint(results.risk_factors_for or "").label)
    found = []
    for factor in results.risk_factors:
        for ratio in factor.ratios:
            if ratio.p < 0.05:
                hr = hazard_ratio(
                    ratio.hazard_ratio, ratio.lower, ratio.upper, results.reporting.conf_level
                )
                found.append(
                    f"{lowered(factor.label)} {ratio.level} versus {factor.reference} "
                    f"(HR {hr}; {p_value(ratio.p)})"
                )
    if not found:
        return [
            f"In univariable Cox models for {endpoint}, no candidate factor had P < .05 "
            "(hazard ratios in the risk-factor table)."
        ]
    return [
        f"In univariable Cox models for {endpoint}, the factors with P < .05 were {_join(found)}."
    ]


def _exposure_models(results: StudyResults) -> list[str]:
    """The analyses without immortal time, in the words of the comparison they correct."""
    sentences = []
    for model in results.models:
        x = model.exposure
        if x is None or (model.p is None and not model.groups):
            continue
        endpoint = results.endpoint(model.endpoint)
        test = f"{model.test} {p_value(model.p)}" if model.p is not None else "not tested"
        if model.method == "time_dependent":
            level = results.reporting.conf_level
            ratios = [
                f"{r.level} {hazard_ratio(r.hazard_ratio, r.lower, r.upper, level)}"
                for r in model.rows
                if r.hazard_ratio is not None and r.lower is not None and r.upper is not None
            ]
            against = f"; hazard ratios against “{x.before}”: {_join(ratios)}" if ratios else ""
            sentences.append(
                f"Counting the time before {lowered(x.label)} as “{x.before}”, "
                f"{lowered(endpoint.label)} by state gave {test}{against}."
            )
        elif model.method == "landmark" and model.groups:
            last = results.reporting.time_points[-1]
            parts = [_group_part(g, last, endpoint, results) for g in model.groups]
            year = time_label(last, endpoint.unit).replace(" ", "-").removesuffix("s")
            sentences.append(
                f"Among the {model.patients} patients alive and followed beyond the landmark "
                f"at {model.landmark:g} {endpoint.unit}, the {year} "
                f"{lowered(endpoint.label)} figure was {_join(parts, last=' versus ', sep='; ')} "
                f"({test})."
            )
    return sentences


def _join(parts: list[str], *, last: str = " and ", sep: str = ", ") -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return sep.join(parts[:-1]) + last + parts[-1]
