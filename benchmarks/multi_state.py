"""Followup's Aalen-Johansen estimates with IJ standard errors against R's survfit, in one run.

    .venv/bin/python benchmarks/multi_state.py            # n = 1e4, 1e5, 1e6; exact and whole days
    .venv/bin/python benchmarks/multi_state.py --quick    # a smoke run on small data

Two registry-like designs, each with times in thousandths of a day (nearly every time distinct:
the most transition times) and in whole days (ties, a few thousand distinct times):

- competing risks with delayed entry: relapse and death in remission after entry into the
  registry up to two years after diagnosis; Followup's ``cumulative_incidence(time, event,
  entry=)`` against ``survfit(Surv(entry, time, event) ~ 1, id = row)``;
- an illness-death model (remission → relapse → death, remission → death), two rows for those
  who relapse; Followup's ``state_occupation`` against ``survfit(Surv(tstart, tstop, state) ~ 1,
  id = id)``.

Both compute the probabilities in every state and their infinitesimal-jackknife standard errors
at every time. R (survival 3.5's survfitci.c) updates each subject's influence at every
transition time, O(subjects × times); Followup uses prefix scans over the times. R is timed by
system.time inside Rscript, excluding reading the data, and is skipped at a size where the
previous size's time, scaled by subjects × times, exceeds --r-budget seconds (the table shows
the projection). The last column compares every probability and standard error with R's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from followup.survival import cumulative_incidence, state_occupation

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; rows <- as.integer(args[2]); repeats <- as.integer(args[3])
states <- strsplit(args[4], ",")[[1]]
rd <- function(name, what, size = NA_integer_) {
  con <- file(file.path(dir, name), "rb"); on.exit(close(con))
  if (is.na(size)) readBin(con, what, rows) else readBin(con, what, rows, size = size)
}
d <- data.frame(start = rd("start.bin", "double"), stop = rd("stop.bin", "double"),
                state = factor(rd("state.bin", "integer", 1), seq_along(states) - 1, states),
                id = rd("id.bin", "integer"))
runs <- c()
for (i in seq_len(repeats)) {
  runs <- c(runs, system.time(fit <- survfit(Surv(start, stop, state) ~ 1, data = d,
                                             id = id))[["elapsed"]])
}
out <- file(file.path(dir, "fit.bin"), "wb")
writeBin(as.double(c(length(fit$time), ncol(fit$pstate))), out)
writeBin(as.double(c(fit$time, fit$pstate, fit$std.err)), out)
close(out)
cat(paste(sprintf("%.6f", runs), collapse = ","), "\n")
"""


@dataclass(frozen=True)
class Design:
    """Rows (start, stop] of subjects ``id`` ending in ``state`` (0 = censored)."""

    name: str
    start: np.ndarray
    stop: np.ndarray
    state: np.ndarray  # int8 codes: 0 censored, then the states R lists after the initial one
    id: np.ndarray
    labels: tuple[str, ...]  # R's factor levels, censored first


def competing_risks(n: int, whole_days: bool, seed: int = 20230601) -> Design:
    """Entry up to two years after diagnosis; relapse and death in remission; ~30% censored."""
    rng = np.random.default_rng(seed)
    entry = rng.uniform(0, 730, n)
    relapse = rng.exponential(1500, n)
    death = rng.exponential(3000, n)
    censor = rng.uniform(300, 4000, n)
    follow = np.minimum(np.minimum(relapse, death), censor)
    event = np.where(follow == relapse, 1, np.where(follow == death, 2, 0)).astype(np.int8)
    start = _on_grid(entry, whole_days, at_least=0)
    stop = _on_grid(entry + follow, whole_days, at_least=start + 1)
    labels = ("censored", "relapse", "death")
    return Design("competing risks, delayed entry", start / _units(whole_days),
                  stop / _units(whole_days), event, np.arange(n), labels)  # fmt: skip


def _units(whole_days: bool) -> float:
    return 1.0 if whole_days else 1000.0


def _on_grid(days: np.ndarray, whole_days: bool, at_least: Any) -> np.ndarray:
    """Days in whole days or thousandths, as integers: equal times are equal floats.

    R's survfit merges times closer than √ε relative (aeqSurv, timefix = TRUE) and Followup
    does not: on a grid of thousandths of a day no two distinct times are that close.
    """
    return np.maximum(np.ceil(days * _units(whole_days)), at_least).astype(np.int64)


def illness_death(n: int, whole_days: bool, seed: int = 20230602) -> Design:
    """Remission → relapse → death and remission → death; a second row after relapse."""
    rng = np.random.default_rng(seed)
    relapse = _on_grid(rng.exponential(1200, n), whole_days, at_least=1)
    death = _on_grid(rng.exponential(3000, n), whole_days, at_least=1)
    censor = _on_grid(rng.uniform(300, 4000, n), whole_days, at_least=1)
    after = _on_grid(rng.exponential(500, n), whole_days, at_least=1)
    relapsed = (relapse < death) & (relapse < censor)
    first_stop = np.where(relapsed, relapse, np.minimum(death, censor))
    first_state = np.where(relapsed, 1, np.where(death <= censor, 2, 0))
    second_stop = np.minimum(relapse + after, censor)[relapsed]
    second_state = np.where(relapse + after <= censor, 2, 0)[relapsed]
    ids = np.arange(n)
    return Design(
        "illness-death",
        np.concatenate((np.zeros(n), relapse[relapsed])) / _units(whole_days),
        np.concatenate((first_stop, second_stop)) / _units(whole_days),
        np.concatenate((first_state, second_state)).astype(np.int8),
        np.concatenate((ids, ids[relapsed])),
        ("censored", "relapse", "death"),
    )


def run_followup(design: Design) -> Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The call timed on our side; it returns (time, p, SE) of every state, as R orders them."""
    if design.name.startswith("competing"):

        def incidence() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            fit = cumulative_incidence(design.stop, design.state, entry=design.start)
            one, two = fit.curve(1), fit.curve(2)
            p = np.column_stack((1 - one.estimate - two.estimate, one.estimate, two.estimate))
            return one.time, p, np.column_stack((np.nan * one.std_err, one.std_err,
                                                 two.std_err))  # fmt: skip

        return incidence
    state = pd.Categorical(np.asarray(design.labels)[design.state], categories=list(design.labels))

    def occupation() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        curve = state_occupation(design.start, design.stop, state, id=design.id).curve()
        return curve.time, curve.probability, curve.std_err

    return occupation


def time_followup(design: Design, repeats: int) -> tuple[float, Any]:
    """Median seconds of our call, and its result."""
    runs, result = [], None
    call = run_followup(design)
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def time_r(design: Design, repeats: int) -> tuple[float | None, Any, str]:
    """survfit's median seconds (its own system.time) and (time, pstate, std.err), or why not."""
    if shutil.which("Rscript") is None:
        return None, None, "Rscript not installed"
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        design.start.astype(float).tofile(directory / "start.bin")
        design.stop.astype(float).tofile(directory / "stop.bin")
        design.state.astype(np.int8).tofile(directory / "state.bin")
        (design.id + 1).astype(np.int32).tofile(directory / "id.bin")
        (directory / "bench.R").write_text(R_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(directory / "bench.R"), folder, str(len(design.start)),
             str(repeats), ",".join(design.labels)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return None, None, f"R failed: {done.stderr.strip()[-160:]}"
        values = np.fromfile(directory / "fit.bin")
    n_times, n_states = int(values[0]), int(values[1])
    body = values[2:]
    fit_time = body[:n_times]
    block = n_times * n_states
    pstate = body[n_times : n_times + block].reshape(n_states, n_times).T
    std_err = body[n_times + block : n_times + 2 * block].reshape(n_states, n_times).T
    runs = [float(v) for v in done.stdout.split("\n")[0].strip().split(",")]
    return statistics.median(runs), (fit_time, pstate, std_err), ""


def difference(ours: Any, theirs: Any) -> str:
    """Largest |ours − R| / (|R| + 1e-9) over every probability and SE (R's 1e-17 for our 0)."""
    our_time, our_p, our_se = ours
    their_time, their_p, their_se = theirs
    if len(our_time) != len(their_time) or not np.array_equal(our_time, their_time):
        return "times differ"
    worst = 0.0
    for a, b in ((our_p, their_p), (our_se, their_se)):
        both = np.isfinite(a) & np.isfinite(b)
        gap = np.abs(a[both] - b[both]) / (np.abs(b[both]) + 1e-9)
        worst = max(worst, float(np.max(gap, initial=0.0)))
    return f"{worst:.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--r-budget", type=float, default=600.0, help="skip R where its projection is longer (s)"
    )
    parser.add_argument("--quick", action="store_true", help="n = 2000 only, one run each")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.repeats = [2000], 1
    print("| design | times | n subjects | rows | distinct times | followup | R survfit | "
          "R ÷ followup | max rel. difference vs R |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for make in (competing_risks, illness_death):
        for whole_days in (False, True):
            _run_design(make, whole_days, arguments)


def _run_design(
    make: Callable[[int, bool], Design], whole_days: bool, arguments: argparse.Namespace
) -> None:
    previous: tuple[float, float] | None = None  # R seconds and rows × times at the last size
    for n in arguments.sizes:
        design = make(n, whole_days)
        ours, result = time_followup(design, arguments.repeats)
        work = float(len(design.start)) * len(result[0])
        projected = None if previous is None else previous[0] * work / previous[1]
        scale = "whole days" if whole_days else "1/1000 day"
        cells = f"| {design.name} | {scale} | {n:.0e} | {len(design.start)} | {len(result[0])} "
        if projected is not None and projected > arguments.r_budget:
            print(f"{cells}| {ours:.3g} s | skipped (~{projected:.0f} s projected) | "
                  f"~{projected / ours:.0f}x | |")  # fmt: skip
            continue
        repeats = 1 if projected is not None and projected > 20 else arguments.repeats
        seconds, theirs, note = time_r(design, repeats)
        if seconds is None:
            print(f"{cells}| {ours:.3g} s | {note} | | |")
            continue
        previous = (seconds, work)
        print(f"{cells}| {ours:.3g} s | {seconds:.3g} s | {seconds / ours:.1f}x | "
              f"{difference(result, theirs)} |")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
