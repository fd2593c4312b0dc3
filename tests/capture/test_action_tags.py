"""Calc fields, action tags, piping and HTML in labels, on the form and on save.

Each behaviour is REDCap's, as its action-tag and piping help describes it: a calc is computed and
stored whatever is posted; @READONLY keeps the stored value; @DEFAULT fills a form with nothing
saved, @SETVALUE every time; @HIDECHOICE hides a choice unless it is the answer; the limits
refuse a save with a message at the field; @IF picks its tags by the record's values; a label
shows HTML through an allow-list and pipes the record's values (a blank as six underscores).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from followup.capture.models import FormEntry, Hospital, Record, Role
from followup.capture.people import create_user
from followup.capture.setup import create_study

from .conftest import PASSWORD

HEADER = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
    "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
    "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation\n"
)
ROWS = [
    "record_id,visit,,text,ID,,,,,,,,,,,,,",
    "height,visit,,text,Height (cm),,,number,,,,,,,,,,",
    "weight,visit,,text,Weight (kg),,,number,,,,,,,,,,",
    'bmi,visit,,calc,BMI,"round([weight] / ([height] / 100)^2, 1)",,,,,,,,,,,,',
    "category,visit,,text,Category,,,,,,,,,,,,,"
    "\"@CALCTEXT(if([bmi] >= 30, 'obese', 'not obese'))\"",
    "visit_date,visit,,text,Visit,,,date_ymd,,,,,,,,,,",
    "next_date,visit,,text,Next visit,,,date_ymd,,,,,,,,,,\"@CALCDATE([visit_date], 30, 'd')\"",
    "site,visit,,text,Site,,,,,,,,,,,,,\"@READONLY @DEFAULT='Tokyo'\"",
    "consent,visit,,text,Consent version,,,,,,,,,,,,,@SETVALUE='v2'",
    "smoker,visit,,radio,Smoker,\"1, Yes | 0, No | 9, Unknown\",,,,,,,,,,,,@HIDECHOICE='9'",
    'symptoms,visit,,checkbox,Symptoms,"1, Fever | 2, Cough | 98, None",,,,,,,,,,,,'
    '"@MAXCHECKED=2 @NONEOFTHEABOVE=98"',
    "remarks,visit,,notes,Remarks,,,,,,,,,,,,,\"@CHARLIMIT=20 @PLACEHOLDER='A few words'\"",
    "secret,visit,,text,Secret,,,,,,,,,,,,,\"@IF([site] = 'Tokyo', @HIDDEN, '')\"",
    'greeting,visit,,descriptive,"<b>Hello</b> [site]<script>alert(1)</script> '
    '[smoker] [record-name] [weight]",,,,,,,,,,,,,',
]
DICTIONARY = HEADER + "\n".join(ROWS) + "\n"


@pytest.fixture
def page(db: None) -> tuple[Client, Record]:
    study = create_study("tags", DICTIONARY)
    hospital = Hospital.objects.create(study=study, code="h1", name="H1")
    record = Record.objects.create(study=study, record_id="7", hospital=hospital)
    user = create_user(study, "manager", Role.DATA_MANAGER, password=PASSWORD)
    client = Client()
    client.force_login(user)
    return client, record


def _post(client: Client, **values: object) -> tuple[int, str]:
    entry = FormEntry.objects.filter(record__record_id="7", form="visit").first()
    data = {"version": str(entry.version if entry else 0), "status": "0", "then": "stay"}
    response = client.post("/records/7/visit/", data | values)
    return response.status_code, response.content.decode()


def test_computed_fields_are_stored_whatever_is_posted(page: tuple[Client, Record]) -> None:
    client, _record = page
    status, _ = _post(
        client,
        height="180",
        weight="100",
        bmi="12",
        category="thin",
        visit_date="2010-01-01",
        next_date="1999-01-01",
    )
    assert status == 302
    values = FormEntry.objects.get(form="visit").values
    # round(100 / 1.8², 1) = 30.9 ≥ 30; 30 days after 1 January 2010 is 31 January.
    assert (values["bmi"], values["category"], values["next_date"]) == (
        "30.9",
        "obese",
        "2010-01-31",
    )


def test_readonly_default_setvalue_and_hidden_choices(page: tuple[Client, Record]) -> None:
    client, _record = page
    html = client.get("/records/7/visit/").content.decode()
    assert re.search(r'name="site"[^>]*value="Tokyo"|value="Tokyo"[^>]*name="site"', html)
    assert re.search(r'name="consent"[^>]*value="v2"|value="v2"[^>]*name="consent"', html)
    assert 'value="9"' not in html  # @HIDECHOICE
    assert 'placeholder="A few words"' in html
    _post(client, site="Osaka", consent="v1", smoker="0")
    values = FormEntry.objects.get(form="visit").values
    assert values["site"] == "Tokyo"  # @READONLY: the posted value is ignored
    assert values["consent"] == "v1"  # @SETVALUE fills the box; the person may still change it
    again = client.get("/records/7/visit/").content.decode()
    assert re.search(r'name="consent"[^>]*value="v2"|value="v2"[^>]*name="consent"', again)
    FormEntry.objects.filter(form="visit").update(values=values | {"smoker": "9"})
    assert 'value="9"' in client.get("/records/7/visit/").content.decode()  # still the answer


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"symptoms": ["1", "2", "98"]}, "Tick at most 2 options."),
        ({"symptoms": ["1", "98"]}, "“None of the above” cannot be ticked with another option."),
        ({"remarks": "x" * 21}, "Write at most 20 characters."),
    ],
)
def test_limits_refuse_a_save_at_the_field(
    page: tuple[Client, Record], values: dict[str, object], message: str
) -> None:
    client, _record = page
    status, html = _post(client, **values)
    assert status == 400
    assert message.replace("“", "&ldquo;").replace("”", "&rdquo;") in html or message in html
    assert not FormEntry.objects.filter(form="visit").exclude(version=0).exists()


def test_if_labels_html_and_piping(page: tuple[Client, Record]) -> None:
    client, _record = page
    _post(client, smoker="1", weight="", site="Tokyo")
    html = client.get("/records/7/visit/").content.decode()
    secret = re.search(r'<div class="question[^"]*" data-column="secret"[^>]*>', html)
    assert secret is not None
    assert " hidden" in secret.group(0)  # @IF([site] = 'Tokyo', @HIDDEN, '')
    greeting = html[html.index("<b>Hello</b>") : html.index("<b>Hello</b>") + 2000]
    assert "<script>" not in greeting
    assert ">Tokyo</span>" in greeting  # [site]
    assert ">Yes</span>" in greeting  # a choice pipes its label
    assert ">7</span>" in greeting  # [record-name]
    assert ">______</span>" in greeting  # a blank pipes as six underscores
