"""A real `followup serve`, killed with SIGKILL while people save: nothing acknowledged lost.

The trail still verifies and still replays to every stored value afterwards.

Four signed-in data managers save one record each, over and over (each save waits for its page's
version, as a person's does); the server is killed mid-stream, restarted on the same data, and
killed again. Every save the server acknowledged (a redirect) must be stored after the restart —
the stored value is the last acknowledged one, or the one whose answer the kill cut off. On
SQLite, and on PostgreSQL when the tests run against it (`make postgres`).
"""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.cli.test_serve import FOLLOWUP, Browser, _serve, _sign_in
from tests.robustness.databases import fresh_env, is_postgres, rows

WRITERS = 4


def _writer(
    browser: Browser, record: str, stop: threading.Event, log: list[tuple[str, bool]]
) -> None:
    url = f"/records/{record}/enrollment/"
    number = 0
    while not stop.is_set():
        number += 1
        value = f"{number}.5"
        try:
            _, page = browser.get(url)
            version = re.search(r'name="version" value="(\d+)"', page)
            if version is None:
                return
            form = {"version": version.group(1), "status": "0", "reason": "r", "wbc_dx": value}
            log.append((value, False))
            status, _ = browser.post(url, form, page)
            log[-1] = (value, status == 302)
        except OSError:  # the server is gone: this save's answer never came
            return


def _stored(env: dict[str, str], data: Path, records: list[str]) -> dict[str, str]:
    value = (
        "f.\"values\"->>'wbc_dx'" if is_postgres(env) else "json_extract(f.\"values\", '$.wbc_dx')"
    )
    query = (
        f"SELECT r.record_id, {value} FROM capture_formentry f "
        "JOIN capture_record r ON r.id = f.record_id WHERE f.form = 'enrollment'"
    )
    return {record: stored for record, stored in rows(env, data, query) if record in records}


def test_no_acknowledged_save_is_lost_when_the_server_is_killed(tmp_path: Path) -> None:
    data, env = tmp_path / "data", fresh_env()
    first = _serve(data, env)
    passwords = first.passwords()
    browser, status = _sign_in(first, "datamanager", passwords["datamanager"])
    assert status == 302
    _, listing = browser.get("/records/?page=1")
    records = list(dict.fromkeys(re.findall(r'href="/records/([^/"]+)/enrollment/', listing)))[
        :WRITERS
    ]
    assert len(records) == WRITERS
    server = first
    for _round in range(2):
        logs: dict[str, list[tuple[str, bool]]] = {r: [] for r in records}
        stop = threading.Event()
        writers = []
        for record in records:
            signed_in, _ = _sign_in(server, "datamanager", passwords["datamanager"])
            thread = threading.Thread(target=_writer, args=(signed_in, record, stop, logs[record]))
            thread.start()
            writers.append(thread)
        time.sleep(2.0)
        server.process.send_signal(signal.SIGKILL)
        server.process.communicate(timeout=30)  # reaped, its pipes closed
        stop.set()
        for thread in writers:
            thread.join(timeout=60)
        stored = _stored(env, data, records)
        for record, log in logs.items():
            acknowledged = [value for value, ok in log if ok]
            assert acknowledged, f"no save of {record} was acknowledged before the kill"
            last = max(i for i, (_, ok) in enumerate(log) if ok)
            allowed = {log[last][0]} | {value for value, _ in log[last + 1 : last + 2]}
            assert stored[record] in allowed, (record, stored[record], log[-3:])
        server = _serve(data, env)
    server.stop()
    verify = subprocess.run(
        [FOLLOWUP, "audit", "verify", "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "every stored value replays" in verify.stdout
