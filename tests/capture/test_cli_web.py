"""The web commands: createuser prints a working sign-in link; backup and restore round-trip."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import Client

from followup.capture.models import AuditEntry
from followup.cli import cli
from tests.capture.conftest import Site, signs_in


def test_createuser_prints_a_link_that_sets_a_password(site: Site) -> None:
    code = site.own.hospital.code
    result = CliRunner().invoke(
        cli, ["createuser", "newsite", "--role", "coordinator", "--hospital", code]
    )
    assert result.exit_code == 0, result.output
    path = re.search(r"/password/\S+/", result.stdout)
    assert path is not None
    client = Client()
    page = client.get(path.group(0), follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path.group(0)
    new_password = "a-long-new-password-2026"
    done = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert signs_in("newsite", new_password)


def test_createuser_names_an_unknown_hospital(site: Site) -> None:
    result = CliRunner().invoke(
        cli, ["createuser", "x", "--role", "coordinator", "--hospital", "nowhere"]
    )
    assert result.exit_code == 2
    assert "no hospital 'nowhere'" in result.stderr
    assert site.own.hospital.code in result.stderr


@pytest.mark.django_db(transaction=True)
def test_backup_is_a_consistent_copy(site: Site, tmp_path: Path) -> None:
    target = tmp_path / "copy.backup"
    result = CliRunner().invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    if connection.vendor == "sqlite":
        with sqlite3.connect(target) as copy:
            (count,) = copy.execute("SELECT count(*) FROM capture_auditentry").fetchone()
        assert count == AuditEntry.objects.count()
    else:  # pg_dump's custom format: pg_restore lists the trail's table in it
        listing = subprocess.run(
            ["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True
        ).stdout
        assert "capture_auditentry" in listing


@pytest.mark.django_db(transaction=True)
def test_restore_puts_a_backup_in_place(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL restore is pg_restore's")
    from followup.capture import database

    copy = database.backup(tmp_path / "copy.sqlite3")
    elsewhere = tmp_path / "restored.sqlite3"
    live = database._database()
    monkeypatch.setattr(database, "_database", lambda: {**live, "NAME": str(elsewhere)})
    database.restore(copy)
    with sqlite3.connect(elsewhere) as restored:
        (count,) = restored.execute("SELECT count(*) FROM capture_auditentry").fetchone()
    assert count == AuditEntry.objects.count()


@pytest.mark.django_db
def test_setup_creates_the_study_with_its_records(demo_export: tuple[Path, Path, Path]) -> None:
    dictionary, records, plan = demo_export
    result = CliRunner().invoke(
        cli,
        [
            "setup",
            "--name",
            "A new study",
            "-d",
            str(dictionary),
            "-p",
            str(plan),
            "-r",
            str(records),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "63 records loaded into 20 hospitals" in result.stderr
    again = CliRunner().invoke(cli, ["setup", "--name", "Twice", "-d", str(dictionary)])
    assert again.exit_code == 2
    assert "already has a study" in again.stderr


@pytest.mark.django_db
def test_setup_with_a_bad_row_stores_nothing_so_the_retry_works(
    demo_export: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    dictionary, records, plan = demo_export
    text = records.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([text[0], text[1] + ",a stray cell", *text[2:]]) + "\n")
    args = ["setup", "--name", "Retry", "-d", str(dictionary), "-p", str(plan)]
    failed = CliRunner().invoke(cli, [*args, "-r", str(bad)])
    assert failed.exit_code == 2, failed.output
    retried = CliRunner().invoke(cli, [*args, "-r", str(records)])
    assert retried.exit_code == 0, retried.output
    assert "63 records loaded" in retried.stderr
