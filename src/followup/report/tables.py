"""The report's tables as DataFrames of printed cells: the HTML shows them, CSV files carry them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from followup.analysis import EndpointResult, StudyResults
from followup.analysis.models import ModelResult, ModelRow
from followup.report.numbers import figure, hazard_ratio, lowered, p_value, time_label
from followup.study.csv_text import safe_cell


@dataclass(frozen=True)
class Table:
    """A titled table and the CSV file it was written to."""

    name: str
    title: str
    frame: pd.DataFrame
    csv: Path | None = None


def flow_table(results: StudyResults) -> pd.DataFrame:
    """Treated, each step, and each step's breakdowns."""
    rows = [{"Step": "Treated", "n": results.flow.treated, "of": "", "% of treated": "100"}]
    for step in results.flow.steps:
        rows.append(
            {
                "Step": step.name,
                "n": step.count,
                "of": step.of_previous,
                "% of treated": f"{step.percent_of_treated:.1f}",
            }
        )
        for breakdown in step.breakdowns:
            for level in breakdown.levels:
                rows.append(
                    {
                        "Step": f"    {breakdown.label}: {level.label}",
                        "n": level.count,
                        "of": step.count,
                        "% of treated": f"{level.percent:.1f}% of step",
                    }
                )
    return pd.DataFrame(rows)


def characteristics_table(results: StudyResults) -> pd.DataFrame:
    """Table 1: n (%) per level, median (range) for numbers, and the unknowns."""
    rows = []
    for c in results.characteristics:
        if c.kind == "continuous":
            value = "–" if c.median is None else f"{c.median:g} ({c.minimum:g}–{c.maximum:g})"
            rows.append({"Characteristic": c.label, "Value": "median (range)", "n (%)": value})
        else:
            for i, level in enumerate(c.levels):
                rows.append(
                    {
                        "Characteristic": c.label if i == 0 else "",
                        "Value": level.label,
                        "n (%)": f"{level.count} ({level.percent:.1f}%)",
                    }
                )
        if c.missing:
            rows.append({"Characteristic": "", "Value": "not recorded", "n (%)": str(c.missing)})
    return pd.DataFrame(rows, columns=["Characteristic", "Value", "n (%)"])


def endpoint_table(endpoint: EndpointResult, results: StudyResults) -> pd.DataFrame:
    """Per group: patients, events, the figure at each time point, median, and the test's P."""
    reporting = results.reporting
    rows = []
    for comparison, groups in [
        (None, (endpoint.overall,)),
        *((c, c.groups) for c in endpoint.comparisons),
    ]:
        for i, group in enumerate(groups):
            row = {
                "Comparison": "All patients"
                if comparison is None
                else (comparison.label if i == 0 else ""),
                "Group": group.group,
                "n": group.patients,
                "Events": group.events,
            }
            for at in group.at_times:
                row[time_label(at.time, endpoint.unit)] = figure(at, reporting)
            for at in group.competing_at_times:
                row[f"{endpoint.competing_event}, {time_label(at.time, endpoint.unit)}"] = figure(
                    at, reporting
                )
            if endpoint.kind == "survival":
                row["Median"] = "not reached" if group.median is None else f"{group.median:.2f}"
            row["P"] = (
                p_value(comparison.p).removeprefix("P ").removeprefix("= ")
                if comparison is not None and i == 0
                else ""
            )
            rows.append(row)
    return pd.DataFrame(rows)


def risk_factor_table(results: StudyResults) -> pd.DataFrame:
    """Univariable Cox models: each level against its reference."""
    rows = []
    level = results.reporting.conf_level
    for factor in results.risk_factors:
        rows.append(
            {
                "Factor": factor.label,
                "Level": f"{factor.reference} (reference)",
                "n": factor.reference_patients,
                "Events": factor.reference_events,
                f"HR ({round(100 * level)}% CI)": "1",
                "P": "",
            }
        )
        for ratio in factor.ratios:
            rows.append(
                {
                    "Factor": "",
                    "Level": ratio.level,
                    "n": ratio.patients,
                    "Events": ratio.events,
                    f"HR ({round(100 * level)}% CI)": hazard_ratio(
                        ratio.hazard_ratio, ratio.lower, ratio.upper, level
                    ).replace(f"{round(100 * level)}% CI ", ""),
                    "P": p_value(ratio.p).removeprefix("P ").removeprefix("= "),
                }
            )
        if factor.note and not factor.ratios:
            rows.append(
                {
                    "Factor": "",
                    "Level": "not estimable (see notes)",
                    "n": "",
                    "Events": "",
                    f"HR ({round(100 * level)}% CI)": "",
                    "P": "",
                }
            )
    return pd.DataFrame(rows)


def model_table(model: ModelResult, results: StudyResults) -> pd.DataFrame:
    """An exposure model: per state, patients, events, the figures at the time points and P.

    Landmark figures are survival from the origin among those alive and followed at the
    landmark; time-dependent (Simon–Makuch) figures count each patient in a state from its entry.
    """
    unit = results.endpoint(model.endpoint).unit
    rows = []
    for i, group in enumerate(model.groups):
        row: dict[str, object] = {"State": group.group, "n": group.patients, "Events": group.events}
        for at in group.at_times:
            row[time_label(at.time, unit)] = figure(at, results.reporting)
        row[f"P ({model.test})"] = (
            p_value(model.p).removeprefix("P ").removeprefix("= ")
            if i == 0 and model.p is not None
            else ""
        )
        rows.append(row)
    return pd.DataFrame(rows)


def model_ratio_table(model: ModelResult, results: StudyResults) -> pd.DataFrame:
    """A model's hazard ratios (subdistribution hazard ratios for Fine–Gray) against references."""
    level = round(100 * results.reporting.conf_level)
    ratio = "SHR" if model.method == "fine_gray" else "HR"
    rows = []
    for i, row in enumerate(model.rows):
        new_term = i == 0 or model.rows[i - 1].term != row.term
        compared = f"{row.level} vs {row.reference}" if row.reference else "per unit"
        rows.append(
            {
                "Covariate": row.term if new_term else "",
                "Comparison": compared,
                f"{ratio} ({level}% CI)": _ratio_cell(row, results.reporting.conf_level),
                "P": p_value(row.p).removeprefix("P ").removeprefix("= ")
                if row.p is not None
                else "",
            }
        )
    return pd.DataFrame(rows)


def _ratio_cell(row: ModelRow, conf_level: float) -> str:
    if row.hazard_ratio is None or row.lower is None or row.upper is None:
        return "not estimable"
    cell = hazard_ratio(row.hazard_ratio, row.lower, row.upper, conf_level)
    return cell.replace(f"{round(100 * conf_level)}% CI ", "")


def follow_up_table(results: StudyResults) -> pd.DataFrame:
    """Follow-up in months: reverse-KM median with limits, mean, median and range of observation."""
    f = results.follow_up
    if f is None:
        return pd.DataFrame()
    limits = "" if f.lower is None or f.upper is None else f" ({f.lower:.1f}–{f.upper:.1f})"
    median = "not reached" if f.median_reverse_km is None else f"{f.median_reverse_km:.1f}{limits}"
    return pd.DataFrame(
        [
            {"Measure": "Median follow-up, reverse Kaplan-Meier (95% CI)", "Months": median},
            {"Measure": "Mean observation time", "Months": f"{f.mean:.1f}"},
            {
                "Measure": "Median observation time (range)",
                "Months": f"{f.median:.1f} ({f.minimum:.1f}–{f.maximum:.1f})",
            },
        ]
    )


def all_tables(results: StudyResults) -> list[Table]:
    """Every table of the report, in order."""
    tables = [
        Table("patient_flow", "Patient flow, counts", flow_table(results)),
        Table(
            "characteristics",
            f"Characteristics of {lowered(results.characteristics_label)} "
            f"(n = {results.characteristics_patients})",
            characteristics_table(results),
        ),
    ]
    for endpoint in results.endpoints:
        tables.append(Table(endpoint.name, endpoint.label, endpoint_table(endpoint, results)))
    if results.follow_up is not None:
        tables.append(Table("follow_up", "Follow-up", follow_up_table(results)))
    if results.risk_factors:
        target = results.endpoint(results.risk_factors_for or "").label
        tables.append(
            Table(
                "risk_factors",
                f"Univariable Cox models for {lowered(target)}",
                risk_factor_table(results),
            )
        )
    for model in results.models:
        if model.groups:
            tables.append(Table(f"model_{model.name}", model.label, model_table(model, results)))
        if model.rows:
            kind = {"fine_gray": "Fine–Gray model", "time_dependent": "time-dependent Cox model"}
            title = (
                f"{model.label}: {kind.get(model.method, 'Cox model')} ({model.standard_errors} SE)"
            )
            tables.append(
                Table(f"model_{model.name}_ratios", title, model_ratio_table(model, results))
            )
    return tables


def write_tables(tables: list[Table], folder: Path) -> list[Table]:
    """Each table as CSV (UTF-8 with BOM, so that Excel reads ± and – right)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = folder / f"{table.name}.csv"
        shown = table.frame.map(safe_cell)  # a label that looks like a formula stays text
        shown.columns = [safe_cell(c) for c in table.frame.columns]
        shown.to_csv(path, index=False, encoding="utf-8-sig")
        written.append(Table(table.name, table.title, table.frame, path))
    return written
