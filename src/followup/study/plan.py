"""Loading a study's analysis plan: YAML in, a checked plan out, or a PlanError naming the line.

The plan's expressions are parsed here and every name they use is checked against the dictionary
and the plan's derived variables, so that a plan which loads can be run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from followup.study.dictionary import DataDictionary
from followup.study.errors import LogicError, StudyError
from followup.study.inputs import InputError, read_input
from followup.study.logic import Logic, parse_logic
from followup.study.plan_schema import PlanModel, Reporting
from followup.study.record_view import InstanceChoice
from followup.study.schedule import CLASSIC, Schedule, load_schedule
from followup.study.validation import Rule

SCHEDULE_FILES = ("events", "arms", "mapping", "repeating")


class PlanError(StudyError):
    """A plan that does not fit the schema or names what does not exist; says where in the file."""


@dataclass(frozen=True)
class Plan:
    """The validated plan (``model``), its parsed rules and form conditions, and its folder.

    ``instances`` says, per repeating form the plan names, which instance gives the record's
    values (followup.study.record_view); a repeating form it does not name gives its last.
    """

    model: PlanModel
    rules: tuple[Rule, ...]
    form_logic: dict[str, Logic]
    folder: Path
    instances: Mapping[str, InstanceChoice] = field(default_factory=dict)
    where: Mapping[str, str] = field(default_factory=dict, repr=False)  # key → "plan line 7: key"

    @property
    def missing_codes(self) -> dict[str, str]:
        """REDCap's missing-data codes of the study (code → label); none when not set."""
        return self.model.missing_codes

    @property
    def reporting(self) -> Reporting:
        """How numbers are printed."""
        return self.model.reporting

    @property
    def schedule_files(self) -> dict[str, Path]:
        """The schedule's CSVs the plan names (events, arms, mapping, repeating), as paths."""
        files = self.model.schedule
        if files is None:
            return {}
        named = {kind: getattr(files, kind) for kind in SCHEDULE_FILES}
        return {kind: self.folder / name for kind, name in named.items() if name}

    def load_schedule(self) -> Schedule:
        """The study's schedule read from the plan's files; a classic project's if none.

        ScheduleError names a file that cannot be read; PlanError a form of ``instances`` that
        does not repeat in it.
        """
        if self.model.schedule is None:
            return CLASSIC
        files = self.schedule_files
        schedule = load_schedule(**files)
        problems = [
            f"{self.where.get(f'instances.{form}', f'instances.{form}')}: '{form}' is not a "
            f"repeating form of the schedule ({files.get('repeating', 'no repeating file')})"
            for form in self.instances
            if not _repeats(schedule, form)
        ]
        if problems:
            raise PlanError("\n".join(problems))
        return schedule


def _repeats(schedule: Schedule, form: str) -> bool:
    """Whether a form repeats: as a repeating form, or in a repeating event that holds it."""
    for event, repeating in schedule.repeating:
        if repeating == form:
            return True
        if not repeating and (not schedule.forms_of or form in schedule.forms_of.get(event, ())):
            return True
    return False


def load_plan(path: str | Path, dictionary: DataDictionary) -> Plan:
    """Read plan.yaml and check it against the dictionary."""
    path = Path(path)
    try:
        text = read_input(path, MAX_PLAN).decode("utf-8")
    except (OSError, UnicodeDecodeError, InputError) as error:
        raise PlanError(f"{path}: cannot read the plan: {error}") from None
    plan = read_plan(text, dictionary, source=str(path), folder=path.parent)
    named = path.parent / plan.model.dictionary
    if "dictionary" in plan.model.model_fields_set and not named.is_file():
        line = plan.where.get("dictionary", str(path))
        raise PlanError(f"{line}: {plan.model.dictionary} does not exist beside the plan")
    missing = [
        f"{plan.where[f'schedule.{kind}']}: {file} does not exist"
        for kind, file in plan.schedule_files.items()
        if not file.is_file()
    ]
    if missing:
        raise PlanError("\n".join(missing))
    return plan


def read_plan(
    text: str, dictionary: DataDictionary, *, source: str = "plan", folder: Path = Path()
) -> Plan:
    """Parse plan YAML text (see load_plan)."""
    if len(text) > MAX_PLAN:
        raise PlanError(f"{source}: the plan is longer than {MAX_PLAN:,} characters (the limit)")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise PlanError(f"{source}{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise PlanError(
            f"{source}: the YAML is nested too deeply to read (brackets or indentation hundreds of "
            "levels deep); a plan needs a handful"
        ) from None
    _refuse_duplicate_keys(node, source)
    if not isinstance(data, dict):
        raise PlanError(f"{source}: the plan should be a mapping of keys such as study, endpoints")
    try:
        model = PlanModel.model_validate(data)
    except ValidationError as error:
        raise PlanError(_describe(error, node, source)) from None
    return _checked(model, dictionary, node, source, folder)


MAX_PLAN = 1_000_000  # characters: far above any plan, far below a memory problem


def _refuse_duplicate_keys(node: yaml.Node | None, source: str) -> None:
    """A key written twice in one mapping is an error (YAML would silently keep the last)."""
    pending = [node] if node is not None else []
    while pending:
        current = pending.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key, value in current.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name in seen:
                    raise PlanError(
                        f"{source} line {key.start_mark.line + 1}: '{name}' appears twice in "
                        f"the same mapping (first on line {seen[name]}); keep one"
                    )
                if name is not None:
                    seen[name] = key.start_mark.line + 1
                pending.append(value)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(current.value)


def _describe(error: ValidationError, node: yaml.Node | None, source: str) -> str:
    lines = []
    for item in error.errors():
        location = tuple(item["loc"])
        line = _line_of(node, location)
        at = f"{source} line {line}" if line else source
        path = ".".join(str(p) for p in location)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = f"unknown key '{location[-1]}'{_suggest(location, error)}"
        elif item["type"] == "missing":
            message = "is required"
        lines.append(f"{at}: {path}: {message}")
    return "\n".join(lines)


def _suggest(location: tuple[Any, ...], error: ValidationError) -> str:
    allowed = _allowed_keys(location[:-1])
    close = difflib.get_close_matches(str(location[-1]), allowed, n=1)
    return f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"


def _allowed_keys(location: tuple[Any, ...]) -> list[str]:
    model: Any = PlanModel
    for part in location:
        if isinstance(part, int) or model is None:
            continue
        annotation = model.model_fields.get(str(part))
        if annotation is None:
            continue  # a key of a dict[str, Model]: the model stays the value's
        model = _model_in(annotation.annotation)
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: Any) -> Any:
    """The pydantic model an annotation holds: itself, or inside list, dict or | None."""
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for inner in getattr(annotation, "__args__", ()):
        found = _model_in(inner)
        if found is not None:
            return found
    return None


def _line_of(node: yaml.Node | None, location: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at a schema location (the nearest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                return line
            key, node = match
            line = key.start_mark.line + 1
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _checked(
    model: PlanModel, dictionary: DataDictionary, node: yaml.Node | None, source: str, folder: Path
) -> Plan:
    known = {f.name for f in dictionary} | set(model.derived)
    dates = {
        f.name
        for f in dictionary
        if f.text_type is not None and f.text_type.name.startswith("date")
    }
    problems = [
        f"{_at(node, location, source)}: {message}"
        for location, message in (
            *_expression_problems(model, known),
            *_name_problems(_date_fields(model), dates, "is not a date field"),
            *_name_problems(_variables(model), known, "is not a field or derived variable"),
            *_name_problems(
                ((("forms", f), f) for f in model.forms), set(dictionary.forms), "is not a form"
            ),
            *_instance_problems(model, dictionary, dates),
        )
    ]
    if problems:
        raise PlanError("\n".join(problems))
    rules = tuple(
        Rule(
            r.name,
            parse_logic(r.check),
            r.message,
            r.severity,
            parse_logic(r.applies) if r.applies else None,
        )
        for r in model.rules
    )
    forms = {form: parse_logic(text) for form, text in model.forms.items()}
    instances = {
        form: InstanceChoice(spec.take, spec.by, parse_logic(spec.when) if spec.when else None)
        for form, spec in model.instances.items()
    }
    where = {
        ".".join(location): _at(node, location, source)
        for location in (
            ("dictionary",),
            *(("instances", form) for form in model.instances),
            *(("schedule", kind) for kind in SCHEDULE_FILES),
        )
    }
    return Plan(model, rules, forms, folder, instances, where)


def _instance_problems(
    model: PlanModel, dictionary: DataDictionary, dates: set[str]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Each form of ``instances`` exists, ``by`` is a date field of it, ``when`` names fields."""
    fields = {f.name for f in dictionary}
    for form, spec in model.instances.items():
        if form not in dictionary.forms:
            forms = set(dictionary.forms)
            yield ("instances", form), f"'{form}' is not a form{_close(form, forms)}"
            continue
        own = {f.name for f in dictionary.form_fields(form)}
        if spec.by is not None and spec.by not in own:
            yield (
                ("instances", form, "by"),
                f"'{spec.by}' is not a field of the form '{form}'{_close(spec.by, own)}",
            )
        elif spec.by is not None and spec.by not in dates:
            yield ("instances", form, "by"), f"'{spec.by}' is not a date field"
        if spec.when:
            location = ("instances", form, "when")
            yield from _logic_problems(location, spec.when, fields, "not a field of the dictionary")


def _expression_problems(
    model: PlanModel, known: set[str]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    for location, text in _expressions(model):
        yield from _logic_problems(
            location, text, known, "neither a field of the dictionary nor a derived variable"
        )


def _logic_problems(
    location: tuple[Any, ...], text: str, known: set[str], what: str
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """An expression that does not parse, or each name in it that is not ``known``."""
    try:
        logic = parse_logic(text)
    except LogicError as error:
        yield location, f"{error.reason} at character {error.position}"
        return
    for reference in logic.references:
        if reference.field not in known and not reference.field.endswith("_complete"):
            yield location, f"[{reference.field}] is {what}{_close(reference.field, known)}"


def _name_problems(
    names: Iterator[tuple[tuple[Any, ...], str]], allowed: set[str], message: str
) -> Iterator[tuple[tuple[Any, ...], str]]:
    for location, name in names:
        if name not in allowed:
            yield location, f"'{name}' {message}{_close(name, allowed)}"


def _at(node: yaml.Node | None, location: tuple[Any, ...], source: str) -> str:
    line = _line_of(node, location)
    path = ".".join(str(p) for p in location)
    return f"{source} line {line}: {path}" if line else f"{source}: {path}"


def _close(name: str, options: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _endpoints(model: PlanModel) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield from ((("endpoints", name), e) for name, e in model.endpoints.items())
    if model.follow_up is not None:
        yield ("follow_up",), model.follow_up


def _expressions(model: PlanModel) -> Iterator[tuple[tuple[Any, ...], str]]:
    for form, text in model.forms.items():
        yield ("forms", form), text
    yield ("population", "treated"), model.population.treated
    yield ("characteristics_of",), model.characteristics_of
    for i, step in enumerate(model.population.flow):
        yield ("population", "flow", i, "when"), step.when
    for name, derived in model.derived.items():
        for i, case in enumerate(derived.cases):
            if case.when is not None:
                yield ("derived", name, "cases", i, "when"), case.when
    for i, rule in enumerate(model.rules):
        yield ("rules", i, "check"), rule.check
        if rule.applies:
            yield ("rules", i, "applies"), rule.applies
    yield from _endpoint_expressions(model)
    for name, exposure in model.exposures.items():
        yield ("exposures", name, "when"), exposure.when


def _endpoint_expressions(model: PlanModel) -> Iterator[tuple[tuple[Any, ...], str]]:
    for location, endpoint in _endpoints(model):
        yield (*location, "population"), endpoint.population
        for kind in ("events", "competing"):
            for i, event in enumerate(getattr(endpoint, kind)):
                yield (*location, kind, i, "when"), event.when


def _date_fields(model: PlanModel) -> Iterator[tuple[tuple[Any, ...], str]]:
    for i, step in enumerate(model.population.flow):
        yield ("population", "flow", i, "date"), step.date
    for location, endpoint in _endpoints(model):
        yield (*location, "origin"), endpoint.origin
        yield (*location, "censor"), endpoint.censor
        for kind in ("events", "competing"):
            for i, event in enumerate(getattr(endpoint, kind)):
                yield (*location, kind, i, "date"), event.date
    for name, exposure in model.exposures.items():
        yield ("exposures", name, "date"), exposure.date


def _variables(model: PlanModel) -> Iterator[tuple[tuple[Any, ...], str]]:
    for i, step in enumerate(model.population.flow):
        for j, name in enumerate(step.by):
            yield ("population", "flow", i, "by", j), name
    for i, name in enumerate(model.characteristics):
        yield ("characteristics", i), name
    for i, name in enumerate(model.risk_factors):
        yield ("risk_factors", i), name
    for location, endpoint in _endpoints(model):
        for i, name in enumerate(endpoint.compare_by):
            yield (*location, "compare_by", i), name
    yield from _model_variables(model)


def _model_variables(model: PlanModel) -> Iterator[tuple[tuple[Any, ...], str]]:
    for name, exposure in model.exposures.items():
        if exposure.levels is not None:
            yield ("exposures", name, "levels"), exposure.levels
    for name, spec in model.models.items():
        for i, covariate in enumerate(spec.covariates):
            yield ("models", name, "covariates", i), covariate
        if spec.cluster not in (None, "hospital"):  # hospital: the record's data access group
            yield ("models", name, "cluster"), spec.cluster
