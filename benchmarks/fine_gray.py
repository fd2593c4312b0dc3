"""Followup's fine_gray against cmprsk::crr in the same run, on generated competing-risks data.

    .venv/bin/python benchmarks/fine_gray.py                 # n = 2e4 … 1e5, crr where feasible
    .venv/bin/python benchmarks/fine_gray.py --quick         # a smoke run on small data

Two causes, three normal covariates, uniform censoring. crr forms every risk set afresh: its fit
is O(n²) per iteration and its variance (crrvv) roughly O(n²·⁵) — about 10 minutes at n = 2e4 and
many hours at 1e5 on a laptop core. So by default R is timed in full (fit and variance) at 2e4,
and at 1e5 with ``variance = FALSE`` (the fit alone, a lower bound on crr's time) — the table
says which. R is timed by system.time inside Rscript, excluding reading the data.
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

from followup.survival import fine_gray

R_SCRIPT = r"""
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; n <- as.integer(args[2]); variance <- as.logical(args[3])
rd <- function(name, what, count, size = NA_integer_) {
  con <- file(file.path(dir, name), "rb"); on.exit(close(con))
  if (is.na(size)) readBin(con, what, count) else readBin(con, what, count, size = size)
}
time <- rd("time.bin", "double", n); status <- rd("status.bin", "integer", n, size = 1)
x <- matrix(rd("x.bin", "double", 3 * n), ncol = 3)
seconds <- system.time(fit <- crr(time, status, x, variance = variance))[["elapsed"]]
cat(sprintf("%.6f", seconds), "\n", paste(sprintf("%.17g", fit$coef), collapse = ","), "\n")
"""


def generate(n: int, seed: int = 19990601) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exponential times for two causes driven by three covariates, uniform censoring (~25%)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    first = rng.exponential(np.exp(-(x @ np.array([0.5, -0.3, 0.2]))))
    second = rng.exponential(1.5 * np.exp(-(x @ np.array([-0.2, 0.4, 0.0]))))
    censor = rng.uniform(0, 3, n)
    time = np.minimum(np.minimum(first, second), censor)
    status = np.where(time == censor, 0, np.where(time == first, 1, 2)).astype(np.int8)
    return time, status, x


def time_followup(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], repeats: int
) -> tuple[float, np.ndarray]:
    """Median seconds of fine_gray (fit and variance) and its coefficients."""
    time_, status, x = data
    covariates = {f"x{j + 1}": x[:, j] for j in range(3)}
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = fine_gray(time_, status, covariates)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), model.coefficients


def time_crr(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], variance: bool
) -> tuple[float | None, np.ndarray | None, str]:
    """crr's seconds (its own system.time) and coefficients, or why there are none."""
    if shutil.which("Rscript") is None:
        return None, None, "Rscript not installed"
    time_, status, x = data
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        time_.astype(np.float64).tofile(directory / "time.bin")
        status.astype(np.int8).tofile(directory / "status.bin")
        np.asfortranarray(x).T.copy().tofile(directory / "x.bin")
        (directory / "bench.R").write_text(R_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(directory / "bench.R"), folder, str(len(time_)),
             "TRUE" if variance else "FALSE"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        return None, None, f"R failed: {done.stderr.strip()[-160:]}"
    seconds, coefficients = done.stdout.split("\n")[:2]
    return float(seconds), np.array([float(v) for v in coefficients.split(",")]), ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 50_000, 100_000])
    parser.add_argument("--crr-full", type=int, nargs="*", default=[20_000],
                        help="sizes at which crr is timed with its variance")  # fmt: skip
    parser.add_argument("--crr-fit-only", type=int, nargs="*", default=[100_000],
                        help="sizes at which crr is timed with variance = FALSE")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="n = 2000 only")
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.sizes, arguments.crr_full, arguments.crr_fit_only = [2000], [2000], [2000]
    print("| n | followup fine_gray (fit + variance) | cmprsk::crr | crr ÷ followup | "
          "max rel. coef difference |")  # fmt: skip
    print("|---|---|---|---|---|")
    for n in arguments.sizes:
        data = generate(n)
        ours, coefficients = time_followup(data, arguments.repeats)
        runs = [(True, "fit + variance")] if n in arguments.crr_full else []
        runs += [(False, "fit only, variance = FALSE")] if n in arguments.crr_fit_only else []
        if not runs:
            print(f"| {n:.0e} | {ours:.3g} s | not run | | |")
        for variance, what in runs:
            seconds, theirs, note = time_crr(data, variance)
            if seconds is None or theirs is None:
                print(f"| {n:.0e} | {ours:.3g} s | {note} | | |")
                continue
            difference = float(np.max(np.abs(theirs - coefficients) / np.abs(coefficients)))
            print(f"| {n:.0e} | {ours:.3g} s | {seconds:.3g} s ({what}) | "
                  f"{seconds / ours:.0f}x | {difference:.1e} |")  # fmt: skip
        sys.stdout.flush()


if __name__ == "__main__":
    main()
