"""Which dictionary column each header of an export is, for raw and for label headers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from followup.study import DataDictionary, Field, Problem
from followup.study.choices import checkbox_column
from followup.study.values import FORM_STATUS

_SYSTEM = "redcap_data_access_group"
_UNSUPPORTED = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance")
_LABEL_SYSTEM = {"Data Access Group": _SYSTEM}


@dataclass(frozen=True)
class ColumnMap:
    """Headers in file order, the export column each stands for, and how to read its cells."""

    dictionary: DataDictionary
    header: list[str]
    column_of: dict[str, str]
    owner: dict[str, Field]
    statuses: set[str]
    labels: bool  # a label export: choice cells hold labels, checkboxes Checked/Unchecked
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def raw_of(self, column: str, cell: str) -> str:
        """The raw code for a cell (a label export's labels become codes; unknown stay as is)."""
        if not self.labels or not cell.strip():
            return cell
        return self._codes.get(column, {}).get(cell.strip(), cell)


def map_columns(
    header: list[str], rows: list[list[str]], dictionary: DataDictionary, problems: list[Problem]
) -> ColumnMap:
    """Match headers to columns; unknown, repeated or unsupported headers become problems.

    A label export is recognised by its headers (field labels) or, with raw headers, by choice
    cells that hold a label and not a code.
    """
    raw_names = _raw_headers(dictionary)
    label_names = _label_headers(dictionary)
    by_label = header[0] not in raw_names and header[0] in label_names
    names = label_names if by_label else raw_names
    column_of: dict[str, str] = {}
    for index, name in enumerate(header, start=1):
        if name in _UNSUPPORTED:
            problems.append(
                Problem(
                    1,
                    name,
                    "longitudinal or repeating exports are not supported; "
                    "export a flat, non-repeating project",
                )
            )
        elif name not in names:
            problems.append(Problem(1, name or f"column {index}", _unknown(name, dictionary)))
        elif name in column_of:
            problems.append(Problem(1, name, "appears twice in the header"))
        else:
            column_of[name] = names[name]
    if header and column_of.get(header[0]) != dictionary.record_id:
        problems.append(
            Problem(
                1, header[0], f"the first column must be the record ID '{dictionary.record_id}'"
            )
        )
    owner = dictionary.column_owner()
    statuses = {f"{form}_complete" for form in dictionary.forms}
    codes = _label_codes(dictionary)
    labels = by_label or _holds_labels(header, rows, column_of, codes)
    return ColumnMap(dictionary, header, column_of, owner, statuses, labels, codes)


def _holds_labels(
    header: list[str],
    rows: list[list[str]],
    column_of: dict[str, str],
    codes: dict[str, dict[str, str]],
) -> bool:
    """Whether any choice cell is a label and not a code."""
    for index, name in enumerate(header):
        translation = codes.get(column_of.get(name, ""))
        if not translation:
            continue
        raw_codes = set(translation.values())
        for cells in rows:
            cell = cells[index].strip() if index < len(cells) else ""
            if cell and cell not in raw_codes and cell in translation:
                return True
    return False


def _raw_headers(dictionary: DataDictionary) -> dict[str, str]:
    names = {c: c for c in dictionary.export_columns()}
    names[_SYSTEM] = _SYSTEM
    return names


def _label_headers(dictionary: DataDictionary) -> dict[str, str]:
    names: dict[str, str] = dict(_LABEL_SYSTEM)
    for f in dictionary:
        label = _plain(f.label)
        if f.field_type == "checkbox":
            for choice in f.choices:
                names[f"{label} (choice={_plain(choice.label)})"] = checkbox_column(
                    f.name, choice.code
                )
        elif f.holds_data:
            names.setdefault(label, f.name)
    return names


def _label_codes(dictionary: DataDictionary) -> dict[str, dict[str, str]]:
    codes: dict[str, dict[str, str]] = {}
    for f in dictionary:
        if f.field_type == "checkbox":
            for choice in f.choices:
                codes[checkbox_column(f.name, choice.code)] = {"Checked": "1", "Unchecked": "0"}
        elif f.choices:
            codes[f.name] = {_plain(c.label): c.code for c in f.choices}
    status = {label: code for code, label in FORM_STATUS.items()}
    for form in dictionary.forms:
        codes[f"{form}_complete"] = status
    return codes


def _plain(label: str) -> str:
    """A label as REDCap writes it in a label export: HTML tags removed."""
    return re.sub(r"<[^>]+>", "", label).strip()


def _unknown(name: str, dictionary: DataDictionary) -> str:
    base = name.split("___")[0]
    if "___" in name and base in dictionary:
        field = dictionary.field(base)
        if field.field_type == "checkbox":
            codes = ", ".join(c.code for c in field.choices)
            return f"'{name}' is not an option of checkbox '{base}' (codes: {codes})"
    return f"'{name}' is not a field of the data dictionary {dictionary.source}"
