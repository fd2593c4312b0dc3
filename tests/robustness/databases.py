"""The database a fault test's `followup` processes use.

The data folder's SQLite file, or — when the tests run against PostgreSQL (DATABASE_URL, `make
postgres`) — a fresh database of their own.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.cli.test_serve import ENV


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def fresh_env() -> dict[str, str]:
    """The environment for `followup` processes: ENV, and a new PostgreSQL database if any."""
    url = _server_url()
    if not url:
        return dict(ENV)
    import psycopg

    name = f"followup_fault_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return dict(ENV) | {"DATABASE_URL": urlunsplit(urlsplit(url)._replace(path=f"/{name}"))}


def rows(env: dict[str, str], data: Path, query: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the processes' database (SQL both understand)."""
    url = env.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        with psycopg.connect(url) as connection:
            return list(connection.execute(query).fetchall())  # type: ignore[arg-type]
    with sqlite3.connect(data / "followup.sqlite3") as connection:
        return list(connection.execute(query).fetchall())


def is_postgres(env: dict[str, str]) -> bool:
    """Whether the processes use PostgreSQL."""
    return env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
