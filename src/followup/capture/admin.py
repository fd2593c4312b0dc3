"""Django's admin for the administrator: people and their roles; the trail read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from followup.capture.models import AuditEntry, DataQuery, Hospital, Membership, Record, Study


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    """Studies; their files are replaced, with checks, on the data manager's set-up page."""

    list_display = ("name", "created")
    readonly_fields = ("dictionary_csv", "plan_yaml")


@admin.register(Hospital)
class HospitalAdmin(admin.ModelAdmin):
    """Hospitals (access groups)."""

    list_display = ("code", "name", "study")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Who has which role, and a coordinator's hospital."""

    list_display = ("user", "role", "hospital", "study")
    list_filter = ("role", "hospital")


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    """Records, read-only here: data changes go through the audited forms."""

    list_display = ("record_id", "hospital", "locked")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Values change only through the forms, where they are validated and audited."""
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The trail, to read; nobody adds, changes or deletes entries here."""

    list_display = ("id", "at", "user", "record", "form", "field", "action", "old", "new")
    list_filter = ("action",)
    search_fields = ("record", "user", "field")

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Entries are written by saves only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Append-only."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Append-only."""
        return False


admin.site.register(DataQuery)
admin.site.site_header = "Followup administration"
