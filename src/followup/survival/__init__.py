"""Survival estimators that give R's answers, from aggregated risk tables.

Every estimator works from a ``RiskTable`` (distinct times × counts), built here from per-subject
rows or handed over as counts computed elsewhere (``RiskTable.from_counts``), so the same
arithmetic serves numpy, DuckDB or Spark aggregations. Each function's docstring names the R
function it reproduces; tests hold them to R's output on R's own datasets at 1e-10 relative.

Errors::

    SurvivalError (ValueError)
    ├── InputError            an argument is malformed: names it, the position and the value
    └── ModelFitError         the data are valid but the model has no finite answer
        ├── ConvergenceError
        ├── MonotoneLikelihoodError
        └── CollinearityError
"""

from followup.survival._adjusted_curves import AdjustedCurve, AdjustedSurvival, adjusted_survival
from followup.survival._competing_risks import (
    CumulativeIncidence,
    CumulativeIncidenceCurve,
    cumulative_incidence,
)
from followup.survival._cox import ChiSquareTest, CoxModel, cox_ph
from followup.survival._cox_concordance import Concordance
from followup.survival._cox_frailty import FrailtyCoxModel, PenalisedChiSquare, cox_frailty
from followup.survival._cox_frailty_newton import FrailtyControl
from followup.survival._cox_frailty_theta import ThetaStep
from followup.survival._cox_newton import CoxControl
from followup.survival._cox_survival import CoxSurvival, CoxSurvivalCurve, cox_survival
from followup.survival._cox_zph import ProportionalHazardsTest
from followup.survival._errors import (
    CollinearityError,
    ConvergenceError,
    InputError,
    ModelFitError,
    MonotoneLikelihoodError,
    SurvivalError,
)
from followup.survival._exposure import (
    MantelByarTest,
    SimonMakuch,
    mantel_byar_test,
    simon_makuch,
)
from followup.survival._fine_gray import FineGrayModel, fine_gray
from followup.survival._fine_gray_data import fine_gray_data
from followup.survival._fine_gray_newton import FineGrayControl
from followup.survival._followup import FollowUp, FollowUpSummary, reverse_km_followup
from followup.survival._gray import GrayTest, gray_test
from followup.survival._intervals import split_intervals
from followup.survival._kaplan_meier import KaplanMeier, KaplanMeierCurve, kaplan_meier
from followup.survival._landmark import LandmarkAnalysis, landmark_analysis
from followup.survival._logrank import LogRankTest, TrendTest, logrank_test
from followup.survival._multi_state import (
    StateOccupation,
    StateOccupationCurve,
    state_occupation,
)
from followup.survival._nelson_aalen import (
    CumulativeHazardAtTimes,
    CumulativeHazardCurve,
    NelsonAalen,
    nelson_aalen,
)
from followup.survival._parametric import ParametricModel, WeibullHazards, parametric_survival
from followup.survival._parametric_newton import ParametricControl
from followup.survival._parametric_predict import PredictedQuantiles, PredictedSurvival
from followup.survival._risk_table import RiskTable, StratumTable, risk_table
from followup.survival._summaries import Quantiles, RestrictedMean, SurvivalAtTimes

__all__ = [
    "AdjustedCurve",
    "AdjustedSurvival",
    "ChiSquareTest",
    "CollinearityError",
    "Concordance",
    "ConvergenceError",
    "CoxControl",
    "CoxModel",
    "CoxSurvival",
    "CoxSurvivalCurve",
    "CumulativeHazardAtTimes",
    "CumulativeHazardCurve",
    "CumulativeIncidence",
    "CumulativeIncidenceCurve",
    "FineGrayControl",
    "FineGrayModel",
    "FollowUp",
    "FollowUpSummary",
    "FrailtyControl",
    "FrailtyCoxModel",
    "GrayTest",
    "InputError",
    "KaplanMeier",
    "KaplanMeierCurve",
    "LandmarkAnalysis",
    "LogRankTest",
    "MantelByarTest",
    "ModelFitError",
    "MonotoneLikelihoodError",
    "NelsonAalen",
    "ParametricControl",
    "ParametricModel",
    "PenalisedChiSquare",
    "PredictedQuantiles",
    "PredictedSurvival",
    "ProportionalHazardsTest",
    "Quantiles",
    "RestrictedMean",
    "RiskTable",
    "SimonMakuch",
    "StateOccupation",
    "StateOccupationCurve",
    "StratumTable",
    "SurvivalAtTimes",
    "SurvivalError",
    "ThetaStep",
    "TrendTest",
    "WeibullHazards",
    "adjusted_survival",
    "cox_frailty",
    "cox_ph",
    "cox_survival",
    "cumulative_incidence",
    "fine_gray",
    "fine_gray_data",
    "gray_test",
    "kaplan_meier",
    "landmark_analysis",
    "logrank_test",
    "mantel_byar_test",
    "nelson_aalen",
    "parametric_survival",
    "reverse_km_followup",
    "risk_table",
    "simon_makuch",
    "split_intervals",
    "state_occupation",
]
