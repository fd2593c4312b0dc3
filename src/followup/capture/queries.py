"""Data queries: the data center asks about one field, the hospital answers, the data center closes.

States as REDCap's Data Resolution Workflow shows them: open (awaiting the hospital), answered
(the hospital responded) and closed. The data manager opens, answers back, closes and reopens;
the record's coordinator answers. Every step needs its text and is an entry of the audit chain
(who, when, the text, old → new state). Nothing about a query changes on a locked record.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from followup.capture.audit import Change, append
from followup.capture.models import DataQuery, QueryMessage, Record, Role


class QueryRefused(ValueError):  # noqa: N818  (a refusal shown to the user, not a crash)
    """The step is not allowed now; the message says why."""


def _trail(query: DataQuery, user: str, action: str, old: str, text: str) -> None:
    record = query.record
    append(
        record.study,
        user,
        [Change(record.record_id, query.form, query.field, action, old, query.status, text)],
    )


def _locked(record: Record) -> bool:
    """The record's lock as committed now, its row held until the transaction ends."""
    return Record.objects.select_for_update().values_list("locked", flat=True).get(pk=record.pk)


def open_query(record: Record, form: str, field: str, text: str, user: str) -> DataQuery:
    """A new query on one field of one form."""
    with transaction.atomic():
        if _locked(record):
            raise QueryRefused(_("The record is locked: unlock it before opening a query."))
        query = DataQuery.objects.create(record=record, form=form, field=field, opened_by=user)
        QueryMessage.objects.create(query=query, user=user, text=text)
        _trail(query, user, "query_open", "", text)
    return query


def respond(query: DataQuery, role: str, user: str, text: str, action: str) -> DataQuery:
    """One step: ``reply`` (either side), ``close`` or ``reopen`` (the data manager)."""
    with transaction.atomic():
        if _locked(query.record):
            raise QueryRefused(
                _("The record is locked: its queries cannot change until it is unlocked.")
            )
        query = DataQuery.objects.select_for_update().get(pk=query.pk)
        _step(query, role, user, text, action)
    return query


def _step(query: DataQuery, role: str, user: str, text: str, action: str) -> None:
    """The step's checks and writes, within the caller's transaction."""
    manager = role == Role.DATA_MANAGER
    closed = query.status == DataQuery.Status.CLOSED
    if action in ("close", "reopen") and not manager:
        raise QueryRefused(_("Only the data manager closes and reopens queries."))
    if action == "reopen" and not closed:
        raise QueryRefused(_("This query is not closed."))
    if action != "reopen" and closed:
        raise QueryRefused(_("This query is closed: the data manager can reopen it."))
    old = query.status
    if action == "close":
        query.status = DataQuery.Status.CLOSED
    elif action == "reopen" or manager:
        query.status = DataQuery.Status.OPEN
    else:
        query.status = DataQuery.Status.ANSWERED
    QueryMessage.objects.create(query=query, user=user, text=text)
    query.save(update_fields=["status"])
    _trail(query, user, f"query_{action}", old, text)
