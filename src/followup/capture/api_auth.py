"""API tokens: made at random, shown once, kept as a keyed hash, revocable; wrong ones throttled.

A token is REDCap's: 32 hexadecimal characters in upper case (128 random bits). Only its
HMAC-SHA256 under the server's secret key is stored, and a request's token is found by that hash,
so the database never holds a usable token (a new FOLLOWUP_SECRET_KEY voids every token). A token
answers for its user's role and hospital as they are at each request: a deactivated user, a user
no longer in the study or a revoked token gets REDCap's 403 "You do not have permissions to use
the API". Wrong tokens are counted per address with django-axes' limit and cool-off (the sign-in
settings FOLLOWUP_SIGNIN_FAILURES and FOLLOWUP_LOCKOUT_MINUTES); past the limit every token from
that address is refused until the cool-off ends, and the lockout is an entry of the trail.
"""

from __future__ import annotations

import re
import secrets

from axes.helpers import get_cache, get_cache_timeout, get_client_ip_address, get_failure_limit
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from followup.capture.access import DATA_ROLES
from followup.capture.api_protocol import ApiError
from followup.capture.audit import Change, append
from followup.capture.models import ApiToken, Membership

_SALT = "followup.capture.api_token"
_SHAPE = re.compile(r"[0-9A-F]{32}")
_COUNT_KEY = "followup-api-wrong-token:{address}"


class TokenRefused(Exception):  # noqa: N818  (a refusal shown to the data manager)
    """A token the data manager may not create or revoke; the message says why."""


def no_permission() -> ApiError:
    """REDCap's answer to a token it does not know (the same for every reason)."""
    return ApiError(403, _("You do not have permissions to use the API"))


def digest(token: str) -> str:
    """The keyed hash a token is stored and found by."""
    return salted_hmac(_SALT, token, algorithm="sha256").hexdigest()


def create_token(member: Membership, *, by: str) -> tuple[ApiToken, str]:
    """A new token for a data role's user, replacing any they had; the token text, shown once.

    The administrator gets none: they work in Django's admin and read no patient data.
    """
    if member.role not in DATA_ROLES:
        raise TokenRefused(
            _("The administrator works in Django's admin and reads no data: no API token.")
        )
    if not member.user.is_active:
        raise TokenRefused(
            _("%(name)s cannot sign in: reactivate them first.") % {"name": member.user}
        )
    text = secrets.token_hex(16).upper()
    with transaction.atomic():
        for old in ApiToken.objects.filter(user=member.user, revoked__isnull=True):
            revoke_token(old, by=by, why="replaced by a new token")
        token = ApiToken.objects.create(
            user=member.user, study=member.study, digest=digest(text), created_by=by
        )
        append(
            member.study,
            by,
            [
                Change(
                    "",
                    "",
                    f"user:{member.user.get_username()}",
                    "user_change",
                    "",
                    f"API token {token.pk} created",
                    "API token for the REDCap-compatible API",
                )
            ],
        )
    return token, text


def revoke_token(token: ApiToken, *, by: str, why: str = "revoked by the data manager") -> None:
    """Revoke a token (it stays listed); an entry of the trail."""
    if token.revoked is not None:
        raise TokenRefused(_("This token was revoked already."))
    with transaction.atomic():
        token.revoked = timezone.now()
        token.revoked_by = by
        token.save(update_fields=["revoked", "revoked_by"])
        append(
            token.study,
            by,
            [
                Change(
                    "",
                    "",
                    f"user:{token.user.get_username()}",
                    "user_change",
                    f"API token {token.pk}",
                    "revoked",
                    why,
                )
            ],
        )


def holder(request: HttpRequest, text: str) -> Membership:
    """The membership a posted token answers for, or REDCap's 403 (wrong tokens counted)."""
    address = get_client_ip_address(request) or "unknown"
    cache = get_cache()
    key = _COUNT_KEY.format(address=address)
    limit = get_failure_limit(request, None)
    if int(cache.get(key, 0)) >= limit:
        raise ApiError(
            403,
            _(
                "You do not have permissions to use the API: too many wrong tokens were sent "
                "from this address; try again later."
            ),
        )
    token = (
        ApiToken.objects.select_related("user").filter(digest=digest(text)).first()
        if _SHAPE.fullmatch(text)
        else None
    )
    member = _member(token.user) if token is not None and token.revoked is None else None
    if token is None or member is None or member.study_id != token.study_id:
        _count_failure(request, address, key, limit)
        raise no_permission()
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return member


def _member(user: AbstractBaseUser) -> Membership | None:
    if not user.is_active:
        return None
    query = Membership.objects.select_related("study", "hospital", "user")
    return query.filter(user_id=user.pk).first()


def _count_failure(request: HttpRequest, address: str, key: str, limit: int) -> None:
    """One more wrong token from this address; the one that reaches the limit goes in the trail."""
    cache = get_cache()
    timeout = get_cache_timeout(request)
    cache.add(key, 0, timeout)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        count = 1
    if count == limit:
        append(
            None,
            "(API)",
            [
                Change(
                    "",
                    "",
                    "",
                    "signin_lockout",
                    "",
                    f"API, address {address}",
                    f"{limit} wrong API tokens within the cool-off",
                )
            ],
        )
