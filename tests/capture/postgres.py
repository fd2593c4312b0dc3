"""Run a command against a real PostgreSQL server started for it: a temporary cluster on loopback.

    python -m tests.capture.postgres pytest tests/capture

initdb refuses to run as root, so as root the cluster belongs to the unprivileged ``postgres``
user (Debian's package creates it). The server listens on 127.0.0.1 at a free port, lives in a
temporary directory and is stopped and removed afterwards, whatever the command's outcome.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _program(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None
    )
    if found is None:
        raise SystemExit(f"{name} not found: install Debian's postgresql package")
    return str(found)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields its DATABASE_URL."""
    folder = Path(tempfile.mkdtemp(prefix="followup-pg-"))
    data = folder / "data"
    port = _free_port()
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:  # Debian's postgresql package creates it; a bare image may not have it
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
            owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    try:
        subprocess.run(
            _as_owner(
                [
                    _program("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "followup",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        subprocess.run(
            _as_owner(
                [
                    _program("pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(folder / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        _wait(port)
        yield f"postgres://followup@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([_program("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _wait(port: int) -> None:
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"PostgreSQL did not start on port {port}")


def main() -> int:
    """Start the server, run the command with DATABASE_URL set, stop the server."""
    with postgres_server() as url:
        print(f"PostgreSQL test server: {url}", file=sys.stderr)
        return subprocess.run(
            sys.argv[1:], env=os.environ | {"DATABASE_URL": url}, check=False
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
