"""A backup taken while people save restores whole: the trail verifies and replays, counts equal."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from tests.cli.test_serve import FOLLOWUP, _serve, _sign_in
from tests.robustness.databases import fresh_env, is_postgres, rows
from tests.robustness.test_kill import _writer


def _followup(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FOLLOWUP, *args], capture_output=True, text=True, check=False, env=env, timeout=300
    )


def _counts(env: dict[str, str], data: Path) -> list[int]:
    tables = ("capture_auditentry", "capture_formentry", "capture_record")
    return [int(rows(env, data, f"SELECT count(*) FROM {table}")[0][0]) for table in tables]


def test_a_backup_during_saves_restores_to_a_trail_that_verifies(tmp_path: Path) -> None:
    data, copy, restored = tmp_path / "data", tmp_path / "backup.sqlite3", tmp_path / "restored"
    env, restored_env = fresh_env(), fresh_env()  # on PostgreSQL, two databases
    server = _serve(data, env)
    try:
        passwords = server.passwords()
        browser, _ = _sign_in(server, "datamanager", passwords["datamanager"])
        _, listing = browser.get("/records/?page=1")
        records = list(dict.fromkeys(re.findall(r'href="/records/([^/"]+)/enrollment/', listing)))
        stop = threading.Event()
        logs: list[list[tuple[str, bool]]] = [[] for _ in records[:3]]
        writers = [
            threading.Thread(
                target=_writer,
                args=(_sign_in(server, "datamanager", passwords["datamanager"])[0], r, stop, log),
            )
            for r, log in zip(records[:3], logs, strict=True)
        ]
        for thread in writers:
            thread.start()
        time.sleep(1.0)
        backup = _followup(env, "backup", "--data", str(data), str(copy))
        time.sleep(0.5)
        stop.set()
        for thread in writers:
            thread.join(timeout=60)
    finally:
        server.stop()
    assert backup.returncode == 0, backup.stderr
    assert all(any(ok for _, ok in log) for log in logs)  # the saves went on around the backup
    restore = _followup(restored_env, "restore", "--data", str(restored), str(copy))
    assert restore.returncode == 0, restore.stderr
    verify = _followup(restored_env, "audit", "verify", "--data", str(restored))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "every stored value replays" in verify.stdout
    if not is_postgres(env):  # the backup file itself is a database to count in
        with sqlite3.connect(copy) as db:
            tables = ("capture_auditentry", "capture_formentry", "capture_record")
            in_copy = [int(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables]
        assert _counts(restored_env, restored) == in_copy
    else:
        assert _counts(restored_env, restored)[0] > 0
