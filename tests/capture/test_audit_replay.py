"""The trail proves the data: a stored value changed behind the trail's back is named."""

from __future__ import annotations

import json

from click.testing import CliRunner
from django.db import connection

from followup.capture.audit_replay import differences
from followup.capture.models import FormEntry
from followup.cli import cli
from tests.capture.conftest import Site, post_data


def test_the_trail_replays_to_every_stored_value(site: Site) -> None:
    client = site.clients["data_manager"]
    data = post_data(site.own, "enrollment", wbc_dx="123.4", reason="from the chart")
    assert client.post(f"/records/{site.own.record_id}/enrollment/", data).status_code == 302
    assert differences(site.study) == []


def test_a_value_edited_behind_the_trail_is_named(site: Site) -> None:
    entry = FormEntry.objects.get(record=site.own, form="enrollment")
    was = entry.values["wbc_dx"]
    with connection.cursor() as cursor:  # as a script or a hand edit would, without the trail
        cursor.execute(
            'UPDATE capture_formentry SET "values" = %s WHERE id = %s',
            [json.dumps(entry.values | {"wbc_dx": "999.9"}), entry.pk],
        )
        cursor.execute("UPDATE capture_formentry SET status = 1 WHERE id = %s", [entry.pk])
    found = differences(site.study)
    assert [(d.record, d.form, d.field, d.stored, d.trail) for d in found] == [
        (site.own.record_id, "enrollment", "enrollment_complete", "1", str(entry.status)),
        (site.own.record_id, "enrollment", "wbc_dx", "999.9", was),
    ]
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"{site.own.record_id}, enrollment.wbc_dx: stored '999.9', the trail says '{was}'" in (
        result.stdout + result.stderr
    )
