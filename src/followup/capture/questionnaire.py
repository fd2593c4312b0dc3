"""A REDCap form as a Django form: one form field per dictionary field, values kept as REDCap's.

Django parses the POST, renders the widgets and checks choices; ``followup.study`` then checks
types, ranges, required fields and the plan's rules, and its messages are shown beside Django's.
Every field is optional here: in REDCap a required field blocks only the status "Complete".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from followup.study import DataDictionary, Field
from followup.study.choices import checkbox_column


def _choices(field: Field) -> list[tuple[str, str]]:
    if field.field_type == "yesno":
        return [("1", "Yes"), ("0", "No")]
    if field.field_type == "truefalse":
        return [("1", "True"), ("0", "False")]
    return [(c.code, c.label) for c in field.choices]


def _form_field(field: Field) -> forms.Field:
    """The Django field and widget a dictionary field needs."""
    label = field.label
    if field.field_type in ("radio", "yesno", "truefalse"):
        return forms.ChoiceField(
            label=label, choices=_choices(field), widget=forms.RadioSelect, required=False
        )
    if field.field_type == "dropdown":
        return forms.ChoiceField(label=label, choices=[("", "—"), *_choices(field)], required=False)
    if field.field_type == "checkbox":
        return forms.MultipleChoiceField(
            label=label,
            choices=_choices(field),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
    if field.field_type == "notes":
        return forms.CharField(
            label=label, required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3})
        )
    kind = field.text_type.name if field.text_type else ""
    if kind.startswith("date_"):
        return forms.CharField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    attrs = {"inputmode": "decimal"} if kind in ("integer", "number") else {}
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs))


def form_fields(dictionary: DataDictionary, form: str) -> list[Field]:
    """The fields a person answers on this form (not the record ID, not descriptive text)."""
    return [
        f for f in dictionary.form_fields(form) if f.name != dictionary.record_id and f.holds_data
    ]


def questionnaire(
    dictionary: DataDictionary,
    form: str,
    values: Mapping[str, str],
    *,
    data: Any = None,
    readonly: bool = False,
) -> forms.Form:
    """The bound (``data``) or unbound form, its initial values the stored raw ones."""
    fields = {f.name: _form_field(f) for f in form_fields(dictionary, form)}
    initial: dict[str, Any] = {}
    for f in form_fields(dictionary, form):
        if f.field_type == "checkbox":
            initial[f.name] = [
                c for c, _ in _choices(f) if values.get(checkbox_column(f.name, c)) == "1"
            ]
        else:
            initial[f.name] = values.get(f.name, "")
    form_class = type("Questionnaire", (forms.Form,), fields)
    bound = form_class(data=data, initial=initial, auto_id="f-%s")
    for django_field in bound.fields.values():
        django_field.disabled = readonly
    return bound


def raw_values(dictionary: DataDictionary, form: str, bound: forms.Form) -> dict[str, str]:
    """The cleaned answers as REDCap stores them: checkbox options as 1/0 columns, text stripped."""
    cleaned = bound.cleaned_data
    values: dict[str, str] = {}
    for f in form_fields(dictionary, form):
        if f.field_type == "checkbox":
            ticked = set(cleaned.get(f.name) or [])
            for code, _ in _choices(f):
                values[checkbox_column(f.name, code)] = "1" if code in ticked else "0"
        elif f.field_type == "notes":
            values[f.name] = (cleaned.get(f.name) or "").replace("\r\n", "\n").strip()
        else:
            values[f.name] = (cleaned.get(f.name) or "").strip()
    return values
