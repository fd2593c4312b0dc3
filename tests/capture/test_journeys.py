"""The people's journeys in real headless Chromium, with a screenshot of every step.

A coordinator fills a relapse questionnaire whose branching shows and hides the second-SCT
fields, meets a validation message, saves, returns and completes it; the data manager sees it on
the dashboard, opens a query, the coordinator answers, the data manager locks the record; the
statistician opens the report. Every change appears in the audit trail.
Screenshots: $FOLLOWUP_TEST_OUTPUT (default out/test-output)/journey/.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from followup.capture.models import AuditEntry, FormEntry, Record
from tests.capture.conftest import PASSWORD, Site

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("FOLLOWUP_TEST_OUTPUT", "out/test-output")) / "journey"
pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (make test installs it)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser() -> Iterator[object]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _sign_in(browser: object, live_server: object, username: str, width: int = 1100) -> object:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#signin button[type=submit]")
    return page


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _open_questionnaire(site: Site) -> Record:
    """A relapsed patient of the coordinator's hospital, questionnaire still to be filled."""
    record = next(
        r
        for r in Record.objects.filter(hospital=site.own.hospital)
        if FormEntry.objects.filter(record=r, form="relapse_questionnaire").exists()
    )
    FormEntry.objects.filter(record=record, form__in=["relapse_questionnaire", "followup"]).delete()
    return record


def test_the_questionnaire_journey(site: Site, live_server: object, browser: object) -> None:
    record = _open_questionnaire(site)
    url = f"{live_server.url}/records/{record.record_id}/relapse_questionnaire/"  # type: ignore[attr-defined]
    dx = dt.date.fromisoformat(
        FormEntry.objects.get(record=record, form="enrollment").values["dx_date"]
    )
    relapse, cr2, sct2 = (str(dx + dt.timedelta(days=d)) for d in (300, 330, 360))

    coordinator = _sign_in(browser, live_server, "coordinator")
    assert record.record_id in coordinator.content()
    _shot(coordinator, "01_coordinator_patients")

    coordinator.goto(url)
    sct2_date = coordinator.locator("#q-sct2_date")
    assert sct2_date.is_hidden()  # nothing answered: the second-SCT block is hidden
    coordinator.fill("#f-rel_date", relapse)
    coordinator.check("input[name=rel_site][value='1']")
    coordinator.check("input[name=rel_treatment][value='2']")
    assert coordinator.locator("#q-rel_chemo_regimen").is_visible()
    coordinator.fill("#f-rel_chemo_regimen", "FLAG")
    coordinator.check("input[name=cr2][value='1']")
    coordinator.fill("#f-cr2_date", cr2)
    coordinator.check("input[name=sct2][value='1']")
    assert sct2_date.is_visible()  # branching shows the second-SCT fields at once
    _shot(coordinator, "02_branching_shows_second_sct")
    coordinator.check("input[name=sct2][value='0']")
    assert sct2_date.is_hidden()
    coordinator.check("input[name=sct2][value='1']")
    coordinator.fill("#f-sct2_date", str(dx))  # before the relapse: the plan's rule refuses it
    coordinator.check("input[name=sct2_remission][value='1']")
    coordinator.click("button[value=stay]")
    assert coordinator.locator("#m-sct2_date").is_visible()
    assert "Nothing was saved" in coordinator.content()
    _shot(coordinator, "03_validation_message")

    coordinator.fill("#f-sct2_date", sct2)
    coordinator.check("input[name=sct2_remission][value='1']")
    coordinator.click("button[value=stay]")
    assert "required fields are still blank" in coordinator.content()
    _shot(coordinator, "04_saved_incomplete")

    coordinator.goto(f"{live_server.url}/records/")  # type: ignore[attr-defined]
    coordinator.goto(url)  # back later: everything is still there
    assert coordinator.input_value("#f-sct2_date") == sct2
    coordinator.check("input[name=sct2_conditioning][value='1']")
    coordinator.select_option("#f-status", "2")
    coordinator.click("button[value=stay]")
    assert "Saved." in coordinator.content()
    assert FormEntry.objects.get(record=record, form="relapse_questionnaire").status == 2
    _shot(coordinator, "05_completed")

    manager = _sign_in(browser, live_server, "data_manager")
    assert site.own.hospital.name in manager.content()
    _shot(manager, "06_dashboard")
    manager.goto(url)
    manager.select_option("#query-field", "sct2_date")
    manager.fill("#query-text", "Please confirm the date of the second SCT.")
    manager.click("button:has-text('Open query')")
    assert "Please confirm the date" in manager.content()
    _shot(manager, "07_query_opened")

    coordinator.goto(url)
    coordinator.fill("textarea[id^=reply-]", "Confirmed from the transplant record.")
    coordinator.click("form[action*=reply] button[value=reply]")
    assert "Answered" in coordinator.content()
    _shot(coordinator, "08_query_answered")

    manager.goto(url)
    manager.fill("#lock-reason", "All forms checked against the charts.")
    manager.click("section.lock button[type=submit]")
    assert "locked" in manager.content()
    _shot(manager, "09_locked")
    coordinator.goto(url)
    assert coordinator.locator("#f-sct2_date").is_disabled()
    assert coordinator.locator("button[value=stay]").count() == 0

    statistician = _sign_in(browser, live_server, "statistician")
    statistician.goto(f"{live_server.url}/report/")  # type: ignore[attr-defined]
    assert "Results" in statistician.content()
    _shot(statistician, "10_report")

    phone = _sign_in(browser, live_server, "coordinator", width=390)
    phone.goto(url)
    assert phone.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    )  # no sideways scroll
    _shot(phone, "11_questionnaire_on_a_phone")

    trail = AuditEntry.objects.filter(record=record.record_id)
    changed = set(trail.filter(user="coordinator").values_list("field", flat=True))
    assert {
        "rel_date",
        "rel_site___1",
        "sct2",
        "sct2_date",
        "sct2_conditioning",
        "relapse_questionnaire_complete",
    } <= changed
    assert trail.filter(user="data_manager", action="lock").exists()


def test_keyboard_alone(site: Site, live_server: object, browser: object) -> None:
    """Sign in and save a form with the keyboard only: every control is reachable by Tab."""
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/login/")  # type: ignore[attr-defined]
    _tab_to(page, "document.activeElement.id === 'id_username'")
    page.keyboard.type("coordinator")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/records/")
    page.goto(f"{live_server.url}/records/{site.own.record_id}/followup/")  # type: ignore[attr-defined]
    _tab_to(page, "document.activeElement.textContent.trim() === 'Save'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Nothing had changed" in page.content() or "Saved" in page.content()
    _shot(page, "12_saved_with_the_keyboard")


def _tab_to(page: object, reached: str) -> None:
    if page.evaluate(reached):  # type: ignore[attr-defined]
        return
    for _ in range(150):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        if page.evaluate(reached):  # type: ignore[attr-defined]
            return
    pytest.fail(f"Tab never reached: {reached}")
