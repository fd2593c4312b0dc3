"""Sliders and times get their own widgets; what they save is checked as REDCap checks it."""

from __future__ import annotations

import pytest
from django.test import Client

from followup.capture.models import FormEntry, Hospital, Record, Role
from followup.capture.people import create_user
from followup.capture.setup import create_study

from .conftest import PASSWORD

DICTIONARY = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max\n"
    "record_id,visit,,text,ID,,,,,\n"
    "pain,visit,,slider,Pain today,None | Some | Worst,,number,0,10\n"
    "seen_at,visit,,text,Seen at,,,time,,\n"
)


@pytest.fixture
def client(db: None) -> Client:
    study = create_study("widgets", DICTIONARY)
    hospital = Hospital.objects.create(study=study, code="h1", name="H1")
    Record.objects.create(study=study, record_id="7", hospital=hospital)
    client = Client()
    client.force_login(create_user(study, "manager", Role.DATA_MANAGER, password=PASSWORD))
    return client


def test_a_slider_and_a_time_have_their_widgets_and_checks(client: Client) -> None:
    page = client.get("/records/7/visit/").content.decode()
    assert 'type="range" min="0" max="10"' in page
    assert "<span>None</span><span>Some</span><span>Worst</span>" in page
    assert 'placeholder="HH:MM"' in page
    refused = client.post("/records/7/visit/", {"version": "0", "status": "0", "pain": "11"})
    assert refused.status_code == 400
    assert "Enter a whole number from 0 to 10." in refused.content.decode()
    saved = client.post(
        "/records/7/visit/", {"version": "0", "status": "0", "pain": "7", "seen_at": "9:30"}
    )
    assert saved.status_code == 302
    values = FormEntry.objects.get(form="visit").values
    assert (values["pain"], values["seen_at"]) == ("7", "9:30")
