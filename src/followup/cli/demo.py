"""The demo: the synthetic MLL03 cohort, validated, analysed and reported, in one command."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

from followup.cli.studies import study_folder
from followup.io import write_records
from followup.study import load_dictionary
from followup.study.plan import load_plan


def load_generator(folder: Path) -> ModuleType:
    """The study folder's synthetic.py, imported by path (it belongs to the study, not the code)."""
    spec = importlib.util.spec_from_file_location(
        f"followup_study_{folder.name}_synthetic", folder / "synthetic.py"
    )
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{folder / 'synthetic.py'} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def write_demo_records(out: Path, study: str = "mll03") -> tuple[Path, Path, Path]:
    """Write the synthetic cohort as a REDCap raw export; return dictionary, records, plan."""
    folder = study_folder(study)
    dictionary = load_dictionary(folder / "dictionary.csv")
    schedule = load_plan(folder / "plan.yaml", dictionary).load_schedule()
    records = write_records(
        out / f"{study}_records.csv",
        dictionary,
        load_generator(folder).generate(),
        schedule=schedule,
    )
    return folder / "dictionary.csv", records, folder / "plan.yaml"


def demo_notes(study: str = "mll03") -> list[str]:
    """The study folder's notes on its synthetic cohort (written by its design script), if any."""
    design = study_folder(study) / "os_design.json"
    if not design.is_file():
        return []
    return list(json.loads(design.read_text(encoding="utf-8")).get("notes", []))
