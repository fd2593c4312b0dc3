"""The demo study for ``followup serve``: MLL03 with its synthetic cohort and five users."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from followup.capture.models import Hospital, Role, Study
from followup.capture.setup import add_user, create_study, load_records
from followup.io import RecordSet

DEMO_HOSPITALS = ("hospital_01", "hospital_02")


@dataclass(frozen=True)
class DemoUser:
    """A demo user's sign-in details, printed by ``followup serve``."""

    username: str
    password: str
    role: str
    hospital: str


def create_demo(folder: Path, records: RecordSet) -> tuple[Study, list[DemoUser]]:
    """The study, its records, and questionnaires left open at two hospitals."""
    study = create_study(
        "JPLSG MLL03 relapse survey (demo)",
        (folder / "dictionary.csv").read_text(encoding="utf-8"),
        (folder / "plan.yaml").read_text(encoding="utf-8"),
    )
    open_forms = [
        (r.record_id, form)
        for r in records
        if r.access_group in DEMO_HOSPITALS and r["relapsed"] == "1"
        for form in ("relapse_questionnaire", "followup")
    ]
    load_records(study, records, user="data-center import", skip_forms=open_forms)
    users = [
        DemoUser(
            "datamanager", add_user(study, "datamanager", Role.DATA_MANAGER), "Data manager", "all"
        ),
        DemoUser(
            "statistician",
            add_user(study, "statistician", Role.STATISTICIAN),
            "Statistician",
            "all",
        ),
        DemoUser("admin", add_user(study, "admin", Role.ADMINISTRATOR), "Administrator", "—"),
    ]
    for number, code in enumerate(DEMO_HOSPITALS, start=1):
        hospital = Hospital.objects.get(study=study, code=code)
        name = f"coordinator{number}"
        users.append(
            DemoUser(
                name,
                add_user(study, name, Role.COORDINATOR, hospital=hospital),
                "Coordinator",
                hospital.name,
            )
        )
    return study, users


def reset_demo_passwords(study: Study) -> list[DemoUser]:
    """New passwords for the demo users of an existing demo database."""
    users = []
    for membership in study.members.select_related("user", "hospital"):
        password = add_user(
            study, membership.user.username, membership.role, hospital=membership.hospital
        )
        users.append(
            DemoUser(
                membership.user.username,
                password,
                membership.get_role_display(),
                membership.hospital.name if membership.hospital else "all",
            )
        )
    return users
