"""REDCap's smart variables: which exist, and what each stands for where an expression is evaluated.

Names and meanings follow REDCap's Smart Variables help page. Variables about a web session that
Followup does not have (survey links, a user's role) are known, so a dictionary using them loads,
and are blank, as REDCap makes them where they do not apply; aggregates over all records and
charts are listed in ``NOT_COMPUTED`` so the dictionary can say so once.
"""

from __future__ import annotations

from collections.abc import Callable

from followup.study.logic_context import LogicContext

EVENT_VARIABLES = (
    "event-name",
    "previous-event-name",
    "next-event-name",
    "first-event-name",
    "last-event-name",
)
INSTANCE_VARIABLES = (
    "current-instance",
    "previous-instance",
    "next-instance",
    "first-instance",
    "last-instance",
    "new-instance",
)


def _event_at(context: LogicContext, step: int | None, end: int | None = None) -> str:
    """The event ``step`` places from the current one, or the first (end=0) or last (end=-1)."""
    if not context.events:
        return ""
    if end is not None:
        return context.events[end]
    if context.event not in context.events or step is None:
        return ""
    index = context.events.index(context.event) + step
    return context.events[index] if 0 <= index < len(context.events) else ""


def _label(name: str, context: LogicContext) -> str:
    return context.event_labels.get(name, "") if name else ""


_Resolver = Callable[[LogicContext], str]
_RESOLVERS: dict[str, _Resolver] = {
    "record-name": lambda c: c.record,
    "record-dag-name": lambda c: c.record_dag,
    "record-dag-label": lambda c: c.record_dag_label,
    "record-dag-id": lambda c: "",
    "user-name": lambda c: c.user,
    "user-dag-name": lambda c: c.user_dag,
    "event-name": lambda c: c.event or "",
    "event-label": lambda c: _label(c.event or "", c),
    "previous-event-name": lambda c: _event_at(c, -1),
    "next-event-name": lambda c: _event_at(c, 1),
    "first-event-name": lambda c: _event_at(c, None, 0),
    "last-event-name": lambda c: _event_at(c, None, -1),
    "previous-event-label": lambda c: _label(_event_at(c, -1), c),
    "next-event-label": lambda c: _label(_event_at(c, 1), c),
    "first-event-label": lambda c: _label(_event_at(c, None, 0), c),
    "last-event-label": lambda c: _label(_event_at(c, None, -1), c),
    "event-number": lambda c: (
        str(c.events.index(c.event) + 1) if c.event in c.events and c.event else ""
    ),
    "arm-number": lambda c: c.arm,
    "arm-label": lambda c: c.arm_label,
    "project-id": lambda c: c.project_id,
    "is-form": lambda c: "1" if c.is_form else "0",
    "is-survey": lambda c: "1" if c.is_survey else "0",
    "form-name": lambda c: c.form,
    "instrument-name": lambda c: c.form,
    "instrument-label": lambda c: c.form_label,
}
# Known to REDCap, about things Followup has no part of: blank, as REDCap leaves them off a survey.
_BLANK = (
    "event-id",
    "user-fullname",
    "user-email",
    "user-first-name",
    "user-last-name",
    "user-dag-id",
    "user-dag-label",
    "user-role-id",
    "user-role-name",
    "user-role-label",
    "redcap-base-url",
    "redcap-version",
    "redcap-version-url",
    "survey-base-url",
    "project-title",
    "form-url",
    "form-link",
    "survey-url",
    "survey-link",
    "survey-queue-url",
    "survey-queue-link",
    "survey-return-code",
    "survey-access-code",
    "survey-title",
    "survey-time-completed",
    "survey-date-completed",
    "survey-time-started",
    "survey-date-started",
    "survey-duration",
    "survey-duration-completed",
    "calendar-url",
    "calendar-link",
    "record-dag-units",
)
NOT_COMPUTED = (
    "aggregate-min",
    "aggregate-max",
    "aggregate-mean",
    "aggregate-median",
    "aggregate-sum",
    "aggregate-count",
    "aggregate-stdev",
    "aggregate-unique",
    "scatter-plot",
    "line-chart",
    "bar-chart",
    "pie-chart",
    "donut-chart",
    "stats-table",
    "data-table",
)
SMART_VARIABLES: frozenset[str] = frozenset(
    (*_RESOLVERS, *_BLANK, *NOT_COMPUTED, *INSTANCE_VARIABLES)
)


def smart_value(name: str, context: LogicContext) -> str:
    """What ``[name]`` stands for in this context ('' where it does not apply)."""
    if name in INSTANCE_VARIABLES:
        number = instance_number(name, context, None, "")
        return "" if number is None else str(number)
    resolver = _RESOLVERS.get(name)
    return resolver(context) if resolver is not None else ""


def instance_number(
    name: str, context: LogicContext, event: str | None, field_name: str
) -> int | None:
    """The instance an instance smart variable (or a written number) names, for a field's form."""
    if name.isascii() and name.isdigit():
        return int(name)
    current = context.instance
    if name == "current-instance":
        return current
    if name == "previous-instance":
        return current - 1 if current is not None and current > 1 else None
    if name == "next-instance":
        return current + 1 if current is not None else None
    saved = sorted(context.saved_instances(event, field_name))
    if name == "first-instance":
        return saved[0] if saved else None
    if name == "last-instance":
        return saved[-1] if saved else None
    return (saved[-1] if saved else 0) + 1  # new-instance
