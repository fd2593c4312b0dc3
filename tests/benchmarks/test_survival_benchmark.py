"""The benchmark script still runs and writes its table (a smoke run; nothing here is timed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_writes_a_table(tmp_path: Path) -> None:
    out = tmp_path / "survival.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "survival.py"), "--quick", "--no-r",
         "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    table = out.read_text()
    for peer in ("followup", "lifelines", "statsmodels", "scikit-survival"):
        assert peer in table
    assert "Kaplan-Meier + Greenwood, integer days, n = 2e3" in table
    assert out.with_suffix(".json").exists()


def test_the_exports_benchmark_writes_its_table(tmp_path: Path) -> None:
    out = tmp_path / "exports.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "exports.py"), "--copies", "2",
         "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    table = out.read_text()
    assert "# Exports: 126 records" in table
    for format_name in ("csv", "labels", "xlsx", "spss", "stata", "sas", "r", "odm"):
        assert f"| {format_name} |" in table
