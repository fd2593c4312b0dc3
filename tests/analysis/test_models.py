"""The plan's exposure models on MLL03, against the core's own functions fed by hand-read dates.

The core functions are held to R (tests/survival); here the question is whether the analysis
feeds them the right patients, times and states, so each expectation is built from the raw
export with plain date arithmetic, not from the analysis layer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from followup.analysis import analyze
from followup.analysis.run import StudyResults
from followup.io import load_records
from followup.report import results_paragraphs
from followup.report.build import ReportFiles
from followup.report.numbers import p_value
from followup.study import load_dictionary
from followup.study.plan import load_plan
from followup.survival import cox_ph, fine_gray, kaplan_meier, mantel_byar_test, simon_makuch

YEAR = 365.25
BINARY = """
  any_second_sct:
    label: second SCT
    date: sct2_date
    when: "[sct2] = '1'"
"""
MODEL = """
  sct2_binary:
    label: Second SCT, time-dependent
    endpoint: os_after_relapse
    method: time_dependent
    exposure: any_second_sct
"""


@pytest.fixture(scope="module")
def binary_results(
    mll03_files: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> StudyResults:
    dictionary_path, records_path, plan_path = mll03_files
    text = plan_path.read_text(encoding="utf-8")
    text = text.replace("\nexposures:\n", "\nexposures:\n" + BINARY.lstrip("\n"), 1)
    text = text.replace("\nmodels:\n", "\nmodels:\n" + MODEL.lstrip("\n"), 1)
    folder = tmp_path_factory.mktemp("binary")
    (folder / "plan.yaml").write_text(text, encoding="utf-8")
    for name in ("dictionary.csv", "repeating.csv"):
        (folder / name).write_bytes((plan_path.parent / name).read_bytes())
    dictionary = load_dictionary(dictionary_path)
    return analyze(
        load_records(records_path, dictionary), load_plan(folder / "plan.yaml", dictionary)
    )


def _by_hand(results: StudyResults, records_path: Path) -> pd.DataFrame:
    """Relapsed patients' follow-up, death and second-SCT time from relapse, read from the CSV."""
    raw = pd.read_csv(records_path, dtype=str, keep_default_na=False)
    base = raw[raw["redcap_repeat_instrument"] == ""].set_index("record_id")
    visits = raw[raw["redcap_repeat_instrument"] == "followup"]
    last = (
        visits.sort_values(["record_id", "last_contact_date", "redcap_repeat_instance"])
        .groupby("record_id")
        .last()
    )
    relapsed = base[base["relapsed"] == "1"]
    rows = []
    for record, row in relapsed.iterrows():
        relapse = dt.date.fromisoformat(row["rel_date"])
        contact = last.loc[record]
        end = (dt.date.fromisoformat(contact["last_contact_date"]) - relapse).days / YEAR
        sct = row["sct2"] == "1" and row["sct2_date"]
        at = (dt.date.fromisoformat(row["sct2_date"]) - relapse).days / YEAR if sct else np.nan
        died = int(contact["vital_status"] == "2")
        exposed = at if at < end else np.nan  # an SCT on the last day leaves the state as it was
        rows.append({"record": record, "time": end, "died": died, "sct": exposed,
                     "remission": row["sct2_remission"]})  # fmt: skip
    return pd.DataFrame(rows).set_index("record")


def test_a_binary_exposure_gives_the_mantel_byar_test_and_simon_makuch_curves(
    binary_results: StudyResults, mll03_files: tuple[Path, Path, Path]
) -> None:
    hand = _by_hand(binary_results, mll03_files[1])
    model = next(m for m in binary_results.models if m.name == "sct2_binary")
    expected = mantel_byar_test(hand["time"], hand["died"], hand["sct"])
    assert model.chisq == pytest.approx(expected.chisq, rel=1e-12)
    assert model.p == pytest.approx(expected.p, rel=1e-12)
    curves = simon_makuch(hand["time"], hand["died"], hand["sct"])
    for group, curve in zip(model.groups, (curves.unexposed, curves.exposed), strict=True):
        for at in group.at_times:
            if at.estimate is not None:
                row = curve.survival_at([at.time], extend=True)
                assert at.estimate == pytest.approx(float(row.survival[0]), rel=1e-12)


def test_the_landmark_keeps_those_alive_beyond_it_grouped_by_their_state_then(
    mll03_results: StudyResults, mll03_files: tuple[Path, Path, Path]
) -> None:
    hand = _by_hand(mll03_results, mll03_files[1])
    model = next(m for m in mll03_results.models if m.method == "landmark")
    landmark = model.landmark
    assert landmark == 0.5  # the plan's
    kept = hand[hand["time"] > landmark]
    state = np.where(
        kept["sct"] <= landmark,
        np.where(kept["remission"] == "1", "in remission", "not in remission"),
        "no second SCT (yet)",
    )
    assert model.patients == len(kept)
    assert model.left_out == len(hand) - len(kept)
    fit = kaplan_meier(kept["time"], kept["died"], group=state, entry=np.full(len(kept), landmark))
    for group in model.groups:
        curve = fit.curve(group.group)
        assert group.patients == int((state == group.group).sum())
        for at in group.at_times:
            if at.estimate is not None:
                row = curve.survival_at([at.time], extend=True)
                assert at.estimate == pytest.approx(float(row.survival[0]), rel=1e-12)


def test_the_report_names_the_bias_of_the_published_comparison(mll03_report: ReportFiles) -> None:
    html = mll03_report.html.read_text(encoding="utf-8")
    assert "immortal-time bias" in html
    assert "Mantel–Byar" in html
    assert "landmark" in html


def _base_rows(records_path: Path) -> pd.DataFrame:
    raw = pd.read_csv(records_path, dtype=str, keep_default_na=False)
    return raw[raw["redcap_repeat_instrument"] == ""].set_index("record_id")


def test_the_multivariable_model_is_cox_on_complete_cases_clustered_by_hospital(
    mll03_results: StudyResults, mll03_files: tuple[Path, Path, Path]
) -> None:
    hand = _by_hand(mll03_results, mll03_files[1])
    base = _base_rows(mll03_files[1]).loc[hand.index]
    age = np.where(base["age_dx_days"].astype(int) < 183, "< 6 months", "6-12 months")
    wbc = np.where(base["wbc_dx"].astype(float) >= 300, "≥ 300 ×10⁹/L", "< 300 ×10⁹/L")
    after = (base["sct1"] == "1") & (base["rel_date"] > base["sct1_date"])
    timing = np.where(after, "after first SCT", "before first SCT")
    model = next(m for m in mll03_results.models if m.method == "cox")
    expected = cox_ph(
        hand["time"], hand["died"],
        {"age_group": age, "wbc_group": wbc, "relapse_timing": timing},
        reference={"age_group": "6-12 months", "wbc_group": "< 300 ×10⁹/L",
                   "relapse_timing": "after first SCT"},
        cluster=base["redcap_data_access_group"].to_numpy(),
    ).to_frame()  # fmt: skip
    assert model.standard_errors == "robust, clustered by hospital"
    assert [r.hazard_ratio for r in model.rows] == pytest.approx(
        expected["hazard_ratio"], rel=1e-12
    )
    assert [r.lower for r in model.rows] == pytest.approx(expected["lower"], rel=1e-12)
    assert [r.p for r in model.rows] == pytest.approx(expected["p"], rel=1e-12)


def test_the_fine_gray_model_is_crr_of_relapse_against_death_in_remission(
    mll03_results: StudyResults, mll03_files: tuple[Path, Path, Path]
) -> None:
    raw = pd.read_csv(mll03_files[1], dtype=str, keep_default_na=False)
    base = _base_rows(mll03_files[1])
    visits = raw[raw["redcap_repeat_instrument"] == "followup"]
    last = visits.sort_values(["record_id", "last_contact_date", "redcap_repeat_instance"])
    last = last.groupby("record_id").last()
    remission = base[base["cr1"] == "1"]
    time, event = [], []
    for record, row in remission.iterrows():
        start = dt.date.fromisoformat(row["cr1_date"])
        contact = last.loc[record]
        if row["relapsed"] == "1":
            end, code = row["rel_date"], 1
        else:
            end, code = contact["last_contact_date"], 2 if contact["vital_status"] == "2" else 0
        time.append((dt.date.fromisoformat(end) - start).days / YEAR)
        event.append(code)
    age = np.where(remission["age_dx_days"].astype(int) < 183, "< 6 months", "6-12 months")
    wbc = np.where(remission["wbc_dx"].astype(float) >= 300, "≥ 300 ×10⁹/L", "< 300 ×10⁹/L")
    complete = (remission["wbc_dx"] != "").to_numpy()
    expected = fine_gray(
        np.array(time)[complete], np.array(event)[complete],
        {"age_group": age[complete], "wbc_group": wbc[complete]},
        reference={"age_group": "6-12 months", "wbc_group": "< 300 ×10⁹/L"},
    ).to_frame()  # fmt: skip
    model = next(m for m in mll03_results.models if m.method == "fine_gray")
    assert model.patients == int(complete.sum())
    assert [r.hazard_ratio for r in model.rows] == pytest.approx(
        expected["hazard_ratio"], rel=1e-12
    )
    assert [r.p for r in model.rows] == pytest.approx(expected["p"], rel=1e-12)


def test_the_results_paragraph_sets_the_exposure_analyses_beside_the_comparison(
    mll03_results: StudyResults,
) -> None:
    paragraph = " ".join(results_paragraphs(mll03_results))
    time_dependent = next(m for m in mll03_results.models if m.method == "time_dependent")
    landmark = next(m for m in mll03_results.models if m.method == "landmark")
    assert f"Mantel–Byar {p_value(time_dependent.p)}" in paragraph
    assert (
        f"Among the {landmark.patients} patients alive and followed beyond the landmark"
        in paragraph
    )
    assert f"log-rank {p_value(landmark.p)}" in paragraph
