"""Followup's survival core against lifelines, statsmodels, scikit-survival and R, in one run.

    make bench                                   # the full run: 1e5 … 1e7 rows, a few minutes
    uv run python benchmarks/survival.py --quick # a smoke run on small data

Every implementation gets the same generated arrays; each cell is the median of several runs and
the ratio to Followup in the same run. R (Debian's r-base-core and r-cran-survival) is timed by
Rscript on the same data written to disk, and skipped with a note when it is not installed. A
peer whose previous size took longer than --budget seconds is skipped at the next size.
Results go to benchmarks/results/survival.md (and .json).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from followup.survival import cox_ph, kaplan_meier, logrank_test

RESULTS = Path(__file__).parent / "results"
PEERS = ("followup", "lifelines", "statsmodels", "scikit-survival", "R")


@dataclass(frozen=True)
class Data:
    """One generated dataset: integer days or real-valued times, ~40% censored."""

    time: np.ndarray
    event: np.ndarray  # bool
    group: np.ndarray  # 0/1
    covariates: np.ndarray  # (n, 3)


def generate(n: int, whole_days: bool, seed: int = 20040401) -> Data:
    """Exponential survival with a 3-covariate linear predictor and uniform censoring."""
    rng = np.random.default_rng(seed)
    covariates = rng.normal(size=(n, 3))
    group = rng.integers(0, 2, n)
    risk = covariates @ np.array([0.5, -0.3, 0.2]) + 0.3 * group
    event_time = rng.exponential(1000 * np.exp(-risk))
    censor_time = rng.uniform(0, 2500, n)
    time = np.minimum(event_time, censor_time)
    if whole_days:
        time = np.ceil(time).astype(np.int64)
    return Data(time, event_time <= censor_time, group, covariates)


@dataclass
class Cell:
    """Median seconds of one implementation on one case, or why there is none."""

    seconds: float | None = None
    runs: list[float] = field(default_factory=list)
    note: str = ""


def timed(run: Callable[[], Any], repeats: int, budget: float) -> Cell:
    """Median of up to `repeats` runs, stopping once their total exceeds the budget."""
    runs: list[float] = []
    while len(runs) < repeats and sum(runs) < budget:
        start = time.perf_counter()
        run()
        runs.append(time.perf_counter() - start)
    return Cell(statistics.median(runs), runs)


# ----------------------------------------------------------------------- implementations ---
def followup_task(task: str, d: Data) -> Callable[[], Any]:
    if task == "km":
        return lambda: kaplan_meier(d.time, d.event)
    if task == "logrank":
        return lambda: logrank_test(d.time, d.event, group=d.group)
    columns = {f"x{j + 1}": d.covariates[:, j] for j in range(3)}
    return lambda: cox_ph(d.time, d.event, columns)


def lifelines_task(task: str, d: Data) -> Callable[[], Any]:
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test as lifelines_logrank

    if task == "km":
        return lambda: KaplanMeierFitter().fit(d.time, d.event)
    if task == "logrank":
        a, b = d.group == 0, d.group == 1
        return lambda: lifelines_logrank(d.time[a], d.time[b], d.event[a], d.event[b])
    frame = pd.DataFrame(d.covariates, columns=["x1", "x2", "x3"])
    frame["time"], frame["event"] = d.time, d.event
    return lambda: CoxPHFitter().fit(frame, "time", "event")


def statsmodels_task(task: str, d: Data) -> Callable[[], Any]:
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    if task == "km":
        return lambda: SurvfuncRight(d.time, d.event)
    if task == "logrank":
        return lambda: survdiff(d.time, d.event, d.group)
    return lambda: PHReg(d.time, d.covariates, status=d.event, ties="efron").fit()


def sksurv_task(task: str, d: Data) -> Callable[[], Any]:
    from sksurv.compare import compare_survival
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    from sksurv.nonparametric import kaplan_meier_estimator
    from sksurv.util import Surv

    if task == "km":
        return lambda: kaplan_meier_estimator(d.event, d.time.astype(float))
    y = Surv.from_arrays(d.event, d.time.astype(float))
    if task == "logrank":
        return lambda: compare_survival(y, d.group)
    return lambda: CoxPHSurvivalAnalysis(ties="efron").fit(d.covariates, y)


PYTHON_PEERS = {
    "followup": followup_task,
    "lifelines": lifelines_task,
    "statsmodels": statsmodels_task,
    "scikit-survival": sksurv_task,
}

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; task <- args[2]; n <- as.integer(args[3]); repeats <- as.integer(args[4])
budget <- as.numeric(args[5])
rd <- function(name, what, count = n, size = NA_integer_) {
  con <- file(file.path(dir, name), "rb"); on.exit(close(con))
  if (is.na(size)) readBin(con, what, count) else readBin(con, what, count, size = size)
}
time <- rd("time.bin", "double"); event <- rd("event.bin", "integer", size = 1)
group <- rd("group.bin", "integer", size = 1)
x <- matrix(rd("x.bin", "double", 3 * n), ncol = 3)
d <- data.frame(time = time, event = event, group = group, x1 = x[, 1], x2 = x[, 2], x3 = x[, 3])
run <- switch(task,
  km = function() survfit(Surv(time, event) ~ 1, data = d),
  logrank = function() survdiff(Surv(time, event) ~ group, data = d),
  cox = function() coxph(Surv(time, event) ~ x1 + x2 + x3, data = d, ties = "efron"))
runs <- c(); fit <- NULL
while (length(runs) < repeats && sum(runs) < budget) {
  runs <- c(runs, system.time(fit <- run())[["elapsed"]])
}
coef <- if (task == "cox") sprintf("%.17g", coef(fit)) else character(0)
timings <- paste(sprintf("%.6f", runs), collapse = ",")
cat(paste(c(timings, paste(coef, collapse = ",")), collapse = "\n"))
"""


def r_available() -> bool:
    """Rscript with the survival package on this machine."""
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(survival)"], capture_output=True, check=False)
    return probe.returncode == 0


def r_cell(task: str, d: Data, repeats: int, budget: float) -> tuple[Cell, np.ndarray | None]:
    """Time R on the same data, written to disk; R's own timer excludes reading it."""
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        np.asarray(d.time, dtype=np.float64).tofile(directory / "time.bin")
        d.event.astype(np.int8).tofile(directory / "event.bin")
        d.group.astype(np.int8).tofile(directory / "group.bin")
        np.asfortranarray(d.covariates).T.copy().tofile(directory / "x.bin")
        (directory / "bench.R").write_text(R_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(directory / "bench.R"), folder, task, str(len(d.time)),
             str(repeats), str(budget)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no message"]
        return Cell(note=f"R failed: {last[0][:120]}"), None
    lines = done.stdout.strip().split("\n")
    runs = [float(v) for v in lines[0].split(",")]
    coef = (
        np.array([float(v) for v in lines[1].split(",")]) if len(lines) > 1 and lines[1] else None
    )
    return Cell(statistics.median(runs), runs), coef


# ------------------------------------------------------------------------------- the run ---
@dataclass(frozen=True)
class Case:
    """One row of the table: a task on one kind of time at one size."""

    task: str  # km, logrank, cox
    whole_days: bool
    n: int

    @property
    def label(self) -> str:
        """The row's name in the table."""
        kind = "integer days" if self.whole_days else "continuous"
        name = {"km": "Kaplan-Meier + Greenwood", "logrank": "log-rank, 2 groups",
                "cox": "Cox, 3 covariates, Efron"}[self.task]  # fmt: skip
        return f"{name}, {kind}, n = {self.n:.0e}".replace("e+0", "e")


def cases(sizes: list[int], cox_sizes: list[int]) -> list[Case]:
    listed = [Case(task, whole, n) for task in ("km", "logrank") for whole in (True, False)
              for n in sizes]  # fmt: skip
    return listed + [Case("cox", True, n) for n in cox_sizes]


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    """Time every implementation on every case; skip a peer whose last size was too slow."""
    use_r = not arguments.no_r and r_available()
    table: dict[Case, dict[str, Cell]] = {}
    agreement: dict[str, float] = {}
    last_seconds: dict[tuple[str, bool, str], tuple[int, float]] = {}
    for case in cases(arguments.sizes, arguments.cox_sizes):
        data = generate(case.n, case.whole_days)
        row: dict[str, Cell] = {}
        for peer in PEERS:
            key = (case.task, case.whole_days, peer)
            previous = last_seconds.get(key)
            if previous and previous[1] * case.n / previous[0] > 2 * arguments.budget:
                row[peer] = Cell(note=f"skipped ({previous[1]:.0f} s at n = {previous[0]:.0e})")
                continue
            row[peer], coefficients = _time_peer(peer, case, data, arguments, use_r)
            if coefficients is not None:
                ours = followup_task("cox", data)().coefficients
                agreement[case.label] = float(np.max(np.abs(ours - coefficients) / np.abs(ours)))
            if row[peer].seconds is not None:
                last_seconds[key] = (case.n, row[peer].seconds)
            print(f"{case.label:60s} {peer:16s} {_format(row[peer], None)}", file=sys.stderr)
        table[case] = row
    return {"table": table, "agreement": agreement, "r": use_r}


def _time_peer(
    peer: str, case: Case, data: Data, arguments: argparse.Namespace, use_r: bool
) -> tuple[Cell, np.ndarray | None]:
    """One implementation on one case; R also returns its Cox coefficients."""
    if peer == "R":
        if not use_r:
            return Cell(note="R not installed"), None
        return r_cell(case.task, data, arguments.repeats, arguments.budget)
    try:
        work = PYTHON_PEERS[peer](case.task, data)
        return timed(work, arguments.repeats, arguments.budget), None
    except ImportError:
        return Cell(note=f"{peer} not installed"), None
    except MemoryError:
        return Cell(note="out of memory"), None


def _format(cell: Cell, ours: Cell | None) -> str:
    if cell.seconds is None:
        return cell.note
    text = f"{cell.seconds:.3g} s"
    if ours is not None and ours.seconds:
        text += f" ({cell.seconds / ours.seconds:.1f}x)"
    return text


TARGETS = [
    ("km", True, "lifelines", 20), ("km", True, "statsmodels", 10),
    ("logrank", True, "statsmodels", 10), ("km", False, "statsmodels", 2),
    ("logrank", False, "statsmodels", 2), ("cox", True, "R", 10),
]  # fmt: skip


def markdown(result: dict[str, Any], arguments: argparse.Namespace) -> str:
    table: dict[Case, dict[str, Cell]] = result["table"]
    lines = [
        "# Survival benchmark",
        "",
        f"`benchmarks/survival.py`, {time.strftime('%Y-%m-%d')}, "
        f"{platform.processor() or platform.machine()}, {_cores()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}; median of up to "
        f"{arguments.repeats} runs; in brackets, that peer's time ÷ Followup's.",
        "",
        "| case | " + " | ".join(PEERS) + " |",
        "|---|" + "---|" * len(PEERS),
    ]
    for case, row in table.items():
        ours = row["followup"]
        cells = [_format(row[p], None if p == "followup" else ours) for p in PEERS]
        lines.append(f"| {case.label} | " + " | ".join(cells) + " |")
    lines += ["", "## Targets (at the largest size run)", ""]
    for task, whole, peer, ratio in TARGETS:
        largest = [c for c in table if c.task == task and c.whole_days == whole]
        if not largest:
            continue
        case = max(largest, key=lambda c: c.n)
        ours, theirs = table[case]["followup"], table[case][peer]
        if theirs.seconds is None or ours.seconds is None:
            lines.append(f"- {case.label}: ≥ {ratio}x vs {peer}: not measured ({theirs.note})")
            continue
        measured = theirs.seconds / ours.seconds
        verdict = "met" if measured >= ratio else "NOT met"
        lines.append(f"- {case.label}: ≥ {ratio}x vs {peer}: {measured:.1f}x, {verdict}")
    for label, difference in result["agreement"].items():
        lines.append(f"- {label}: coefficients vs R, max relative difference {difference:.1e}")
    return "\n".join(lines) + "\n"


def _cores() -> int:
    from followup.survival._parallel import cores

    return cores()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=lambda s: [int(float(v)) for v in s.split(",")],
                        default=[100_000, 1_000_000, 10_000_000])  # fmt: skip
    parser.add_argument("--cox-sizes", type=lambda s: [int(float(v)) for v in s.split(",")],
                        default=[100_000, 1_000_000])  # fmt: skip
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds per run before giving up repeats"
    )
    parser.add_argument("--no-r", action="store_true", help="do not time R even if installed")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS / "survival.md")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.cox_sizes, arguments.repeats = [2000], [2000], 2
    warnings.simplefilter("ignore")
    result = run(arguments)
    text = markdown(result, arguments)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(text)
    rows = [
        {
            "case": c.label,
            **{p: row[p].seconds for p in PEERS},
            **{f"{p} note": row[p].note for p in PEERS},
        }
        for c, row in result["table"].items()
    ]
    arguments.out.with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(text)


if __name__ == "__main__":
    main()
