"""Directly standardised (marginal) survival curves against R computed by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followup.survival import CoxModel, InputError, cox_ph
from followup.survival._adjusted_curves import adjusted_survival
from followup.survival._cox_survival import cox_survival
from tests.reference import ITERATIVE, assert_matches, load

REFERENCE = load("curves")
CASES = [pytest.param(case, id=case["name"]) for case in REFERENCE["adjusted"]]


def fit(case: dict[str, Any]) -> tuple[CoxModel, pd.DataFrame]:
    data = REFERENCE["datasets"][case["dataset"]]
    covariates = pd.DataFrame({c: data[c] for c in case["covariates"]})
    model = cox_ph(data["time"], data["status"], covariates, ties=case["ties"])
    return model, covariates


@pytest.mark.parametrize("case", CASES)
def test_curves_match_r_by_hand(case: dict[str, Any]) -> None:
    model, covariates = fit(case)
    levels = [c["level"] for c in case["curves"]]
    result = adjusted_survival(
        model, covariates, variable=case["variable"], levels=levels, times=case["curves"][0]["time"]
    )
    for expected in case["curves"]:
        curve = result.curve(expected["level"])
        assert_matches(curve.time, expected["time"], ITERATIVE)
        assert_matches(curve.survival, expected["surv"], ITERATIVE, what=str(expected["level"]))


def test_a_categorical_variable_defaults_to_every_level_reference_first() -> None:
    case = REFERENCE["adjusted"][2]  # veteran by celltype
    model, covariates = fit(case)
    result = adjusted_survival(model, covariates, variable="celltype", times=[30, 90])
    assert [c.level for c in result.curves] == ["adeno", "large", "smallcell", "squamous"]
    assert result.subjects == len(covariates)
    frame = result.to_frame()
    assert list(frame.columns) == ["level", "time", "survival"]
    assert len(frame) == 8


@pytest.fixture(scope="module")
def lung() -> tuple[CoxModel, pd.DataFrame]:
    return fit(REFERENCE["adjusted"][0])


@settings(deadline=None, max_examples=20)
@given(st.data())
def test_one_row_standardises_to_its_own_prediction(draw: st.DataObject) -> None:
    model, covariates = fit(REFERENCE["adjusted"][0])
    row = draw.draw(st.integers(min_value=0, max_value=len(covariates) - 1))
    one = covariates.iloc[[row]]
    times = [50.0, 200.0, 400.0]
    adjusted = adjusted_survival(model, one, variable="sex", levels=[2], times=times)
    predicted = cox_survival(model, one.assign(sex=[2]), times=times).curves[0]
    np.testing.assert_allclose(adjusted.curves[0].survival, predicted.survival, rtol=1e-12)


def test_with_no_other_covariate_it_is_the_prediction_for_the_level() -> None:
    data = REFERENCE["datasets"]["veteran"]
    covariates = pd.DataFrame({"celltype": data["celltype"]})
    model = cox_ph(data["time"], data["status"], covariates)
    times = [10.0, 50.0, 100.0]
    adjusted = adjusted_survival(model, covariates, variable="celltype", times=times)
    for curve in adjusted.curves:
        predicted = cox_survival(model, pd.DataFrame({"celltype": [curve.level]}), times=times)
        np.testing.assert_allclose(curve.survival, predicted.curves[0].survival, rtol=1e-12)


def test_default_times_are_the_times_of_the_fit(lung: tuple[CoxModel, pd.DataFrame]) -> None:
    model, covariates = lung
    result = adjusted_survival(model, covariates, variable="sex", levels=[1, 2])
    expected = np.unique(REFERENCE["datasets"]["lung"]["time"])
    np.testing.assert_array_equal(result.curves[0].time, expected)
    assert np.all(np.diff(result.curves[0].survival) <= 0)


def test_a_numeric_variable_needs_levels(lung: tuple[CoxModel, pd.DataFrame]) -> None:
    model, covariates = lung
    with pytest.raises(InputError, match="is numeric: name the values") as error:
        adjusted_survival(model, covariates, variable="age")
    assert error.value.argument == "levels"


def test_an_unknown_variable_is_named(lung: tuple[CoxModel, pd.DataFrame]) -> None:
    model, covariates = lung
    with pytest.raises(InputError, match="'weight' is not a covariate") as error:
        adjusted_survival(model, covariates, variable="weight", levels=[1])
    assert error.value.argument == "variable"


def test_times_past_follow_up_are_refused(lung: tuple[CoxModel, pd.DataFrame]) -> None:
    model, covariates = lung
    with pytest.raises(InputError, match="beyond the last follow-up") as error:
        adjusted_survival(model, covariates, variable="sex", levels=[1], times=[5000])
    assert error.value.argument == "times"


def test_an_unseen_level_is_refused() -> None:
    model, covariates = fit(REFERENCE["adjusted"][2])
    with pytest.raises(InputError, match="did not see") as error:
        adjusted_survival(model, covariates, variable="celltype", levels=["oat"])
    assert error.value.argument == "celltype"


def test_stratified_models_are_refused() -> None:
    data = REFERENCE["datasets"]["veteran"]
    covariates = pd.DataFrame({"karno": data["karno"], "celltype": data["celltype"]})
    model = cox_ph(data["time"], data["status"], covariates, strata=data["trt"])
    with pytest.raises(InputError, match="unstratified") as error:
        adjusted_survival(model, covariates, variable="celltype")
    assert error.value.argument == "model"
