"""People: invitations cannot take over an account; what the data manager may change; links.

Defect 1 of the security review: inviting an existing user name reset that account (role,
hospital, e-mail, password) and the link signed the inviter in as that user.
"""

from __future__ import annotations

import html
import re

import pytest
from click.testing import CliRunner
from django.contrib.auth.models import User
from django.test import Client

from followup.capture.models import AuditEntry, Hospital, Membership
from followup.cli import cli
from tests.capture.conftest import PASSWORD, Site, signs_in


def _snapshot(username: str) -> tuple[object, ...]:
    user = User.objects.get(username=username)
    m = Membership.objects.get(user=user)
    return (user.password, user.email, user.is_active, user.is_staff, m.role, m.hospital_id)


def _invite(site: Site, username: str, hospital: Hospital, email: str, **extra: object) -> object:
    return site.clients["data_manager"].post(
        "/people/invite/",
        {"hospital": hospital.pk, "username": username, "email": email},
        follow=True,
        **extra,
    )


@pytest.mark.parametrize(
    "taken", ["administrator", "statistician", "other_coordinator", "data_manager", "ADMINISTRATOR"]
)
def test_inviting_an_existing_name_is_refused_and_changes_nothing(
    site: Site, taken: str, mailoutbox: list
) -> None:  # type: ignore[type-arg]
    before = _snapshot(taken.lower())
    response = _invite(site, taken, site.own.hospital, "attacker@example.org")
    assert "is taken by another account" in response.content.decode()
    assert _snapshot(taken.lower()) == before
    assert mailoutbox == []
    assert signs_in(taken.lower(), PASSWORD)  # the owner's password still works


def test_inviting_the_hospitals_own_coordinator_sends_a_link_to_the_address_on_file(
    site: Site, mailoutbox: list
) -> None:  # type: ignore[type-arg]
    user = User.objects.get(username="coordinator")
    user.email = "coordinator@hospital.example"
    user.save()
    before = _snapshot("coordinator")
    response = _invite(site, "coordinator", site.own.hospital, "attacker@example.org")
    assert "already this hospital's coordinator" in html.unescape(response.content.decode())
    assert _snapshot("coordinator") == before  # role, hospital, e-mail and password unchanged
    assert [m.to for m in mailoutbox] == [["coordinator@hospital.example"]]
    assert AuditEntry.objects.filter(action="user_invite", field="user:coordinator").exists()


def test_a_new_invitation_creates_the_coordinator_with_no_password_until_they_choose(
    site: Site, mailoutbox: list
) -> None:  # type: ignore[type-arg]
    _invite(site, "newcoord", site.own.hospital, "new@hospital.example")
    user = User.objects.get(username="newcoord")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user).hospital == site.own.hospital
    link = re.search(r"https?://\S+/password/\S+/", mailoutbox[0].body)
    assert link is not None
    client = Client()
    page = client.get(link.group(0), follow=True)
    form_url = page.redirect_chain[-1][0]
    chosen = "a-long-new-password-2026"
    client.post(form_url, {"new_password1": chosen, "new_password2": chosen})
    assert signs_in("newcoord", chosen)
    again = Client().get(link.group(0), follow=True).content.decode()
    assert "expired or was already used" in again  # one use only


def test_the_invitation_link_points_at_the_server_that_sent_it(
    site: Site, mailoutbox: list, settings: object
) -> None:  # type: ignore[type-arg]
    settings.FOLLOWUP_BASE_URL = ""  # type: ignore[attr-defined]
    settings.ALLOWED_HOSTS = ["*"]  # type: ignore[attr-defined]
    _invite(site, "portcheck", site.own.hospital, "p@hospital.example", SERVER_PORT="8765")
    assert "http://testserver:8765/password/" in mailoutbox[0].body
    settings.FOLLOWUP_BASE_URL = "https://followup.jplsg.example"  # type: ignore[attr-defined]
    _invite(site, "basecheck", site.own.hospital, "b@hospital.example")
    assert "https://followup.jplsg.example/password/" in mailoutbox[1].body


@pytest.mark.parametrize("target", ["administrator", "data_manager"])
def test_the_data_manager_cannot_demote_deactivate_or_move_an_administrator(
    site: Site, target: str
) -> None:
    user = User.objects.get(username=target)
    before = _snapshot(target)
    dm = site.clients["data_manager"]
    for data in ({"action": "deactivate"}, {"action": "move", "hospital": site.own.hospital.pk}):
        page = dm.post(f"/people/{user.pk}/", data, follow=True).content.decode()
        assert "ask the administrator" in page
    assert _snapshot(target) == before


def test_deactivating_a_coordinator_ends_their_sign_in_and_is_audited(site: Site) -> None:
    user = User.objects.get(username="coordinator")
    site.clients["data_manager"].post(f"/people/{user.pk}/", {"action": "deactivate"})
    assert not signs_in("coordinator", PASSWORD)
    assert site.clients["coordinator"].get("/records/").status_code == 302  # signed out
    entry = AuditEntry.objects.get(action="user_change", field="user:coordinator.is_active")
    assert (entry.old, entry.new, entry.user) == ("True", "False", "data_manager")
    site.clients["data_manager"].post(f"/people/{user.pk}/", {"action": "reactivate"})
    assert signs_in("coordinator", PASSWORD)


def test_moving_a_coordinator_to_another_hospital(site: Site) -> None:
    user = User.objects.get(username="coordinator")
    site.clients["data_manager"].post(
        f"/people/{user.pk}/", {"action": "move", "hospital": site.other.hospital.pk}
    )
    assert Membership.objects.get(user=user).hospital == site.other.hospital
    page = site.clients["coordinator"].get("/records/").content.decode()
    assert f">{site.other.record_id}" in page
    assert f">{site.own.record_id}" not in page
    assert AuditEntry.objects.filter(field="user:coordinator.hospital").exists()


def test_the_people_page_shows_last_sign_in(site: Site) -> None:
    signs_in("statistician", PASSWORD)
    page = site.clients["data_manager"].get("/people/").content.decode()
    row = page[page.index(">statistician<") :]
    row = row[: row.index("</tr>")]
    assert "never" not in row
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row)


def test_createuser_refuses_an_existing_name(site: Site) -> None:
    before = _snapshot("administrator")
    result = CliRunner().invoke(cli, ["createuser", "administrator", "--role", "statistician"])
    assert result.exit_code == 2
    assert "is taken" in result.stderr
    assert _snapshot("administrator") == before


def test_signin_link_gives_an_existing_user_a_new_link(site: Site) -> None:
    result = CliRunner().invoke(cli, ["signin-link", "coordinator"])
    assert result.exit_code == 0, result.output
    assert "/password/" in result.stdout
    assert AuditEntry.objects.filter(user="followup signin-link").exists()
    missing = CliRunner().invoke(cli, ["signin-link", "nobody"])
    assert missing.exit_code == 2
    assert "there is no user 'nobody'" in missing.stderr


def test_an_address_that_is_not_one_is_refused_and_leaves_no_account(
    site: Site, mailoutbox: list
) -> None:  # type: ignore[type-arg]
    for address in ("x@evil.example\nBcc: y@evil.example", "not an address", "a@b@c"):
        response = _invite(site, "headercheck", site.own.hospital, address)
        assert response.status_code == 200  # type: ignore[attr-defined]
        assert "is not an e-mail address" in html.unescape(response.content.decode())  # type: ignore[attr-defined]
    assert not User.objects.filter(username="headercheck").exists()
    assert mailoutbox == []
    assert not AuditEntry.objects.filter(field="user:headercheck").exists()


def test_a_look_alike_of_a_taken_name_is_the_taken_name(site: Site, mailoutbox: list) -> None:  # type: ignore[type-arg]
    before = _snapshot("administrator")
    response = _invite(site, "ａｄｍｉｎｉｓｔｒａｔｏｒ", site.own.hospital, "x@hospital.example")
    assert "is taken by another account" in html.unescape(response.content.decode())  # type: ignore[attr-defined]
    assert _snapshot("administrator") == before
    assert not User.objects.filter(username="ａｄｍｉｎｉｓｔｒａｔｏｒ").exists()


def test_the_administrator_cannot_give_themself_a_data_role(site: Site) -> None:
    admin = site.clients["administrator"]
    own = Membership.objects.get(user__username="administrator")
    response = admin.post(
        f"/admin/capture/membership/{own.pk}/change/",
        {"user": own.user_id, "study": site.study.pk, "role": "data_manager", "hospital": ""},
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.role == "administrator"
    assert admin.get("/export.csv").status_code == 403


def test_the_administrator_sets_no_password_but_sends_a_link(site: Site, mailoutbox: list) -> None:  # type: ignore[type-arg]
    admin = site.clients["administrator"]
    user = User.objects.get(username="data_manager")
    user.email = "dm@datacenter.example"
    user.save()
    before = user.password
    page = admin.get(f"/admin/auth/user/{user.pk}/password/")
    assert page.status_code == 403
    admin.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "taken-over-2026!", "password2": "taken-over-2026!"},
    )
    user.refresh_from_db()
    assert user.password == before
    admin.post(
        "/admin/auth/user/",
        {"action": "send_sign_in_link", "_selected_action": [user.pk]},
    )
    assert [m.to for m in mailoutbox] == [["dm@datacenter.example"]]
    assert "/password/" in mailoutbox[0].body
    assert AuditEntry.objects.filter(field="user:data_manager", new="password link sent").exists()
    added = admin.post("/admin/auth/user/add/", {"username": "newadmin", "email": "n@x.example"})
    assert added.status_code == 302
    assert not User.objects.get(username="newadmin").has_usable_password()
