"""The ``followup`` command: demo, validate, analyze.

Exit status: 0 done; 1 validation found errors in the records; 2 bad usage or an input that cannot
be read (the message names the file, row and column). Messages go to stderr, never a traceback
(``--debug`` shows one, for a bug report).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from followup.analysis import AnalysisError, analyze
from followup.cli.demo import demo_notes, write_demo_records
from followup.io import RecordSet, load_records
from followup.study import DataDictionary, StudyError, load_dictionary
from followup.study.plan import Plan, load_plan
from followup.study.schedule import CLASSIC, Schedule
from followup.study.validation import Finding, findings_table, validate, write_findings

DONE, FINDINGS, BAD_INPUT = 0, 1, 2
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


class Steps:
    """The progress display: one line per long step on stderr, with how long it took."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.perf_counter()

    def __call__(self, what: str) -> None:
        """Say what starts now."""
        if not self.quiet:
            click.echo(f"  [{time.perf_counter() - self.start:5.1f} s] {what}", err=True)


def _run(action: Callable[[], int], debug: bool) -> None:
    """Run a command; known errors become a message and status 2."""
    try:
        status = action()
    except (StudyError, AnalysisError) as error:
        click.echo(f"error: {error}", err=True)
        status = BAD_INPUT
    except OSError as error:  # a path that cannot be read or written: which one, and why
        where = f"{error.filename}: " if error.filename else ""
        reason = error.strerror or str(error)
        click.echo(f"error: {where}{reason}; choose another path or free the disk", err=True)
        status = BAD_INPUT
    except Exception as error:  # a bug: say so plainly, without a traceback unless asked
        if debug:
            raise
        click.echo(
            f"internal error ({type(error).__name__}: {error}); rerun with --debug and report it",
            err=True,
        )
        status = BAD_INPUT
    sys.exit(status)


@click.group(name="followup", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="followup")
def cli() -> None:
    """Followup: a study's follow-up questionnaire, from REDCap files to a journal-ready report."""


dictionary_option = click.option(
    "--dictionary",
    "-d",
    "dictionary_path",
    type=EXISTING_FILE,
    required=True,
    help="REDCap data dictionary (CSV).",
)
_records_option = click.option(
    "--records",
    "-r",
    "records_path",
    type=EXISTING_FILE,
    required=True,
    help="REDCap raw or label export of the records (CSV).",
)


debug_option = click.option("--debug", is_flag=True, help="Show a traceback on an internal error.")


def _common(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")(
        function
    )
    return debug_option(function)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/demo"),
    show_default=True,
    help="Folder for the records, report and results.",
)
@click.option("--no-pdf", is_flag=True, help="Write the HTML report only.")
@_common
def demo(out: Path, no_pdf: bool, quiet: bool, debug: bool) -> None:
    """Generate the synthetic MLL03 cohort, validate, analyse and report it."""

    def action() -> int:
        steps = Steps(quiet)
        out.mkdir(parents=True, exist_ok=True)
        steps("generating the synthetic MLL03 cohort (63 patients, 20 hospitals)")
        dictionary_path, records_path, plan_path = write_demo_records(out)
        return _analyze(
            dictionary_path, records_path, plan_path, out, steps, pdf=not no_pdf, notes=demo_notes()
        )

    _run(action, debug)


optional_plan_option = click.option(
    "--plan",
    "-p",
    "plan_path",
    type=EXISTING_FILE,
    help="Analysis plan (YAML): adds its cross-field rules, missing-data codes and schedule.",
)


@cli.command(name="validate", short_help="Check records; list every finding.")
@dictionary_option
@_records_option
@optional_plan_option
@click.option(
    "--findings",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the findings as CSV here.",
)
@_common
def validate_command(
    dictionary_path: Path,
    records_path: Path,
    plan_path: Path | None,
    findings: Path | None,
    quiet: bool,
    debug: bool,
) -> None:
    """Check records against the dictionary (and the plan's rules); list every finding."""

    def action() -> int:
        steps = Steps(quiet)
        dictionary, records, plan, schedule = _load(dictionary_path, records_path, plan_path, steps)
        found = _findings(dictionary, records, plan, schedule)
        if findings is not None:
            write_findings(found, findings)
        _print_findings(found, len(records.record_ids()))
        return FINDINGS if any(f.severity == "error" for f in found) else DONE

    _run(action, debug)


@cli.command(name="analyze", short_help="Validate, analyse and write the report.")
@dictionary_option
@_records_option
@click.option(
    "--plan",
    "-p",
    "plan_path",
    type=EXISTING_FILE,
    required=True,
    help="Analysis plan (YAML), with the study's schedule if it has one.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for report.html, report.pdf, results.json, figures/ and tables/.",
)
@click.option("--no-pdf", is_flag=True, help="Write the HTML report only.")
@_common
def analyze_command(
    dictionary_path: Path,
    records_path: Path,
    plan_path: Path,
    out: Path,
    no_pdf: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Validate, run the plan and write the report; records with errors stop it (status 1)."""
    _run(
        lambda: _analyze(
            dictionary_path, records_path, plan_path, out, Steps(quiet), pdf=not no_pdf
        ),
        debug,
    )


def _load(
    dictionary_path: Path, records_path: Path, plan_path: Path | None, steps: Steps
) -> tuple[DataDictionary, RecordSet, Plan | None, Schedule]:
    """The dictionary, the plan and its schedule (events, repeats) if any, and the records."""
    steps(f"reading the data dictionary {dictionary_path}")
    dictionary = load_dictionary(dictionary_path)
    for warning in dictionary.warnings:  # what REDCap would fix itself, and how it was read
        click.echo(f"warning: {dictionary_path}: {warning}", err=True)
    plan, schedule = None, CLASSIC
    if plan_path is not None:
        steps(f"reading the analysis plan {plan_path}")
        plan = load_plan(plan_path, dictionary)
        if plan.schedule_files:
            steps(f"reading the schedule {', '.join(map(str, plan.schedule_files.values()))}")
        schedule = plan.load_schedule()
    steps(f"reading the records {records_path}")
    codes = plan.missing_codes if plan is not None else {}
    records = load_records(records_path, dictionary, missing_codes=codes, schedule=schedule)
    return dictionary, records, plan, schedule


def _findings(
    dictionary: DataDictionary, records: RecordSet, plan: Plan | None, schedule: Schedule
) -> list[Finding]:
    if plan is None:
        return validate(dictionary, records, schedule=schedule)
    return validate(
        dictionary,
        records,
        plan.rules,
        plan.form_logic,
        plan.missing_codes,
        schedule,
        plan.instances,
    )


def _print_findings(found: Sequence[Finding], count: int) -> None:
    errors = sum(f.severity == "error" for f in found)
    if found:
        click.echo(findings_table(found))
    click.echo(f"{count} records: {errors} error(s), {len(found) - errors} warning(s)", err=True)


def _analyze(
    dictionary_path: Path,
    records_path: Path,
    plan_path: Path,
    out: Path,
    steps: Steps,
    *,
    pdf: bool,
    notes: Sequence[str] = (),
) -> int:
    from followup.report import write_report  # matplotlib and the templates load only here

    dictionary, records, plan, schedule = _load(dictionary_path, records_path, plan_path, steps)
    assert plan is not None
    steps("validating")
    found = _findings(dictionary, records, plan, schedule)
    out.mkdir(parents=True, exist_ok=True)
    if found:
        write_findings(found, out / "findings.csv")
    if any(f.severity == "error" for f in found):
        _print_findings(found, len(records.record_ids()))
        click.echo(
            f"not analysed: fix the errors above (also in {out / 'findings.csv'}) and run again",
            err=True,
        )
        return FINDINGS
    steps("analysing")
    results = analyze(records, plan, schedule=schedule)
    files = write_report(
        results, out, notes=notes, pdf=pdf, progress=lambda what: steps(f"writing {what}")
    )
    steps("done")
    click.echo(f"report: {files.html}")
    click.echo(f"word:   {files.docx}")
    if files.pdf is not None:
        click.echo(f"pdf:    {files.pdf}")
    click.echo(f"data:   {files.results_json}")
    return DONE


def main() -> None:
    """The console-script entry point."""
    cli(prog_name="followup")
