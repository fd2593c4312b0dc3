"""The demo study for ``followup serve``: MLL03 with its synthetic cohort and five users.

Passwords are chosen and printed once, when the demo database is created; a restart never
changes anybody's password (``followup signin-link NAME`` gives a user a new one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from followup.capture.models import Hospital, Role, Study
from followup.capture.people import create_user, demo_password
from followup.capture.setup import create_study, load_records, schedule_texts, set_translation
from followup.io import RecordSet

DEMO_HOSPITALS = ("hospital_01", "hospital_02")
DEMO_SUFFIX = "(demo)"


@dataclass(frozen=True)
class DemoUser:
    """A demo user's sign-in details, printed by ``followup serve`` when it creates the demo."""

    username: str
    password: str
    role: str
    hospital: str


def is_demo(study: Study) -> bool:
    """The study ``serve`` created as its demo."""
    return study.name.endswith(DEMO_SUFFIX)


def create_demo(folder: Path, records: RecordSet) -> tuple[Study, list[DemoUser]]:
    """The study, its records, questionnaires left open at two hospitals, and its users."""
    dictionary_text = (folder / "dictionary.csv").read_text(encoding="utf-8")
    study = create_study(
        f"JPLSG MLL03 relapse survey {DEMO_SUFFIX}",
        dictionary_text,
        (folder / "plan.yaml").read_text(encoding="utf-8"),
        schedule_texts(folder / "plan.yaml", records.dictionary),
    )
    open_forms = [
        (r.record_id, form)
        for r in records
        if r.access_group in DEMO_HOSPITALS and r["relapsed"] == "1"
        for form in ("relapse_questionnaire", "followup")
    ]
    load_records(study, records, user="data-center import", skip_forms=open_forms)
    for translation in sorted((folder / "translations").glob("*.csv")):
        text = translation.read_text(encoding="utf-8-sig")
        set_translation(
            study, translation.stem, text, by="data-center import", source=translation.name
        )
    people: list[tuple[str, str, Hospital | None, str]] = [
        ("datamanager", Role.DATA_MANAGER, None, ""),
        ("statistician", Role.STATISTICIAN, None, ""),
        ("admin", Role.ADMINISTRATOR, None, ""),
    ]
    for number, code in enumerate(DEMO_HOSPITALS, start=1):
        site = Hospital.objects.get(study=study, code=code)
        people.append((f"coordinator{number}", Role.COORDINATOR, site, "ja" * (number == 1)))
    users = []
    for name, role, hospital, language in people:
        password = demo_password()
        create_user(study, name, role, hospital=hospital, password=password, language=language)
        users.append(
            DemoUser(
                name,
                password,
                str(Role(role).label),
                hospital.name if hospital else "all hospitals",
            )
        )
    return study, users
