"""The trail's end is anchored in a signed checkpoint beside the data.

Removing its last entries, or all of them, or rolling the database back is found against the
checkpoint; a forged checkpoint is found too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.conf import settings
from django.db import connection

from followup.capture.audit import verify
from followup.capture.audit_anchor import CHECKPOINT, write_checkpoint
from followup.capture.models import AuditEntry, AuditHead
from followup.cli import cli
from tests.capture.conftest import Site


def _delete_last(count: int) -> None:
    ids = list(AuditEntry.objects.order_by("-id").values_list("id", flat=True)[:count])
    with connection.cursor() as cursor:  # with the head row moved back too, as a careful forger
        cursor.execute(
            f"DELETE FROM capture_auditentry WHERE id IN ({','.join(['%s'] * len(ids))})", ids
        )
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        cursor.execute("UPDATE capture_audithead SET hash = %s", [last or "0" * 64])


@pytest.mark.parametrize("removed", [1, 10, "all"])
def test_removing_the_end_of_the_trail_is_found(site: Site, removed: int | str) -> None:
    write_checkpoint()
    total = AuditEntry.objects.count()
    assert verify().ok
    _delete_last(total if removed == "all" else int(removed))
    result = verify()
    assert not result.ok
    assert "checkpoint" in result.reason
    out = CliRunner().invoke(cli, ["audit", "verify"])
    assert out.exit_code == 1


def test_a_forged_checkpoint_is_found(site: Site) -> None:
    write_checkpoint()
    path = Path(settings.DATA_DIR) / CHECKPOINT
    signed = json.loads(path.read_text())
    _delete_last(3)
    head = AuditEntry.objects.order_by("-id").first()
    assert head is not None
    signed |= {"entries": AuditEntry.objects.count(), "last_id": head.pk, "last_hash": head.hash}
    path.write_text(json.dumps(signed))  # the forger cannot sign it without the site's key
    result = verify()
    assert not result.ok
    assert "not signed by this site" in result.reason
    assert AuditHead.objects.exists()


def test_a_new_checkpoint_follows_each_change(site: Site) -> None:
    assert CliRunner().invoke(cli, ["audit", "checkpoint"]).exit_code == 0
    mark = json.loads((Path(settings.DATA_DIR) / CHECKPOINT).read_text())
    assert mark["entries"] == AuditEntry.objects.count()


def test_restoring_a_file_that_is_not_a_database_replaces_nothing(
    site: Site, tmp_path: Path
) -> None:
    bogus = tmp_path / "backup.sqlite3"
    bogus.write_text("not a database")
    before = AuditEntry.objects.count()
    result = CliRunner().invoke(cli, ["restore", str(bogus)])
    assert result.exit_code == 2
    assert "is not a" in result.stderr  # a SQLite database, or a PostgreSQL backup
    assert "nothing was replaced" in result.stderr
    assert AuditEntry.objects.count() == before
