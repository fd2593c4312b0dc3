"""The coordinator's language: every page, message and e-mail in English or Japanese.

The catalogue is checked against the code (every string of the app extracted again by Django's
``makemessages`` has a Japanese translation, none fuzzy, the placeholders and tags kept) and the
compiled ``.mo`` against the ``.po``; then the pages are read as a Japanese and an English user.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from followup.capture.models import DictionaryTranslation, Membership
from followup.capture.setup import set_translation
from tests.capture.conftest import STUDY, Site

ROOT = Path(__file__).parents[2]
CAPTURE = ROOT / "src" / "followup" / "capture"
CATALOGUE = CAPTURE / "locale" / "ja" / "LC_MESSAGES"
pytestmark = pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="Debian's gettext is not installed (make test does)"
)


def _msgids(po: Path) -> set[str]:
    """The message ids of a .po file, read by msgfmt itself (through a compiled catalogue)."""
    mo = po.with_suffix(".check.mo")
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    mo.unlink()
    return {key if isinstance(key, str) else key[0] for key in catalog if key}


def test_every_string_of_the_app_has_a_japanese_translation(tmp_path: Path) -> None:
    copy = tmp_path / "capture"
    shutil.copytree(CAPTURE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ja", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "tests.settings",
             "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"},
    )  # fmt: skip
    extracted = copy / "locale" / "ja" / "LC_MESSAGES" / "django.po"
    statistics = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(extracted)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", statistics), statistics
    assert _msgids(extracted) == _msgids(CATALOGUE / "django.po")


def test_the_compiled_catalogue_is_the_po_file(tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(CATALOGUE / "django.po")], check=True)
    with fresh.open("rb") as a, (CATALOGUE / "django.mo").open("rb") as b:
        assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog  # type: ignore[attr-defined]


def test_translations_keep_every_placeholder_and_tag() -> None:
    with (CATALOGUE / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    marks = re.compile(r"%\(\w+\)[sd]|<[^>]+>|\\n")
    for key, text in catalog.items():
        msgid = key if isinstance(key, str) else key[0]
        if msgid:
            assert sorted(marks.findall(msgid)) == sorted(marks.findall(text)), msgid


def _japanese(text: str) -> str:
    with translation.override("ja"):
        return translation.gettext(text)


def test_a_japanese_user_reads_japanese_an_english_user_english(site: Site) -> None:
    Membership.objects.filter(user__username="coordinator").update(language="ja")
    japanese = site.clients["coordinator"].get("/records/").content.decode()
    english = site.clients["other_coordinator"].get("/records/").content.decode()
    assert '<html lang="ja">' in japanese
    assert _japanese("Record status") in japanese
    assert _japanese("Record status") != "Record status"
    assert '<html lang="en">' in english
    assert "Record status" in english


def test_the_language_chosen_is_kept_with_the_account(site: Site) -> None:
    client = site.clients["coordinator"]
    client.post("/language/", {"language": "ja", "next": "/records/"})
    assert Membership.objects.get(user__username="coordinator").language == "ja"
    other_device = Client(HTTP_ACCEPT_LANGUAGE="en")
    other_device.force_login(User.objects.get(username="coordinator"))
    assert '<html lang="ja">' in other_device.get("/records/").content.decode()
    anonymous = Client()
    anonymous.post("/language/", {"language": "ja"})
    assert '<html lang="ja">' in anonymous.get("/login/").content.decode()


def test_invitations_are_written_in_the_invitees_language(site: Site, mailoutbox: list) -> None:  # type: ignore[type-arg]
    site.clients["data_manager"].post(
        "/people/invite/",
        {
            "hospital": site.own.hospital.pk,
            "username": "tanaka",
            "email": "tanaka@hospital.example",
            "language": "ja",
        },
    )
    subject = _japanese("%(study)s: your questionnaires") % {"study": site.study.name}
    assert mailoutbox[0].subject == subject
    assert Membership.objects.get(user__username="tanaka").language == "ja"


def test_forms_show_the_dictionarys_translation_and_fall_back_to_its_text(site: Site) -> None:
    text = (STUDY / "translations" / "ja.csv").read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if ",label,wbc_dx," not in line]
    set_translation(site.study, "ja", "\n".join(lines), by="t", source="ja.csv")
    Membership.objects.filter(user__username="coordinator").update(language="ja")
    page = site.clients["coordinator"].get(f"/records/{site.own.record_id}/enrollment/")
    html = page.content.decode()
    label = re.search(r'fieldTranslations,label,sex,,translation,"([^"]+)"', text)
    assert label is not None
    assert f">{label.group(1)}" in html  # translated
    assert "White blood cell count at diagnosis" in html  # not translated: the dictionary's
    assert DictionaryTranslation.objects.filter(study=site.study, language="ja").exists()


@pytest.mark.parametrize(
    ("page", "phrases"),
    [
        (
            "/export/",
            (
                "De-identification",
                "Forms (none ticked: all)",
                "Export the records",
                "R (CSV and a script that labels it)",
            ),
        ),
        ("/questionnaires/", ("Excel questionnaires",)),
    ],
)
def test_the_coordinators_new_pages_are_japanese(
    site: Site, page: str, phrases: tuple[str, ...]
) -> None:
    Membership.objects.filter(user__username="coordinator").update(language="ja")
    text = site.clients["coordinator"].get(page).content.decode()
    for phrase in phrases:
        assert _japanese(phrase) != phrase
        assert _japanese(phrase) in text
        assert phrase not in text
