"""Validation of records against the dictionary and the plan's cross-field rules.

Per field: type, range, choice, required-when-shown, and a value in a field its branching hides
(REDCap's data-quality rule G). Across fields: the plan's rules, each a REDCap logic expression
that must hold for every record where all the fields it names have values. The result is a list of
findings a data manager can sort, print and send back to the hospitals.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Literal, Protocol

from followup.study.calculations import compute, computed_fields, disagrees
from followup.study.csv_text import SafeWriter
from followup.study.dictionary import DataDictionary, Field
from followup.study.logic import Logic
from followup.study.record_context import context_for, row_context
from followup.study.record_view import InstanceChoice, RecordView, has_value, record_views
from followup.study.schedule import CLASSIC, Schedule
from followup.study.values import limit_of, read_value

Severity = Literal["error", "warning"]


class RecordLike(Protocol):
    """What validation needs of a record: its ID, its hospital and its raw values."""

    @property
    def record_id(self) -> str:
        """The record's ID, as text."""

    @property
    def access_group(self) -> str:
        """The hospital (data access group) it belongs to."""

    @property
    def values(self) -> Mapping[str, str]:
        """Raw values by export column; missing means blank."""


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: ``check`` must be true where ``applies`` is (default: always)."""

    name: str
    check: Logic
    message: str
    severity: Severity = "error"
    applies: Logic | None = None


@dataclass(frozen=True)
class Finding:
    """One problem in one record."""

    record: str
    access_group: str
    field: str
    rule: str
    message: str
    severity: Severity


def validate(
    dictionary: DataDictionary,
    records: Iterable[RecordLike],
    rules: Sequence[Rule] = (),
    form_logic: Mapping[str, Logic] | None = None,
    missing_codes: Collection[str] = (),
    schedule: Schedule = CLASSIC,
    instances: Mapping[str, InstanceChoice] | None = None,
) -> list[Finding]:
    """Every finding, record by record in file order, fields in dictionary order.

    ``form_logic`` says when a whole form applies (MLL03: the relapse questionnaire only for
    relapsed patients); fields of a form that does not apply are neither required nor expected.
    A value that is one of the study's ``missing_codes`` (REDCap's missing-data codes) answers a
    required field and is not checked for type, choice or range, except in a field annotated
    ``@NOMISSING``.

    In a longitudinal or repeating study each row is checked for the forms it holds (see
    ``row_forms``); a finding names the row's event and instance after the record. The rules
    between fields are checked once per record, on its rows merged as the plan reads them
    (followup.study.record_view; ``instances`` is the plan's choice of repeating instances), so
    a rule sees the chosen follow-up visit beside the enrolment's values.
    """
    findings: list[Finding] = []
    records = list(records)
    repeating = _repeating_forms(records, schedule)
    rows_of: dict[str, list[RecordLike]] = {}
    for row in records:
        rows_of.setdefault(row.record_id, []).append(row)
    ruled = _rule_findings_by_row(
        dictionary, records, rules, missing_codes, schedule, instances or {}
    )
    for index, record in enumerate(records):
        values = record.values
        forms = row_forms(dictionary, record, schedule, repeating)
        applicable = {form: _form_applies(dictionary, form, values, form_logic) for form in forms}
        name = _row_name(record)
        for field in dictionary:
            if field.holds_data and field.form in forms:
                for rule, message, severity in _field_findings(
                    field, values, applicable[field.form], missing_codes
                ):
                    findings.append(
                        Finding(name, record.access_group, field.name, rule, message, severity)
                    )
        findings.extend(
            Finding(name, record.access_group, field_name, "calc_stale", message, "warning")
            for field_name, message in _stale_calculations(
                dictionary, record, rows_of.get(record.record_id, [record]), forms, missing_codes
            )
        )
        findings.extend(ruled.get(index, ()))
    return findings


def _form_applies(
    dictionary: DataDictionary,
    form: str,
    values: Mapping[str, str],
    form_logic: Mapping[str, Logic] | None,
) -> bool:
    """Whether a form is asked of a record.

    The plan's ``forms:`` logic says; without a plan, as REDCap's data quality rules see it, a
    form that holds a value or a status past Incomplete.
    """
    if form_logic is not None:
        logic = form_logic.get(form)
        return logic is None or logic.show(values)
    if values.get(f"{form}_complete", "").strip() in ("1", "2"):
        return True
    return any(
        has_value(f, values) for f in dictionary.form_fields(form) if f.name != dictionary.record_id
    )


def row_forms(
    dictionary: DataDictionary,
    row: RecordLike,
    schedule: Schedule = CLASSIC,
    repeating: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The forms a row holds.

    A repeating form's row holds that form; any other row its event's forms (those mapped to it,
    or when nothing is mapped those with a value in the row), less the forms that repeat.
    """
    form = getattr(row, "repeat_form", "")
    if form:
        return (form,)
    event = getattr(row, "event", "")
    instance = getattr(row, "instance", None)
    owner = dictionary.column_owner()
    if event and not schedule.forms_of:
        started = {owner[c].form for c, v in row.values.items() if c in owner and v.strip()}
        started |= {f for f in dictionary.forms if row.values.get(f"{f}_complete", "").strip()}
        candidates = [f for f in dictionary.forms if f in started]
    else:
        candidates = [f for f in dictionary.forms if schedule.form_in(event, f)]
    if instance is not None:  # a repeating event: all its forms
        return tuple(candidates)
    return tuple(f for f in candidates if f not in repeating)


def _repeating_forms(records: list[RecordLike], schedule: Schedule) -> frozenset[str]:
    if schedule.has_repeats:
        return frozenset(form for _, form in schedule.repeating if form)
    return frozenset(getattr(r, "repeat_form", "") for r in records) - {""}


def _holds_base_row(row: RecordLike) -> bool:
    """Rules between fields are reported with a record's first row that is not a repeat."""
    return not getattr(row, "repeat_form", "") and getattr(row, "instance", None) is None


def _row_name(row: RecordLike) -> str:
    """The record ID, and for a row of an event or an instance which one: '7 (visit_1, #2)'."""
    parts = [getattr(row, "event", "")]
    instance = getattr(row, "instance", None)
    if instance is not None:
        parts.append(f"{getattr(row, 'repeat_form', '') or 'instance'} #{instance}")
    shown = ", ".join(p for p in parts if p)
    return f"{row.record_id} ({shown})" if shown else row.record_id


def _without_codes(
    dictionary: DataDictionary, values: Mapping[str, str], missing_codes: Collection[str]
) -> Mapping[str, str]:
    """Values with missing-data codes blanked: rules between fields hold where they have values."""
    if not missing_codes:
        return values
    blanked = dict(values)
    for field in dictionary:
        if is_missing_code(field, values.get(field.name, ""), missing_codes):
            blanked[field.name] = ""
    return blanked


def _field_findings(
    field: Field, values: Mapping[str, str], form_applies: bool, missing_codes: Collection[str]
) -> list[tuple[str, str, Severity]]:
    present = has_value(field, values)
    shown = form_applies and field.branching.show(values)
    if not shown:
        if present:
            why = (
                "its form does not apply"
                if not form_applies
                else f"{field.branching.text} is false"
            )
            return [("hidden_value", f"has a value but is hidden ({why})", "warning")]
        return []
    if not present:
        if field.required:
            return [("required", f"'{field.label}' is required and blank", "error")]
        return []
    if is_missing_code(field, values.get(field.name, ""), missing_codes):
        return []
    found: list[tuple[str, str, Severity]] = []
    for column in field.export_columns:
        try:
            value = read_value(field, values.get(column, ""))
        except ValueError as error:
            found.append(("type" if not field.choices else "choice", str(error), "error"))
            continue
        found.extend(_range(field, value))
    return found


def _stale_calculations(
    dictionary: DataDictionary,
    row: RecordLike,
    rows: Sequence[RecordLike],
    forms: Sequence[str],
    missing_codes: Collection[str],
) -> list[tuple[str, str]]:
    """Computed values that are not what their formula gives (REDCap's data quality rule H).

    A formula that reads 'today' or 'now' gives another value every day and is not compared.
    """
    fields = [
        f
        for f in computed_fields(dictionary)
        if f.form in forms
        and row.values.get(f.name, "").strip()
        and not any(w in f.computed.text.lower() for w in ("today", "now"))  # type: ignore[union-attr]
    ]
    if not fields:
        return []
    if hasattr(row, "event"):
        context = row_context(dictionary, rows, row, missing_codes=missing_codes)  # type: ignore[arg-type]
    else:
        context = context_for(dictionary, missing_codes=missing_codes, record=row.record_id)
    got = compute(dictionary, row.values, context)
    return [
        (f.name, f"holds {stored}, but its formula gives {got[f.name] or 'blank'}")
        for f in fields
        if disagrees(f, stored := row.values.get(f.name, "").strip(), got[f.name])
    ]


def is_missing_code(field: Field, raw: str, missing_codes: Collection[str]) -> bool:
    """Whether a raw value is one of the study's missing-data codes, for this field."""
    return (
        field.field_type != "checkbox"
        and raw.strip() in missing_codes
        and "@NOMISSING" not in field.annotation.upper()
    )


def _range(field: Field, value: object) -> list[tuple[str, str, Severity]]:
    low, high = limit_of(field, "min"), limit_of(field, "max")
    if value is None or (low is None and high is None):
        return []
    try:
        below = low is not None and value < low  # type: ignore[operator]
        above = high is not None and value > high  # type: ignore[operator]
    except TypeError:
        return []
    if below or above:
        span = f"{field.minimum or '…'} to {field.maximum or '…'}"
        return [("range", f"{value} is outside {span}", "error")]
    return []


def rule_fields(rule: Rule, dictionary: DataDictionary) -> tuple[str, ...]:
    """The fields a rule's check names, in its order (a checkbox option counts as its field)."""
    owner = dictionary.column_owner()
    return tuple(
        dict.fromkeys(owner[r.column].name for r in rule.check.references if r.column in owner)
    )


def _rule_findings_by_row(
    dictionary: DataDictionary,
    records: list[RecordLike],
    rules: Sequence[Rule],
    missing_codes: Collection[str],
    schedule: Schedule,
    instances: Mapping[str, InstanceChoice],
) -> dict[int, list[Finding]]:
    """Each record's rule findings on its merged view, keyed by the row they are listed after.

    That is the record's first row that is not a repeat (its last row if all are).
    """
    if not rules:
        return {}
    views = record_views(records, dictionary, instances=instances, schedule=schedule)
    rows: dict[str, int] = {}
    for index, record in enumerate(records):
        if record.record_id not in rows or not _holds_base_row(records[rows[record.record_id]]):
            rows[record.record_id] = index
    return {
        rows[view.record_id]: _rule_findings(
            view, rules, _without_codes(dictionary, view.values, missing_codes)
        )
        for view in views
    }


def _rule_findings(
    record: RecordView, rules: Sequence[Rule], values: Mapping[str, str]
) -> list[Finding]:
    found = []
    for rule in rules:
        if rule.applies is not None and not rule.applies.show(values):
            continue
        named = [r.column for r in rule.check.references]
        if rule.applies is None and any(not values.get(c, "").strip() for c in named):
            continue  # a rule between fields holds where the fields have values
        if not rule.check.show(values):
            shown = ", ".join(f"{c} = {values.get(c, '') or 'blank'}" for c in dict.fromkeys(named))
            field = named[0] if named else ""
            found.append(
                Finding(
                    record.record_id,
                    record.access_group,
                    field,
                    rule.name,
                    f"{rule.message} ({shown})",
                    rule.severity,
                )
            )
    return found


def write_findings(findings: Sequence[Finding], path: str | Path) -> None:
    """Findings as CSV, one per row, with a header."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = SafeWriter(handle)
        writer.writerow([f.name for f in fields(Finding)])
        writer.writerows(astuple(f) for f in findings)


def findings_table(findings: Sequence[Finding]) -> str:
    """Findings as an aligned plain-text table for a terminal."""
    header = ("record", "hospital", "field", "rule", "severity", "message")
    rows = [(f.record, f.access_group, f.field, f.rule, f.severity, f.message) for f in findings]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(r[:5], widths, strict=True)) + "  " + r[5]
        for r in [header, *rows]
    ]
    return "\n".join(lines)
