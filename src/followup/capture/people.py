"""People: creating users, invitations, and what the data manager may change about a user.

A user name is created once. Inviting a name that exists is refused, except a coordinator of the
same hospital, who is sent a link to choose a new password to the address already on file: their
role, hospital and e-mail stay as they were. So nobody takes over an account by inviting it.
The data manager manages the hospitals' coordinators and the statisticians (deactivate, move to
another hospital); data managers and administrators are managed by the administrator only.
Every change is an audit entry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from followup.capture.audit import Change, append
from followup.capture.models import Hospital, Membership, Role, Study

MANAGED_BY_DATA_MANAGER = (Role.COORDINATOR, Role.STATISTICIAN)


class PeopleError(ValueError):
    """A change to a user that is not allowed or not possible; the message says why."""


def _users() -> type[User]:
    return get_user_model()  # type: ignore[return-value]


def create_user(
    study: Study,
    username: str,
    role: str,
    *,
    hospital: Hospital | None = None,
    email: str = "",
    password: str | None = None,
    language: str = "",
) -> User:
    """A new user with a role; refused if the name exists. No password: they choose one by link."""
    if role not in Role.values:
        raise PeopleError(
            _("The role must be one of %(roles)s; got %(role)s.")
            % {"roles": ", ".join(Role.values), "role": repr(role)}
        )
    if role == Role.COORDINATOR and hospital is None:
        raise PeopleError(_("A hospital coordinator needs a hospital."))
    username = _users().normalize_username(username)  # NFKC: 'ａｄｍｉｎ' is 'admin'
    try:
        UnicodeUsernameValidator()(username)
        if not 0 < len(username) <= 150:
            raise ValidationError("length")
    except ValidationError:
        raise PeopleError(
            _(
                "A user name has 1 to 150 letters, digits and the characters . _ - @ +; "
                "got %(name)s."
            )
            % {"name": repr(username)}
        ) from None
    users = _users()
    with transaction.atomic():
        if users.objects.filter(username__iexact=username).exists():
            raise PeopleError(
                _("The user name %(name)s is taken: choose another.") % {"name": username}
            )
        user = users(username=username, email=email)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
        user.save()
        Membership.objects.create(
            user=user,
            study=study,
            role=role,
            hospital=hospital if role == Role.COORDINATOR else None,
            language=language,
        )
    return user


def study_of_user(username: str) -> Study | None:
    """The study a user name belongs to (None for a name nobody has)."""
    m = Membership.objects.select_related("study").filter(user__username=username).first()
    return m.study if m else None


def demo_password() -> str:
    """A random password for a demo user (printed once, when the demo is created)."""
    return secrets.token_urlsafe(12)


def sign_in_link(base_url: str, user: User) -> str:
    """A one-use link to choose a password (Django's password-reset token)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{base_url.rstrip('/')}/password/{uid}/{token}/"


def base_url(request_url: str) -> str:
    """Where links in e-mails point: FOLLOWUP_BASE_URL when set, else the server's own address."""
    return (settings.FOLLOWUP_BASE_URL or request_url).rstrip("/")


@dataclass(frozen=True)
class Invitation:
    """What an invitation did: a new account, or a password link for an existing coordinator."""

    username: str
    email: str
    link: str
    new_account: bool


def invite(
    study: Study,
    by: str,
    username: str,
    email: str,
    hospital: Hospital,
    *,
    url: str,
    language: str = "",
) -> Invitation:
    """Create the hospital's coordinator and mail the one-use link (see the module's rule)."""
    try:
        validate_email(email)
    except ValidationError:
        raise PeopleError(
            _("%(email)s is not an e-mail address.") % {"email": repr(email[:80])}
        ) from None
    existing = (
        _users().objects.filter(username__iexact=_users().normalize_username(username)).first()
    )
    if existing is not None:
        return _invite_existing(study, by, existing, hospital, url)
    with transaction.atomic():  # no account without its mail and its trail entry
        return _invite_new(study, by, username, email, hospital, url, language)


def _invite_new(
    study: Study, by: str, username: str, email: str, hospital: Hospital, url: str, language: str
) -> Invitation:
    user = create_user(
        study, username, Role.COORDINATOR, hospital=hospital, email=email, language=language
    )
    username = user.username
    link = sign_in_link(url, user)
    with translation.override(language or translation.get_language()):
        send_mail(
            _("%(study)s: your questionnaires") % {"study": study.name},
            _(
                "The data center of %(study)s invites you to answer its questionnaires for "
                "%(hospital)s.\n\nChoose your password here (the link works once): %(link)s\n"
                "Your user name is %(username)s."
            )
            % {"study": study.name, "hospital": hospital.name, "link": link, "username": username},
            None,
            [email],
        )
    append(
        study,
        by,
        [Change("", "", f"user:{username}", "user_invite", "", f"coordinator, {hospital.code}")],
    )
    return Invitation(username, email, link, True)


def _invite_existing(study: Study, by: str, user: User, hospital: Hospital, url: str) -> Invitation:
    membership = Membership.objects.filter(user=user).first()
    same_site = (
        membership is not None
        and membership.study_id == study.pk
        and membership.role == Role.COORDINATOR
        and membership.hospital_id == hospital.pk
    )
    if not same_site:
        raise PeopleError(
            _(
                "The user name %(name)s is taken by another account: choose another name. "
                "Nothing was changed."
            )
            % {"name": user.username}
        )
    if not user.email:
        raise PeopleError(
            _(
                "%(name)s is already this hospital's coordinator but has no e-mail address on "
                "file: ask the administrator to add one. Nothing was changed."
            )
            % {"name": user.username}
        )
    if not user.is_active:
        raise PeopleError(
            _("%(name)s is deactivated: reactivate the account first.") % {"name": user.username}
        )
    link = sign_in_link(url, user)
    with translation.override(membership.language or translation.get_language()):  # type: ignore[union-attr]
        send_mail(
            _("%(study)s: choose a new password") % {"study": study.name},
            _(
                "The data center of %(study)s sent you a link to choose a new password "
                "(it works once): %(link)s\nYour user name is %(username)s."
            )
            % {"study": study.name, "link": link, "username": user.username},
            None,
            [user.email],
        )
    append(
        study,
        by,
        [Change("", "", f"user:{user.username}", "user_invite", "", "password link sent")],
    )
    return Invitation(user.username, user.email, link, False)


def _managed(manager: Membership, user_id: int) -> Membership:
    """The membership a data manager may change, or PeopleError."""
    target = (
        Membership.objects.select_related("user", "hospital")
        .filter(user_id=user_id, study=manager.study)
        .first()
    )
    if target is None or target.role not in MANAGED_BY_DATA_MANAGER:
        raise PeopleError(
            _(
                "Only hospital coordinators and statisticians are managed here; "
                "ask the administrator."
            )
        )
    return target


def set_active(manager: Membership, user_id: int, active: bool) -> Membership:
    """Deactivate (they can no longer sign in; their entries stay) or reactivate a user."""
    target = _managed(manager, user_id)
    user = target.user
    if user.is_active != active:
        with transaction.atomic():
            user.is_active = active
            user.save(update_fields=["is_active"])
            _trail(manager, f"{user.username}.is_active", str(not active), str(active))
    return target


def move_to_hospital(manager: Membership, user_id: int, hospital_id: int) -> Membership:
    """A coordinator now answers for another hospital of the study."""
    target = _managed(manager, user_id)
    if target.role != Role.COORDINATOR:
        raise PeopleError(_("Only a hospital coordinator belongs to a hospital."))
    hospital = Hospital.objects.filter(study=manager.study, pk=hospital_id).first()
    if hospital is None:
        raise PeopleError(_("There is no such hospital in this study."))
    if target.hospital_id != hospital.pk:
        with transaction.atomic():
            old = target.hospital.code if target.hospital else ""
            target.hospital = hospital
            target.save(update_fields=["hospital"])
            _trail(manager, f"{target.user.username}.hospital", old, hospital.code)
    return target


def _trail(manager: Membership, what: str, old: str, new: str) -> None:
    """One change of a user by the data manager, in the audit chain."""
    append(
        manager.study,
        manager.user.get_username(),
        [Change("", "", f"user:{what}", "user_change", old, new)],
    )
