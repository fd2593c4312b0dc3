"""The public surface of followup.survival, pinned: what users import must not drift silently."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import followup.survival as survival

FUNCTIONS = {
    "risk_table": "survfit",  # the counts behind survfit's table
    "kaplan_meier": "survfit",
    "reverse_km_followup": "survfit",
    "logrank_test": "survdiff",
    "cumulative_incidence": "cuminc",
    "gray_test": "cuminc",
    "cox_ph": "coxph",
    "landmark_analysis": "subset",  # survfit/survdiff/coxph on subset(d, time > L)
    "mantel_byar_test": "coxph",  # log-rank sums on tmerge rows; untied: coxph's score test
    "simon_makuch": "survfit",
    "cox_frailty": "frailty",
    "parametric_survival": "survreg",
    "state_occupation": "survfit",
    "split_intervals": "tmerge",
    "nelson_aalen": "survfit",
    "cox_survival": "survfit",
    "adjusted_survival": "survfit",
    "fine_gray": "crr",
    "fine_gray_data": "finegray",
}


# The data a function is about come first, positionally; every option after them is keyword-only.
POSITIONAL = {
    "cox_ph": ["time", "event", "covariates"],
    "cox_frailty": ["time", "event", "covariates"],
    "parametric_survival": ["time", "event", "covariates"],
    "mantel_byar_test": ["time", "event", "exposure_time"],
    "simon_makuch": ["time", "event", "exposure_time"],
    "state_occupation": ["start", "stop", "state"],
    "split_intervals": ["id", "time", "event"],
    "cox_survival": ["model", "profiles"],
    "adjusted_survival": ["model", "data"],
    "fine_gray": ["time", "event", "covariates"],
    "fine_gray_data": ["time", "event", "covariates"],
}


def test_public_names_are_pinned() -> None:
    assert sorted(survival.__all__) == sorted(
        [*FUNCTIONS, "RiskTable", "StratumTable", "KaplanMeier", "KaplanMeierCurve",
         "FollowUpSummary", "FollowUp", "LogRankTest", "TrendTest", "CumulativeIncidence",
         "CumulativeIncidenceCurve", "GrayTest", "CoxModel", "Concordance", "ChiSquareTest",
         "ProportionalHazardsTest", "CoxControl", "SurvivalAtTimes", "Quantiles",
         "RestrictedMean", "SurvivalError", "InputError", "ModelFitError", "ConvergenceError",
         "MonotoneLikelihoodError", "CollinearityError", "LandmarkAnalysis", "MantelByarTest",
         "SimonMakuch", "FrailtyCoxModel", "PenalisedChiSquare", "FrailtyControl", "ThetaStep",
         "ParametricModel", "WeibullHazards", "ParametricControl", "PredictedQuantiles",
         "PredictedSurvival", "StateOccupation", "StateOccupationCurve",
         "AdjustedCurve", "AdjustedSurvival", "CoxSurvival", "CoxSurvivalCurve",
         "CumulativeHazardAtTimes", "CumulativeHazardCurve", "NelsonAalen", "FineGrayModel",
         "FineGrayControl"]
    )  # fmt: skip
    for name in survival.__all__:
        assert getattr(survival, name) is not None


def test_each_function_names_the_r_function_it_matches() -> None:
    for name, r_function in FUNCTIONS.items():
        doc = inspect.getdoc(getattr(survival, name)) or ""
        assert r_function in doc, f"{name}'s docstring does not name R's {r_function}"


def test_arguments_after_time_and_event_are_keyword_only() -> None:
    for name in FUNCTIONS:
        parameters = list(inspect.signature(getattr(survival, name)).parameters.values())
        positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert positional == POSITIONAL.get(name, ["time", "event"]), name


def test_the_survival_core_imports_nothing_else_of_ours() -> None:
    """survival/ is the bottom layer: numpy, scipy, pandas and the standard library only."""
    allowed = {"numpy", "scipy", "pandas", "followup"}
    for path in Path(survival.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in allowed or top in _standard_library(), f"{path.name} imports {name}"
                if top == "followup":
                    assert name.startswith("followup.survival"), f"{path.name} imports {name}"


def _standard_library() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names) | {"__future__"}
