"""Adding a REDCap instrument ZIP to a study, renaming what clashes as REDCap does.

The instrument is a real one (ctsit/ae_and_conmeds's medications form, tests/redcap_corpus),
packed as REDCap's Shared Library writes a ZIP: instrument.csv and OriginID.txt.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from followup.study import DictionaryError, load_dictionary, read_dictionary
from followup.study.instruments import add_instrument

ROOT = Path(__file__).parents[2]
MLL03 = ROOT / "studies" / "mll03" / "dictionary.csv"
CORPUS = ROOT / "tests" / "redcap_corpus"
MEDICATIONS = CORPUS / "instruments" / "ctsit_medications.csv"


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


INSTRUMENT = _zip({"instrument.csv": MEDICATIONS.read_bytes(), "OriginID.txt": b"redcap.example"})


def test_an_instrument_zip_adds_its_form_at_the_end() -> None:
    study = load_dictionary(MLL03)
    text, renamed = add_instrument(study, MLL03.read_text(encoding="utf-8"), INSTRUMENT)
    combined = read_dictionary(text)
    medications = read_dictionary(MEDICATIONS.read_text(encoding="utf-8"), record_id_row=False)
    assert renamed == []
    assert combined.forms == (*study.forms, "medications")
    assert [f.name for f in combined.form_fields("medications")] == [f.name for f in medications]
    assert [f.name for f in combined.fields[: len(study.fields)]] == [f.name for f in study]


def test_names_the_study_has_are_renamed_and_references_follow() -> None:
    study = load_dictionary(MLL03)
    once, _ = add_instrument(study, MLL03.read_text(encoding="utf-8"), INSTRUMENT)
    twice, renamed = add_instrument(read_dictionary(once), once, INSTRUMENT)
    combined = read_dictionary(twice)
    new_form = combined.forms[-1]
    assert new_form.startswith("medications_")
    assert renamed[0] == f"form medications → {new_form}"
    cm_meds = next(f.name for f in combined.form_fields(new_form) if f.name.startswith("cm_meds_"))
    cm_med = next(f for f in combined.form_fields(new_form) if f.name.startswith("cm_med_"))
    assert f"[{cm_meds}]" in cm_med.branching.text  # was [cm_meds]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            (CORPUS / "instruments" / "rarelink_cdm_single_instruments.zip").read_bytes(),
            "holds one instrument.csv",
        ),
        (b"not a zip", "is not a ZIP file"),
    ],
)
def test_a_zip_that_is_not_an_instrument_is_named_as_such(data: bytes, message: str) -> None:
    study = load_dictionary(MLL03)
    with pytest.raises(DictionaryError, match=message):
        add_instrument(study, MLL03.read_text(encoding="utf-8"), data)
