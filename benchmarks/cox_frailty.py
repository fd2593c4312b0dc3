"""Followup's cox_frailty against R's coxph(... + frailty(hospital)) in the same run.

    .venv/bin/python benchmarks/cox_frailty.py              # n = 1e4 and 1e5 patients, 50 hospitals
    .venv/bin/python benchmarks/cox_frailty.py --quick      # a smoke run on small data

A multi-centre study: hospital frailties drawn from a gamma distribution of variance 0.5, a yes/no
treatment and a continuous age, exponential times in whole days (so many ties, Efron), uniform
censoring. Both fit the default gamma frailty with θ chosen by R's outer search, each allowed
the same 30 outer iterations (R's default 10 leaves some searches unfinished, which R returns
silently and Followup refuses). R is timed by system.time inside Rscript, excluding reading
the data; each side's time is the median of --repeats runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# exported as followup.survival.cox_frailty
from followup.survival import FrailtyControl, FrailtyCoxModel, cox_frailty

OUTER_MAX = 30

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; n <- as.integer(args[2]); repeats <- as.integer(args[3])
outer_max <- as.integer(args[4])
rd <- function(name, what, count, size = NA_integer_) {
  con <- file(file.path(dir, name), "rb"); on.exit(close(con))
  if (is.na(size)) readBin(con, what, count) else readBin(con, what, count, size = size)
}
d <- data.frame(time = rd("time.bin", "double", n),
                status = rd("status.bin", "integer", n, size = 1),
                treated = rd("treated.bin", "integer", n, size = 1),
                age = rd("age.bin", "double", n),
                hospital = rd("hospital.bin", "integer", n))
control <- coxph.control(outer.max = outer_max)
runs <- c()
for (i in seq_len(repeats)) {
  runs <- c(runs, system.time(fit <- coxph(Surv(time, status) ~ treated + age + frailty(hospital),
                                           data = d, control = control))[["elapsed"]])
}
h <- fit$history[[1]]$history
cat(paste(sprintf("%.6f", runs), collapse = ","), "\n",
    paste(sprintf("%.17g", c(coef(fit), h[nrow(h), 1])), collapse = ","), "\n",
    paste(fit$iter, collapse = ","), "\n")
"""


def generate(n: int, hospitals: int = 50, seed: int = 20150315) -> dict[str, np.ndarray]:
    """Patients spread over hospitals whose frailties have variance 0.5; ~30% censored."""
    rng = np.random.default_rng(seed)
    hospital = rng.integers(1, hospitals + 1, n)
    frailty = rng.gamma(2.0, 0.5, hospitals + 1)
    treated = rng.binomial(1, 0.45, n)
    age = np.round(rng.normal(55, 12, n), 1)
    hazard = 0.002 * frailty[hospital] * np.exp(-0.4 * treated + 0.03 * (age - 55))
    event_day = rng.exponential(1 / hazard)
    censor_day = rng.uniform(200, 1500, n)
    return {
        "time": np.maximum(1.0, np.round(np.minimum(event_day, censor_day))),
        "status": (event_day <= censor_day).astype(np.int8),
        "treated": treated.astype(np.int8),
        "age": age,
        "hospital": hospital.astype(np.int32),
    }


def fit_followup(data: dict[str, np.ndarray]) -> FrailtyCoxModel:
    """The model both sides fit."""
    return cox_frailty(
        data["time"], data["status"], {"treated": data["treated"], "age": data["age"]},
        group=data["hospital"], control=FrailtyControl(outer_max=OUTER_MAX),
    )  # fmt: skip


def time_followup(data: dict[str, np.ndarray], repeats: int) -> tuple[float, FrailtyCoxModel]:
    """Median seconds of cox_frailty, and the fit."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit_followup(data)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), model


def time_r(
    data: dict[str, np.ndarray], repeats: int
) -> tuple[float | None, np.ndarray | None, str]:
    """coxph's median seconds (its own system.time), its coefficients and θ, its iterations."""
    if shutil.which("Rscript") is None:
        return None, None, "Rscript not installed"
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        for name, values in data.items():
            values.tofile(directory / f"{name}.bin")
        (directory / "bench.R").write_text(R_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(directory / "bench.R"), folder, str(len(data["time"])), str(repeats),
             str(OUTER_MAX)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        return None, None, f"R failed: {done.stderr.strip()[-160:]}"
    runs, estimates, iterations = (line.strip() for line in done.stdout.split("\n")[:3])
    seconds = statistics.median(float(v) for v in runs.split(","))
    return seconds, np.array([float(v) for v in estimates.split(",")]), iterations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--hospitals", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="n = 2000 only, one run each")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.repeats = [2000], 1
    print("| n | hospitals | followup cox_frailty | R coxph + frailty | R ÷ followup | "
          "iterations (outer, Newton) | max rel. difference (coef, θ) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for n in arguments.sizes:
        data = generate(n, arguments.hospitals)
        ours, model = time_followup(data, arguments.repeats)
        seconds, theirs, note = time_r(data, arguments.repeats)
        iterations = f"{model.outer_iterations}, {model.newton_iterations}"
        if seconds is None or theirs is None:
            print(f"| {n:.0e} | {arguments.hospitals} | {ours:.3g} s | {note} | | {iterations} | |")
            continue
        estimates = np.append(model.coefficients, model.theta)
        difference = float(np.max(np.abs(theirs - estimates) / np.abs(theirs)))
        print(f"| {n:.0e} | {arguments.hospitals} | {ours:.3g} s | {seconds:.3g} s | "
              f"{seconds / ours:.1f}x | {iterations} (R: {note}) | {difference:.1e} |")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
