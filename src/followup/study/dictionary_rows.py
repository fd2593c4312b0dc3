"""Reading one data-dictionary row into a field, noting each problem with its row and column.

The rules are REDCap's own upload checks (``MetaData::error_checking``), no stricter: what REDCap
refuses is an error; what REDCap fixes itself (an upper-case name, a stray identifier flag) is
fixed the same way and reported as a warning. A row with a problem still becomes a field, so that
whatever refers to it is not reported as well: each problem is reported once, at its cause.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from followup.study.action_tags import ActionTag, parse_action_tags
from followup.study.choices import TRUE_FALSE, YES_NO, Choice, parse_choices
from followup.study.errors import LogicError, Problem
from followup.study.logic import Logic, parse_logic
from followup.study.text_types import LEGACY, SPECIAL, TEXT_TYPES, TextType, read_limit

HEADER = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
# The same columns as REDCap's API and its clients name them (content=metadata).
API_HEADER = (
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "select_choices_or_calculations",
    "field_note",
    "text_validation_type_or_show_slider_number",
    "text_validation_min",
    "text_validation_max",
    "identifier",
    "branching_logic",
    "required_field",
    "custom_alignment",
    "question_number",
    "matrix_group_name",
    "matrix_ranking",
    "field_annotation",
)
FIELD_TYPES = (
    "text",
    "notes",
    "dropdown",
    "radio",
    "checkbox",
    "calc",
    "file",
    "descriptive",
    "slider",
    "yesno",
    "truefalse",
    "sql",
)
_TYPE_ALIASES = {"textarea": "notes", "select": "dropdown", "advcheckbox": "checkbox"}
CHOICE_TYPES = ("dropdown", "radio", "checkbox")
_NO_OPTIONS = ("notes", "file", "yesno", "truefalse", "descriptive")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ALIGNMENTS = ("", "RV", "LV", "LH", "RH")
# Project::$reserved_field_names (REDCap 15): names a field may not have.
RESERVED = frozenset(
    [
        "redcap_event_name",
        "redcap_csrf_token",
        "redcap_survey_timestamp",
        "redcap_survey_identifier",
        "redcap_survey_return_code",
        "redcap_data_access_group",
        "hidden_edit_flag",
        "instance",
        "redcap_repeat_instance",
        "redcap_repeat_instrument",
        "submit",
        "new",
        "return",
        "continue",
        "case",
        "switch",
        "class",
        "enum",
        "catch",
        "throw",
        "document",
        "super",
        "focus",
        "elements",
        "action",
        "event_id",
        "target",
        "field_label",
    ]
)
MAX_NAME = 100

F = TypeVar("F")


class RowReader:
    """The cells of one row (missing trailing cells are blank) and the list problems go to."""

    def __init__(self, number: int, cells: list[str], problems: list[Problem]) -> None:
        self.number = number
        self.cells = [c.strip() for c in cells] + [""] * (len(HEADER) - len(cells))
        self.problems = problems

    def cell(self, index: int) -> str:
        """The stripped text of a column (by its index in HEADER)."""
        return self.cells[index]

    def problem(self, index: int, message: str) -> None:
        """Note an error in this row's column ``index``."""
        self.problems.append(Problem(self.number, HEADER[index], message))

    def warning(self, index: int, message: str) -> None:
        """Note what REDCap would fix itself, and how it was fixed."""
        self.problems.append(Problem(self.number, HEADER[index], message, "warning"))

    def field(self, make: Callable[..., F]) -> F | None:
        """The row as a field built by ``make`` (the Field class); None only without a name."""
        name = self._field_name()
        if not name:
            return None
        form = self._form_name()
        field_type = self._type()
        label = self.cell(4)
        if not label and field_type != "descriptive":
            self.warning(4, f"field '{name}' has no label")
        choices, calculation = self._choices_or_calculation(field_type)
        validation, text_type = self._validation(field_type)
        minimum, maximum = (
            self._limit(8, field_type, text_type),
            self._limit(9, field_type, text_type),
        )
        identifier, required = self._flag(10, "identifier"), self._flag(12, "required")
        if required and field_type == "descriptive":
            self.warning(12, "a descriptive field cannot be required; the flag is ignored")
            required = False
        branching = self._logic(11)
        alignment = self.cell(13)
        if alignment not in _ALIGNMENTS:
            self.warning(13, f"'{alignment}' is not one of RV, LV, LH, RH; the default is used")
            alignment = ""
        matrix = self._matrix(field_type)
        tags = self._action_tags()
        values: dict[str, Any] = dict(
            name=name,
            form=form,
            field_type=field_type,
            label=label,
            section_header=self.cell(2),
            note=self.cell(6),
            choices=choices,
            text_type=text_type,
            validation=validation,
            minimum=minimum,
            maximum=maximum,
            identifier=identifier,
            branching=branching,
            required=required,
            calculation=calculation,
            annotation=self.cell(17),
            action_tags=tags,
            alignment=alignment,
            matrix_group=matrix,
            options_text=self.cell(5),
            row=self.number,
        )
        return make(**values)

    def _field_name(self) -> str:
        value = self.cell(0)
        if not value:
            self.problem(0, "the field name is missing")
            return ""
        name = _fixed_name(value)
        if name != value:
            self.warning(
                0, f"field name '{value}' becomes '{name}' (lower-case letters, digits, _)"
            )
        if not name or not name[0].isalpha():
            self.problem(0, f"field name '{value}' must start with a letter")
        elif name.endswith("_"):
            self.problem(0, f"field name '{name}' must not end with _")
        elif "___" in name:
            self.problem(0, f"field name '{name}': ___ is kept for checkbox export columns")
        elif len(name) > MAX_NAME:
            self.problem(0, f"field name '{name}' is longer than {MAX_NAME} characters")
        elif name in RESERVED:
            self.problem(0, f"'{name}' is a name REDCap keeps for itself")
        return name or value

    def _form_name(self) -> str:
        value = self.cell(1)
        if not value:
            self.problem(1, "the form name is missing")
            return ""
        name = _fixed_name(value).strip("_").lstrip("0123456789_")
        if not name:
            self.problem(1, f"form name '{value}' has no letters")
            return value
        if name != value:
            self.warning(1, f"form name '{value}' becomes '{name}' (lower-case letters, digits, _)")
        if len(name) > 64:
            self.problem(1, f"form name '{name}' is longer than 64 characters")
        return name

    def _type(self) -> str:
        value = self.cell(3).lower()
        value = _TYPE_ALIASES.get(value, value)
        if value not in FIELD_TYPES:
            shown = self.cell(3) or "(blank)"
            self.problem(3, f"'{shown}' is not a field type; use one of {', '.join(FIELD_TYPES)}")
            return "text"
        return value

    def _choices_or_calculation(self, field_type: str) -> tuple[tuple[Choice, ...], Logic | None]:
        text = self.cell(5)
        if field_type == "sql":
            if not text:
                self.problem(5, "an sql field needs its query")
            return (), None
        if field_type in CHOICE_TYPES:
            if not text:  # REDCap's upload refuses it; its own projects can still hold one
                self.warning(5, f"a {field_type} field without choices can hold no answer")
                return (), None
            choices, problems = parse_choices(text)
            for message in problems:
                self.problem(5, message)
            return choices, None
        if field_type == "calc":
            if not without_comment_lines(text):
                self.problem(5, "a calc field needs its calculation")
                return (), None
            return (), self._logic(5)
        if field_type in ("yesno", "truefalse"):
            return (YES_NO if field_type == "yesno" else TRUE_FALSE), None
        return (), None  # a slider's labels, a text field's ontology: kept as options_text

    def _validation(self, field_type: str) -> tuple[str, TextType | None]:
        value = self.cell(7)
        if not value:
            return "", None
        lowered = LEGACY.get(value.lower(), value.lower())
        if lowered != value:
            self.warning(7, f"validation type '{value}' is read as '{lowered}'")
        if field_type == "slider":
            if lowered != "number":
                self.warning(7, f"a slider shows its number with 'number', not '{value}'")
            return lowered, None
        if lowered in SPECIAL:
            if field_type not in SPECIAL[lowered]:
                self.problem(7, f"'{lowered}' applies to {' or '.join(SPECIAL[lowered])} fields")
            return lowered, None
        if field_type != "text":
            self.problem(7, f"a validation type applies to text fields, not to {field_type}")
            return lowered, None
        if lowered not in TEXT_TYPES:
            self.problem(7, f"'{value}' is not a REDCap validation type (e.g. date_ymd, integer)")
            return lowered, None
        return lowered, TEXT_TYPES[lowered]

    def _limit(self, index: int, field_type: str, text_type: TextType | None) -> str:
        value = self.cell(index)
        if not value:
            return ""
        if field_type == "slider":
            if not re.fullmatch(r"-?[0-9]+", value):
                self.problem(
                    index, f"a slider's minimum and maximum are whole numbers, not '{value}'"
                )
            return value
        if value.lower() in ("today", "now") or re.fullmatch(r"(\[[^\]]+\])+", value):
            return value
        if text_type is None or not text_type.ordered:
            if field_type == "text" and not self.cell(7):
                self.problem(index, "a minimum or maximum needs a validation type")
            return value
        if read_limit(value, text_type) is None:
            self.problem(index, f"'{value}' is not {text_type.expects}")
        return value

    def _flag(self, index: int, what: str) -> bool:
        value = self.cell(index).lower()
        if value not in ("", "y"):
            self.warning(index, f"{what} '{self.cell(index)}' should be y or blank; read as blank")
        return value == "y"

    def _matrix(self, field_type: str) -> str:
        value = self.cell(15)
        if not value:
            return ""
        if len(value) > 60:
            self.problem(15, f"matrix group name '{value}' is longer than 60 characters")
        if field_type not in ("radio", "checkbox"):
            self.problem(15, f"only radio and checkbox fields can be in a matrix, not {field_type}")
        fixed = _fixed_name(value)
        if fixed != value:
            self.warning(15, f"matrix group '{value}' becomes '{fixed}'")
        return fixed

    def _action_tags(self) -> tuple[ActionTag, ...]:
        tags, problems = parse_action_tags(self.cell(17))
        for message in problems:
            self.warning(17, message)
        return tags

    def _logic(self, index: int) -> Logic:
        try:
            return parse_logic(self.cell(index))
        except LogicError as error:
            self.problem(index, f"{error.reason} at character {error.position}")
            return parse_logic("")


def without_comment_lines(text: str) -> str:
    """The text of an expression without its comment lines (blank if only comments)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("#", "//"))]
    return "\n".join(lines).strip()


def _fixed_name(value: str) -> str:
    """A name as REDCap fixes it: lower case, spaces to _, other characters dropped."""
    lowered = value.lower().replace(" ", "_")
    return re.sub(r"[^a-z0-9_]", "", lowered)
