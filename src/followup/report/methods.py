"""The Methods statements a reader needs to trust the figures: definitions, SE, CI, tests."""

from __future__ import annotations

from followup.analysis import StudyResults

_TRANSFORMS = {"log": "log", "log-log": "log(−log)", "plain": "plain (linear)"}


def methods(results: StudyResults) -> list[str]:
    """One sentence per convention used, and one per endpoint definition."""
    reporting = results.reporting
    level = round(100 * reporting.conf_level)
    se = (
        "Greenwood's formula"
        if reporting.se_method == "greenwood"
        else "the method of Peto et al. (1977), S(t)·√((1 − S(t))/n(t))"
    )
    figure_style = (
        "estimate ± standard error"
        if reporting.style == "estimate_pm_se"
        else f"estimate with its {level}% confidence interval"
    )
    transform = _TRANSFORMS[reporting.conf_type]
    unit = "365.25 days per year" if reporting.time_unit == "years" else "365.25/12 days per month"
    lines = [
        f"Survival was estimated by the Kaplan-Meier method; figures are given as {figure_style}, "
        f"the standard error by {se}, and {level}% pointwise confidence intervals on the "
        f"{transform} scale. Groups were compared with the two-sided log-rank test.",
        "Cumulative incidence with competing events was estimated by the Aalen-Johansen method "
        "with the variance of cmprsk::cuminc, and compared with Gray's test.",
        "Hazard ratios are from univariable Cox proportional-hazards models (Efron's method for "
        f"ties) with {level}% Wald confidence intervals; P values are Wald tests of each level "
        "against the reference.",
        "Median follow-up was estimated by the reverse Kaplan-Meier method (death censors "
        "follow-up).",
        f"Times are in {reporting.time_unit} ({unit}); follow-up is in months of 365.25/12 days.",
    ]
    for endpoint in results.endpoints:
        d = endpoint.definition
        competing = f"; competing event: {_list(d.competing)}" if d.competing else ""
        lines.append(
            f"{endpoint.label}: population {d.population}; time from {d.origin} to the first of "
            f"{_list(d.events)}{competing}; {d.censoring}."
        )
    lines.append(
        "Computed by Followup, whose estimators are tested against R's survival and cmprsk "
        "packages to 1e-10 relative."
    )
    return lines


def _list(items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else "—"
