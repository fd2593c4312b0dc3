"""One server per data folder: ``followup serve`` holds a lock file for as long as it runs.

A second ``serve`` on the same folder is refused with the first one's address and process, and
other commands read the running server's address from the file for the links they print.
The lock is the operating system's (``flock``): it ends with the process, however it ends.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOCK_NAME = "serve.lock"


class ServerRunning(RuntimeError):  # noqa: N818  (a state, reported as such)
    """Another server holds the data folder."""


@dataclass
class ServerLock:
    """The held lock; release it (or let the process end) to free the folder."""

    path: Path
    handle: IO[str]

    def release(self) -> None:
        """Unlock and close (the file stays, empty, for the next server)."""
        self.handle.truncate(0)
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def hold(data_dir: Path, url: str) -> ServerLock:
    """Take the folder's lock and write who holds it, or ServerRunning naming the holder."""
    path = data_dir / LOCK_NAME
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        holder = running_server(data_dir) or {}
        raise ServerRunning(
            f"another `followup serve` is already running on {data_dir} "
            f"(process {holder.get('pid', '?')}, {holder.get('url', 'address unknown')}): "
            "stop it first, or give this one another --data folder"
        ) from None
    handle.seek(0)
    handle.truncate(0)
    handle.write(json.dumps({"pid": os.getpid(), "url": url}))
    handle.flush()
    return ServerLock(path, handle)


def running_server(data_dir: Path) -> dict[str, object] | None:
    """The running server's process and address, if one holds the folder (a stale file: None)."""
    path = data_dir / LOCK_NAME
    try:
        with path.open(encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                found = json.loads(handle.read() or "null")
                return found if isinstance(found, dict) else None
            return None  # nobody holds it: the server that wrote it has ended
    except (OSError, ValueError):
        return None
