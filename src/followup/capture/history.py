"""The audit trail as people read it: values as labels, reasons without server paths.

The stored trail keeps raw codes (it is the evidence, and its hashes cover exactly what was
written); the pages show "Female (2)" and the field's label beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from followup.capture.messages import shown_value
from followup.capture.models import AuditEntry, FormStatus, Record, Study
from followup.capture.translations import choice_label, field_label
from followup.study import Field


@dataclass(frozen=True)
class TrailLine:
    """One entry of the trail, in words."""

    entry: AuditEntry
    field: str  # the field's label (and its variable name)
    old: str
    new: str

    @property
    def at(self) -> datetime:
        """When."""
        return self.entry.at


def _value(study: Study, column: str, raw: str, language: str) -> str:
    dictionary = study.dictionary
    if column.endswith("_complete") and column.removesuffix("_complete") in dictionary.forms:
        known = raw in {str(v) for v in FormStatus.values}
        return f"{FormStatus(int(raw)).label} ({raw})" if known else raw
    owner = dictionary.column_owner().get(column)
    if owner is None or raw == "":
        return raw
    if owner.field_type == "checkbox":
        code = next(
            (
                c.code
                for c, col in zip(owner.choices, owner.export_columns, strict=True)
                if col == column
            ),
            "",
        )
        label = choice_label(study, owner, code, language) or code
        return f"{label}: {_('ticked') if raw == '1' else _('not ticked')} ({raw})"
    return shown_value(study, owner, raw, language)


def _label(study: Study, column: str, language: str) -> str:
    owner = study.dictionary.column_owner().get(column)
    if owner is None:
        return column
    return f"{field_label(study, owner, language)} [{column}]"


def trail_lines(study: Study, entries: list[AuditEntry], language: str) -> list[TrailLine]:
    """Entries with labels for fields and values."""
    return [
        TrailLine(
            e,
            _label(study, e.field, language),
            _value(study, e.field, e.old, language),
            _value(study, e.field, e.new, language),
        )
        for e in entries
    ]


def field_history(record: Record, field: Field, language: str) -> list[TrailLine]:
    """Every entry about one field of one record, oldest first."""
    entries = list(
        AuditEntry.objects.filter(
            study=record.study.pk, record=record.record_id, field__in=field.export_columns
        ).order_by("id")
    )
    return trail_lines(record.study, entries, language)
