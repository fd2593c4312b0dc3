"""Longitudinal and repeating data in the web app: events, instances, the trail, the export.

A real REDCap longitudinal project with a repeating instrument (redcapAPI's offline test
project, tests/redcap_corpus/projects/redcapapi_offline) round-trips: import → one value edited in
the browser → export equals the imported file apart from that one value. MLL03's follow-up form
repeats (one instance per contact): instances are opened, added and checked by address.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.test import Client

from followup.capture.export import export_csv
from followup.capture.models import AuditEntry, FormEntry, Record, Role
from followup.capture.people import create_user
from followup.capture.setup import create_study, load_records
from followup.io import read_records

from .conftest import PASSWORD, Site, post_data

PROJECT = Path(__file__).parents[1] / "redcap_corpus" / "projects" / "redcapapi_offline"
# What REDCap's repeatingFormsEvents export says of this project (its repository ships the
# project's other CSVs; the repeating instrument is the one its records file repeats).
REPEATING = "event_name,form_name,custom_form_label\nevent_1_arm_1,files_notes_descriptions,\n"


def _rows(text: str) -> dict[tuple[str, ...], dict[str, str]]:
    """Each line of an export by (record, event, form, instance), blank cells left out."""
    rows = {}
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        key = tuple(
            row.get(c, "")
            for c in (
                "record_id",
                "redcap_event_name",
                "redcap_repeat_instrument",
                "redcap_repeat_instance",
            )
        )
        rows[key] = {c: v.strip() for c, v in row.items() if v and v.strip()}
    return rows


@pytest.mark.django_db
def test_a_longitudinal_repeating_project_round_trips_apart_from_the_edit() -> None:
    files = {
        "events": (PROJECT / "redcapapi_TestRedcapAPI_Events.csv").read_text(),
        "arms": (PROJECT / "redcapapi_TestRedcapAPI_Arms.csv").read_text(),
        "mapping": (PROJECT / "redcapapi_TestRedcapAPI_InstrumentDesignations.csv").read_text(),
        "repeating": REPEATING,
    }
    dictionary = (PROJECT / "redcapapi_TestRedcapAPI_DataDictionary.csv").read_text()
    study = create_study("redcapAPI test project", dictionary, "", files)
    original = (PROJECT / "redcapapi_TestRedcapAPI_Records.csv").read_text(encoding="utf-8-sig")
    records = read_records(original, study.dictionary, schedule=study.schedule)
    load_records(study, records, user="import")
    entry = FormEntry.objects.filter(record__study=study, form="files_notes_descriptions").first()
    assert entry is not None
    assert entry.instance >= 1
    field = next(f for f in study.dictionary.form_fields(entry.form) if f.field_type == "notes")
    user = create_user(study, "manager", Role.DATA_MANAGER, password=PASSWORD)
    client = Client()
    client.force_login(user)
    address = (
        f"/records/{entry.record.record_id}/{entry.form}/"
        f"?event={entry.event}&instance={entry.instance}"
    )
    page = client.get(address)
    assert page.status_code == 200
    data = post_data(entry.record, entry.form, **{field.name: "edited in the browser"})
    data = {k: v for k, v in data.items() if k in _posted(study, entry.form)} | {
        "version": str(entry.version),
        "status": str(entry.status),
        "reason": "round trip",
        "then": "stay",
    }
    saved = client.post(address, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    exported = export_csv(study, Record.objects.filter(study=study).order_by("pk"))
    before, after = _rows(original), _rows(exported)
    key = (entry.record.record_id, entry.event, entry.form, str(entry.instance))
    expected = dict(before)
    expected[key] = before[key] | {field.name: "edited in the browser"}
    assert after == expected
    change = AuditEntry.objects.get(field=field.name, action__in=("update", "create"))
    assert (change.event, change.instance) == (entry.event, entry.instance)


def _posted(study: object, form: str) -> set[str]:
    """The names the form's page posts (its fields, not other forms' stored values)."""
    dictionary = study.dictionary  # type: ignore[attr-defined]
    return {f.name for f in dictionary.form_fields(form)}


def test_mll03_follow_up_instances_are_opened_added_and_checked(site: Site) -> None:
    dm = site.clients["data_manager"]
    record = site.own
    base = f"/records/{record.record_id}/followup/"
    saved = sorted(
        FormEntry.objects.filter(record=record, form="followup").values_list("instance", flat=True)
    )
    assert saved == list(range(1, len(saved) + 1))
    last = saved[-1]
    page = dm.get(f"{base}?instance={last}").content.decode()
    assert f"?instance={last + 1}" in page  # the "add a new instance" link
    assert dm.get(f"{base}?instance={last + 1}").status_code == 200
    for bad in (f"?instance={last + 2}", "?instance=0", "?instance=x", "?event=baseline"):
        assert dm.get(base + bad).status_code == 404, bad
    enrollment = f"/records/{record.record_id}/enrollment/"
    assert dm.get(enrollment + "?instance=2").status_code == 404  # enrollment does not repeat
    data = {
        "last_contact_date": "2015-03-01",
        "vital_status": "1",
        "disease_status_last": "1",
        "version": "0",
        "status": "2",
        "then": "stay",
    }
    response = dm.post(f"{base}?instance={last + 1}", data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?instance={last + 1}")
    new = FormEntry.objects.get(record=record, form="followup", instance=last + 1)
    assert new.values["last_contact_date"] == "2015-03-01"
    assert dm.post(f"{base}?instance={last + 3}", data).status_code == 404
    export = dm.get("/export.csv").content.decode()
    mine = [
        row
        for row in csv.DictReader(io.StringIO(export))
        if row["record_id"] == record.record_id and row["redcap_repeat_instrument"] == "followup"
    ]
    assert [row["redcap_repeat_instance"] for row in mine] == [str(n) for n in range(1, last + 2)]
