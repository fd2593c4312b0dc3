"""Survival estimators that give R's answers (WIP)."""

from followup.survival._cox import CoxModel, cox_ph
from followup.survival._competing_risks import CumulativeIncidence, cumulative_incidence
from followup.survival._errors import InputError, SurvivalError
from followup.survival._followup import FollowUpSummary, reverse_km_followup
from followup.survival._gray import GrayTest, gray_test
from followup.survival._kaplan_meier import KaplanMeier, KaplanMeierCurve, kaplan_meier
from followup.survival._logrank import LogRankTest, logrank_test
from followup.survival._risk_table import RiskTable, risk_table

__all__ = [
    "CoxModel", "CumulativeIncidence", "cox_ph", "FollowUpSummary", "GrayTest", "InputError", "KaplanMeier",
    "KaplanMeierCurve", "LogRankTest", "RiskTable", "SurvivalError", "cumulative_incidence",
    "gray_test", "kaplan_meier", "logrank_test", "reverse_km_followup", "risk_table",
]  # fmt: skip
