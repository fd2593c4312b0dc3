"""Which row of a record an export line is: its event, repeating form and instance, checked.

REDCap's rules: a longitudinal export names an event on every line; a repeating form's line names
the form and its instance and holds only that form's values; a repeating event's line has an
instance and no form; other lines have neither, and hold no value of a repeating form. When the
study's schedule is known its events, form mapping and repeats are the reference; otherwise what
repeats is read from the file itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from followup.study import DataDictionary, Problem
from followup.study.schedule import Schedule


@dataclass(frozen=True)
class Placement:
    """Event ('' in a classic project), repeating form ('' if none), instance (None if none)."""

    event: str
    form: str
    instance: int | None


class RowPlacer:
    """Reads each line's event, form and instance against the schedule and the dictionary."""

    def __init__(
        self,
        dictionary: DataDictionary,
        schedule: Schedule,
        has_event: bool,
        repeating_forms: frozenset[str],
    ) -> None:
        self.dictionary = dictionary
        self.schedule = schedule
        self.has_event = has_event
        self.forms = set(dictionary.forms)
        self.repeating_forms = repeating_forms  # seen in the file, when the schedule says none
        self.form_of = {c: f.form for c, f in dictionary.column_owner().items()}
        self.form_of |= {f"{form}_complete": form for form in dictionary.forms}

    def place(
        self,
        number: int,
        system: Mapping[str, str],
        values: Mapping[str, str],
        problems: list[Problem],
    ) -> Placement:
        """The line's placement; each problem is noted with the line and column."""
        event = self._event(number, system.get("redcap_event_name", "").strip(), problems)
        form = self._form(number, system.get("redcap_repeat_instrument", "").strip(), problems)
        instance = self._instance(
            number, system.get("redcap_repeat_instance", "").strip(), form, problems
        )
        if (
            instance is not None
            and not form
            and self.schedule.has_repeats
            and not self.schedule.repeats_event(event)
        ):
            problems.append(
                Problem(
                    number,
                    "redcap_repeat_instance",
                    f"event '{event}' does not repeat; the instance should be blank",
                )
            )
        self._check_values(number, Placement(event, form, instance), values, problems)
        return Placement(event, form, instance)

    def _event(self, number: int, text: str, problems: list[Problem]) -> str:
        if not self.has_event:
            return ""
        if not text:
            problems.append(
                Problem(
                    number,
                    "redcap_event_name",
                    "the event is blank; each line of a longitudinal export names its event",
                )
            )
            return ""
        if not self.schedule.longitudinal or self.schedule.event(text) is not None:
            return text
        name = self.schedule.event_of_label(text)
        if name is None:
            known = ", ".join(e.name for e in self.schedule.events)
            problems.append(
                Problem(
                    number, "redcap_event_name", f"'{text}' is not an event of the study ({known})"
                )
            )
            return text
        return name

    def _form(self, number: int, text: str, problems: list[Problem]) -> str:
        if not text or text in self.forms:
            return text
        name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")  # a label export: the label
        if name in self.forms:
            return name
        problems.append(
            Problem(number, "redcap_repeat_instrument", f"'{text}' is not a form of the dictionary")
        )
        return text

    def _instance(self, number: int, text: str, form: str, problems: list[Problem]) -> int | None:
        if not text:
            if form:
                problems.append(
                    Problem(
                        number,
                        "redcap_repeat_instance",
                        f"the instance of repeating form '{form}' is blank",
                    )
                )
            return None
        if text.lower() == "new":
            return 0  # numbered after the last instance once the file is read
        if not re.fullmatch(r"[1-9][0-9]{0,8}", text):
            problems.append(
                Problem(
                    number,
                    "redcap_repeat_instance",
                    f"'{text}' should be an instance number: 1, 2, 3 …",
                )
            )
            return None
        return int(text)

    def _check_values(
        self, number: int, place: Placement, values: Mapping[str, str], problems: list[Problem]
    ) -> None:
        repeats = self._repeating_in(place.event)
        if place.form and self.schedule.has_repeats and place.form not in repeats:
            problems.append(
                Problem(
                    number,
                    "redcap_repeat_instrument",
                    f"form '{place.form}' does not repeat{self._at(place.event)}",
                )
            )
        wrong: dict[str, str] = {}
        for column, value in values.items():
            form = self.form_of.get(column)
            if form is None or not value.strip() or column == self.dictionary.record_id:
                continue
            other_form = bool(place.form) and form != place.form
            repeating_here = not place.form and place.instance is None and form in repeats
            not_mapped = bool(place.event) and not self.schedule.form_in(place.event, form)
            if other_form or repeating_here or not_mapped:
                wrong.setdefault(form, column)
        for form, column in wrong.items():
            if place.form and form != place.form:
                why = f"a line of repeating form '{place.form}' holds only that form's values"
            elif form in repeats and not place.form:
                why = f"form '{form}' repeats: its values go on lines with its instance"
            else:
                why = f"form '{form}' is not collected{self._at(place.event)}"
            problems.append(Problem(number, column, f"has a value, but {why}"))

    def _repeating_in(self, event: str) -> frozenset[str]:
        if self.schedule.has_repeats:
            return frozenset(form for e, form in self.schedule.repeating if e == event and form)
        return self.repeating_forms

    @staticmethod
    def _at(event: str) -> str:
        return f" at event '{event}'" if event else ""
