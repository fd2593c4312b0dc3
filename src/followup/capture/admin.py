"""Django's admin, for the administrator: people, roles, hospitals and sign-in lockouts.

Patient data is not here: records, values, queries and the data trail belong to the data roles
(the administrator has no membership that reaches them). Every change made here is an entry of
the audit chain, as every change made anywhere else is.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followup.capture.audit import Change, append
from followup.capture.models import ACCOUNT_ACTIONS, AccountEvent, Hospital, Membership, Study
from followup.capture.people import base_url, sign_in_link, study_of_user
from followup.capture.signin import unlock

_HIDDEN = {"password", "password1", "password2"}  # recorded as changed, never shown


def _study_of(obj: Model) -> Study | None:
    """The study an object of the admin belongs to (a user's, or the one study of the server)."""
    if isinstance(obj, Hospital | Membership):
        return obj.study
    username = obj.get_username() if isinstance(obj, User) else ""
    return study_of_user(username) or Study.objects.first()


def _shown(value: object) -> str:
    if isinstance(value, list | tuple | QuerySet):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


class AuditedAdmin(admin.ModelAdmin):
    """Adds, changes and deletions made in the admin become audit entries (old → new)."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        """Save, then chain one entry per changed field."""
        super().save_model(request, obj, form, change)
        label = f"{obj._meta.model_name}:{obj.pk}"
        entries = [
            Change(
                "",
                "",
                f"{label}.{name}",
                "admin_change" if change else "admin_add",
                "" if name in _HIDDEN or not change else _shown(form.initial.get(name)),
                "(changed)" if name in _HIDDEN else _shown(form.cleaned_data.get(name)),
                f"Django admin: {obj}",
            )
            for name in form.changed_data
        ] or [Change("", "", label, "admin_change", "", "", f"Django admin: {obj}")]
        append(_study_of(obj), request.user.get_username(), entries)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        """Delete, and say so in the trail."""
        self.delete_queryset(request, type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Each deleted object is an entry."""
        for obj in queryset:
            append(
                _study_of(obj),
                request.user.get_username(),
                [
                    Change(
                        "",
                        "",
                        f"{obj._meta.model_name}:{obj.pk}",
                        "admin_delete",
                        str(obj),
                        "",
                        "Django admin",
                    )
                ],
            )
        super().delete_queryset(request, queryset)


@admin.register(Hospital)
class HospitalAdmin(AuditedAdmin):
    """Hospitals (REDCap's data access groups)."""

    list_display = ("code", "name", "study")


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    """Who has which role, and a coordinator's hospital; never the administrator's own.

    An administrator who could give themself a data role would read every patient's data.
    """

    list_display = ("user", "role", "hospital", "study", "language")
    list_filter = ("role", "hospital")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Not one's own membership."""
        own = obj is not None and obj.user_id == request.user.pk
        return not own and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Not one's own membership."""
        own = obj is not None and obj.user_id == request.user.pk
        return not own and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        """Refuse one's own membership, whatever the form sent."""
        if obj.user_id == request.user.pk:
            raise PermissionDenied(_("An administrator cannot change their own role."))
        super().save_model(request, obj, form, change)


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)  # Followup's roles are memberships; Django's groups are not used


class NewUserForm(ModelForm):
    """A new user: a name and an address; they choose their password by a one-use link."""

    class Meta:  # noqa: D106  (Django's idiom)
        model = User
        fields = ("username", "email")

    def save(self, commit: bool = True) -> Any:
        """The user, with no password anybody knows."""
        user = super().save(commit=False)
        user.username = User.normalize_username(user.username)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):  # type: ignore[misc]
    """Django's user admin, audited, without setting anybody's password.

    Passwords are chosen by their owners through a one-use link ("Send a sign-in link"), so an
    administrator never knows the password of an account that reads patient data.
    """

    list_display = ("username", "email", "is_active", "last_login")
    add_form = NewUserForm
    add_fieldsets = ((None, {"fields": ("username", "email")}),)
    fieldsets = (
        (None, {"fields": ("username", "email", "first_name", "last_name")}),
        (gettext_lazy("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (gettext_lazy("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ("send_sign_in_link",)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Refused: the owner chooses a password by the link the action sends."""
        raise PermissionDenied(_("Passwords are chosen by their owners: send a sign-in link."))

    @admin.action(description=gettext_lazy("Send a sign-in link (to choose a new password)"))
    def send_sign_in_link(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Mail each selected user with an address a one-use link; in the trail."""
        url = base_url(request.build_absolute_uri("/"))
        sent = 0
        for user in queryset.exclude(email=""):
            send_mail(
                _("Followup: choose a new password"),
                _(
                    "Choose a new password here (the link works once): %(link)s\n"
                    "Your user name is %(username)s."
                )
                % {"link": sign_in_link(url, user), "username": user.username},
                None,
                [user.email],
            )
            append(
                _study_of(user),
                request.user.get_username(),
                [Change("", "", f"user:{user.username}", "user_change", "", "password link sent")],
            )
            sent += 1
        self.message_user(
            request, _("%(count)d sign-in link(s) sent.") % {"count": sent}, messages.SUCCESS
        )


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):  # type: ignore[misc]
    """Counted wrong passwords; deleting them (or "Unlock") ends a lockout, in the trail."""

    actions = ("unlock_selected",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Attempts are counted by sign-ins only."""
        return False

    @admin.action(description=gettext_lazy("Unlock: clear the failed sign-ins"))
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        """The administrator's unlock."""
        count = unlock(queryset, request.user.get_username())
        self.message_user(
            request, _("%(count)d lockout(s) cleared.") % {"count": count}, messages.SUCCESS
        )

    def delete_model(self, request: HttpRequest, obj: AccessAttempt) -> None:
        """Deleting an attempt is an unlock."""
        unlock(AccessAttempt.objects.filter(pk=obj.pk), request.user.get_username())

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        """Deleting attempts is an unlock."""
        unlock(queryset, request.user.get_username())


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    """The trail's entries about people and sign-ins, to read (no patient values among them)."""

    list_display = ("id", "at", "user", "action", "field", "old", "new", "reason")
    list_filter = ("action",)
    search_fields = ("user", "field", "new", "old")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccountEvent]:
        """Only entries of no record with an account action."""
        return super().get_queryset(request).filter(record="", action__in=ACCOUNT_ACTIONS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Entries are written by the changes they record."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Append-only."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Append-only."""
        return False


admin.site.site_header = gettext_lazy("Followup administration")
