"""Django start-up for the command line, and consistent copies of a live database."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path


def start_django(data_dir: Path | None = None, *, local: bool = True) -> None:
    """Configure Django from followup.capture.settings (data in ``data_dir``) and set it up.

    ``local`` marks a process that serves loopback only, or serves nothing (the commands): it may
    keep its secret key in the data folder and needs no HTTPS (see the settings' docstring).
    """
    if data_dir is not None:
        os.environ["FOLLOWUP_DATA"] = str(data_dir)
    os.environ["FOLLOWUP_LOCAL"] = "1" if local else "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "followup.capture.settings")
    import django

    django.setup()


def _database() -> dict[str, object]:
    from django.conf import settings

    return dict(settings.DATABASES["default"])


def backup(target: Path) -> Path:
    """A consistent copy while the server runs: SQLite's online backup, or pg_dump."""
    db = _database()
    target.parent.mkdir(parents=True, exist_ok=True)
    if str(db["ENGINE"]).endswith("sqlite3"):
        with sqlite3.connect(str(db["NAME"])) as source, sqlite3.connect(str(target)) as copy:
            source.backup(copy)
        copy.close()
        return target
    env = os.environ | {"PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", *_pg_args(db)]
    subprocess.run(command, check=True, env=env)
    return target


class RestoreError(ValueError):
    """A file that is not a backup of this kind of database; nothing was replaced."""


_SQLITE = b"SQLite format 3\x00"
_PGDUMP = b"PGDMP"  # the first bytes of pg_dump's custom format


def restore(source: Path) -> None:
    """Replace the database with a backup (stop the server first)."""
    db = _database()
    if str(db["ENGINE"]).endswith("sqlite3"):
        with source.open("rb") as handle:
            if handle.read(len(_SQLITE)) != _SQLITE:
                raise RestoreError(
                    f"{source} is not a SQLite database (a backup made by followup backup); "
                    "nothing was replaced"
                )
        name = Path(str(db["NAME"]))
        name.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(str(source)) as backup_copy, sqlite3.connect(str(name)) as live:
            backup_copy.backup(live)
        return
    with source.open("rb") as handle:
        if handle.read(len(_PGDUMP)) != _PGDUMP:
            raise RestoreError(
                f"{source} is not a PostgreSQL backup (pg_dump's custom format, made by followup "
                "backup); nothing was replaced"
            )
    env = os.environ | {"PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", *_pg_args(db), str(source)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RestoreError(f"pg_restore could not restore {source}: {done.stderr.strip()[:500]}")


def _pg_args(db: dict[str, object]) -> list[str]:
    if shutil.which("pg_dump") is None:
        raise FileNotFoundError("pg_dump is not installed (Debian package postgresql-client)")
    return [
        f"--host={db.get('HOST') or 'localhost'}",
        f"--port={db.get('PORT') or 5432}",
        f"--username={db.get('USER') or 'postgres'}",
        f"--dbname={db['NAME']}",
    ]
