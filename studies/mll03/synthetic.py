"""A synthetic 63-patient MLL03 cohort, seeded and deterministic, as REDCap raw-export rows.

The 24 relapsed patients' survival after relapse, age group, remission before a second SCT and
early relapse come from os_design.json (design.py found an order of outcomes on which the seed's
Kaplan-Meier figures hold). Everything else — hospitals, dates between April 2004 and June 2009,
sites of relapse, treatment, the 39 patients who did not relapse — is drawn from one seeded
generator to be clinically plausible and to fill every field the dictionary's branching shows.
Survivors' last contact is set so that mean follow-up from diagnosis is the seed's 31.8 months.

Follow-up is a repeating form (repeating.csv): each patient has 1 to 6 instances, yearly contacts
from diagnosis (alive; in remission or not as the dates before them say) and, last, the final
contact above (death, or the last time seen alive). The yearly contacts are drawn from a second
generator, so they change nothing of the first one's cohort.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
PUBLISHED = yaml.safe_load((HERE / "published_results.yaml").read_text(encoding="utf-8"))
DESIGN = json.loads((HERE / "os_design.json").read_text(encoding="utf-8"))
MONTH = DESIGN["month_days"]
START, END = (dt.date.fromisoformat(str(d)) for d in PUBLISHED["study"]["enrollment_period"])
DATA_FREEZE = dt.date(2015, 3, 31)  # the survey's cut-off: no last contact after it
HOSPITALS = [f"hospital_{i:02d}" for i in range(1, 21)]
SEED = 20040401
YEAR_DAYS = 365.25
MOST_VISITS = 6
FOLLOW_UP = ("last_contact_date", "vital_status", "death_cause", "disease_status_last")
Row = dict[str, str]


def _after(date: dt.date, months: float) -> dt.date:
    return date + dt.timedelta(days=round(months * MONTH))


def _months(start: str, end: str) -> float:
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days / MONTH


class _Cohort:
    """Builds the records from one random generator, so one seed gives one cohort."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        hospitals = HOSPITALS * 4
        self.rng.shuffle(hospitals)
        self.hospitals = iter(HOSPITALS + hospitals)  # every hospital has at least one patient

    def enrollment(self, number: int, *, sex: str, under_6: bool, latest_dx: dt.date) -> Row:
        rng = self.rng
        latest = min(END, latest_dx)
        dx = START + dt.timedelta(days=rng.randint(0, max(0, (latest - START).days)))
        wbc = rng.lognormvariate(4.6, 1.1)
        return {
            "record_id": f"MLL03-{number:03d}",
            "redcap_data_access_group": next(self.hospitals),
            "sex": sex,
            "age_dx_days": str(rng.randint(14, 182) if under_6 else rng.randint(183, 364)),
            "dx_date": dx.isoformat(),
            "wbc_dx": f"{min(wbc, 1500.0):.1f}",
            "cns_dx": rng.choices(["0", "1", "9"], [0.78, 0.17, 0.05])[0],
            "mll_status": "1",
            "cr1": "1",
            "enrollment_complete": "2",
        }

    def relapsed(self, number: int, patient: dict[str, Any], *, sex: str, kind: str) -> Row:
        """kind: 'early' (after an early first SCT, < 6 months), 'before_sct' or 'after_sct'."""
        rng = self.rng
        # Within its whole month of the design a death falls before a censoring, as in the design:
        # neither the order of the times nor their side of 3, 4 or 5 years changes.
        months = patient["months"] + (
            rng.uniform(-0.45, -0.3) if patient["died"] else rng.uniform(-0.2, -0.05)
        )
        to_relapse = {
            "early": rng.uniform(4.6, 5.5),
            "before_sct": rng.uniform(6.5, 9.0),
            "after_sct": rng.uniform(7.0, 22.0),
        }[kind]
        room = DATA_FREEZE - dt.timedelta(days=round((to_relapse + months) * MONTH) + 30)
        row = self.enrollment(number, sex=sex, under_6=patient["under_6_months"], latest_dx=room)
        dx = dt.date.fromisoformat(row["dx_date"])
        row["cr1_date"] = (dx + dt.timedelta(days=rng.randint(25, 42))).isoformat()
        relapse = _after(dx, to_relapse)
        if kind == "before_sct":
            row["sct1"] = "0"  # no donor in time: relapsed before the planned first SCT
        else:
            sct1 = _after(dx, rng.uniform(3.4, 4.2) if kind == "early" else rng.uniform(4.0, 5.5))
            row |= {"sct1": "1", "sct1_date": sct1.isoformat(), "sct1_source": rng.choice("1233")}
        row["relapsed"] = "1"
        row |= self.questionnaire(patient, relapse, months)
        row |= self.follow_up(_after(relapse, months), died=patient["died"], relapsed=True)
        return row

    def questionnaire(self, patient: dict[str, Any], relapse: dt.date, months: float) -> Row:
        rng = self.rng
        sites = dict.fromkeys("1234", "0")
        if patient["extramedullary"]:
            sites[rng.choice("3344")] = "1"
        else:
            sites["1"] = "1"
            sites["2"] = "1" if rng.random() < 0.3 else "0"
            sites["3"] = "1" if sites["2"] == "0" and rng.random() < 0.1 else "0"
        row = {f"rel_site___{code}": ticked for code, ticked in sites.items()}
        row |= {"rel_date": relapse.isoformat(), "relapse_questionnaire_complete": "2"}
        if sites["4"] == "1":
            row["rel_site_other"] = rng.choice(["skin", "orbit", "ovary", "bone", "lymph node"])
        status = patient["second_sct"]
        if status == "none":
            treatment = "4" if patient["died"] and months < 3 else "1"
            row |= {
                "rel_treatment": treatment,
                "sct2": "0",
                "cr2": "1" if patient["extramedullary"] else "0",
            }
            if row["cr2"] == "1":
                row["cr2_date"] = (relapse + dt.timedelta(days=rng.randint(28, 45))).isoformat()
        else:
            row |= self.second_sct(relapse, months, in_remission=status == "cr")
        if row["rel_treatment"] in ("1", "2"):
            row["rel_chemo_regimen"] = rng.choice(
                ["FLAG", "high-dose Ara-C + etoposide", "Interfant-06 re-induction"]
            )
        return row

    def second_sct(self, relapse: dt.date, months: float, *, in_remission: bool) -> Row:
        rng = self.rng
        treatment = "2" if in_remission or rng.random() < 0.7 else "3"
        sct2 = relapse + dt.timedelta(days=round(min(0.7 * months, rng.uniform(2.0, 4.0)) * MONTH))
        row = {
            "rel_treatment": treatment,
            "cr2": "1" if in_remission else "0",
            "sct2": "1",
            "sct2_date": sct2.isoformat(),
            "sct2_remission": "1" if in_remission else "0",
            "sct2_donor": rng.choice("1223"),
            "sct2_source": rng.choice("1333"),
            "sct2_conditioning": rng.choice("11223"),
        }
        row["sct2_conditioning_detail"] = {
            "1": "TBI 12 Gy + cyclophosphamide",
            "2": "busulfan + melphalan",
            "3": "fludarabine + melphalan + TBI 2 Gy",
        }[row["sct2_conditioning"]]
        if in_remission:
            row["cr2_date"] = (relapse + (sct2 - relapse) / 2).isoformat()
        return row

    def follow_up(self, end: dt.date, *, died: bool, relapsed: bool) -> Row:
        row = {
            "last_contact_date": end.isoformat(),
            "vital_status": "2" if died else "1",
            "followup_complete": "2",
        }
        if died:
            row["death_cause"] = ("1" if self.rng.random() < 0.8 else "2") if relapsed else "2"
        else:
            row["disease_status_last"] = "1" if not relapsed or self.rng.random() < 0.85 else "2"
        return row


def generate(seed: int = SEED) -> list[Row]:
    """The 63 records, relapsed and not, in record-ID order: each its base row, then its visits.

    A row carries ``redcap_repeat_instrument`` and ``redcap_repeat_instance`` ("followup" and
    "1".."6" on a follow-up visit, blank on the base row), for an export with a repeating form.
    """
    patients = _patients(seed)
    visits = random.Random(f"{seed} follow-up visits")
    return [row for patient in patients for row in _rows_of(patient, visits)]


def _rows_of(patient: Row, rng: random.Random) -> list[Row]:
    """A patient's base row and follow-up visits, the last of which is the final contact."""
    status = (*FOLLOW_UP, "followup_complete")
    base = {k: v for k, v in patient.items() if k not in status}
    final = {k: patient[k] for k in status if k in patient}
    dx = dt.date.fromisoformat(patient["dx_date"])
    end = dt.date.fromisoformat(final["last_contact_date"])
    yearly = []
    for year in range(1, rng.randint(1, MOST_VISITS)):
        contact = dx + dt.timedelta(days=round(year * YEAR_DAYS))
        if (end - contact).days < 60:  # the final contact is the next
            break
        yearly.append(_alive_at(patient, contact))
    visits = [*yearly, final]
    rows = [base | {"redcap_repeat_instrument": "", "redcap_repeat_instance": ""}]
    for number, visit in enumerate(visits, start=1):
        rows.append(
            {
                "record_id": patient["record_id"],
                "redcap_repeat_instrument": "followup",
                "redcap_repeat_instance": str(number),
                "redcap_data_access_group": patient["redcap_data_access_group"],
                **visit,
            }
        )
    return rows


def _alive_at(patient: Row, contact: dt.date) -> Row:
    """A yearly contact before the final one: alive, in remission unless relapsed and not in CR2."""
    day = contact.isoformat()
    relapsed = patient.get("relapsed") == "1" and patient["rel_date"] <= day
    in_remission = patient["cr1"] == "1" and (
        not relapsed or "" < patient.get("cr2_date", "") <= day
    )
    return {
        "last_contact_date": day,
        "vital_status": "1",
        "disease_status_last": "1" if in_remission else "2",
        "followup_complete": "2",
    }


def _patients(seed: int) -> list[Row]:
    """The 63 records as one flat row each, the final contact in its follow-up fields."""
    cohort = _Cohort(seed)
    rng = cohort.rng
    relapsed_total, total = (
        PUBLISHED["cohort"]["relapsed_after_cr1"],
        PUBLISHED["cohort"]["patients_treated"],
    )
    facts = PUBLISHED["relapsed_patients"]
    patients = [dict(p) for p in DESIGN["patients"]]
    kinds = _kinds(patients, facts["relapsed_before_first_sct"])
    survivors = [i for i, p in enumerate(patients) if not p["died"] and kinds[i] != "early"]
    for i in rng.sample(survivors, facts["extramedullary_non_cns_relapse"]):
        patients[i]["extramedullary"] = True
    numbers = rng.sample(range(1, total + 1), total)
    sexes = ["1"] * facts["boys"] + ["2"] * facts["girls"]
    rng.shuffle(sexes)
    rows = [
        cohort.relapsed(numbers[i], {"extramedullary": False, **p}, sex=sexes[i], kind=kinds[i])
        for i, p in enumerate(patients)
    ]
    rows += _not_relapsed(cohort, numbers[relapsed_total:])
    _set_mean_follow_up(rows)
    return sorted(rows, key=lambda r: r["record_id"])


def _kinds(patients: list[dict[str, Any]], before_sct: int) -> list[str]:
    """Early relapses as the design marks them; some without a second SCT relapsed before SCT."""
    kinds = ["early" if p["early"] else "after_sct" for p in patients]
    candidates = [i for i, p in enumerate(patients) if p["second_sct"] == "none" and not p["early"]]
    for i in candidates[:before_sct]:
        kinds[i] = "before_sct"
    return kinds


def _not_relapsed(cohort: _Cohort, numbers: list[int]) -> list[Row]:
    """Induction failures, deaths in remission and patients in continuous first remission."""
    rng = cohort.rng
    rows = []
    for k, number in enumerate(numbers):
        row = cohort.enrollment(
            number, sex=rng.choice("12"), under_6=rng.random() < 0.55, latest_dx=END
        )
        dx = dt.date.fromisoformat(row["dx_date"])
        if k < 2:  # induction failure: no remission, died of leukemia
            row["cr1"] = "0"
            row |= cohort.follow_up(_after(dx, rng.uniform(2, 6)), died=True, relapsed=True)
            row["death_cause"] = "1"
        else:
            sct1 = _after(dx, rng.uniform(4.0, 5.5))
            row |= {
                "cr1_date": (dx + dt.timedelta(days=rng.randint(25, 42))).isoformat(),
                "sct1": "1",
                "sct1_date": sct1.isoformat(),
                "sct1_source": rng.choice("1233"),
                "relapsed": "0",
            }
            died = k < 6  # transplant-related deaths in first remission
            months = rng.uniform(6, 14) if died else rng.uniform(12, 60)
            row |= cohort.follow_up(_after(dx, months), died=died, relapsed=False)
        rows.append(row)
    return rows


def _set_mean_follow_up(rows: list[Row]) -> None:
    """Move the last contact of patients alive in first remission so that the mean is the seed's."""
    target = PUBLISHED["cohort"]["mean_follow_up_months"] * len(rows)
    movable = [r for r in rows if r["vital_status"] == "1" and r.get("relapsed") == "0"]
    gap = target - sum(_months(r["dx_date"], r["last_contact_date"]) for r in rows)
    for k, row in enumerate(movable):
        share = gap / (len(movable) - k)
        dx = dt.date.fromisoformat(row["dx_date"])
        old = dt.date.fromisoformat(row["last_contact_date"])
        earliest = max(
            _after(dx, 12), dt.date.fromisoformat(row["sct1_date"]) + dt.timedelta(days=90)
        )
        new = min(max(old + dt.timedelta(days=round(share * MONTH)), earliest), DATA_FREEZE)
        row["last_contact_date"] = new.isoformat()
        gap -= (new - old).days / MONTH
