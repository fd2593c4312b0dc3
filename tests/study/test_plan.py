"""The analysis plan: MLL03's loads; typos and unknown names are errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from followup.study import load_dictionary
from followup.study.plan import PlanError, load_plan, read_plan
from followup.study.plan_schema import Model
from followup.study.record_view import InstanceChoice
from followup.study.schedule import CLASSIC, ScheduleError, classic

STUDY = Path(__file__).parents[2] / "studies" / "mll03"
DICTIONARY = load_dictionary(STUDY / "dictionary.csv")
MINIMAL = """\
study: test
endpoints:
  os:
    label: Overall survival
    origin: dx_date
    events: [{name: death, when: "[vital_status] = '2'", date: last_contact_date}]
    censor: last_contact_date
"""


def test_the_mll03_plan_loads() -> None:
    plan = load_plan(STUDY / "plan.yaml", DICTIONARY)
    assert "os_after_relapse" in plan.model.endpoints
    assert plan.form_logic["relapse_questionnaire"].show({"relapsed": "1"})
    assert {r.name for r in plan.rules} >= {"cr1_after_diagnosis", "relapse_after_cr1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MINIMAL.replace("origin:", "orign:"),
            r"plan line 5: endpoints.os.orign: unknown key 'orign' \(did you mean 'origin'\?\)",
        ),
        (
            MINIMAL.replace("    origin: dx_date\n", ""),
            "plan line 3: endpoints.os.origin: is required",
        ),
        (
            MINIMAL + "reporting: {style: percent}\n",
            "plan line 8: reporting.style: Input should be 'estimate_pm_se' or 'estimate_ci'",
        ),
        (
            MINIMAL.replace("[vital_status]", "[vital]"),
            r"plan line 6: endpoints.os.events.0.when: \[vital\] is neither a field .* "
            r"\(did you mean "
            r"'vital_status'\?\)",
        ),
        (
            MINIMAL.replace("origin: dx_date", "origin: sex"),
            "endpoints.os.origin: 'sex' is not a date field",
        ),
        (MINIMAL.replace("= '2'", "= '2"), "never closed at character 18"),
        (
            MINIMAL + "risk_factors: [age_grp]\n",
            "risk_factors.0: 'age_grp' is not a field or derived",
        ),
        (MINIMAL + "forms: {relapse: ''}\n", "forms.relapse: 'relapse' is not a form"),
        ("study: [unclosed\n", "plan line 2, column 1: not valid YAML"),
        ("- a list\n", "the plan should be a mapping"),
        (
            MINIMAL + "schedule: {repeat: repeating.csv}\n",
            r"plan line 8: schedule.repeat: unknown key 'repeat' \(did you mean 'repeating'\?\)",
        ),
        (
            MINIMAL + "instances:\n  followup: {tak: latest}\n",
            r"plan line 9: instances.followup.tak: unknown key 'tak' \(did you mean 'take'\?\)",
        ),
        (
            MINIMAL + "instances: {followup: {take: last}}\n",
            "instances.followup.take: Input should be 'latest' or 'first'",
        ),
        (
            MINIMAL + "instances:\n  relapse: {take: latest}\n",
            r"plan line 9: instances.relapse: 'relapse' is not a form "
            r"\(did you mean 'relapse_questionnaire'\?\)",
        ),
        (
            MINIMAL + "instances:\n  followup:\n    by: dx_date\n",
            "plan line 10: instances.followup.by: 'dx_date' is not a field of the form 'followup'",
        ),
        (
            MINIMAL + "instances: {followup: {by: vital_status}}\n",
            "instances.followup.by: 'vital_status' is not a date field",
        ),
        (
            MINIMAL + "instances: {followup: {when: \"[vital] = '2'\"}}\n",
            r"instances.followup.when: \[vital\] is not a field of the dictionary "
            r"\(did you mean 'vital_status'\?\)",
        ),
        (
            MINIMAL + 'instances: {followup: {when: "[vital_status] = \'2"}}\n',
            "instances.followup.when: .*never closed at character",
        ),
    ],
)
def test_plan_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        read_plan(text, DICTIONARY)


def test_the_mll03_plan_names_its_repeating_follow_up() -> None:
    plan = load_plan(STUDY / "plan.yaml", DICTIONARY)
    assert plan.schedule_files == {"repeating": STUDY / "repeating.csv"}
    assert plan.load_schedule() == classic(["followup"])
    assert plan.instances == {"followup": InstanceChoice("latest", "last_contact_date")}


def test_a_plan_without_a_schedule_is_a_classic_project() -> None:
    plan = read_plan(MINIMAL, DICTIONARY)
    assert (plan.schedule_files, plan.load_schedule(), dict(plan.instances)) == ({}, CLASSIC, {})


def test_instances_are_parsed_with_their_condition() -> None:
    text = MINIMAL + (
        "instances:\n"
        "  followup: {take: first, by: last_contact_date, when: \"[vital_status] = '2'\"}\n"
    )
    choice = read_plan(text, DICTIONARY).instances["followup"]
    assert (choice.take, choice.by) == ("first", "last_contact_date")
    assert choice.when is not None
    assert choice.when.show({"vital_status": "2"})
    assert not choice.when.show({"vital_status": "1"})


def test_schedule_files_are_beside_the_plan(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(MINIMAL + "schedule:\n  repeating: nope.csv\n")
    with pytest.raises(PlanError, match=r"plan.yaml line 9: schedule.repeating: .*nope.csv does"):
        load_plan(tmp_path / "plan.yaml", DICTIONARY)
    (tmp_path / "nope.csv").write_text("form_name,custom_form_label\nfollowup,\n")
    plan = load_plan(tmp_path / "plan.yaml", DICTIONARY)
    assert plan.schedule_files == {"repeating": tmp_path / "nope.csv"}
    assert plan.load_schedule() == classic(["followup"])


def test_a_form_of_instances_must_repeat_in_the_schedule(tmp_path: Path) -> None:
    (tmp_path / "repeating.csv").write_text("form_name,custom_form_label\nfollowup,\n")
    (tmp_path / "plan.yaml").write_text(
        MINIMAL
        + "schedule: {repeating: repeating.csv}\n"
        + "instances:\n  enrollment: {take: latest}\n"
    )
    plan = load_plan(tmp_path / "plan.yaml", DICTIONARY)
    with pytest.raises(PlanError, match=r"line 10: instances\.enrollment: 'enrollment' is not a"):
        plan.load_schedule()


def test_an_unreadable_schedule_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "plan.yaml").write_text(MINIMAL + "schedule: {events: events.csv}\n")
    plan = load_plan(tmp_path / "plan.yaml", DICTIONARY)
    with pytest.raises(ScheduleError, match=r"events\.csv"):
        plan.load_schedule()


EXPOSURES = """\
exposures:
  second_sct:
    label: Second SCT
    date: sct2_date
    when: "[sct2] = '1'"
    levels: sct2_remission
    before: no second SCT
models:
  sct2:
    label: Second SCT as a time-dependent exposure
    endpoint: os
    method: time_dependent
    exposure: second_sct
  sct2_at_half_a_year:
    label: Landmark at 6 months
    endpoint: os
    method: landmark
    exposure: second_sct
    landmark: 0.5
  multivariable:
    label: Multivariable model
    endpoint: os
    method: cox
    covariates: [sex, cns_dx]
    cluster: hospital
"""


def test_exposures_and_models_are_read() -> None:
    plan = read_plan(MINIMAL + EXPOSURES, DICTIONARY)
    exposure = plan.model.exposures["second_sct"]
    assert (exposure.date, exposure.levels, exposure.before) == (
        "sct2_date",
        "sct2_remission",
        "no second SCT",
    )
    models = plan.model.models
    assert [m.method for m in models.values()] == ["time_dependent", "landmark", "cox"]
    assert models["sct2_at_half_a_year"].landmark == 0.5
    assert models["multivariable"].cluster == "hospital"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("date: sct2_date", "date: sct2"),
            "exposures.second_sct.date: 'sct2' is not a date field",
        ),
        (
            ("levels: sct2_remission", "levels: remission"),
            "exposures.second_sct.levels: 'remission'",
        ),
        (("[sct2] = '1'", "[sct3] = '1'"), r"exposures.second_sct.when: \[sct3\] is neither"),
        (("    landmark: 0.5\n", ""), "method landmark needs landmark"),
        (("landmark: 0.5", "landmark: -1"), "greater than 0"),
        (("endpoint: os\n    method: cox", "endpoint: efs\n    method: cox"), "'efs' is not one"),
        (("exposure: second_sct\n  sct2_at", "exposure: third_sct\n  sct2_at"), "'third_sct'"),
        (
            (
                "method: cox\n    covariates: [sex, cns_dx]\n    cluster: hospital",
                "method: fine_gray\n    covariates: [sex, cns_dx]",
            ),
            "fine_gray needs an endpoint with competing events",
        ),
        (
            ("[sex, cns_dx]", "[sex, cns]"),
            r"models.multivariable.covariates.1: 'cns' is not a field",
        ),
        (("cluster: hospital", "cluster: hosp"), "models.multivariable.cluster: 'hosp' is not"),
        (("method: cox", "method: coxph"), "Input should be 'cox'"),
    ],
)
def test_exposure_and_model_errors_say_where(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        read_plan(MINIMAL + EXPOSURES.replace(*change), DICTIONARY)


def test_clustered_errors_are_offered_only_where_they_exist() -> None:
    with pytest.raises(ValidationError, match="fine_gray has no clustered standard errors"):
        Model(label="x", endpoint="e", method="fine_gray", covariates=["a"], cluster="hospital")
