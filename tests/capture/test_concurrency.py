"""Two people save the same form at once: one save wins, the other is told; the trail stays whole.

Run against SQLite by ``make test`` and against a real PostgreSQL server by ``make test-postgres``
(part of ``make test``), through the same code.
"""

from __future__ import annotations

import os
import threading

import pytest
from django.conf import settings
from django.db import connection

from followup.capture.audit import verify
from followup.capture.entry import SaveRefused, save
from followup.capture.models import FormEntry
from tests.capture.conftest import Site


def test_the_database_is_the_one_asked_for(db: None) -> None:
    wanted = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == wanted


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_of_one_form(site: Site) -> None:
    record = site.own
    entry = FormEntry.objects.get(record=record, form="enrollment")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def one_save(value: str) -> None:
        barrier.wait()
        try:
            save(
                record.pk,
                "enrollment",
                entry.values | {"wbc_dx": value},
                user=f"user{value}",
                version=entry.version,
                status=entry.status,
                reason="simultaneous edit",
            )
            outcomes.append("saved")
        except SaveRefused as refused:
            outcomes.append("conflict" if refused.conflict is not None else refused.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_save, args=(v,)) for v in ("1.5", "2.5")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert FormEntry.objects.get(pk=entry.pk).version == entry.version + 1
    assert verify().ok


def test_sqlite_runs_in_wal_mode(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL has no journal mode")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="SQLite only"
)
def test_sqlite_syncs_every_commit(db: None) -> None:
    """synchronous=FULL (2): an acknowledged save survives a power loss, not only a kill."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2
