"""A small live study for the web tests: the MLL03 dictionary, two hospitals, one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from followup.capture.models import FormEntry, Hospital, Record, Role, Study
from followup.capture.people import create_user
from followup.capture.setup import create_study, load_records, schedule_texts
from followup.cli.demo import write_demo_records
from followup.io import load_records as read_export
from followup.study import load_dictionary

STUDY = Path(__file__).parents[2] / "studies" / "mll03"
PASSWORD = "correct horse battery staple"


@dataclass
class Site:
    """The study and, for each role, a signed-in client; two hospitals and a record of each."""

    study: Study
    own: Record  # a record of hospital A (coordinator A's)
    other: Record  # a record of hospital B
    clients: dict[str, Client]


@pytest.fixture(scope="session")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return write_demo_records(tmp_path_factory.mktemp("capture"))


@pytest.fixture(autouse=True)
def _own_audit_checkpoint(settings: Any) -> Iterator[None]:
    """Each test's trail starts without another test's checkpoint (the data folder is shared)."""
    path = Path(settings.DATA_DIR) / "audit-checkpoint.json"
    path.unlink(missing_ok=True)
    yield
    path.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Argon2 is slow on purpose; the tests sign in dozens of times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post_data(record: Record, form: str, **changes: str) -> dict[str, str]:
    """The form's stored values as the browser posts them, with some changed."""
    entry = FormEntry.objects.filter(record=record, form=form).first()
    values = dict(entry.values) if entry else {}
    data: dict[str, Any] = {k: v for k, v in values.items() if "___" not in k}
    for column, ticked in values.items():  # a checkbox posts its ticked codes under the field name
        if "___" in column and ticked == "1":
            name, code = column.split("___")
            data.setdefault(name, []).append(code)
    version, status = str(entry.version if entry else 0), str(entry.status if entry else 0)
    return data | {"version": version, "status": status} | changes


@pytest.fixture
def site(db: None, demo_export: tuple[Path, Path, Path]) -> Site:
    dictionary_path, records_path, plan_path = demo_export
    dictionary = load_dictionary(dictionary_path)
    files = schedule_texts(plan_path, dictionary)
    study = create_study("MLL03 test", dictionary_path.read_text(), plan_path.read_text(), files)
    records = read_export(records_path, dictionary, schedule=study.schedule)
    chosen = [r for r in records if r.access_group in ("hospital_01", "hospital_02")]
    load_records(study, replace(records, records=tuple(chosen)), user="import")
    hospital_a, hospital_b = Hospital.objects.filter(study=study).order_by("code")[:2]
    users = {
        "data_manager": None,
        "statistician": None,
        "administrator": None,
        "coordinator": hospital_a,
        "other_coordinator": hospital_b,
    }
    clients = {}
    for name, hospital in users.items():
        role = Role.COORDINATOR if name.endswith("coordinator") else name
        user = create_user(study, name, role, hospital=hospital, password=PASSWORD)
        client = Client()
        client.force_login(user)
        clients[name] = client
    clients["anonymous"] = Client()
    own = Record.objects.filter(hospital=hospital_a).first()
    other = Record.objects.filter(hospital=hospital_b).first()
    assert own is not None
    assert other is not None
    return Site(study, own, other, clients)


def signs_in(username: str, password: str) -> bool:
    """Whether the sign-in page accepts this user name and password (through django-axes)."""
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session
