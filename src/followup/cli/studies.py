"""Where the bundled study folders are: in a wheel beside the package, in a checkout at its root."""

from __future__ import annotations

import os
from pathlib import Path

import followup


def study_folder(name: str) -> Path:
    """The folder of a bundled study (``FOLLOWUP_STUDIES`` overrides where to look)."""
    package = Path(followup.__file__).parent
    candidates = [
        Path(p) / name for p in os.environ.get("FOLLOWUP_STUDIES", "").split(os.pathsep) if p
    ]
    candidates += [package / "_studies" / name, package.parents[1] / "studies" / name]
    for folder in candidates:
        if (folder / "plan.yaml").is_file():
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"the bundled study '{name}' is not installed (looked in {looked})")
