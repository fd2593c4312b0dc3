"""Which record an API import's lines name: one in the user's reach, or one the data manager adds.

The web app's scope (followup.capture.access): a coordinator reaches their hospital's records
only, and a record of another hospital is refused with the same words as one that does not exist.
The data manager may add a record, to the hospital ``redcap_data_access_group`` names (none: the
hospital of records imported without one); a record ID already in the study in another case is
refused, and an import never moves a record to another hospital. Each refusal is REDCap's error
line: record, field, value, message.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from followup.capture import access
from followup.capture.audit import Change, append
from followup.capture.models import Hospital, Membership, Record, Role
from followup.capture.setup import UNASSIGNED
from followup.io.records import Record as Line

REASON = "API import"
Problem = tuple[str, str, str, str]  # REDCap's error line: record, field, value, message


def record_in_reach(
    member: Membership, record_id: str, lines: list[Line], stored: dict[str, str]
) -> Record | Problem:
    """The record the lines name, in the user's reach (a new one for the data manager).

    ``stored`` holds the study's record IDs by their case-folded spelling; an added record
    joins it.
    """
    study = member.study
    id_column = study.dictionary.record_id
    group = next((line.access_group for line in lines if line.access_group), "")
    where = lines[0].row
    record = access.visible_records(member.user).filter(record_id=record_id).first()
    if record is not None:
        if group and group != record.hospital.code:
            return (
                record_id,
                "redcap_data_access_group",
                group,
                _(
                    "row %(row)d: the record is in %(hospital)s; an import does not move a "
                    "record to another hospital"
                )
                % {"row": where, "hospital": record.hospital.code},
            )
        return record
    if member.role != Role.DATA_MANAGER:
        return (
            record_id,
            id_column,
            record_id,
            _(
                "row %(row)d: not a record of your hospital (new records are added by the "
                "data manager)"
            )
            % {"row": where},
        )
    if record_id.casefold() in stored:
        return (
            record_id,
            id_column,
            record_id,
            _("row %(row)d: the study has this record as '%(stored)s' (record IDs ignore case)")
            % {"row": where, "stored": stored[record_id.casefold()]},
        )
    hospitals = {h.code: h for h in Hospital.objects.filter(study=study)}
    if group and group not in hospitals:
        return (
            record_id,
            "redcap_data_access_group",
            group,
            _("row %(row)d: not a data access group of the study (%(codes)s)")
            % {
                "row": where,
                "codes": ", ".join(sorted(c for c in hospitals if c != UNASSIGNED)),
            },
        )
    hospital = (
        hospitals.get(group)
        or Hospital.objects.get_or_create(
            study=study, code=UNASSIGNED, defaults={"name": UNASSIGNED.title()}
        )[0]
    )
    record = Record.objects.create(study=study, record_id=record_id, hospital=hospital)
    stored[record_id.casefold()] = record_id
    user = member.user.get_username()
    append(study, user, [Change(record_id, "", "", "create", "", "", REASON)])
    return record
