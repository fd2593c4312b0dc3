"""The trail is append-only and hash-chained: any edit of the table is found, and where."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.db import connection

from followup.capture.audit import verify
from followup.capture.models import AuditEntry
from followup.cli import cli
from tests.capture.conftest import Site


def _verify_cli() -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", "verify"])
    return result.exit_code, result.stdout + result.stderr


def test_an_intact_trail_verifies(site: Site) -> None:
    assert verify().ok
    status, out = _verify_cli()
    assert status == 0
    assert f"{AuditEntry.objects.count()} entries" in out


def test_editing_an_entry_by_hand_is_found(site: Site) -> None:
    target = AuditEntry.objects.order_by("id")[10]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE capture_auditentry SET new = %s WHERE id = %s", ["tampered", target.pk]
        )
    result = verify()
    assert result.first_broken == target.pk
    status, out = _verify_cli()
    assert status == 1
    assert f"BROKEN at entry {target.pk}" in out


def test_removing_an_entry_is_found_at_the_next(site: Site) -> None:
    entries = list(AuditEntry.objects.order_by("id")[:6])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM capture_auditentry WHERE id = %s", [entries[4].pk])
    assert verify().first_broken == entries[5].pk


def test_the_model_refuses_changes_and_deletes(site: Site) -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    entry.new = "x"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_reordering_two_entries_is_found_at_the_first(site: Site) -> None:
    first, second = AuditEntry.objects.order_by("id").values()[3:5]
    columns = [c for c in first if c != "id"]
    assignments = ", ".join(f'"{c}" = %s' for c in columns)
    with connection.cursor() as cursor:  # each row takes the other's whole content and hashes
        cursor.execute("UPDATE capture_auditentry SET hash = %s WHERE id = %s", ["x", first["id"]])
        for target, source in ((second, first), (first, second)):
            cursor.execute(
                f"UPDATE capture_auditentry SET {assignments} WHERE id = %s",
                [*(source[c] for c in columns), target["id"]],
            )
    assert verify().first_broken == first["id"]
