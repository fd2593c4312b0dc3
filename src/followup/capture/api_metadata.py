"""The study's definition as REDCap's API exports it: metadata, instruments, export field names.

``metadata`` is the uploaded data dictionary row by row under the API's column names
(``field_name, form_name, …, field_annotation``), names as REDCap stores them once read;
``instrument`` lists the forms with their labels; ``exportFieldNames`` says which export columns
each field becomes (one per checkbox option, each form's ``_complete``). ``project`` and
``version`` describe the study and the API level Followup speaks.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from followup.capture.api_protocol import (
    ApiError,
    ApiRequest,
    invalid,
    object_response,
    table_response,
    text_response,
)
from followup.capture.models import Membership, Study
from followup.io.labels import form_label
from followup.study import DataDictionary
from followup.study.choices import checkbox_column
from followup.study.dictionary import dictionary_table
from followup.study.dictionary_rows import API_HEADER

# The REDCap release whose API Followup's answers follow (PyCap and REDCapR read it to know
# which parameters the server takes).
REDCAP_VERSION = "14.0.0"
_PROJECT_FIELDS = (
    "project_id",
    "project_title",
    "creation_time",
    "production_time",
    "in_production",
    "project_language",
    "purpose",
    "purpose_other",
    "project_notes",
    "custom_record_label",
    "secondary_unique_field",
    "is_longitudinal",
    "has_repeating_instruments_or_events",
    "surveys_enabled",
    "scheduling_enabled",
    "record_autonumbering_enabled",
    "randomization_enabled",
    "ddp_enabled",
    "project_irb_number",
    "project_grant_number",
    "project_pi_firstname",
    "project_pi_lastname",
    "display_today_now_button",
    "missing_data_codes",
    "external_modules",
    "bypass_branching_erase_field_prompt",
)


def chosen_fields(dictionary: DataDictionary, request: ApiRequest) -> list[str]:
    """The field names of ``fields[]`` and of the forms of ``forms[]`` (all when neither)."""
    fields = request.array("fields")
    forms = request.array("forms")
    statuses = {f"{form}_complete" for form in dictionary.forms}
    unknown = [f for f in fields if f not in dictionary and f not in statuses]
    if unknown:
        raise invalid("fields", unknown)
    unknown = [f for f in forms if f not in dictionary.forms]
    if unknown:
        raise invalid("forms", unknown)
    if not fields and not forms:
        return [f.name for f in dictionary]
    return [f.name for f in dictionary if f.name in fields or f.form in forms] + [
        s for s in statuses if s in fields or s.removesuffix("_complete") in forms
    ]


def metadata(member: Membership, request: ApiRequest) -> HttpResponse:
    """The dictionary's rows (``fields[]``/``forms[]`` keep some), API column names."""
    study = member.study
    dictionary = study.dictionary
    wanted = set(chosen_fields(dictionary, request))
    rows = dictionary_table(study.dictionary_csv, "data dictionary")
    items = []
    for field in dictionary:
        if field.name not in wanted:
            continue
        cells = [c.strip() for c in rows[field.row - 1]] + [""] * len(API_HEADER)
        item = dict(zip(API_HEADER, cells, strict=False))
        item |= {"field_name": field.name, "form_name": field.form, "field_type": field.field_type}
        items.append(item)
    return table_response(items, API_HEADER, request.format)


def instruments(member: Membership, request: ApiRequest) -> HttpResponse:
    """Each form's unique name and label."""
    items = [
        {"instrument_name": form, "instrument_label": form_label(form)}
        for form in member.study.dictionary.forms
    ]
    return table_response(items, ["instrument_name", "instrument_label"], request.format)


def field_names(member: Membership, request: ApiRequest) -> HttpResponse:
    """Each field's export columns (``field`` keeps one field): name, choice and column."""
    dictionary = member.study.dictionary
    only = request.value("field").strip()
    items: list[dict[str, str]] = []
    for form in dictionary.forms:
        for f in dictionary.form_fields(form):
            if f.field_type == "checkbox":
                items += [
                    {
                        "original_field_name": f.name,
                        "choice_value": c.code,
                        "export_field_name": checkbox_column(f.name, c.code),
                    }
                    for c in f.choices
                ]
            elif f.holds_data:
                items.append(
                    {"original_field_name": f.name, "choice_value": "", "export_field_name": f.name}
                )
        status = f"{form}_complete"
        items.append(
            {"original_field_name": status, "choice_value": "", "export_field_name": status}
        )
    if only:
        items = [i for i in items if i["original_field_name"] == only]
        if not items:
            raise invalid("field", [only])
    header = ["original_field_name", "choice_value", "export_field_name"]
    return table_response(items, header, request.format)


def project(member: Membership, request: ApiRequest) -> HttpResponse:
    """The study described with REDCap's project attributes."""
    return object_response(project_info(member.study), request.format)


def project_info(study: Study) -> dict[str, Any]:
    """REDCap's project attributes of a study (what Followup does not have is 0 or blank)."""
    schedule = study.schedule
    plan = study.plan
    codes = plan.missing_codes if plan else {}
    info: dict[str, Any] = dict.fromkeys(_PROJECT_FIELDS, "")
    info |= {
        "project_id": study.pk,
        "project_title": study.name,
        "creation_time": study.created.strftime("%Y-%m-%d %H:%M:%S"),
        "in_production": 1,
        "project_language": "English",
        "purpose": 2,  # research
        "is_longitudinal": int(schedule.longitudinal),
        "has_repeating_instruments_or_events": int(schedule.has_repeats),
        "missing_data_codes": " | ".join(f"{code}, {label}" for code, label in codes.items()),
        "display_today_now_button": 1,
    }
    for flag in (
        "surveys_enabled",
        "scheduling_enabled",
        "record_autonumbering_enabled",
        "randomization_enabled",
        "ddp_enabled",
        "bypass_branching_erase_field_prompt",
    ):
        info[flag] = 0
    return info


def version(member: Membership, request: ApiRequest) -> HttpResponse:
    """The REDCap version whose API this is, as bare text."""
    return text_response(REDCAP_VERSION)


def no_import(what: str) -> ApiError:
    """The answer to an import of anything but records (the definition is changed on set-up)."""
    return ApiError(
        403,
        _(
            "Followup's API imports records only: %(what)s is changed by the data manager on the "
            "Study set-up page."
        )
        % {"what": what},
    )
