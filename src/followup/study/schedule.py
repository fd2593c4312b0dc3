"""A study's schedule: events and arms, forms per event, and what repeats.

This is REDCap's longitudinal and repeating set-up.

A classic project has one unnamed event holding every form; its repeating forms (a yearly
follow-up visit) are named in ``repeating``. A longitudinal project lists its events, arm by arm,
and maps forms to them (REDCap's "instrument designations"). The files are the CSVs REDCap's API
and its Project Setup pages write: events, arms, formEventMapping and repeatingFormsEvents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from followup.study.csv_text import CsvTextError, csv_rows
from followup.study.errors import Problem, ProblemsError
from followup.study.inputs import MAX_DEFINITION, InputError, read_input


class ScheduleError(ProblemsError):
    """An events, arms, mapping or repeating file that cannot be read; problems located."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(source, problems, "schedule file has")


@dataclass(frozen=True)
class Event:
    """One event: REDCap's unique name (``baseline_arm_1``), its label and its arm."""

    name: str
    label: str
    arm: int = 1


@dataclass(frozen=True)
class Schedule:
    """Events in order, arms, forms per event, and what repeats.

    ``repeating`` holds (event, form) pairs: a repeating form in that event, or (event, "") for a
    whole repeating event; in a classic project the event is "".
    """

    events: tuple[Event, ...] = ()
    arms: dict[int, str] = field(default_factory=dict)
    forms_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    repeating: frozenset[tuple[str, str]] = frozenset()

    @property
    def longitudinal(self) -> bool:
        """Whether records have events (and exports a redcap_event_name column)."""
        return bool(self.events)

    @property
    def has_repeats(self) -> bool:
        """Whether exports have the redcap_repeat_instrument and _instance columns."""
        return bool(self.repeating)

    def event(self, name: str) -> Event | None:
        """The event of that unique name, or None."""
        return next((e for e in self.events if e.name == name), None)

    def arm_events(self, arm: int) -> tuple[str, ...]:
        """The unique names of an arm's events, in order."""
        return tuple(e.name for e in self.events if e.arm == arm)

    def form_in(self, event: str, form: str) -> bool:
        """Whether a form is collected at an event (every form when nothing is mapped)."""
        if not self.longitudinal or not self.forms_of:
            return True
        return form in self.forms_of.get(event, ())

    def repeats_form(self, event: str, form: str) -> bool:
        """Whether the form is a repeating instrument in that event."""
        return (event, form) in self.repeating

    def repeats_event(self, event: str) -> bool:
        """Whether the whole event repeats (all its forms, instance by instance)."""
        return (event, "") in self.repeating

    def event_of_label(self, label: str) -> str | None:
        """The unique name of the event with this label (label exports write labels)."""
        for event in self.events:
            arm = self.arms.get(event.arm, "")
            if label in (
                event.label,
                f"{event.label} ({arm})",
                f"{event.label} (Arm {event.arm}: {arm})",
            ):
                return event.name
        return None


CLASSIC = Schedule()


def classic(repeating_forms: Iterable[str] = ()) -> Schedule:
    """A classic project's schedule: one event, these forms repeating."""
    return Schedule(repeating=frozenset(("", form) for form in repeating_forms))


def unique_event_name(label: str, arm: int) -> str:
    """The unique name REDCap gives an event, for files that do not carry it.

    The label in lower case, other characters as _, cut to 18 characters, then ``_arm_N``.
    """
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:18].strip("_")
    return f"{base}_arm_{arm}"


KINDS = ("events", "arms", "mapping", "repeating")


def load_schedule(
    *,
    events: str | Path | None = None,
    arms: str | Path | None = None,
    mapping: str | Path | None = None,
    repeating: str | Path | None = None,
) -> Schedule:
    """Read a schedule from REDCap's CSV files (any may be absent: a classic project has none)."""
    paths = {"events": events, "arms": arms, "mapping": mapping, "repeating": repeating}
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for kind, path in paths.items():
        if path is None:
            continue
        try:
            texts[kind] = read_input(Path(path), MAX_DEFINITION).decode("utf-8-sig")
        except (OSError, UnicodeDecodeError, InputError) as error:
            problems.append(Problem(None, None, f"{path}: cannot read: {error}"))
    if problems:
        raise ScheduleError(str(next(p for p in paths.values() if p)), problems)
    source = ", ".join(str(p) for p in paths.values() if p) or "schedule"
    return read_schedule(texts, source=source)


def read_schedule(texts: Mapping[str, str], *, source: str = "schedule") -> Schedule:
    """A schedule from the texts of REDCap's CSVs by kind: events, arms, mapping, repeating."""
    problems: list[Problem] = []
    tables = {
        kind: _table(texts[kind], kind, problems) if kind in texts else None for kind in KINDS
    }
    event_list = _events(tables["events"], problems)
    arm_names = {_arm(row, problems): row.get("name", "") for row in tables["arms"] or []}
    forms_of: dict[str, list[str]] = {}
    for row in tables["mapping"] or []:
        forms_of.setdefault(row.get("unique_event_name", ""), []).append(row.get("form", ""))
    repeats = frozenset(
        (row.get("event_name", ""), row.get("form_name", "")) for row in tables["repeating"] or []
    )
    known = {e.name for e in event_list}
    for name in [*forms_of, *(e for e, _ in repeats)]:
        if event_list and name and name not in known:
            problems.append(
                Problem(None, "unique_event_name", f"'{name}' is not an event of the events file")
            )
    if problems:
        raise ScheduleError(source, problems)
    return Schedule(
        tuple(event_list), arm_names, {e: tuple(f) for e, f in forms_of.items()}, repeats
    )


def _table(text: str, kind: str, problems: list[Problem]) -> list[dict[str, str]]:
    try:
        rows = csv_rows(text)
    except CsvTextError as error:
        problems.append(Problem(error.line, None, f"{kind}: {error}"))
        return []
    if not rows:
        return []
    header = [cell.strip() for cell in rows[0]]
    return [
        dict(zip(header, (c.strip() for c in row), strict=False)) for row in rows[1:] if any(row)
    ]


def _arm(row: dict[str, str], problems: list[Problem]) -> int:
    text = row.get("arm_num", "1") or "1"
    if not (text.isascii() and text.isdigit()):
        problems.append(Problem(None, "arm_num", f"arm '{text}' should be a number"))
        return 1
    return int(text)


def _events(rows: list[dict[str, str]] | None, problems: list[Problem]) -> list[Event]:
    found: list[Event] = []
    for row in rows or []:
        arm = _arm(row, problems)
        label = row.get("event_name", "")
        name = row.get("unique_event_name") or unique_event_name(label, arm)
        found.append(Event(name, label, arm))
    return found
