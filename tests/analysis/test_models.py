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
from followup.report.build import ReportFiles
from followup.study import load_dictionary
from followup.study.plan import load_plan
from followup.survival import kaplan_meier, mantel_byar_test, simon_makuch

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
