"""``followup serve`` for real: one server per data folder, passwords kept, a full disk survived.

Defect 17 of the review: a second ``serve`` on one data folder also ran and reset the demo
passwords. Defect 18: on a full disk, requests (sign-in included) got a bare 500 with no cause
in the log. Here the server runs as people run it, a separate process on a loopback port, and the
full disk is a real one: the data folder is a small tmpfs, filled up with a file.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

FOLLOWUP = str(Path(sys.executable).parent / "followup")
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("FOLLOWUP_", "DJANGO_"))}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``followup serve`` and what it printed."""

    process: subprocess.Popen[str]
    url: str
    stdout: str

    def stop(self) -> str:
        """Stop it; its stderr."""
        self.process.terminate()
        _, err = self.process.communicate(timeout=30)
        return err

    def passwords(self) -> dict[str, str]:
        """The demo users' passwords, as printed when the demo was created."""
        return dict(re.findall(r"^\s+(\w+)\s+(\S+)\s+", self.stdout, flags=re.MULTILINE))


def _serve(data: Path, env: dict[str, str] | None = None) -> Server:
    port = _free_port()
    process = subprocess.Popen(
        [FOLLOWUP, "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV if env is None else env,
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Followup is at"):
            break
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/login/", timeout=5)
            break
        except OSError:
            time.sleep(0.1)
    return Server(process, url, "".join(lines))


class Browser:
    """Just enough of a browser: cookies, the CSRF token, forms posted, status codes kept."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect(),
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str], page: str = "") -> tuple[int, str]:
        """Post the form of ``page`` (fetched first when not given)."""
        page = page or self.get(path)[1]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        fields = {"csrfmiddlewaretoken": token.group(1) if token else ""} | data
        body = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=body))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _sign_in(server: Server, name: str, password: str) -> tuple[Browser, int]:
    browser = Browser(server.url)
    status, _ = browser.post("/login/", {"username": name, "password": password})
    return browser, status


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 24 MB file system of its own for the data folder (tmpfs; root may mount one)."""
    folder = tmp_path_factory.mktemp("small_disk")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture(scope="module")
def demo(small_disk: Path) -> tuple[Path, dict[str, str]]:
    """The demo's data folder, made by a first ``serve``, and the passwords it printed once."""
    data = small_disk / "data"
    first = _serve(data)
    first.stop()
    passwords = first.passwords()
    assert {"datamanager", "coordinator1", "admin"} <= set(passwords)
    assert "write the passwords down" in first.stdout
    return data, passwords


def test_one_server_per_folder_and_passwords_kept_across_restarts(
    demo: tuple[Path, dict[str, str]],
) -> None:
    data, passwords = demo
    server = _serve(data)
    try:
        assert "Passwords are unchanged" in server.stdout
        assert "write the passwords down" not in server.stdout
        second = subprocess.run(
            [FOLLOWUP, "serve", "--data", str(data), "--port", str(_free_port())],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=ENV,
        )
        assert second.returncode == 2
        assert "another `followup serve` is already running" in second.stderr
        assert server.url in second.stderr
        for name in ("datamanager", "coordinator1"):
            _, status = _sign_in(server, name, passwords[name])
            assert status == 302  # neither restart nor the second start changed a password
    finally:
        server.stop()


def test_a_full_disk_gives_a_clear_page_logs_the_cause_and_keeps_nothing_half_done(
    demo: tuple[Path, dict[str, str]], small_disk: Path
) -> None:
    data, passwords = demo
    server = _serve(data)
    filler = small_disk / "filler"
    try:
        coordinator, status = _sign_in(server, "coordinator1", passwords["coordinator1"])
        assert status == 302
        _, records = coordinator.get("/records/")
        record = re.search(r'href="/records/([^/"]+)/enrollment/"', records)
        assert record is not None
        url = f"/records/{record.group(1)}/enrollment/"
        someone = Browser(server.url)
        _, login = someone.get("/login/")
        _, page = coordinator.get(url)
        version = re.search(r'name="version" value="(\d+)"', page)
        assert version is not None
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=64"],
            capture_output=True,
            check=False,
        )  # fills the file system: dd stops at "No space left on device"
        form = {"version": version.group(1), "status": "0", "reason": "x", "wbc_dx": "55.5"}
        saved, refusal = coordinator.post(url, form, page)
        assert saved == 503
        assert "The server cannot save right now" in refusal
        assert "nothing was half-saved" in refusal
        signin, refusal = someone.post(
            "/login/", {"username": "datamanager", "password": passwords["datamanager"]}, login
        )
        assert signin == 503
        assert "The server cannot save right now" in refusal
        filler.unlink()
        _, page = coordinator.get(url)
        assert 'value="55.5"' not in page  # nothing of the refused save was kept
    finally:
        filler.unlink(missing_ok=True)
        log = server.stop()
    assert "cannot save" in log
    assert "free space in the data folder: 0 MB" in log
    verify = subprocess.run(
        [FOLLOWUP, "audit", "verify", "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    assert verify.returncode == 0, verify.stderr
