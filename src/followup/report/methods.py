"""The Methods statements a reader needs to trust the figures: definitions, SE, CI, tests."""

from __future__ import annotations

from followup.analysis import StudyResults
from followup.report.numbers import lowered

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
    lines += model_methods(results)
    lines.append(
        "Computed by Followup, whose estimators are tested against R's survival and cmprsk "
        "packages to 1e-10 relative."
    )
    return lines


def _list(items: tuple[str, ...]) -> str:
    return ", ".join(items) if items else "—"


def model_methods(results: StudyResults) -> list[str]:
    """How each of the plan's exposure models treats the exposure, in a sentence."""
    lines = []
    level = round(100 * results.reporting.conf_level)
    for model in results.models:
        se = (
            f" Standard errors are robust, {model.standard_errors.removeprefix('robust, ')} "
            "(R's coxph(..., cluster = ...)): patients of one cluster are not independent."
            if model.standard_errors.startswith("robust")
            else ""
        )
        if model.method == "cox":
            lines.append(
                f"{model.label}: a multivariable Cox proportional-hazards model (Efron's method "
                f"for ties) of the covariates together, on the patients with every covariate "
                f"recorded; hazard ratios with {level}% Wald confidence intervals.{se}"
            )
            continue
        if model.method == "fine_gray":
            lines.append(
                f"{model.label}: a Fine–Gray model of the subdistribution hazard of the event "
                "with competing events (R's cmprsk::crr), subdistribution hazard ratios with "
                f"{level}% confidence intervals from crr's sandwich variance."
            )
            continue
        x = model.exposure
        if x is None:
            continue
        unit = results.endpoint(model.endpoint).unit
        if model.method == "time_dependent":
            lines.append(
                f"{model.label}: {lowered(x.label)} was a time-dependent exposure — each patient "
                f"counted as “{x.before}” from {x.origin} until {x.date}, and in the state then "
                "entered from that day on (an exposure on the day of death or last contact does "
                "not change the state, as R's tmerge); states were compared with the Mantel–Byar "
                "test (a log-rank test over risk sets that patients join as they are exposed) "
                "and shown as Simon–Makuch curves; hazard ratios of each state against "
                f"“{x.before}” are from a Cox model on the (start, stop] intervals.{se}"
            )
        elif model.method == "landmark":
            lines.append(
                f"{model.label}: landmark analysis at {model.landmark:g} {unit} after {x.origin} "
                f"— patients alive and followed beyond it were grouped by their state then "
                f"(“{x.before}” or the state entered at {x.date}) and compared with the log-rank "
                f"test; figures are survival from {x.origin} among those patients."
            )
    return lines


def immortal_time_notes(results: StudyResults) -> list[str]:
    """Where a comparison groups patients by an exposure they had to survive to, say so.

    The published-style comparison stays in the report, because a reader checks it against the
    paper; this note names its bias and points to the analyses that avoid it.
    """
    notes = []
    for endpoint in results.endpoints:
        for comparison in endpoint.comparisons:
            models = [
                m
                for m in results.models
                if m.exposure is not None
                and m.endpoint == endpoint.name
                and m.exposure.levels == comparison.variable
            ]
            if not models:
                continue
            x = models[0].exposure
            assert x is not None
            notes.append(
                f"{endpoint.label} by {lowered(comparison.label)} is the comparison as published: "
                f"its time starts at {x.origin}, but patients enter its groups only at {x.date}, "
                "so they had to live until then to be in either group (immortal-time bias, "
                "which flatters the exposed). "
                + " and ".join(f"“{m.label}”" for m in models)
                + " count that time in the unexposed state; read the comparison with them."
            )
    return notes
