"""Survival estimators that give R's answers (WIP)."""

from followup.survival._errors import InputError, SurvivalError
from followup.survival._kaplan_meier import KaplanMeier, KaplanMeierCurve, kaplan_meier
from followup.survival._risk_table import RiskTable, risk_table

__all__ = [
    "InputError",
    "KaplanMeier",
    "KaplanMeierCurve",
    "RiskTable",
    "SurvivalError",
    "kaplan_meier",
    "risk_table",
]
