"""What the web app stores: the study, its hospitals, who may do what, the records and the trail.

Values are stored as REDCap stores them, raw strings by export column, one row per record and form,
so that an export is the stored data itself and ``followup.study`` validates it unchanged.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from followup.study import DataDictionary, read_dictionary
from followup.study.plan import Plan, read_plan
from followup.study.schedule import Schedule, read_schedule


class Study(models.Model):
    """A study: its REDCap data dictionary and analysis plan, as uploaded."""

    name = models.CharField(max_length=200)
    dictionary_csv = models.TextField()
    plan_yaml = models.TextField(blank=True)
    # REDCap's events, arms, form-event mapping and repeating-forms CSVs, as uploaded, by kind.
    schedule_files: Any = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.name

    @cached_property
    def dictionary(self) -> DataDictionary:
        """The parsed dictionary (parsed once per loaded row)."""
        return read_dictionary(self.dictionary_csv, source=f"{self.name} dictionary")

    @cached_property
    def schedule(self) -> Schedule:
        """Events, form mapping and what repeats (a classic study without repeats by default)."""
        return read_schedule(self.schedule_files or {}, source=f"{self.name} schedule")

    @cached_property
    def plan(self) -> Plan | None:
        """The parsed plan, if one was uploaded."""
        if not self.plan_yaml:
            return None
        return read_plan(self.plan_yaml, self.dictionary, source=f"{self.name} plan")


class Hospital(models.Model):
    """A participating hospital: REDCap's data access group."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="hospitals")
    code = models.SlugField(max_length=64, help_text="REDCap's unique data access group name")
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="hospital_code_unique")
        ]
        ordering = ["code"]
        verbose_name = _("hospital")
        verbose_name_plural = _("hospitals")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a user may do."""

    DATA_MANAGER = "data_manager", _("Data manager")
    COORDINATOR = "coordinator", _("Hospital coordinator")
    STATISTICIAN = "statistician", _("Statistician")
    ADMINISTRATOR = "administrator", _("Administrator")


class Membership(models.Model):
    """A user's role in a study, and for a coordinator the one hospital they answer for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(max_length=20, choices=Role.choices)
    hospital = models.ForeignKey(
        Hospital, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="The pages' language; blank follows the browser.",
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="coordinator", hospital__isnull=False)
                | ~models.Q(role="coordinator"),
                name="coordinator_has_hospital",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Record(models.Model):
    """One patient: record ID as text (leading zeros kept), its hospital, whether locked."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="records")
    record_id = models.CharField(max_length=100)
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="records")
    locked = models.BooleanField(default=False)
    signed_by = models.CharField(max_length=150, blank=True)  # e-signature: who, when (trail: why)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "record_id"], name="record_id_unique")
        ]
        ordering = ["record_id"]

    def __str__(self) -> str:
        return self.record_id

    def values(self) -> dict[str, str]:
        """The record's own values by export column, with each form's status.

        Every form that does not repeat, of every event; a repeating form's instances are read
        with ``instance_values``.
        """
        merged: dict[str, str] = {self.study.dictionary.record_id: self.record_id}
        schedule = self.study.schedule
        for entry in self.forms.all():
            if entry.repeats(schedule):
                continue
            merged |= entry.values
            merged[f"{entry.form}_complete"] = str(entry.status)
        return merged

    def instance_values(self, event: str, form: str, instance: int) -> dict[str, str]:
        """The record's values with one instance of a repeating form (or event) in place."""
        merged = self.values()
        for entry in self.forms.all():
            if entry.event == event and entry.instance == instance and entry.form == form:
                merged |= entry.values
                merged[f"{entry.form}_complete"] = str(entry.status)
        return merged


class FormStatus(models.IntegerChoices):
    """REDCap's form status."""

    INCOMPLETE = 0, _("Incomplete")
    UNVERIFIED = 1, _("Unverified")
    COMPLETE = 2, _("Complete")


class FormEntry(models.Model):
    """One form of one record, at one event and instance: raw values, status, a version.

    Values are by export column; the version detects conflicting saves. ``event`` is '' in a
    classic study; ``instance`` is 1 for a form that does not repeat.
    """

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="forms")
    event = models.CharField(max_length=100, blank=True, default="")
    form = models.CharField(max_length=100)
    instance = models.PositiveIntegerField(default=1)
    values: Any = models.JSONField(default=dict)
    status = models.IntegerField(choices=FormStatus.choices, default=FormStatus.INCOMPLETE)
    version = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["record", "event", "form", "instance"], name="one_entry_per_form"
            )
        ]

    def repeats(self, schedule: Schedule) -> bool:
        """Whether this entry is an instance of a repeating form or event."""
        return schedule.repeats_form(self.event, self.form) or schedule.repeats_event(self.event)


class StoredFile(models.Model):
    """A file uploaded into a file field (or signature): who, when, its name and content hash.

    The content is kept outside the database, named by its SHA-256 (followup.capture.files);
    the field's value is REDCap's ``[document]``. Every upload stays: the latest is the field's
    file, the earlier ones are its history.
    """

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="files")
    event = models.CharField(max_length=100, blank=True, default="")
    form = models.CharField(max_length=100)
    instance = models.PositiveIntegerField(default=1)
    field = models.CharField(max_length=100)
    name = models.CharField(max_length=255)  # as uploaded: shown, never used as a path
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["id"]


class AuditHead(models.Model):
    """The one row holding the trail's last hash: appenders lock it, so the chain never forks."""

    hash = models.CharField(max_length=64)


class AuditEntry(models.Model):
    """One change, append-only; ``hash`` chains it to the entry before (``audit verify``).

    ``record`` is blank for changes that belong to no record: sign-in lockouts, users, the
    study's files. ``study`` is 0 for those of no study (a lockout of an unknown user name).
    """

    at = models.DateTimeField()
    user = models.CharField(max_length=150)
    study = models.IntegerField()
    record = models.CharField(max_length=100)
    event = models.CharField(max_length=100, blank=True, default="")
    form = models.CharField(max_length=100, blank=True)
    instance = models.PositiveIntegerField(null=True, blank=True)  # of a repeating form or event
    field = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Entries are only ever added."""
        if not self._state.adding:
            raise PermissionError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Entries are never removed."""
        raise PermissionError("audit entries cannot be deleted")


ACCOUNT_ACTIONS = (
    "signin_lockout",
    "signin_unlock",
    "user_invite",
    "user_change",
    "admin_add",
    "admin_change",
    "admin_delete",
)


class AccountEvent(AuditEntry):
    """The trail's entries about people and sign-ins, which hold no patient values."""

    class Meta:
        proxy = True
        verbose_name = _("account event")
        verbose_name_plural = _("account events")


class DataQuery(models.Model):
    """A question the data center asks a hospital about one field; the thread is kept."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="queries")
    form = models.CharField(max_length=100)
    field = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened = models.DateTimeField(auto_now_add=True)
    opened_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name_plural = "data queries"


class DictionaryTranslation(models.Model):
    """The dictionary's labels, notes and choices in one more language (REDCap MLM's CSV)."""

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="translations")
    language = models.CharField(max_length=10)
    csv = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["study", "language"], name="one_translation_per_language"
            )
        ]


class QueryMessage(models.Model):
    """One message of a query's thread."""

    query = models.ForeignKey(DataQuery, on_delete=models.PROTECT, related_name="messages")
    user = models.CharField(max_length=150)
    at = models.DateTimeField(auto_now_add=True)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]


class ApiToken(models.Model):
    """A user's key to the REDCap-compatible API: only its keyed hash is kept, never the key.

    The data manager creates it and sees it once; it answers for its user's role and hospital as
    they are at each request (a deactivated user's token stops working). Revoked tokens stay, so
    the list shows who had access and until when.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)  # HMAC-SHA256 of the token
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"API token {self.pk} of {self.user}"
