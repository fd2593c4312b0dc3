"""The people's journeys in real headless Chromium, with a screenshot of every step.

A coordinator fills a relapse questionnaire whose branching shows and hides the second-SCT
fields, meets a validation message, saves, returns and completes it; the data manager sees it on
the dashboard, opens a query, the coordinator answers, the data manager locks the record; the
statistician opens the report. Every change appears in the audit trail. A coordinator working in
Japanese keeps "Complete" through a refused save; the data manager works the record status
dashboard, takes a query from its marker to closed and locks with an e-signature; wrong
passwords lock the sign-in.
Screenshots: $FOLLOWUP_TEST_OUTPUT (default out/test-output)/journey/.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from followup.capture.models import AuditEntry, FormEntry, Membership, Record
from followup.study import load_dictionary
from tests.capture.conftest import PASSWORD, STUDY, Site

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


def _questionnaire(site: Site, live_server: object) -> tuple[Record, str, tuple[str, ...]]:
    """The open questionnaire, its address, and dates of relapse, CR2 and SCT2 after diagnosis."""
    record = _open_questionnaire(site)
    url = f"{live_server.url}/records/{record.record_id}/relapse_questionnaire/"  # type: ignore[attr-defined]
    dx = dt.date.fromisoformat(
        FormEntry.objects.get(record=record, form="enrollment").values["dx_date"]
    )
    return record, url, tuple(str(dx + dt.timedelta(days=d)) for d in (300, 330, 360))


def test_the_questionnaire_journey(site: Site, live_server: object, browser: object) -> None:
    record, url, (relapse, cr2, sct2) = _questionnaire(site, live_server)

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
    before_relapse = str(dt.date.fromisoformat(relapse) - dt.timedelta(days=30))
    coordinator.fill("#f-sct2_date", before_relapse)  # the plan's rule refuses it
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


JA_TRANSLATION = Path(__file__).parents[2] / "studies" / "mll03" / "translations" / "ja.csv"


def _japanese_labels() -> dict[tuple[str, str, str], str]:
    """The study's Japanese texts as its translation file gives them (read at test time)."""
    from followup.study.translation import read_translation

    text = JA_TRANSLATION.read_text(encoding="utf-8-sig")
    return read_translation(text, load_dictionary(STUDY / "dictionary.csv"), source="ja").texts


def test_a_japanese_coordinator_keeps_complete_through_a_refused_save(
    site: Site, live_server: object, browser: object
) -> None:
    """In Japanese: branching, a refused save, the status still Complete, then saved."""
    from django.utils import translation

    from followup.capture.setup import set_translation

    set_translation(
        site.study, "ja", JA_TRANSLATION.read_text(encoding="utf-8-sig"), by="t", source="ja.csv"
    )
    Membership.objects.filter(user__username="coordinator").update(language="ja")
    labels = _japanese_labels()
    with translation.override("ja"):
        from django.utils.translation import gettext

        nothing_saved = gettext("Nothing was saved: please correct the fields marked below.")
        saved = gettext("Saved.")
    record, url, (relapse, cr2, sct2) = _questionnaire(site, live_server)

    page = _sign_in(browser, live_server, "coordinator")
    page.goto(url)
    assert page.get_attribute("html", "lang") == "ja"
    assert labels[("label", "rel_date", "")] in page.inner_text("#q-rel_date")
    assert labels[("form", "relapse_questionnaire", "")] in page.inner_text("h1")
    _shot(page, "ja_01_questionnaire_in_japanese")

    page.click("#q-rel_date button.today")
    assert page.input_value("#f-rel_date") == dt.date.today().isoformat()  # YYYY-MM-DD
    page.fill("#f-rel_date", relapse)
    page.check("input[name=rel_site][value='1']")
    page.check("input[name=rel_treatment][value='2']")
    page.fill("#f-rel_chemo_regimen", "FLAG")
    page.check("input[name=cr2][value='1']")
    page.fill("#f-cr2_date", cr2)
    assert page.locator("#q-sct2_date").is_hidden()
    page.check("input[name=sct2][value='1']")
    assert page.locator("#q-sct2_date").is_visible()  # branching, in Japanese as in English
    assert labels[("enum", "sct2", "1")] in page.inner_text("#q-sct2")
    page.click("#q-sct2 button.reset")  # "Reset" clears the answer, and branching follows
    assert not page.is_checked("input[name=sct2][value='1']")
    assert page.locator("#q-sct2_date").is_hidden()
    page.check("input[name=sct2][value='1']")
    _shot(page, "ja_02_branching_shows_the_second_sct")

    page.fill("#f-sct2_date", "2001-02-30")  # not a day of the calendar
    page.check("input[name=sct2_remission][value='1']")
    page.check("input[name=sct2_conditioning][value='1']")
    page.select_option("#f-status", "2")
    page.click("button[value=stay]")
    assert nothing_saved in page.content()
    assert page.input_value("#f-status") == "2"  # "Complete" survives the refused save
    assert page.evaluate("document.activeElement.id") == "form-error"
    assert page.locator("#m-sct2_date").is_visible()
    _shot(page, "ja_03_refused_save_keeps_complete")

    page.fill("#f-sct2_date", sct2)
    page.click("button[value=stay]")
    assert saved in page.content()
    assert FormEntry.objects.get(record=record, form="relapse_questionnaire").status == 2
    _shot(page, "ja_04_saved_complete")


def test_the_data_managers_day(site: Site, live_server: object, browser: object) -> None:
    """Status dashboard → a record → a query from its marker to closed → lock with e-signature."""
    record = site.own
    base = live_server.url  # type: ignore[attr-defined]
    manager = _sign_in(browser, live_server, "data_manager")
    manager.goto(f"{base}/records/")
    manager.select_option("#filter-hospital", record.hospital.code)
    manager.click(".filters button[type=submit]")
    assert f"hospital={record.hospital.code}" in manager.url
    assert site.other.record_id not in manager.inner_text("table.status-grid")
    _shot(manager, "dm_01_status_dashboard_one_hospital")

    manager.click(f"a[href='/records/{record.record_id}/enrollment/']")
    manager.select_option("#query-field", "wbc_dx")
    manager.fill("#query-text", "The WBC looks high for this patient: please check the lab sheet.")
    manager.click(".open-query button[type=submit]")
    marker = manager.locator("#q-wbc_dx .query-marker")
    assert marker.count() == 1
    _shot(manager, "dm_02_query_opened_marker_beside_the_field")

    coordinator = _sign_in(browser, live_server, "coordinator")
    coordinator.goto(f"{base}/queries/")
    coordinator.click(f"a[href^='/records/{record.record_id}/enrollment/#query-']")
    coordinator.locator("#q-wbc_dx .query-marker").click()
    coordinator.fill("textarea[id^=reply-]", "Checked: the lab sheet says the same.")
    coordinator.click("form.reply button[value=reply]")
    assert "Answered" in coordinator.inner_text("section.queries")
    _shot(coordinator, "dm_03_coordinator_answers_from_the_marker")

    manager.reload()
    manager.fill("textarea[id^=reply-]", "Thank you, confirmed.")
    manager.click("form.reply button[value=close]")
    assert "Closed" in manager.inner_text("section.queries")
    _shot(manager, "dm_04_query_closed")

    manager.fill("#lock-reason", "All forms checked against the charts.")
    manager.check("#lock-sign")
    manager.fill("#lock-password", PASSWORD)
    manager.click("section.lock button[type=submit]")
    assert "E-signed by data_manager" in manager.content()
    _shot(manager, "dm_05_locked_and_signed")
    manager.goto(f"{base}/records/?status=locked")
    assert record.record_id in manager.inner_text("table.status-grid")
    _shot(manager, "dm_06_status_dashboard_locked")
    trail = AuditEntry.objects.filter(record=record.record_id)
    assert {"query_open", "query_reply", "query_close", "lock", "esign"} <= set(
        trail.values_list("action", flat=True)
    )


def test_repeated_wrong_passwords_lock_the_sign_in(
    site: Site, live_server: object, browser: object
) -> None:
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        page.goto(f"{live_server.url}/login/")  # type: ignore[attr-defined]
        page.fill("#id_username", "coordinator")
        page.fill("#id_password", f"wrong password {attempt}")
        page.click("#signin button[type=submit]")
    assert "Sign-in locked for now" in page.content()
    _shot(page, "lock_01_locked_after_wrong_passwords")
    page.goto(f"{live_server.url}/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", PASSWORD)
    page.click("#signin button[type=submit]")
    assert "Sign-in locked for now" in page.content()  # even the right password, for now
    _shot(page, "lock_02_right_password_still_locked")
    assert AuditEntry.objects.filter(action="signin_lockout").count() == 1
