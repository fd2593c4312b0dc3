"""Which dictionary column each header of an export is, for raw and for label headers."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from followup.io.labels import STATUS_HEADER, plain_label
from followup.study import DataDictionary, Field, Problem
from followup.study.choices import checkbox_column
from followup.study.values import FORM_STATUS

_SYSTEM = "redcap_data_access_group"
# Columns REDCap adds to an export: which row a line is (event, repeating form, instance), its
# hospital, and the survey's identifier; <form>_timestamp columns are added per survey form.
ROW_COLUMNS = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    _SYSTEM,
    "redcap_survey_identifier",
)
_LABEL_SYSTEM = {
    "Data Access Group": _SYSTEM,
    "Event Name": "redcap_event_name",
    "Repeat Instrument": "redcap_repeat_instrument",
    "Repeat Instance": "redcap_repeat_instance",
    "Survey Identifier": "redcap_survey_identifier",
}


@dataclass(frozen=True)
class ColumnMap:
    """Headers in file order, the export column each stands for, and how to read its cells."""

    dictionary: DataDictionary
    header: list[str]
    columns: list[str]  # the export column of each header, by position
    owner: dict[str, Field]
    statuses: set[str]
    labels: bool  # a label export: choice cells hold labels, checkboxes Checked/Unchecked
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def raw_of(self, column: str, cell: str) -> str:
        """The raw code for a cell (a label export's labels become codes; unknown stay as is)."""
        if not self.labels or not cell.strip():
            return cell
        return self._codes.get(column, {}).get(cell.strip(), cell)

    def has(self, column: str) -> bool:
        """Whether the file has that column."""
        return column in self.columns


def map_columns(
    header: list[str],
    rows: list[list[str]],
    dictionary: DataDictionary,
    problems: list[Problem],
    missing_codes: Collection[str] = (),
) -> ColumnMap:
    """Match headers to columns; unknown or repeated headers become problems.

    A label export is recognised by its headers (field labels) or, with raw headers, by choice
    cells that hold a label and not a code.
    """
    raw_names = _raw_headers(dictionary, missing_codes)
    label_names = _label_headers(dictionary)
    by_label = header[0] not in raw_names and header[0] in label_names
    names = label_names if by_label else raw_names
    columns: list[str] = []
    for index, name in enumerate(header, start=1):
        if by_label and name == "Survey Timestamp":
            name = _next_timestamp(header, index, dictionary, names)
        elif by_label and name == STATUS_HEADER:
            name = _status_before(columns, dictionary) or name
        column = names.get(name)
        if by_label and column in columns:
            column = _same_label_after(name, columns, dictionary) or column
        if column is None:
            problems.append(Problem(1, name or f"column {index}", _unknown(name, dictionary)))
        elif column in columns:
            problems.append(Problem(1, name, "appears twice in the header"))
        columns.append(column or "")
    if header and columns[0] != dictionary.record_id:
        problems.append(
            Problem(
                1, header[0], f"the first column must be the record ID '{dictionary.record_id}'"
            )
        )
    owner = dictionary.column_owner()
    statuses = {f"{form}_complete" for form in dictionary.forms}
    codes = _label_codes(dictionary)
    labels = by_label or _holds_labels(rows, columns, codes)
    return ColumnMap(dictionary, header, columns, owner, statuses, labels, codes)


def _holds_labels(
    rows: list[list[str]], columns: list[str], codes: dict[str, dict[str, str]]
) -> bool:
    """Whether any choice cell is a label and not a code."""
    for index, column in enumerate(columns):
        translation = codes.get(column)
        if not translation:
            continue
        raw_codes = set(translation.values())
        for cells in rows:
            cell = cells[index].strip() if index < len(cells) else ""
            if cell and cell not in raw_codes and cell in translation:
                return True
    return False


def _raw_headers(dictionary: DataDictionary, missing_codes: Collection[str] = ()) -> dict[str, str]:
    names = {c: c for c in dictionary.export_columns()}
    names |= {c: c for c in ROW_COLUMNS}
    names |= {f"{form}_timestamp": f"{form}_timestamp" for form in dictionary.forms}
    for f in dictionary:
        if f.field_type == "checkbox":  # a missing-data code on a checkbox: its own column
            names |= {(c := checkbox_column(f.name, code)): c for code in missing_codes}
    return names


def _next_timestamp(
    header: list[str], index: int, dictionary: DataDictionary, names: dict[str, str]
) -> str:
    """A label export's "Survey Timestamp": the timestamp of the form whose fields follow it."""
    for later in header[index:]:
        column = names.get(later)
        owner = dictionary.column_owner().get(column or "")
        if owner is not None:
            return f"{owner.form}_timestamp"
    return "Survey Timestamp"


def _status_before(columns: list[str], dictionary: DataDictionary) -> str | None:
    """A label export's "Complete?": the status of the form whose fields come before it.

    Right after another form's status, it is the next form's (a form with no data fields).
    """
    owner = dictionary.column_owner()
    forms = list(dictionary.forms)
    for column in reversed(columns):
        if column.endswith("_complete") and column[: -len("_complete")] in forms:
            after = forms.index(column[: -len("_complete")]) + 1
            return f"{forms[after]}_complete" if after < len(forms) else None
        field = owner.get(column)
        if field is not None:
            return f"{field.form}_complete"
    return None


def _same_label_after(label: str, columns: list[str], dictionary: DataDictionary) -> str | None:
    """A label seen before: the next field with that label (labels need not be unique)."""
    for f in dictionary:
        same = f.field_type != "checkbox" and f.holds_data and plain_label(f.label) == label
        if same and f.name not in columns:
            return f.name
    return None


def _label_headers(dictionary: DataDictionary) -> dict[str, str]:
    names: dict[str, str] = dict(_LABEL_SYSTEM)
    names |= {status: status for status in (f"{form}_complete" for form in dictionary.forms)}
    for f in dictionary:
        label = plain_label(f.label)
        if f.field_type == "checkbox":
            for choice in f.choices:
                names[f"{label} (choice={plain_label(choice.label)})"] = checkbox_column(
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
            codes[f.name] = {plain_label(c.label): c.code for c in f.choices}
    status = {label: code for code, label in FORM_STATUS.items()}
    for form in dictionary.forms:
        codes[f"{form}_complete"] = status
    return codes


def _unknown(name: str, dictionary: DataDictionary) -> str:
    base = name.split("___")[0]
    if "___" in name and base in dictionary:
        field = dictionary.field(base)
        if field.field_type == "checkbox":
            codes = ", ".join(c.code for c in field.choices)
            return f"'{name}' is not an option of checkbox '{base}' (codes: {codes})"
    return f"'{name}' is not a field of the data dictionary {dictionary.source}"
