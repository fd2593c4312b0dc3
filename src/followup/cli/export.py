"""``followup export``: the records in the formats statisticians continue in.

The same exports as the web's export page, from the files: a dictionary, a records export and,
for the missing-data codes and the schedule, the plan. Files are written into ``--out``; a
format of several files (R, SAS) writes each. Date shifts and hashed record IDs use the key in
FOLLOWUP_EXPORT_KEY, so that two exports shift each record alike; without it a random key is
used once, and said so.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from followup.cli.main import (
    DONE,
    Steps,
    _common,
    _load,
    _records_option,
    _run,
    cli,
    dictionary_option,
    optional_plan_option,
)
from followup.io.export_options import ExportOptions
from followup.io.export_table import export_table, record_rows, schedule_of
from followup.io.exports import FORMATS, export_files
from followup.study.inputs import InputError
from followup.study.plan import Plan

KEY_VARIABLE = "FOLLOWUP_EXPORT_KEY"


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


@cli.command(name="export", short_help="Write the records as CSV, Excel, SPSS, Stata, SAS, R, ODM.")
@dictionary_option
@_records_option
@optional_plan_option
@click.option(
    "--format",
    "-f",
    "formats",
    type=click.Choice(list(FORMATS)),
    multiple=True,
    required=True,
    help="Format (repeat for several): " + ", ".join(FORMATS) + ".",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the files.",
)
@click.option("--forms", default="", help="Forms to export, comma-separated (default: all).")
@click.option("--fields", default="", help="Fields to export, comma-separated.")
@click.option("--hospitals", default="", help="Hospital codes (data access groups) to export.")
@click.option("--drop-identifiers", is_flag=True, help="Remove the fields marked Identifier.")
@click.option("--remove-free-text", is_flag=True, help="Remove unvalidated text and notes.")
@click.option("--remove-dates", is_flag=True, help="Remove every date and date-time field.")
@click.option("--shift-dates", is_flag=True, help="Move each record's dates back by 0-364 days.")
@click.option("--hash-record-id", is_flag=True, help="Replace record IDs by a keyed hash.")
@_common
def export_command(
    dictionary_path: Path,
    records_path: Path,
    plan_path: Path | None,
    formats: tuple[str, ...],
    out: Path,
    forms: str,
    fields: str,
    hospitals: str,
    drop_identifiers: bool,
    remove_free_text: bool,
    remove_dates: bool,
    shift_dates: bool,
    hash_record_id: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Write the records in each format asked, with the chosen forms, fields and hospitals."""
    options = ExportOptions(
        forms=_names(forms),
        fields=_names(fields),
        hospitals=_names(hospitals),
        drop_identifiers=drop_identifiers,
        remove_free_text=remove_free_text,
        remove_dates=remove_dates,
        shift_dates=shift_dates,
        hash_record_id=hash_record_id,
    )

    def action() -> int:
        steps = Steps(quiet)
        dictionary, records, plan, schedule = _load(dictionary_path, records_path, plan_path, steps)
        _check_hospitals(options.hospitals, {r.access_group for r in records})
        table = export_table(
            dictionary,
            record_rows(records),
            title=_title(plan, dictionary_path),
            options=options,
            schedule=schedule_of(records, schedule),
            missing_codes=plan.missing_codes if plan is not None else {},
            key=_key(options),
            dictionary_text=dictionary_path.read_text(encoding="utf-8-sig"),
        )
        out.mkdir(parents=True, exist_ok=True)
        stem = records_path.stem
        for name in formats:
            steps(f"writing {FORMATS[name].title}")
            for file_name, content in export_files(table, name, stem).items():
                (out / file_name).write_bytes(content)
                click.echo(f"{name}: {out / file_name}")
        return DONE

    _run(action, debug)


def _check_hospitals(asked: tuple[str, ...], present: set[str]) -> None:
    """A hospital code no record has is a typo, not an empty export."""
    unknown = [code for code in asked if code not in present]
    if unknown:
        known = ", ".join(sorted(present - {""})) or "none: the file has no data access groups"
        raise InputError(
            "--hospitals",
            f"{', '.join(map(repr, unknown))} is not a hospital of the records; "
            f"their data access groups are: {known}",
        )


def _title(plan: Plan | None, dictionary_path: Path) -> str:
    return plan.model.study if plan is not None else dictionary_path.stem


def _key(options: ExportOptions) -> bytes:
    if not (options.shift_dates or options.hash_record_id):
        return b""
    key = os.environ.get(KEY_VARIABLE, "")
    if key:
        return key.encode("utf-8")
    click.echo(
        f"note: {KEY_VARIABLE} is not set: a random key was used, so another export will "
        "shift and hash differently",
        err=True,
    )
    return secrets.token_bytes(32)
