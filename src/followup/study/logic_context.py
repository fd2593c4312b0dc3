"""Where an expression is evaluated: record, event, instance, user, labels, missing-data codes.

Smart variables and cross-event references read these.

Logic is evaluated against one row of values (one record, one event, one instance); everything
else an expression can name comes from a LogicContext. The default context is a classic project's
record with nothing else known, where ``[event][field]`` and ``[field][n]`` read the row itself
when they name it and are blank otherwise, as an unsaved REDCap value is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

# (event or None, export column, instance or None) → the raw value stored there ('' = none).
Lookup = Callable[[str | None, str, int | None], str]
# (event or None, field name) → the instance numbers saved for the field's form in that event.
Instances = Callable[[str | None, str], Sequence[int]]


@dataclass(frozen=True)
class LogicContext:
    """What an expression may read beyond the row it is evaluated on; every part is optional."""

    record: str = ""
    record_dag: str = ""
    record_dag_label: str = ""
    user: str = ""
    user_dag: str = ""
    event: str | None = None  # unique event name; None in a classic project
    events: tuple[str, ...] = ()  # the record's arm's events, in order
    event_labels: Mapping[str, str] = field(default_factory=dict)
    arm: str = ""
    arm_label: str = ""
    instance: int | None = None  # the instance of a repeating form or event being evaluated
    form: str = ""
    form_label: str = ""
    project_id: str = ""
    is_form: bool = False
    is_survey: bool = False
    missing_codes: frozenset[str] = frozenset()
    choice_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # field→code→label
    checkboxes: Mapping[str, Sequence[str]] = field(default_factory=dict)  # field → option codes
    comma_decimals: frozenset[str] = frozenset()  # fields whose numbers have a decimal comma
    lookup: Lookup | None = None
    instances: Instances | None = None
    now: dt.datetime | None = None  # fixed 'now' (tests, reproducible re-runs); None: the clock

    def clock(self) -> dt.datetime:
        """The time 'today' and 'now' stand for."""
        return self.now or dt.datetime.now()

    def value(
        self, values: Mapping[str, str], event: str | None, column: str, instance: int | None
    ) -> str:
        """A column's raw value in another event or instance, or in the row itself."""
        same_event = event is None or event == self.event
        same_instance = instance is None or instance == (self.instance or 1)
        here = same_event and same_instance
        if self.lookup is not None and not here:
            return self.lookup(event, column, instance)
        return values.get(column, "") if here else ""

    def saved_instances(self, event: str | None, field_name: str) -> Sequence[int]:
        """Instance numbers saved for a field's form (the current one when nothing is known)."""
        if self.instances is not None:
            return self.instances(event if event is not None else self.event, field_name)
        return (self.instance,) if self.instance is not None else ()


CLASSIC = LogicContext()
