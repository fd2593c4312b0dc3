"""The web app's commands: serve, createuser, backup, restore, audit verify."""

from __future__ import annotations

from pathlib import Path

import click

from followup.cli.main import (
    BAD_INPUT,
    DONE,
    EXISTING_FILE,
    FINDINGS,
    _run,
    cli,
    debug_option,
    dictionary_option,
)

_DATA = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("followup-data"),
    show_default=True,
    help="Folder of the SQLite database and mail (DATABASE_URL overrides the database).",
)


def _django(data_dir: Path) -> None:
    from followup.capture.database import start_django

    data_dir.mkdir(parents=True, exist_ok=True)
    start_django(data_dir.resolve())


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


@cli.command(short_help="Run the web app (creates the demo study on first run).")
@_DATA
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--no-demo", is_flag=True, help="Do not create the demo study in an empty database.")
@debug_option
def serve(data_dir: Path, host: str, port: int, no_demo: bool, debug: bool) -> None:
    """Migrate, create the demo study and users if the database is empty, print sign-ins, serve."""

    def action() -> int:
        _django(data_dir)
        click.echo(f"database: migrating {data_dir / 'followup.sqlite3'}", err=True)
        _migrate()
        from followup.capture.models import Study

        study = Study.objects.first()
        users = []
        if study is None and not no_demo:
            users = _create_demo(data_dir)
        elif study is not None and study.name.endswith("(demo)"):
            from followup.capture.demo import reset_demo_passwords

            users = reset_demo_passwords(study)
        url = f"http://{host}:{port}/"
        if users:
            click.echo("Demo users (passwords are new each time the server starts):")
            for u in users:
                click.echo(f"  {u.username:<14} {u.password:<14} {u.role} ({u.hospital})")
        click.echo(f"Followup is at {url}  (Ctrl-C stops it)")
        from django.core.management import call_command

        call_command(
            "runserver", f"{host}:{port}", use_reloader=False, use_threading=True, skip_checks=False
        )
        return DONE

    _run(action, debug)


def _create_demo(data_dir: Path) -> list:  # type: ignore[type-arg]
    from followup.capture.demo import create_demo
    from followup.cli.demo import write_demo_records
    from followup.cli.studies import study_folder
    from followup.io import load_records
    from followup.study import load_dictionary

    dictionary_path, records_path, _ = write_demo_records(data_dir)
    records = load_records(records_path, load_dictionary(dictionary_path))
    _, users = create_demo(study_folder("mll03"), records)
    return users


@cli.command(name="setup", short_help="Create the study in the web app's database.")
@click.option("--name", required=True, help="The study's name, as pages and mails show it.")
@dictionary_option
@click.option(
    "--plan",
    "-p",
    "plan_path",
    type=EXISTING_FILE,
    help="Analysis plan (YAML).",
)
@click.option(
    "--records",
    "-r",
    "records_path",
    type=EXISTING_FILE,
    help="REDCap export of the records to load (hospitals from redcap_data_access_group).",
)
@_DATA
@debug_option
def setup_command(
    name: str,
    dictionary_path: Path,
    plan_path: Path | None,
    records_path: Path | None,
    data_dir: Path,
    debug: bool,
) -> None:
    """Create the study from its dictionary (plan, records); then add people with createuser."""

    def action() -> int:
        _django(data_dir)
        _migrate()
        from followup.capture.models import Study
        from followup.capture.setup import create_study, load_records
        from followup.io import load_records as read_export

        if Study.objects.exists():
            click.echo(
                "error: this database already has a study; use the web page Study set-up", err=True
            )
            return BAD_INPUT
        plan = plan_path.read_text(encoding="utf-8") if plan_path else ""
        study = create_study(name, dictionary_path.read_text(encoding="utf-8-sig"), plan)
        if records_path is not None:
            count = load_records(
                study, read_export(records_path, study.dictionary), user="followup setup"
            )
            click.echo(f"{count} records loaded into {study.hospitals.count()} hospitals", err=True)
        click.echo(f"study created: {name}")
        return DONE

    _run(action, debug)


@cli.command(short_help="Add a user (or reset one) and print the sign-in link.")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["data_manager", "coordinator", "statistician", "administrator"]),
    required=True,
    help="What the user may do.",
)
@click.option("--hospital", help="The hospital's access-group code (coordinators).")
@click.option("--email", default="", help="Where to send the invitation (Django's mail settings).")
@_DATA
@debug_option
def createuser(
    username: str, role: str, hospital: str | None, email: str, data_dir: Path, debug: bool
) -> None:
    """Create a user with a role; print a one-use link to choose a password (mailed if --email)."""

    def action() -> int:
        _django(data_dir)
        _migrate()
        from django.conf import settings
        from django.core.mail import send_mail

        from followup.capture.models import Hospital, Study
        from followup.capture.setup import add_user, invitation_link

        study = Study.objects.first()
        if study is None:
            click.echo("error: there is no study yet: create it with `followup setup`", err=True)
            return BAD_INPUT
        place = None
        if hospital:
            place = Hospital.objects.filter(study=study, code=hospital).first()
            if place is None:
                codes = ", ".join(study.hospitals.values_list("code", flat=True))
                click.echo(f"error: no hospital '{hospital}' (known: {codes})", err=True)
                return BAD_INPUT
        try:
            add_user(study, username, role, hospital=place, email=email)
        except ValueError as error:
            click.echo(f"error: {error}", err=True)
            return BAD_INPUT
        link = invitation_link(settings.FOLLOWUP_BASE_URL, username).link
        if email:
            send_mail(
                "Your Followup sign-in link", f"Choose your password here: {link}", None, [email]
            )
        click.echo(f"{username}: {link}")
        return DONE

    _run(action, debug)


@cli.command(short_help="Copy the live database consistently.")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@_DATA
@debug_option
def backup(target: Path, data_dir: Path, debug: bool) -> None:
    """Write a consistent copy of the database, safe while the server runs."""

    def action() -> int:
        _django(data_dir)
        from followup.capture.database import backup as copy

        click.echo(f"backup: {copy(target)}")
        return DONE

    _run(action, debug)


@cli.command(short_help="Replace the database with a backup.")
@click.argument("source", type=EXISTING_FILE)
@_DATA
@debug_option
def restore(source: Path, data_dir: Path, debug: bool) -> None:
    """Put a backup in place of the database (stop the server first)."""

    def action() -> int:
        _django(data_dir)
        from followup.capture.database import restore as put_back

        put_back(source)
        click.echo(f"restored from {source}")
        return DONE

    _run(action, debug)


@cli.group()
def audit() -> None:
    """The audit trail."""


@audit.command(short_help="Check the hash chain of the audit trail.")
@_DATA
@debug_option
def verify(data_dir: Path, debug: bool) -> None:
    """Recompute every entry's hash; name the first entry that was changed, removed or reordered."""

    def action() -> int:
        _django(data_dir)
        from followup.capture.audit import verify as check

        result = check()
        if result.ok:
            click.echo(f"audit trail intact: {result.entries} entries")
            return DONE
        click.echo(f"audit trail BROKEN at entry {result.first_broken}: {result.reason}", err=True)
        return FINDINGS

    _run(action, debug)
