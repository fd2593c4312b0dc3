"""The analysis of the demo cohort gives every figure the seed published (read from the YAML).

The 5-year overall figure is the one the proof in studies/mll03/design.py relaxes: the analysis
must give the figure that proof says is the nearest that can hold, not the published one.
"""

from __future__ import annotations

import json

import pytest

from followup.analysis import StudyResults
from followup.analysis.estimates import AtTime, Comparison
from tests.conftest import STUDY


def _printed(at: AtTime) -> tuple[float, float]:
    assert at.estimate is not None
    assert at.std_err is not None
    return round(100 * at.estimate, 1), round(100 * at.std_err, 1)


def _at(
    results: StudyResults, year: float, group: str | None = None, by: str | None = None
) -> AtTime:
    endpoint = results.endpoint("os_after_relapse")
    source = endpoint.overall if by is None else _group(_comparison(results, by), group)
    return next(a for a in source.at_times if a.time == year)


def _comparison(results: StudyResults, variable: str) -> Comparison:
    return next(
        c for c in results.endpoint("os_after_relapse").comparisons if c.variable == variable
    )


def _group(comparison: Comparison, label: str | None):  # type: ignore[no-untyped-def]
    return next(g for g in comparison.groups if g.group == label)


def test_flow_gives_the_cohort_and_relapse_counts(
    mll03_results: StudyResults, published: dict
) -> None:
    flow = mll03_results.flow
    assert flow.treated == published["cohort"]["patients_treated"]
    relapsed = flow.steps[-1]
    assert relapsed.count == published["cohort"]["relapsed_after_cr1"]
    assert round(relapsed.percent_of_treated) == published["cohort"]["relapse_incidence_percent"]
    timing = {lv.label: lv.count for lv in relapsed.breakdowns[0].levels}
    assert timing["after first SCT"] == published["relapsed_patients"]["relapsed_after_first_sct"]
    assert timing["before first SCT"] == published["relapsed_patients"]["relapsed_before_first_sct"]
    assert sum(timing.values()) == relapsed.count  # one count: three, never "three and four"


def test_characteristics_of_relapsed_patients(mll03_results: StudyResults, published: dict) -> None:
    facts = published["relapsed_patients"]
    table = {
        c.variable: {lv.label: lv.count for lv in c.levels} for c in mll03_results.characteristics
    }
    assert mll03_results.characteristics_patients == published["cohort"]["relapsed_after_cr1"]
    assert table["sex"] == {"Male": facts["boys"], "Female": facts["girls"]}
    assert table["age_group"]["< 6 months"] == facts["age_at_onset_under_6_months"]
    assert table["age_group"]["6-12 months"] == facts["age_at_onset_6_to_12_months"]
    assert table["early_relapse"]["yes"] == facts["early_relapse_within_6_months_of_diagnosis"]


def test_mean_follow_up(mll03_results: StudyResults, published: dict) -> None:
    assert mll03_results.follow_up is not None
    assert round(mll03_results.follow_up.mean, 1) == published["cohort"]["mean_follow_up_months"]


@pytest.mark.parametrize("year", [3, 4])
def test_overall_survival_after_relapse(
    mll03_results: StudyResults, published: dict, year: int
) -> None:
    wanted = published["overall_survival_after_relapse"]["all_24"][f"{year}y"]
    assert _printed(_at(mll03_results, year)) == (wanted["estimate"], wanted["se"])


def test_five_year_survival_is_the_relaxed_figure(mll03_results: StudyResults) -> None:
    relaxation = json.loads((STUDY / "os_design.json").read_text())["relaxation"]
    reproduced = relaxation["reproduced"]
    assert _printed(_at(mll03_results, 5)) == (reproduced["estimate"], reproduced["se"])
    assert relaxation["sequences"]["3y+5y"] == relaxation["sequences"]["4y+5y"] == 0


@pytest.mark.parametrize(
    ("key", "variable", "level"),
    [
        ("age_under_6_months", "age_group", "< 6 months"),
        ("second_sct_in_remission", "sct2_remission_status", "in remission"),
        ("second_sct_not_in_remission", "sct2_remission_status", "not in remission"),
    ],
)
def test_subgroups_at_five_years(
    mll03_results: StudyResults, published: dict, key: str, variable: str, level: str
) -> None:
    wanted = published["overall_survival_after_relapse"][key]["5y"]
    assert _printed(_at(mll03_results, 5, level, variable)) == (wanted["estimate"], wanted["se"])


def test_remission_comparison_is_not_significant(
    mll03_results: StudyResults, published: dict
) -> None:
    assert (
        published["overall_survival_after_relapse"]["second_sct_remission_logrank"]
        == "not significant"
    )
    p = _comparison(mll03_results, "sct2_remission_status").p
    assert p is not None
    assert p >= 0.05


def test_extramedullary_relapses_all_survived(mll03_results: StudyResults, published: dict) -> None:
    group = _group(_comparison(mll03_results, "relapse_site"), "extramedullary other than CNS")
    assert group.patients == published["relapsed_patients"]["extramedullary_non_cns_relapse"]
    assert group.events == 0


def test_early_relapses_all_died(mll03_results: StudyResults, published: dict) -> None:
    group = _group(_comparison(mll03_results, "early_relapse"), "yes")
    assert (
        group.patients
        == group.events
        == published["relapsed_patients"]["early_relapse_within_6_months_of_diagnosis"]
    )


def test_results_json_round_trips(mll03_results: StudyResults, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(mll03_results.write_json(tmp_path / "results.json").read_text())
    os_after = next(e for e in data["endpoints"] if e["name"] == "os_after_relapse")
    assert os_after["overall"]["at_times"][0]["estimate"] == _at(mll03_results, 3).estimate
    assert data["reporting"]["se_method"] == "greenwood"
