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


def _django(data_dir: Path, *, local: bool = True) -> None:
    from followup.capture.database import start_django

    data_dir.mkdir(parents=True, exist_ok=True)
    start_django(data_dir.resolve(), local=local)


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
_NEEDS_KEY = (
    "error: set FOLLOWUP_SECRET_KEY first: only the demo may keep a generated key in its data "
    "folder (e.g. export FOLLOWUP_SECRET_KEY=$(python -c 'import secrets; "
    "print(secrets.token_urlsafe(50))'), and keep it private)"
)


def _real_study_without_key() -> bool:
    """A study that is not the demo, served or linked without the deployment's own key."""
    from django.conf import settings

    from followup.capture.demo import is_demo
    from followup.capture.models import Study

    study = Study.objects.first()
    return not settings.SECRET_KEY_FROM_ENVIRONMENT and (study is None or not is_demo(study))


@cli.command(short_help="Run the web app (creates the demo study on first run).")
@_DATA
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any other than loopback turns on HTTPS-only cookies, HSTS and "
    "the redirect to HTTPS (put a TLS proxy in front) and needs FOLLOWUP_SECRET_KEY.",
)
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--no-demo", is_flag=True, help="Do not create the demo study in an empty database.")
@debug_option
def serve(data_dir: Path, host: str, port: int, no_demo: bool, debug: bool) -> None:
    """Migrate, create the demo study and users if the database is empty, print sign-ins, serve.

    One server per data folder: a second is refused while the first runs. Passwords are
    printed once, when the demo is created; a restart changes nobody's password.
    """

    def action() -> int:
        local = host in _LOOPBACK
        _django(data_dir, local=local)
        from followup.capture.server_lock import ServerRunning, hold

        url = f"http://{host if ':' not in host or host.startswith('[') else f'[{host}]'}:{port}"
        try:
            lock = hold(data_dir, url)
        except ServerRunning as running:
            click.echo(f"error: {running}", err=True)
            return BAD_INPUT
        try:
            return _serve(data_dir, host, port, url, no_demo)
        finally:
            lock.release()

    _run(action, debug)


def _serve(data_dir: Path, host: str, port: int, url: str, no_demo: bool) -> int:
    from django.core.management import call_command

    from followup.capture.models import Study

    click.echo(f"database: migrating {data_dir / 'followup.sqlite3'}", err=True)
    _migrate()
    created = []
    if Study.objects.first() is None and not no_demo:
        created = _create_demo(data_dir)
    if _real_study_without_key():
        click.echo(_NEEDS_KEY, err=True)
        return BAD_INPUT
    _print_users(created)
    click.echo(f"Followup is at {url}/  (Ctrl-C stops it)")
    call_command(
        "runserver", f"{host}:{port}", use_reloader=False, use_threading=True, skip_checks=False
    )
    return DONE


def _print_users(created: list) -> None:  # type: ignore[type-arg]
    from followup.capture.models import Membership

    if created:
        click.echo("Demo users (write the passwords down: they are shown this once):")
        for u in created:
            click.echo(f"  {u.username:<14} {u.password:<18} {u.role} ({u.hospital})")
        return
    names = ", ".join(Membership.objects.values_list("user__username", flat=True).order_by("id"))
    if names:
        click.echo(
            f"Users: {names}. Passwords are unchanged; `followup signin-link NAME` "
            "prints a link to choose a new one."
        )


def _create_demo(data_dir: Path) -> list:  # type: ignore[type-arg]
    from followup.capture.demo import create_demo
    from followup.cli.demo import write_demo_records
    from followup.cli.studies import study_folder
    from followup.io import load_records
    from followup.study import load_dictionary
    from followup.study.plan import load_plan

    dictionary_path, records_path, plan_path = write_demo_records(data_dir)
    dictionary = load_dictionary(dictionary_path)
    schedule = load_plan(plan_path, dictionary).load_schedule()
    records = load_records(records_path, dictionary, schedule=schedule)
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
        from django.db import transaction

        from followup.capture.models import Study
        from followup.capture.setup import create_study, load_records, schedule_texts
        from followup.io import load_records as read_export
        from followup.study import load_dictionary
        from followup.study.plan import load_plan
        from followup.study.schedule import read_schedule

        if Study.objects.exists():
            click.echo(
                "error: this database already has a study; use the web page Study set-up", err=True
            )
            return BAD_INPUT
        plan = plan_path.read_text(encoding="utf-8") if plan_path else ""
        dictionary = load_dictionary(dictionary_path)
        files = schedule_texts(plan_path, dictionary) if plan_path else {}
        schedule = read_schedule(files)
        codes = load_plan(plan_path, dictionary).missing_codes if plan_path else {}
        export = (  # read and checked before anything is stored
            read_export(records_path, dictionary, missing_codes=codes, schedule=schedule)
            if records_path is not None
            else None
        )
        with transaction.atomic():  # the study and its records, or nothing
            study = create_study(name, dictionary_path.read_text(encoding="utf-8-sig"), plan, files)
            count = load_records(study, export, user="followup setup") if export else 0
        if export is not None:
            click.echo(f"{count} records loaded into {study.hospitals.count()} hospitals", err=True)
        click.echo(f"study created: {name}")
        return DONE

    _run(action, debug)


def _link_base(data_dir: Path) -> str:
    """Where printed links point: FOLLOWUP_BASE_URL, else the running server, else the default."""
    from followup.capture.people import base_url
    from followup.capture.server_lock import running_server

    server = running_server(data_dir) or {}
    return base_url(str(server.get("url") or "http://127.0.0.1:8000"))


@cli.command(short_help="Add a user and print their sign-in link.")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["data_manager", "coordinator", "statistician", "administrator"]),
    required=True,
    help="What the user may do.",
)
@click.option("--hospital", help="The hospital's access-group code (coordinators).")
@click.option("--email", default="", help="Where to send the invitation (Django's mail settings).")
@click.option(
    "--language", type=click.Choice(["", "en", "ja"]), default="", help="The user's language."
)
@_DATA
@debug_option
def createuser(
    username: str,
    role: str,
    hospital: str | None,
    email: str,
    language: str,
    data_dir: Path,
    debug: bool,
) -> None:
    """Create a user with a role; print a one-use link to choose a password (mailed if --email).

    A user name that exists is refused: `followup signin-link NAME` gives its owner a new link.
    """

    def action() -> int:
        _django(data_dir)
        _migrate()
        from django.core.mail import send_mail

        from followup.capture.audit import Change, append
        from followup.capture.models import Hospital, Study
        from followup.capture.people import PeopleError, create_user, sign_in_link

        study = Study.objects.first()
        if study is None:
            click.echo("error: there is no study yet: create it with `followup setup`", err=True)
            return BAD_INPUT
        if _real_study_without_key():
            click.echo(_NEEDS_KEY, err=True)
            return BAD_INPUT
        place = None
        if hospital:
            place = Hospital.objects.filter(study=study, code=hospital).first()
            if place is None:
                codes = ", ".join(study.hospitals.values_list("code", flat=True))
                click.echo(f"error: no hospital '{hospital}' (known: {codes})", err=True)
                return BAD_INPUT
        try:
            user = create_user(
                study, username, role, hospital=place, email=email, language=language
            )
        except PeopleError as error:
            click.echo(f"error: {error}", err=True)
            return BAD_INPUT
        append(
            study,
            "followup createuser",
            [Change("", "", f"user:{username}", "user_invite", "", role)],
        )
        link = sign_in_link(_link_base(data_dir), user)
        if email:
            send_mail(
                "Your Followup sign-in link", f"Choose your password here: {link}", None, [email]
            )
        click.echo(f"{username}: {link}")
        return DONE

    _run(action, debug)


@cli.command(name="signin-link", short_help="Print a one-use link for a user to choose a password.")
@click.argument("username")
@_DATA
@debug_option
def signin_link(username: str, data_dir: Path, debug: bool) -> None:
    """A new one-use link to choose a password, for a user who lost theirs (in the audit trail)."""

    def action() -> int:
        _django(data_dir)
        _migrate()
        from django.contrib.auth import get_user_model

        from followup.capture.audit import Change, append
        from followup.capture.models import Study
        from followup.capture.people import sign_in_link

        if _real_study_without_key():
            click.echo(_NEEDS_KEY, err=True)
            return BAD_INPUT
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            click.echo(f"error: there is no user '{username}'", err=True)
            return BAD_INPUT
        append(
            Study.objects.first(),
            "followup signin-link",
            [Change("", "", f"user:{username}", "user_change", "", "password link printed")],
        )
        click.echo(f"{username}: {sign_in_link(_link_base(data_dir), user)}")
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
        from followup.capture.audit_anchor import write_checkpoint
        from followup.capture.database import backup as copy

        mark = write_checkpoint()  # the trail's end as it is in this backup, signed
        click.echo(f"backup: {copy(target)} (audit checkpoint: {mark['entries']} entries)")
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
        from followup.capture.database import RestoreError
        from followup.capture.database import restore as put_back

        try:
            put_back(source)
        except RestoreError as error:
            click.echo(f"error: {error}", err=True)
            return BAD_INPUT
        from followup.capture.audit_anchor import write_checkpoint

        mark = write_checkpoint()  # the restored trail is now the one to verify against
        click.echo(f"restored from {source}; audit checkpoint reset to {mark['entries']} entries")
        return DONE

    _run(action, debug)


@cli.group()
def audit() -> None:
    """The audit trail."""


@audit.command(short_help="Write the trail's signed checkpoint (run it from a schedule).")
@_DATA
@debug_option
def checkpoint(data_dir: Path, debug: bool) -> None:
    """Sign where the trail ends now into audit-checkpoint.json beside the data.

    Saves write it too; a schedule (cron) and FOLLOWUP_AUDIT_ANCHOR, a command that receives it
    on standard input, keep a copy where the database cannot roll it back.
    """

    def action() -> int:
        _django(data_dir)
        from followup.capture.audit_anchor import write_checkpoint

        mark = write_checkpoint()
        click.echo(f"audit checkpoint: {mark['entries']} entries, last {mark['last_id']}")
        return DONE

    _run(action, debug)


@audit.command(short_help="Check the hash chain of the audit trail.")
@_DATA
@debug_option
def verify(data_dir: Path, debug: bool) -> None:
    """Check the trail's hash chain, then replay it against every stored value.

    Names the first entry that was changed, removed or reordered, and each stored value the
    trail does not account for.
    """

    def action() -> int:
        _django(data_dir)
        from followup.capture.audit import verify as check
        from followup.capture.audit_replay import differences
        from followup.capture.models import Study

        result = check()
        if not result.ok:
            click.echo(
                f"audit trail BROKEN at entry {result.first_broken}: {result.reason}", err=True
            )
            return FINDINGS
        found = [d for study in Study.objects.all() for d in differences(study)]
        for difference in found:
            click.echo(f"stored value not in the trail: {difference}", err=True)
        if found:
            click.echo(
                f"audit trail intact ({result.entries} entries), but {len(found)} stored "
                "values differ from what it records",
                err=True,
            )
            return FINDINGS
        click.echo(f"audit trail intact: {result.entries} entries; every stored value replays")
        return DONE

    _run(action, debug)
