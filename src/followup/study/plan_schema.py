"""The analysis plan's schema: what a study folder's plan.yaml may say, and nothing else.

Every mapping forbids unknown keys, so a typo is an error that names the key and suggests the
nearest allowed one. Expressions are REDCap logic over the dictionary's fields and the plan's
derived variables; ``followup.study.plan`` parses and cross-checks them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Case(_Strict):
    """One value of a derived variable: where ``when`` holds (no ``when``: every other record)."""

    when: str | None = None
    value: str


class Derived(_Strict):
    """A variable computed per record: the first case whose condition holds gives its value."""

    label: str
    cases: list[Case] = Field(min_length=1)
    order: list[str] | None = None  # level order for tables and the reference level (first)


class Event(_Strict):
    """An event of an endpoint: it happens where ``when`` holds, on the date in ``date``."""

    name: str
    when: str
    date: str


# A time at which estimates are reported: a finite number of years (or months) after the origin.
TimePoint = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Endpoint(_Strict):
    """Time from ``origin`` to the first event, censored at ``censor`` (last contact)."""

    label: str
    population: str = ""
    origin: str
    events: list[Event] = Field(min_length=1)
    competing: list[Event] = []  # competing events: the endpoint is a cumulative incidence
    censor: str
    compare_by: list[str] = []
    time_points: list[TimePoint] | None = None  # in the report's time unit; default: reporting's


class Exposure(_Strict):
    """Something a patient starts at a date during follow-up, such as a second SCT.

    A patient is in the ``before`` state until the date in ``date`` and exposed from it on; never
    exposed where the date is blank or ``when`` does not hold. ``levels`` names a field or derived
    variable whose value, from that date on, says which exposed state (e.g. the disease status
    before the second SCT); without it the exposed state is ``label``. Comparing patients by what
    happened to them later (a group "had a second SCT") credits the exposed with the time they had
    to survive to be exposed: immortal-time bias, which these states let a model avoid.
    """

    label: str
    date: str
    when: str = ""
    levels: str | None = None
    before: str = "not (yet) exposed"


class Model(_Strict):
    """A model over an endpoint beyond the per-factor comparisons.

    ``cox``: a multivariable Cox model of ``covariates``; ``fine_gray``: Fine–Gray subdistribution
    hazards of a cumulative-incidence endpoint's event; ``time_dependent``: the ``exposure`` as a
    time-dependent covariate (Cox on intervals, with Mantel–Byar test and Simon–Makuch curves);
    ``landmark``: patients alive and event-free at ``landmark`` (in the report's time unit),
    compared by their exposure state then. ``cluster: hospital`` gives robust SEs grouped by the
    record's data access group (or name a field).
    """

    label: str
    endpoint: str
    method: Literal["cox", "fine_gray", "time_dependent", "landmark"]
    covariates: list[str] = []
    exposure: str | None = None
    landmark: TimePoint | None = None
    cluster: str | None = None

    @model_validator(mode="after")
    def _what_the_method_needs(self) -> Model:
        needs = {
            "cox": ("covariates",),
            "fine_gray": ("covariates",),
            "time_dependent": ("exposure",),
            "landmark": ("exposure", "landmark"),
        }[self.method]
        missing = [key for key in needs if not getattr(self, key)]
        if missing:
            raise ValueError(f"method {self.method} needs {' and '.join(missing)}")
        if self.cluster is not None and self.method in ("fine_gray", "landmark"):
            raise ValueError(
                f"cluster applies to cox and time_dependent models; {self.method} has no "
                "clustered standard errors here (cmprsk::crr and the log-rank test have none)"
            )
        return self


class Rule(_Strict):
    """A cross-field check, REDCap logic that must be true where ``applies`` is."""

    name: str
    check: str
    message: str
    severity: Literal["error", "warning"] = "error"
    applies: str | None = None


class Reporting(_Strict):
    """How numbers are printed: both styles readers know, and the definitions stated."""

    style: Literal["estimate_pm_se", "estimate_ci"] = "estimate_pm_se"
    digits: int = Field(default=1, ge=0, le=3)
    se_method: Literal["greenwood", "peto"] = "greenwood"
    conf_type: Literal["log", "log-log", "plain"] = "log-log"
    conf_level: float = Field(default=0.95, gt=0, lt=1)
    time_unit: Literal["years", "months"] = "years"
    time_points: list[TimePoint] = [3, 4, 5]
    month_days: float = Field(default=365.25 / 12, gt=0, allow_inf_nan=False)


class FlowStep(Event):
    """A step of the patient flow from the treated cohort, broken down by ``by`` in the diagram."""

    by: list[str] = []


class Population(_Strict):
    """Who is counted: the treated cohort and the flow shown in the patient-flow diagram."""

    treated: str = ""
    flow: list[FlowStep] = []  # steps from the treated cohort: name, condition, its date field


class ScheduleFiles(_Strict):
    """The study's schedule as REDCap's CSVs, each a file name relative to the plan's folder.

    ``events`` and ``arms`` (a longitudinal project), ``mapping`` (formEventMapping: forms per
    event) and ``repeating`` (repeatingFormsEvents; a classic project's has the header
    ``form_name,custom_form_label``).
    """

    events: str | None = None
    arms: str | None = None
    mapping: str | None = None
    repeating: str | None = None


class Instances(_Strict):
    """Which instance of a repeating form gives the record's values for the rest of the plan.

    ``latest``: the instance with the latest ``by`` date (ties: the highest instance number);
    ``first``: the earliest. Only instances where ``when`` holds count. Without ``by``, instances
    go by their number.
    """

    take: Literal["latest", "first"] = "latest"
    by: str | None = None  # a date field of the form
    when: str | None = None  # REDCap logic over the instance's values and the record's others


_MISSING_CODE = re.compile(r"[0-9A-Za-z._\-]+")


def missing_codes_of(value: Any) -> dict[str, str]:
    """REDCap's missing-data codes: 'UNK, Unknown | NASK, Not asked' or a mapping code → label.

    A code has letters, digits, dots, hyphens and underscores (REDCap's rule for the setting).
    """
    if isinstance(value, str):
        pairs = []
        for item in (part.strip() for part in value.replace("\n", "|").split("|")):
            if not item:
                continue
            code, comma, label = item.partition(",")
            if not comma:
                raise ValueError(f"'{item}' needs a code and a label: 'UNK, Unknown'")
            pairs.append((code.strip(), label.strip()))
        value = dict(pairs)
    if not isinstance(value, dict):
        raise ValueError("give the codes as 'UNK, Unknown | NASK, Not asked' or as a mapping")
    codes = {str(k).strip(): str(v).strip() for k, v in value.items()}
    for code, label in codes.items():
        if not _MISSING_CODE.fullmatch(code):
            raise ValueError(
                f"missing-data code '{code}' may have only letters, digits, '.', '-' and '_'"
            )
        if not label:
            raise ValueError(f"missing-data code '{code}' needs a label")
    return codes


class PlanModel(_Strict):
    """plan.yaml."""

    study: str
    dictionary: str = "dictionary.csv"
    missing_codes: dict[str, str] = {}  # REDCap's project setting: code → label
    schedule: ScheduleFiles | None = None  # events, arms, form mapping and repeats (REDCap CSVs)
    instances: dict[str, Instances] = {}  # per repeating form, the instance the plan reads
    forms: dict[str, str] = {}
    population: Population = Population()
    derived: dict[str, Derived] = {}
    rules: list[Rule] = []
    endpoints: dict[str, Endpoint] = Field(min_length=1)
    characteristics: list[str] = []
    characteristics_of: str = ""  # whose characteristics the table shows (empty: the treated)
    characteristics_label: str = "Patients"
    risk_factors: list[str] = []
    risk_factors_for: str | None = None  # the endpoint of the Cox models (default: the first)
    follow_up: Endpoint | None = None
    exposures: dict[str, Exposure] = {}  # time-dependent exposures, by name
    models: dict[str, Model] = {}  # multivariable, Fine–Gray, time-dependent, landmark
    reporting: Reporting = Reporting()

    @field_validator("missing_codes", mode="before")
    @classmethod
    def _missing_codes(cls, value: Any) -> dict[str, str]:
        return missing_codes_of(value)

    @model_validator(mode="after")
    def _names_are_unique(self) -> PlanModel:
        clash = set(self.derived) & set(self.endpoints)
        if clash:
            raise ValueError(
                f"{', '.join(sorted(clash))} is both a derived variable and an endpoint"
            )
        for name, model in self.models.items():
            if model.endpoint not in self.endpoints:
                raise ValueError(
                    f"models.{name}.endpoint: '{model.endpoint}' is not one of the endpoints "
                    f"({', '.join(self.endpoints)})"
                )
            if model.exposure is not None and model.exposure not in self.exposures:
                raise ValueError(
                    f"models.{name}.exposure: '{model.exposure}' is not one of the exposures "
                    f"({', '.join(self.exposures) or 'none defined'})"
                )
            competing = bool(self.endpoints[model.endpoint].competing)
            if (model.method == "fine_gray") != competing:
                raise ValueError(
                    f"models.{name}: "
                    + (
                        "fine_gray needs an endpoint with competing events"
                        if not competing
                        else f"{model.method} is for survival endpoints; "
                        f"'{model.endpoint}' has competing events (use fine_gray)"
                    )
                )
        if self.risk_factors_for is not None and self.risk_factors_for not in self.endpoints:
            raise ValueError(
                f"risk_factors_for: '{self.risk_factors_for}' is not one of the endpoints "
                f"({', '.join(self.endpoints)})"
            )
        return self
