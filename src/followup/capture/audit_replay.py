"""The trail proves the data: replaying every recorded change must give every stored value.

A value edited in the database without a trail entry — by hand, by a script, by a restore of
another copy — is then named: record, event, instance, form, field, what is stored and what the
trail says. The hash chain (audit.verify) proves the trail was not changed; this proves the
data agrees with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from followup.capture.models import AuditEntry, FormEntry, Study

# Actions whose ``new`` is the value the field holds afterwards (an upload's line describes the
# file; the field's "[document]" has its own line).
_VALUE_ACTIONS = ("import", "create", "update", "delete", "status")
Key = tuple[str, str, str, int]  # record, event, form, instance


@dataclass(frozen=True)
class Difference:
    """A stored value the trail does not account for."""

    record: str
    event: str
    form: str
    instance: int
    field: str
    stored: str
    trail: str

    def __str__(self) -> str:
        where = self.record + (f" ({self.event})" if self.event else "")
        where += f" #{self.instance}" if self.instance != 1 else ""
        return (
            f"{where}, {self.form}.{self.field}: stored '{self.stored}', "
            f"the trail says '{self.trail}'"
        )


def replayed(study: Study) -> dict[Key, dict[str, str]]:
    """Every entry's values (and status, as <form>_complete) as the trail builds them."""
    state: dict[Key, dict[str, str]] = {}
    entries = AuditEntry.objects.filter(study=study.pk, action__in=_VALUE_ACTIONS).exclude(form="")
    for entry in entries.order_by("id").iterator():
        key = (entry.record, entry.event, entry.form, entry.instance or 1)
        state.setdefault(key, {})[entry.field] = entry.new
    return state


def differences(study: Study) -> list[Difference]:
    """Each stored value (and form status) that replaying the trail does not give."""
    trail = replayed(study)
    found = []
    stored_keys = set()
    for entry in FormEntry.objects.filter(record__study=study).select_related("record"):
        key = (entry.record.record_id, entry.event, entry.form, entry.instance)
        stored_keys.add(key)
        said = trail.get(key, {})
        status_column = f"{entry.form}_complete"
        values = {**entry.values, status_column: str(entry.status)}
        for column in sorted(set(values) | set(said)):
            stored = str(values.get(column, ""))
            expected = said.get(column, "0" if column == status_column else "")
            if stored != expected:
                found.append(Difference(*key, column, stored, expected))
    for key, said in trail.items():  # values the trail has for an entry no longer stored
        if key not in stored_keys:
            found.extend(
                Difference(*key, column, "", value)
                for column, value in sorted(said.items())
                if value not in ("", "0")
            )
    return found
