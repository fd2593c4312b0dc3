"""Cox regression on counting-process (start, stop] data: Followup against R's coxph, in one run.

    uv run python benchmarks/cox_counting.py            # 1e6 intervals (2.5e5 subjects × 4)
    uv run python benchmarks/cox_counting.py --subjects 25000 --repeats 3   # a smoke run

Subjects are followed in whole days and their follow-up is cut into 4 intervals; two covariates
are fixed per subject and the third changes from interval to interval (time-varying). R
(Debian's r-base-core and r-cran-survival) fits ``coxph(Surv(start, stop, event) ~ x1 + x2 +
x3)`` on the same rows, written to disk and timed inside Rscript (reading excluded); also the
same with ``cluster = id``. Each cell is the median of several runs. The issue's target is 5x.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from followup.survival import cox_ph
from survival import Cell, r_available, timed

INTERVALS = 4


@dataclass(frozen=True)
class Rows:
    """(start, stop] rows of subjects with a time-varying covariate."""

    id: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    event: np.ndarray  # bool, on the last row of a subject at most
    x: np.ndarray  # (n, 3); x3 varies between a subject's rows


def generate(subjects: int, seed: int = 20040401) -> Rows:
    """Exponential-ish event times in days, each follow-up cut at 3 random days inside it."""
    rng = np.random.default_rng(seed)
    fixed = rng.normal(size=(subjects, 2))
    follow_up = np.ceil(rng.exponential(900 * np.exp(-0.4 * fixed[:, 0]))) + INTERVALS
    died = rng.random(subjects) < 0.6
    # 3 cut days inside the follow-up; the few empty intervals that coinciding cuts make are
    # dropped below.
    fractions = np.sort(rng.uniform(0.05, 0.95, size=(subjects, INTERVALS - 1)), axis=1)
    cuts = np.floor(fractions * follow_up[:, None])
    starts = np.concatenate((np.zeros((subjects, 1)), cuts), axis=1)
    stops = np.concatenate((cuts, follow_up[:, None]), axis=1)
    keep = stops > starts
    subject = np.repeat(np.arange(subjects), INTERVALS).reshape(subjects, INTERVALS)
    last = np.zeros((subjects, INTERVALS), dtype=bool)
    last[:, -1] = died
    varying = rng.normal(size=(subjects, INTERVALS))
    x = np.column_stack(
        (
            np.repeat(fixed[:, 0], INTERVALS).reshape(subjects, INTERVALS)[keep],
            np.repeat(fixed[:, 1], INTERVALS).reshape(subjects, INTERVALS)[keep],
            varying[keep],
        )
    )
    return Rows(subject[keep], starts[keep], stops[keep], last[keep], x)


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; n <- as.integer(args[2]); repeats <- as.integer(args[3]); cluster <- args[4] == "1"
rd <- function(name, what, count = n, size = NA_integer_) {
  con <- file(file.path(dir, name), "rb"); on.exit(close(con))
  if (is.na(size)) readBin(con, what, count) else readBin(con, what, count, size = size)
}
d <- data.frame(id = rd("id.bin", "integer"), start = rd("start.bin", "double"),
                stop = rd("stop.bin", "double"), event = rd("event.bin", "integer", size = 1))
x <- matrix(rd("x.bin", "double", 3 * n), ncol = 3)
d$x1 <- x[, 1]; d$x2 <- x[, 2]; d$x3 <- x[, 3]
run <- function() {
  if (cluster) coxph(Surv(start, stop, event) ~ x1 + x2 + x3, data = d, cluster = id)
  else coxph(Surv(start, stop, event) ~ x1 + x2 + x3, data = d)
}
runs <- c(); fit <- NULL
for (i in seq_len(repeats)) runs <- c(runs, system.time(fit <- run())[["elapsed"]])
cat(paste(sprintf("%.6f", runs), collapse = ","), "\n",
    paste(sprintf("%.17g", coef(fit)), collapse = ","), "\n",
    paste(sprintf("%.17g", sqrt(diag(fit$var))), collapse = ","), "\n", sep = "")
"""


def r_cell(rows: Rows, repeats: int, cluster: bool) -> tuple[Cell, np.ndarray, np.ndarray]:
    """R's median time, coefficients and (robust, with cluster) SEs on the same rows."""
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        rows.id.astype(np.int32).tofile(directory / "id.bin")
        rows.start.astype(np.float64).tofile(directory / "start.bin")
        rows.stop.astype(np.float64).tofile(directory / "stop.bin")
        rows.event.astype(np.int8).tofile(directory / "event.bin")
        np.asfortranarray(rows.x).T.copy().tofile(directory / "x.bin")
        (directory / "bench.R").write_text(R_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(directory / "bench.R"), folder, str(len(rows.id)), str(repeats),
             "1" if cluster else "0"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    lines = done.stdout.strip().split("\n")
    runs = [float(v) for v in lines[0].split(",")]
    coef = np.array([float(v) for v in lines[1].split(",")])
    se = np.array([float(v) for v in lines[2].split(",")])
    return Cell(statistics.median(runs), runs), coef, se


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subjects", type=lambda s: int(float(s)), default=250_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--r-repeats", type=int, default=3)
    arguments = parser.parse_args()
    rows = generate(arguments.subjects)
    columns = {f"x{j + 1}": rows.x[:, j] for j in range(3)}
    print(f"{len(rows.id):,} (start, stop] rows, {arguments.subjects:,} subjects, "
          f"{int(rows.event.sum()):,} events")  # fmt: skip
    print("| case | Followup | R coxph | R ÷ Followup | max rel. diff (coef, SE) |")
    print("|---|---|---|---|---|")
    for cluster in (False, True):
        ids = rows.id if cluster else None

        def fit(ids: np.ndarray | None = ids) -> object:
            model = cox_ph(rows.stop, rows.event, columns, start=rows.start, cluster=ids)
            if ids is not None:
                _ = model.robust_variance  # R computes it inside coxph
            return model

        ours = timed(fit, arguments.repeats, budget=120.0)
        model = cox_ph(rows.stop, rows.event, columns, start=rows.start, cluster=ids)
        label = "Cox (start, stop], 3 covariates, Efron" + (", cluster = id" if cluster else "")
        if not r_available():
            print(f"| {label} | {ours.seconds:.3g} s | R not installed | | |")
            continue
        theirs, coef, se = r_cell(rows, arguments.r_repeats, cluster)
        our_se = model.robust_std_err if cluster else model.std_err
        difference = max(
            float(np.max(np.abs(model.coefficients - coef) / np.abs(coef))),
            float(np.max(np.abs(our_se - se) / se)),
        )
        assert ours.seconds is not None
        assert theirs.seconds is not None
        print(f"| {label} | {ours.seconds:.3g} s | {theirs.seconds:.3g} s | "
              f"{theirs.seconds / ours.seconds:.1f}x | {difference:.1e} |")  # fmt: skip


if __name__ == "__main__":
    main()
