"""The plan's regression models: multivariable Cox and Fine–Gray over an endpoint's patients.

A covariate is a derived variable or a field, as in the risk-factor tables; patients without a
value for one of them are left out (complete cases) and the count is said. ``cluster: hospital``
gives robust standard errors with the record's data access group as the cluster, as R's
``coxph(..., cluster = hospital)``: patients of one hospital share more than the model knows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from followup.analysis.dataset import StudyData
from followup.analysis.endpoints import EndpointData
from followup.analysis.models import ModelResult, cluster_labels, model_rows
from followup.study.plan_schema import Model
from followup.survival import (
    ChiSquareTest,
    CoxModel,
    FineGrayModel,
    SurvivalError,
    cox_ph,
    fine_gray,
)


def regression_model(
    data: StudyData, name: str, model: Model, endpoint: EndpointData, conf_level: float
) -> ModelResult:
    """A ``cox`` or ``fine_gray`` model of the plan, fitted on the complete cases."""
    columns, labels, kept, missing = covariate_columns(data, model.covariates, endpoint)
    notes = (
        [f"{missing} patient(s) without a value for a covariate are left out"] if missing else []
    )
    time, event = endpoint.time[kept], endpoint.event[kept]
    events = int((event == 1).sum())
    standard_errors = "model-based"
    try:
        fitted: CoxModel | FineGrayModel
        if model.method == "fine_gray":
            fitted = fine_gray(time, event, columns, conf_level=conf_level)
            test, chisq, df, p = "Wald", *_chi(fitted.wald)
        else:
            labels_of = cluster_labels(data, model.cluster, endpoint.frame.index)
            cluster = None if labels_of is None else labels_of[kept]
            fitted = cox_ph(
                time, (event == 1).astype(int), columns, cluster=cluster, conf_level=conf_level
            )
            if cluster is None:
                test, chisq, df, p = "likelihood ratio", *_chi(fitted.likelihood_ratio)
            else:
                standard_errors = f"robust, clustered by {model.cluster}"
                test, chisq, df, p = "robust Wald", *_chi(fitted.robust_wald)
    except SurvivalError as error:
        notes.append(f"not estimable: {error}")
        return ModelResult(
            name, model.label, model.method, model.endpoint, int(kept.sum()), events, (), (),
            "", None, None, None, standard_errors, None, 0, "; ".join(notes),
        )  # fmt: skip
    return ModelResult(
        name,
        model.label,
        model.method,
        model.endpoint,
        int(kept.sum()),
        events,
        model_rows(fitted.to_frame(), fitted.terms, labels),
        (),
        test,
        chisq,
        df,
        p,
        standard_errors,
        None,
        0,
        "; ".join(notes),
    )


def covariate_columns(
    data: StudyData, names: Sequence[str], endpoint: EndpointData
) -> tuple[dict[str, Any], dict[str, str], np.ndarray, int]:
    """Each covariate's column over the complete cases, its label, the kept mask, how many not.

    A categorical variable is a pandas Categorical in the variable's level order, so its first
    level present is the reference, as in the tables.
    """
    index = endpoint.frame.index
    raw = {name: data.column(name).reindex(index) for name in names}
    kept = np.ones(len(index), dtype=bool)
    for column in raw.values():
        blank = column.isna() | (column.astype(str) == "")
        kept &= ~blank.to_numpy()
    columns: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for name, column in raw.items():
        variable = data.variable(name)
        labels[name] = variable.label
        values = column[kept]
        if variable.kind == "categorical":
            present = [lv for lv in variable.levels if (values == lv).any()]
            columns[name] = pd.Categorical(values.astype(str), categories=present)
        else:
            columns[name] = values.astype(float).to_numpy()
    return columns, labels, kept, int((~kept).sum())


def _chi(test: ChiSquareTest) -> tuple[float, int, float]:
    return float(test.chisq), int(test.df), float(test.p)
