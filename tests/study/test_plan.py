"""The analysis plan: MLL03's loads; typos and unknown names are errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from followup.study import load_dictionary
from followup.study.plan import PlanError, load_plan, read_plan

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
    ],
)
def test_plan_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        read_plan(text, DICTIONARY)
