"""Production settings as a security reviewer checks them (defects 8 and 11 of the review).

The rules are checked in fresh interpreters started the way a server starts, from
``followup.capture.settings`` with only the environment a deployment sets.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.capture.conftest import Site

PRODUCTION = {
    "FOLLOWUP_SECRET_KEY": "k3y-" + "a1b2c3d4e5" * 6,
    "FOLLOWUP_ALLOWED_HOSTS": "followup.jplsg.example",
    "FOLLOWUP_BASE_URL": "https://followup.jplsg.example",
}


def _python(code: str, env: dict[str, str], data: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FOLLOWUP_", "DJANGO_"))}
    clean |= {"FOLLOWUP_DATA": str(data), "DJANGO_SETTINGS_MODULE": "followup.capture.settings"}
    return subprocess.run(
        [sys.executable, "-c", code], env=clean | env, capture_output=True, text=True, check=False
    )


def test_a_server_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = _python("import followup.capture.wsgi", {}, tmp_path)
    assert result.returncode != 0
    assert "FOLLOWUP_SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "secret-key.local").exists()  # no silent fallback


def test_a_server_with_its_key_is_https_only(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST)"
    )
    result = _python(code, PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "31536000", "1800", "True"]
    idle = _python(code, PRODUCTION | {"FOLLOWUP_IDLE_MINUTES": "10"}, tmp_path)
    assert idle.stdout.split()[4] == "600"


def test_check_deploy_is_clean_in_the_production_configuration(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = _python(code, PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_loopback_process_keeps_its_own_key_in_the_data_folder(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"
    )
    first = _python(code, {"FOLLOWUP_LOCAL": "1"}, tmp_path)
    again = _python(code, {"FOLLOWUP_LOCAL": "1"}, tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout  # the same key after a restart: sessions survive
    assert len(first.stdout.strip()) >= 50
    key_file = tmp_path / "secret-key.local"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    other = _python(code, {"FOLLOWUP_LOCAL": "1"}, tmp_path / "elsewhere")
    assert other.stdout != first.stdout


def test_every_page_has_a_content_security_policy(site: Site) -> None:
    for url in ("/login/", "/records/", f"/records/{site.own.record_id}/enrollment/"):
        client = site.clients["anonymous" if url == "/login/" else "coordinator"]
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy


def test_sessions_end_after_the_idle_time(site: Site) -> None:
    client = site.clients["coordinator"]
    client.get("/records/")
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date > timezone.now() + timedelta(minutes=29)  # renewed by the request
    session.expire_date = timezone.now() - timedelta(seconds=1)  # 30 minutes without a request
    session.save()
    response = client.get("/records/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_next_cannot_send_anyone_off_the_site(site: Site) -> None:
    dm = site.clients["data_manager"]
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        locked = dm.post(
            f"/records/{site.own.record_id}/lock/",
            {"action": "lock", "reason": "r", "next": target},
        )
        assert locked["Location"] == "/records/"
        dm.post(f"/records/{site.own.record_id}/lock/", {"action": "unlock", "reason": "r"})
        language = dm.post("/language/", {"language": "en", "next": target})
        assert language["Location"] == "/"
    inside = dm.post("/language/", {"language": "en", "next": "/queries/"})
    assert inside["Location"] == "/queries/"


def test_a_form_without_its_token_gets_the_apps_page(site: Site) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="coordinator"))
    response = client.post(f"/records/{site.own.record_id}/enrollment/", {"status": "0"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "This form has expired" in page
    assert "DEBUG" not in page


def test_a_strange_host_gets_no_setting_named(site: Site) -> None:
    response = site.clients["anonymous"].get("/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "ALLOWED_HOSTS" not in response.content.decode()
