"""What SQLite's synchronous=FULL costs a save, against NORMAL and EXTRA, in one run.

    uv run python benchmarks/sqlite_durability.py            # 400 saves per mode

Each mode gets a fresh WAL database in the same folder (the data folder's file system by default:
--folder) and the same saves: one transaction each, a form's values as a JSON row and an audit
row, as Followup's save writes. Reported: saves per second, median and 95th-percentile time of a
commit, and each mode's ratio to NORMAL. Results go to benchmarks/results/sqlite_durability.md.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
MODES = ("NORMAL", "FULL", "EXTRA")


def _run(folder: Path, mode: str, saves: int) -> list[float]:
    path = folder / f"durability-{mode}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={mode}")
    db.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY, data TEXT, version INTEGER)")
    db.execute(
        "CREATE TABLE audit (id INTEGER PRIMARY KEY, field TEXT, old TEXT, new TEXT, hash TEXT)"
    )
    values = json.dumps({f"field_{i}": "2010-06-30" for i in range(20)})
    times = []
    for n in range(saves):
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR REPLACE INTO entry VALUES (?, ?, ?)", (n % 50, values, n))
        db.execute(
            "INSERT INTO audit (field, old, new, hash) VALUES ('f', '', ?, ?)", (str(n), "0" * 64)
        )
        db.execute("COMMIT")
        times.append(time.perf_counter() - start)
    db.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=400)
    parser.add_argument("--folder", type=Path, default=None)
    options = parser.parse_args()
    folder = options.folder or Path(tempfile.mkdtemp(prefix="followup-durability-"))
    rows = {}
    for mode in MODES:
        times = _run(folder, mode, options.saves)
        rows[mode] = {
            "saves_per_second": len(times) / sum(times),
            "median_ms": statistics.median(times) * 1000,
            "p95_ms": sorted(times)[int(len(times) * 0.95)] * 1000,
        }
    base = rows["NORMAL"]["saves_per_second"]
    lines = [
        "# SQLite durability: the cost of synchronous=FULL",
        "",
        f"{options.saves} saves per mode (one transaction each: a form row and an audit row), WAL,",
        f"folder `{folder}`.",
        "",
        "| mode | saves/s | median ms | p95 ms | saves/s ÷ NORMAL's |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, row in rows.items():
        lines.append(
            f"| {mode} | {row['saves_per_second']:.0f} | {row['median_ms']:.2f} | "
            f"{row['p95_ms']:.2f} | {row['saves_per_second'] / base:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sqlite_durability.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
