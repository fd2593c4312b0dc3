"""Checks across the rows of a data dictionary: the record ID, names, forms, matrices, references.

Each is REDCap's upload rule; each problem is noted once, in the row that causes it. Rows that
have problems of their own are still fields here, so nothing that refers to them is reported.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import TYPE_CHECKING

from followup.study.dictionary_rows import HEADER
from followup.study.errors import Problem
from followup.study.smart_variables import NOT_COMPUTED

if TYPE_CHECKING:
    from followup.study.dictionary import Field


def check_structure(
    fields: list[Field], problems: list[Problem], *, record_id_row: bool = True
) -> list[Field]:
    """Note every problem across rows; the fields, the first forced to text as REDCap does."""
    if not fields:
        problems.append(Problem(2, None, "the dictionary has no fields"))
        return fields
    first = fields[0]
    if record_id_row and first.field_type != "text":
        problems.append(
            Problem(
                first.row,
                HEADER[3],
                f"the first field '{first.name}' is the record ID; REDCap makes it a text field",
                "warning",
            )
        )
        fields = [dataclasses.replace(first, field_type="text", choices=()), *fields[1:]]
    _check_names(fields, problems)
    _check_forms(fields, problems)
    _check_matrices(fields, problems)
    _check_references(fields, problems)
    _list_once(fields, problems)
    return fields


def _check_names(fields: list[Field], problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    forms = {f.form for f in fields}
    kept = {f"{form}{suffix}": suffix for form in forms for suffix in _FORM_SUFFIXES}
    for field in fields:
        if field.name in seen:
            problems.append(
                Problem(
                    field.row,
                    HEADER[0],
                    f"'{field.name}' is already defined in row {seen[field.name]}",
                )
            )
        seen.setdefault(field.name, field.row)
        if field.name in kept:
            form = field.name[: -len(kept[field.name])]
            problems.append(
                Problem(
                    field.row,
                    HEADER[0],
                    f"'{field.name}' is REDCap's own column of form '{form}'; choose another name",
                )
            )


_FORM_SUFFIXES = ("_complete", "_timestamp", "_return_code")


def _check_forms(fields: list[Field], problems: list[Problem]) -> None:
    finished: set[str] = set()
    previous = fields[0].form
    for field in fields:
        if field.form != previous:
            finished.add(previous)
            if field.form in finished:
                problems.append(
                    Problem(
                        field.row,
                        HEADER[1],
                        f"rows of form '{field.form}' must be together; "
                        "it appeared before and another form came between",
                    )
                )
            previous = field.form


def _check_matrices(fields: list[Field], problems: list[Problem]) -> None:
    first_of: dict[str, Field] = {}
    previous = ""
    for field in fields:
        group = field.matrix_group
        if group and group in first_of and previous != group:
            problems.append(
                Problem(field.row, HEADER[15], f"rows of matrix '{group}' must be together")
            )
        elif group and group in first_of and field.choices != first_of[group].choices:
            problems.append(
                Problem(
                    field.row,
                    HEADER[5],
                    f"fields of matrix '{group}' must have the same choices as row "
                    f"{first_of[group].row}",
                )
            )
        if group:
            first_of.setdefault(group, field)
        previous = group


def _check_references(fields: list[Field], problems: list[Problem]) -> None:
    by_name = {f.name: f for f in fields}
    statuses = {f"{f.form}_complete" for f in fields}
    for field in fields:
        for column, logic in field.expressions():
            for reference in logic.references:
                target = by_name.get(reference.field)
                if target is None:
                    if reference.field in statuses and reference.code is None:
                        continue
                    problems.append(
                        Problem(
                            field.row,
                            column,
                            f"refers to [{reference.field}] at character "
                            f"{reference.position}, which is not a field",
                        )
                    )
                elif reference.code is not None and (
                    target.field_type != "checkbox" or target.label_of(reference.code) is None
                ):
                    problems.append(
                        Problem(
                            field.row,
                            column,
                            f"[{reference.field}({reference.code})] at character "
                            f"{reference.position}: '{reference.field}' has no checkbox option "
                            f"'{reference.code}'; it reads as unchecked",
                            "warning",
                        )
                    )


def _list_once(fields: list[Field], problems: list[Problem]) -> None:
    """Unknown action tags and smart variables Followup leaves blank: one warning each."""
    unknown: dict[str, list[int]] = defaultdict(list)
    blank: dict[str, list[int]] = defaultdict(list)
    for field in fields:
        for tag in _all_tags(field):
            if not tag.known:
                unknown[tag.name].append(field.row)
        for _, logic in field.expressions():
            for name in logic.smart_variables:
                if name in NOT_COMPUTED:
                    blank[f"[{name}]"].append(field.row)
    for name, rows in unknown.items():
        problems.append(
            Problem(
                rows[0],
                HEADER[17],
                f"{name} is not an action tag REDCap documents; it is kept and ignored "
                f"(rows {_rows(rows)})",
                "warning",
            )
        )
    for name, rows in blank.items():
        problems.append(
            Problem(
                rows[0],
                None,
                f"{name} summarises all records; Followup does not compute it and reads it "
                f"as blank (rows {_rows(rows)})",
                "warning",
            )
        )


def _all_tags(field: Field) -> list:  # type: ignore[type-arg]
    found, pending = [], list(field.action_tags)
    while pending:
        tag = pending.pop()
        found.append(tag)
        pending.extend(tag.then + tag.otherwise)
    return found


def _rows(rows: list[int]) -> str:
    unique = list(dict.fromkeys(rows))
    shown = ", ".join(str(r) for r in unique[:10])
    return shown + (f" and {len(unique) - 10} more" if len(unique) > 10 else "")
