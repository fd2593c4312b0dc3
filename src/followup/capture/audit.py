"""The audit trail: every change appended with user, time, old → new and reason, hash-chained.

Each entry's hash covers its own content and the previous entry's hash, so changing, removing or
reordering any entry breaks every hash after it; ``verify`` names the first broken entry. Appends
lock the one ``AuditHead`` row that holds the last hash, so two saves never chain onto the same
predecessor, whichever study or account they concern.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from followup.capture.audit_anchor import checkpoint_problem, write_checkpoint
from followup.capture.models import AuditEntry, AuditHead, Study
from followup.study.csv_text import SafeWriter

GENESIS = "0" * 64
_FIELDS = ("at", "user", "study", "record", "form", "field", "action", "old", "new", "reason")


@dataclass(frozen=True)
class Change:
    """One value's change, before it is chained."""

    record: str
    form: str
    field: str
    action: str
    old: str
    new: str
    reason: str = ""
    event: str = ""  # the record's event, in a longitudinal study
    instance: int | None = None  # the instance, for a repeating form or event


def entry_hash(previous: str, content: dict[str, object]) -> str:
    """SHA-256 of the previous hash and the entry's content as canonical JSON."""
    text = json.dumps(
        {"previous": previous, **content}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content(entry: AuditEntry) -> dict[str, object]:
    """What the hash covers.

    Event and instance only where there is one, so entries written before studies had events
    keep their hashes.
    """
    at: datetime = entry.at
    content: dict[str, object] = {
        name: (at.isoformat(timespec="microseconds") if name == "at" else getattr(entry, name))
        for name in _FIELDS
    }
    if entry.event:
        content["event"] = entry.event
    if entry.instance is not None:
        content["instance"] = entry.instance
    return content


def append(study: Study | None, user: str, changes: list[Change]) -> list[AuditEntry]:
    """Chain the changes onto the trail, in one transaction (the caller's, if it has one).

    ``study`` is None for an event of no study (a lockout of a user name nobody has).
    """
    written = []
    with transaction.atomic():
        head = _locked_head()
        previous = head.hash
        now = timezone.now()
        for change in changes:
            entry = AuditEntry(
                at=now,
                user=user,
                study=study.pk if study is not None else 0,
                record=change.record,
                event=change.event,
                form=change.form,
                instance=change.instance,
                field=change.field,
                action=change.action,
                old=change.old,
                new=change.new,
                reason=change.reason,
                previous_hash=previous,
            )
            entry.hash = entry_hash(previous, _content(entry))
            entry.save()
            previous = entry.hash
            written.append(entry)
        head.hash = previous
        head.save(update_fields=["hash"])
        transaction.on_commit(write_checkpoint)  # the trail's new end, beside the data
    return written


def _locked_head() -> AuditHead:
    """The head row, locked for this transaction (made from the trail's last entry if missing)."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        AuditHead.objects.get_or_create(pk=1, defaults={"hash": last or GENESIS})
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


@dataclass(frozen=True)
class Verification:
    """Whether the chain holds, and if not the first entry that does not."""

    entries: int
    first_broken: int | None
    reason: str

    @property
    def ok(self) -> bool:
        """The chain is intact."""
        return self.first_broken is None


def verify() -> Verification:
    """Recompute every hash in order; report the first entry whose link or content was changed."""
    previous = GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("id").iterator():
        count += 1
        if entry.previous_hash != previous:
            return Verification(
                count,
                entry.pk,
                "its link to the entry before does not match (an entry was removed or reordered)",
            )
        if entry_hash(previous, _content(entry)) != entry.hash:
            return Verification(
                count, entry.pk, "its content does not match its hash (it was edited)"
            )
        previous = entry.hash
    head = AuditHead.objects.filter(pk=1).values_list("hash", flat=True).first()
    if head is not None and head != previous:
        return Verification(
            count, count + 1, "the trail ends before its last recorded entry (entries were removed)"
        )
    short = checkpoint_problem()
    if short is not None:
        return Verification(count, short[0] or count + 1, short[1])
    return Verification(count, None, "")


def trail_csv(entries: list[AuditEntry]) -> str:
    """The trail as CSV, as an inspector reads it."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(["id", *_FIELDS, "event", "instance", "hash"])
    for e in entries:
        content = _content(e)
        shown = [content[name] for name in _FIELDS]
        writer.writerow([e.pk, *shown, e.event, "" if e.instance is None else e.instance, e.hash])
    return out.getvalue()
