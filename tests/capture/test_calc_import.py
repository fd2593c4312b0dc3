"""Importing records whose stored calc disagrees with its formula: kept, and said (rule H)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from followup.capture.models import Role
from followup.capture.people import create_user
from followup.capture.setup import create_study

from .conftest import PASSWORD

CORPUS = Path(__file__).parents[1] / "redcap_corpus"


@pytest.mark.django_db
def test_an_imported_calc_its_formula_disagrees_with_is_a_warning() -> None:
    dictionary = (CORPUS / "dictionaries" / "redcapr_decimal_dot_dictionary.csv").read_text()
    study = create_study("decimal dot", dictionary)
    client = Client()
    client.force_login(create_user(study, "manager", Role.DATA_MANAGER, password=PASSWORD))
    rows = list(
        csv.reader(io.StringIO((CORPUS / "exports" / "redcapr_decimal_dot_data.csv").read_text()))
    )
    column = rows[0].index("bmi")
    rows[1][column] = str(float(rows[1][column]) + 1)  # REDCap computed it; one is now wrong
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    upload = SimpleUploadedFile("data.csv", out.getvalue().encode())
    response = client.post("/setup/", {"action": "records", "records": upload}, follow=True)
    page = response.content.decode()
    assert f"Record {rows[1][0]}, bmi: holds {rows[1][column]}" in page
    assert "(kept as imported)" in page
