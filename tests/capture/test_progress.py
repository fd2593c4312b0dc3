"""Progress: the hospitals' counts and the record status dashboard count every form that applies.

Defect 5 of the review: "forms complete" counted only forms already started, so a hospital that
never opened its questionnaires looked finished.
"""

from __future__ import annotations

import re

from followup.capture.models import FormEntry, Record
from followup.capture.progress import FormState, progress
from tests.capture.conftest import Site


def _expected_counts(site: Site, record: Record) -> tuple[int, int]:
    """Forms due and complete for one record, from the plan's rule written out.

    The relapse questionnaire is asked only where enrollment says relapsed = 1.
    """
    entries = {e.form: e for e in FormEntry.objects.filter(record=record)}
    relapsed = entries["enrollment"].values.get("relapsed") == "1"
    due = ["enrollment", "followup"] + (["relapse_questionnaire"] if relapsed else [])
    complete = sum(1 for f in due if f in entries and entries[f].status == 2)
    return len(due), complete


def test_a_hospital_that_never_started_its_forms_is_not_finished(site: Site) -> None:
    hospital = site.own.hospital
    records = list(Record.objects.filter(hospital=hospital))
    FormEntry.objects.filter(
        record__in=records, form__in=["relapse_questionnaire", "followup"]
    ).delete()  # the demo's state: questionnaires never opened
    page = site.clients["data_manager"].get("/dashboard/").content.decode()
    row = page[page.index(f">{hospital.name}<") :]
    row = row[: row.index("</tr>")]
    due = sum(_expected_counts(site, r)[0] for r in records)
    complete = sum(_expected_counts(site, r)[1] for r in records)
    assert complete < due
    assert f"{complete} of {due}" in row


def test_the_status_dashboard_shows_each_forms_state(site: Site) -> None:
    record = site.own
    FormEntry.objects.filter(record=record, form="followup").delete()
    FormEntry.objects.filter(record=record, form="enrollment").update(status=1)
    rows = progress(site.study, Record.objects.filter(pk=record.pk))
    states = {cell.slot.form: cell.state for cell in rows[0].forms}
    assert states["followup"] == FormState.NOT_STARTED
    assert states["enrollment"] == FormState.UNVERIFIED
    relapsed = FormEntry.objects.get(record=record, form="enrollment").values["relapsed"] == "1"
    assert (states["relapse_questionnaire"] == FormState.NOT_NEEDED) == (not relapsed)


def test_the_status_dashboard_filters_and_pages(site: Site) -> None:
    dm = site.clients["data_manager"]
    FormEntry.objects.filter(record=site.own, form="followup").delete()
    page = dm.get("/records/?status=not_started").content.decode()
    listed = set(re.findall(r'<th scope="row">([^<\s]+)', page))
    assert site.own.record_id in listed
    assert site.other.record_id not in listed  # every form of it was loaded
    only = dm.get(f"/records/?q={site.own.record_id[-3:]}").content.decode()
    assert site.own.record_id in only
    code = site.other.hospital.code
    theirs = dm.get(f"/records/?hospital={code}").content.decode()
    assert site.other.record_id in theirs
    assert f">{site.own.record_id}" not in theirs
    assert dm.get("/records/?page=999").status_code == 200  # the last page, not an error
    assert dm.get("/records/?status=bogus").status_code == 400
    assert dm.get("/records/?hospital=nowhere").status_code == 400
