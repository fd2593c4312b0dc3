"""Reading one data-dictionary row into a field, noting each problem with its row and column."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from followup.study.choices import TRUE_FALSE, YES_NO, Choice, parse_choices
from followup.study.errors import LogicError, Problem
from followup.study.logic import Logic, parse_logic
from followup.study.text_types import TEXT_TYPES, TextType

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
CHOICE_TYPES = ("dropdown", "radio", "checkbox")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ALIGNMENTS = ("", "RV", "LV", "LH", "RH")

F = TypeVar("F")


class RowReader:
    """The cells of one row (missing trailing cells are blank) and the list problems go to."""

    def __init__(self, number: int, cells: list[str], problems: list[Problem]) -> None:
        self.number = number
        self.cells = [c.strip() for c in cells] + [""] * (len(HEADER) - len(cells))
        self.problems = problems
        self.ok = True

    def cell(self, index: int) -> str:
        """The stripped text of a column (by its index in HEADER)."""
        return self.cells[index]

    def problem(self, index: int, message: str) -> None:
        """Note a problem in this row's column ``index``; the row yields no field."""
        self.problems.append(Problem(self.number, HEADER[index], message))
        self.ok = False

    def field(self, make: Callable[..., F]) -> F | None:
        """The row as a field built by ``make`` (the Field class), or None if it has problems."""
        name, form, field_type = self._name(0, "field"), self._name(1, "form"), self._type()
        label = self.cell(4)
        if not label and field_type not in ("descriptive", ""):
            self.problem(4, f"field '{name}' needs a label")
        choices, calculation = self._choices_or_calculation(field_type)
        text_type = self._text_type(field_type)
        minimum, maximum = self._limit(8, text_type), self._limit(9, text_type)
        identifier, required = self._flag(10), self._flag(12)
        branching = self._logic(11)
        if self.cell(13) not in _ALIGNMENTS:
            self.problem(13, f"'{self.cell(13)}' is not one of RV, LV, LH, RH (or blank)")
        if self.cell(15) and not _NAME.match(self.cell(15)):
            self.problem(
                15, f"matrix group '{self.cell(15)}' must be lower-case letters, digits, _"
            )
        if not self.ok:
            return None
        values: dict[str, Any] = dict(
            name=name,
            form=form,
            field_type=field_type,
            label=label,
            section_header=self.cell(2),
            note=self.cell(6),
            choices=choices,
            text_type=text_type,
            minimum=minimum,
            maximum=maximum,
            identifier=identifier,
            branching=branching,
            required=required,
            calculation=calculation,
            annotation=self.cell(17),
            row=self.number,
        )
        return make(**values)

    def _name(self, index: int, what: str) -> str:
        value = self.cell(index)
        if not value:
            self.problem(index, f"the {what} name is missing")
        elif not _NAME.match(value):
            self.problem(
                index,
                f"{what} name '{value}' must start with a lower-case letter and contain "
                "only lower-case letters, digits and _",
            )
        elif what == "field" and value.startswith("redcap_"):
            self.problem(index, f"'{value}': names starting with redcap_ are REDCap's own")
        return value

    def _type(self) -> str:
        value = self.cell(3)
        if value not in FIELD_TYPES:
            self.problem(3, f"'{value}' is not a field type; use one of {', '.join(FIELD_TYPES)}")
        return value

    def _choices_or_calculation(self, field_type: str) -> tuple[tuple[Choice, ...], Logic | None]:
        text = self.cell(5)
        if field_type in CHOICE_TYPES:
            choices, problems = parse_choices(text)
            for message in problems:
                self.problem(5, message)
            return choices, None
        if field_type == "calc":
            if not text:
                self.problem(5, "a calc field needs its calculation")
            return (), self._logic(5) if text else None
        if field_type in ("yesno", "truefalse"):
            return (YES_NO if field_type == "yesno" else TRUE_FALSE), None
        if text and field_type not in ("slider", "sql"):
            self.problem(5, f"a {field_type} field takes no choices or calculation")
        return (), None

    def _text_type(self, field_type: str) -> TextType | None:
        value = self.cell(7)
        if not value or (field_type == "slider" and value == "number"):
            return None
        if field_type != "text":
            self.problem(7, f"a validation type applies to text fields, not to {field_type}")
            return None
        if value not in TEXT_TYPES:
            self.problem(7, f"'{value}' is not a REDCap validation type (e.g. date_ymd, integer)")
            return None
        return TEXT_TYPES[value]

    def _limit(self, index: int, text_type: TextType | None) -> str:
        value = self.cell(index)
        if not value:
            return ""
        if text_type is None or not text_type.ordered:
            self.problem(index, "a minimum or maximum needs a date, time or number validation type")
        elif value.lower() not in ("today", "now") and text_type.read(value) is None:
            self.problem(index, f"'{value}' is not {text_type.expects}")
        return value

    def _flag(self, index: int) -> bool:
        value = self.cell(index).lower()
        if value not in ("", "y"):
            self.problem(index, f"'{self.cell(index)}' should be y or blank")
        return value == "y"

    def _logic(self, index: int) -> Logic:
        try:
            return parse_logic(self.cell(index))
        except LogicError as error:
            self.problem(index, f"{error.reason} at character {error.position}")
            return parse_logic("")
