"""In the browser, the form answers as it is filled, with no server round trip, as in REDCap.

A calc and @CALCTEXT follow what is typed, pipes refill, @NONEOFTHEABOVE unticks the others, a
slider moves its number.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from followup.capture.models import Hospital, Record, Role
from followup.capture.people import create_user
from followup.capture.setup import create_study
from tests.capture.conftest import PASSWORD
from tests.capture.test_action_tags import DICTIONARY as TAGGED

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.django_db(transaction=True),
]
SLIDER = "pain,visit,,slider,Pain,None | Some | Worst,,number,0,10,,,,,,,,\n"


@pytest.fixture
def page(live_server: object) -> Iterator[object]:
    study = create_study("live", TAGGED + SLIDER)
    hospital = Hospital.objects.create(study=study, code="h1", name="H1")
    Record.objects.create(study=study, record_id="7", hospital=hospital)
    create_user(study, "manager", Role.DATA_MANAGER, password=PASSWORD)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page()
        tab.goto(f"{live_server.url}/login/")  # type: ignore[attr-defined]
        tab.fill("#id_username", "manager")
        tab.fill("#id_password", PASSWORD)
        tab.click("#signin button[type=submit]")
        tab.goto(f"{live_server.url}/records/7/visit/")  # type: ignore[attr-defined]
        yield tab
        browser.close()


def test_the_form_computes_pipes_and_limits_as_it_is_filled(page: object) -> None:
    page.fill("#f-height", "180")  # type: ignore[attr-defined]
    page.fill("#f-weight", "100")  # type: ignore[attr-defined]
    # round(100 / 1.8², 1) = 30.9, which is ≥ 30
    assert page.input_value("#f-bmi") == "30.9"  # type: ignore[attr-defined]
    assert page.input_value("#f-category") == "obese"  # type: ignore[attr-defined]
    page.fill("#f-visit_date", "2010-01-01")  # type: ignore[attr-defined]
    page.dispatch_event("#f-visit_date", "change")  # type: ignore[attr-defined]
    assert page.input_value("#f-next_date") == "2010-01-31"  # type: ignore[attr-defined]
    pipes = page.locator("#q-greeting .pipe")  # type: ignore[attr-defined]
    assert pipes.nth(3).inner_text() == "100"  # [weight] follows the box
    page.check("#q-smoker input[value='1']")  # type: ignore[attr-defined]
    assert pipes.nth(1).inner_text() == "Yes"  # [smoker] pipes the label
    page.check("#q-symptoms input[value='1']")  # type: ignore[attr-defined]
    page.check("#q-symptoms input[value='98']")  # type: ignore[attr-defined]
    assert not page.is_checked("#q-symptoms input[value='1']")  # type: ignore[attr-defined]
    page.fill("#q-pain input[type=range]", "7")  # type: ignore[attr-defined]
    assert page.input_value("#f-pain") == "7"  # type: ignore[attr-defined]
