"""The study's schedule as REDCap's API exports it: events, arms, form-event mapping, repeats.

A classic study has no events or arms: REDCap answers those calls with an error (PyCap reads the
error of ``formEventMapping`` to learn that a project is classic), and so does Followup.
``arms[]`` keeps some arms, as in REDCap.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _

from followup.capture.api_protocol import ApiError, ApiRequest, invalid, table_response
from followup.capture.models import Membership
from followup.study.schedule import Schedule


def _arms(schedule: Schedule, request: ApiRequest, what: str) -> list[int]:
    """The arms asked for (all by default); an error in a classic study."""
    if not schedule.longitudinal:
        raise ApiError(400, _("You cannot export %(what)s for classic projects") % {"what": what})
    known = sorted({e.arm for e in schedule.events} | set(schedule.arms))
    asked = request.array("arms")
    unknown = [a for a in asked if not (a.isascii() and a.isdigit() and int(a) in known)]
    if unknown:
        raise invalid("arms", unknown)
    return [int(a) for a in asked] if asked else known


def events(member: Membership, request: ApiRequest) -> HttpResponse:
    """Each event: its label, arm and unique name, in the schedule's order."""
    schedule = member.study.schedule
    arms = _arms(schedule, request, "events")
    items = [
        {
            "event_name": e.label,
            "arm_num": e.arm,
            "unique_event_name": e.name,
            "custom_event_label": "",
            "event_id": number,
        }
        for number, e in enumerate(schedule.events, start=1)
        if e.arm in arms
    ]
    header = ["event_name", "arm_num", "unique_event_name", "custom_event_label", "event_id"]
    return table_response(items, header, request.format)


def arms(member: Membership, request: ApiRequest) -> HttpResponse:
    """Each arm's number and name."""
    schedule = member.study.schedule
    chosen = _arms(schedule, request, "arms")
    items = [{"arm_num": a, "name": schedule.arms.get(a, f"Arm {a}")} for a in chosen]
    return table_response(items, ["arm_num", "name"], request.format)


def form_event_mapping(member: Membership, request: ApiRequest) -> HttpResponse:
    """Which forms each event collects (every form where nothing is mapped)."""
    study = member.study
    schedule = study.schedule
    chosen = _arms(schedule, request, "form/event mappings")
    items = [
        {"arm_num": e.arm, "unique_event_name": e.name, "form": form}
        for e in schedule.events
        if e.arm in chosen
        for form in study.dictionary.forms
        if schedule.form_in(e.name, form)
    ]
    return table_response(items, ["arm_num", "unique_event_name", "form"], request.format)


def repeating(member: Membership, request: ApiRequest) -> HttpResponse:
    """The repeating forms (and events), with the event column in a longitudinal study."""
    schedule = member.study.schedule
    order = {e.name: i for i, e in enumerate(schedule.events)}
    forms = {f: i for i, f in enumerate(member.study.dictionary.forms)}
    pairs = sorted(schedule.repeating, key=lambda p: (order.get(p[0], -1), forms.get(p[1], -1)))
    if schedule.longitudinal:
        header = ["event_name", "form_name", "custom_form_label"]
        items = [{"event_name": e, "form_name": f, "custom_form_label": ""} for e, f in pairs]
    else:
        header = ["form_name", "custom_form_label"]
        items = [{"form_name": f, "custom_form_label": ""} for _e, f in pairs]
    return table_response(items, header, request.format)
