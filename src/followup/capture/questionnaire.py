"""A REDCap form as a Django form: one form field per dictionary field, values kept as REDCap's.

Django parses the POST, renders the widgets and checks choices; ``followup.study`` then checks
types, ranges, required fields and the plan's rules, and its messages are shown beside Django's.
Every field is optional here: in REDCap a required field blocks only the status "Complete".
Dates are typed and shown as YYYY-MM-DD whatever the browser's locale (a text box, not the
browser's date picker, whose format follows the computer's language). Where the study has
missing-data codes, each field but checkboxes and ``@NOMISSING`` fields has a chooser beside it
whose code is stored as the field's value, as REDCap stores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followup.capture.form_tags import Behaviour
from followup.capture.models import Study
from followup.capture.translations import choices, field_label
from followup.study import DataDictionary, Field
from followup.study.choices import checkbox_column
from followup.study.values import slider_range

MAX_TEXT = 10_000  # characters in a one-line answer
MAX_NOTES = 65_535  # in a notes field: REDCap's limit of one value
_DATE_PATTERN = {
    "date": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD", 10),
    "datetime": (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "YYYY-MM-DD HH:MM", 16),
    "datetime_seconds": (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "YYYY-MM-DD HH:MM:SS", 19),
}


_TIME_PATTERN = {
    "time": (r"\d{1,2}:\d{2}", "HH:MM"),
    "time_hh_mm_ss": (r"\d{1,2}:\d{2}:\d{2}", "HH:MM:SS"),
    "time_mm_ss": (r"\d{2}:\d{2}", "MM:SS"),
}


def date_kind(field: Field) -> str | None:
    """Which date format a field is typed in (None: not a date)."""
    kind = field.text_type.name if field.text_type else ""
    if kind.startswith("datetime_seconds"):
        return "datetime_seconds"
    if kind.startswith("datetime"):
        return "datetime"
    if kind.startswith("date"):
        return "date"
    return None


def _form_field(
    study: Study, field: Field, language: str, how: Behaviour, stored: Mapping[str, str]
) -> forms.Field:
    """The Django field and widget a dictionary field needs (its action tags applied)."""
    made = _widget_field(study, field, language, how, stored)
    attrs = made.widget.attrs
    if how.placeholder:
        attrs["placeholder"] = how.placeholder
    if how.char_limit is not None and isinstance(made, forms.CharField):
        attrs["maxlength"] = str(how.char_limit)
    if how.computed:
        attrs["readonly"] = "readonly"
    return made


def _widget_field(
    study: Study, field: Field, language: str, how: Behaviour, stored: Mapping[str, str]
) -> forms.Field:
    label = field_label(study, field, language)
    options = [
        (code, text)
        for code, text in choices(study, field, language)
        if how.shown_choice(code, _is_answer(field, code, stored))
    ]
    if field.field_type in ("radio", "yesno", "truefalse"):
        return forms.ChoiceField(
            label=label, choices=options, widget=forms.RadioSelect, required=False
        )
    if field.field_type == "dropdown":
        return forms.ChoiceField(label=label, choices=[("", "—"), *options], required=False)
    if field.field_type == "checkbox":
        return forms.MultipleChoiceField(
            label=label, choices=options, required=False, widget=forms.CheckboxSelectMultiple
        )
    if field.field_type == "slider":  # a number box the page's slider moves (works without it)
        low, high = slider_range(field)
        attrs = {"min": str(low), "max": str(high), "step": "1", "class": "slider-number"}
        return forms.CharField(
            label=label, required=False, max_length=12, widget=forms.NumberInput(attrs=attrs)
        )
    if field.field_type == "file":  # an upload (a signature too): kept outside the database
        return forms.FileField(label=label, required=False, allow_empty_file=False)
    if field.field_type == "notes":
        return forms.CharField(
            label=label,
            required=False,
            strip=False,
            max_length=MAX_NOTES,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
    date = date_kind(field)
    if date is not None:
        pattern, placeholder, length = _DATE_PATTERN[date]
        attrs = {
            "pattern": pattern,
            "placeholder": placeholder,
            "maxlength": str(length),
            "inputmode": "numeric",
            "autocomplete": "off",
            "class": "date",
        }
        return forms.CharField(
            label=label, required=False, max_length=MAX_TEXT, widget=forms.TextInput(attrs=attrs)
        )
    kind = field.text_type.name if field.text_type else ""
    attrs = {"inputmode": "decimal"} if kind == "integer" or kind.startswith("number") else {}
    if kind in _TIME_PATTERN:  # a time typed as REDCap stores it, whatever the locale
        pattern, placeholder = _TIME_PATTERN[kind]
        attrs = {"pattern": pattern, "placeholder": placeholder, "inputmode": "numeric"}
    if kind == "email":
        attrs = {"inputmode": "email", "autocomplete": "off"}
    return forms.CharField(
        label=label, required=False, max_length=MAX_TEXT, widget=forms.TextInput(attrs=attrs)
    )


def _is_answer(field: Field, code: str, stored: Mapping[str, str]) -> bool:
    if field.field_type == "checkbox":
        return stored.get(checkbox_column(field.name, code)) == "1"
    return stored.get(field.name) == code


def form_fields(dictionary: DataDictionary, form: str) -> list[Field]:
    """The fields a person answers on this form (not the record ID, not descriptive text)."""
    return [
        f for f in dictionary.form_fields(form) if f.name != dictionary.record_id and f.holds_data
    ]


def form_columns(study: Study, form: str) -> set[str]:
    """The export columns a save of this form may write (its fields' columns, nothing else)."""
    return {c for f in form_fields(study.dictionary, form) for c in f.export_columns}


def takes_missing_code(study: Study, field: Field) -> bool:
    """Whether the field offers the study's missing-data codes."""
    plan = study.plan
    return bool(
        plan
        and plan.missing_codes
        and field.field_type != "checkbox"
        and "@NOMISSING" not in field.annotation.upper()
    )


class _Questionnaire(forms.Form):
    """A field's value and a missing-data code are one answer: not both."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in list(self.fields):
            if name.endswith("__missing") and cleaned.get(name):
                value = cleaned.get(name.removesuffix("__missing"))
                if value not in (None, "", []):
                    self.add_error(
                        name,
                        _("Give a value or a missing-data code, not both."),
                    )
        return cleaned


def questionnaire(
    study: Study,
    form: str,
    values: Mapping[str, str],
    *,
    data: Any = None,
    files: Any = None,
    readonly: bool = False,
    language: str = "en",
    behaviours: Mapping[str, Behaviour] | None = None,
) -> forms.Form:
    """The bound (``data``) or unbound form, its initial values the stored raw ones.

    A read-only or computed field is disabled: what is posted for it is ignored, its value is
    the one given here (Django keeps a disabled field's initial value).
    """
    plan = study.plan
    codes = dict(plan.missing_codes) if plan else {}
    fields: dict[str, forms.Field] = {}
    initial: dict[str, Any] = {}
    locked: set[str] = set()
    for f in form_fields(study.dictionary, form):
        how = (behaviours or {}).get(f.name, Behaviour())
        fields[f.name] = _form_field(study, f, language, how, values)
        if how.readonly or how.computed:
            locked.add(f.name)
        if f.field_type == "file" and values.get(f.name):
            fields[f"{f.name}__clear"] = forms.BooleanField(
                label=gettext_lazy("Remove the file"), required=False
            )
        stored = values.get(f.name, "")
        if f.field_type == "checkbox":
            initial[f.name] = [
                c
                for c, _label in choices(study, f, language)
                if values.get(checkbox_column(f.name, c)) == "1"
            ]
        else:
            initial[f.name] = None if f.field_type == "file" else "" if stored in codes else stored
        if takes_missing_code(study, f):
            fields[f"{f.name}__missing"] = forms.ChoiceField(
                label=gettext_lazy("Missing data code"),
                choices=[("", "—"), *((c, f"{c} — {label}") for c, label in codes.items())],
                required=False,
            )
            initial[f"{f.name}__missing"] = stored if stored in codes else ""
    form_class = type("Questionnaire", (_Questionnaire,), fields)
    bound = form_class(data=data, files=files, initial=initial, auto_id="f-%s")
    for name, django_field in bound.fields.items():
        django_field.disabled = readonly or name.removesuffix("__missing") in locked
    return bound


def uploads(study: Study, form: str, bound: forms.Form) -> dict[str, Any]:
    """The files uploaded into the form's file fields, by field name."""
    return {
        f.name: bound.cleaned_data[f.name]
        for f in form_fields(study.dictionary, form)
        if f.field_type == "file" and isinstance(bound.cleaned_data.get(f.name), UploadedFile)
    }


def raw_values(study: Study, form: str, bound: forms.Form) -> dict[str, str]:
    """The cleaned answers as REDCap stores them.

    Checkbox options become 1/0 columns, text is stripped, a missing-data code replaces a value.
    """
    cleaned = bound.cleaned_data
    values: dict[str, str] = {}
    for f in form_fields(study.dictionary, form):
        if f.field_type == "file":  # REDCap's value for a field holding a file
            if isinstance(cleaned.get(f.name), UploadedFile):
                values[f.name] = "[document]"
            elif cleaned.get(f"{f.name}__clear"):
                values[f.name] = ""
            continue
        if f.field_type == "checkbox":
            ticked = set(cleaned.get(f.name) or [])
            for code in (c.code for c in f.choices):
                values[checkbox_column(f.name, code)] = "1" if code in ticked else "0"
            continue
        code = cleaned.get(f"{f.name}__missing") or ""
        if f.field_type == "notes":
            text = (cleaned.get(f.name) or "").replace("\r\n", "\n").strip()
        else:
            text = (cleaned.get(f.name) or "").strip()
        values[f.name] = code or text
    return values
