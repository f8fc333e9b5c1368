"""Command-line tools for organisers: thin wrappers around the services."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask

from cocreate.accounts.models import Role
from cocreate.accounts.services import create_user, generate_password, user_by_email
from cocreate.consultations.models import Consultation
from cocreate.db import utcnow
from cocreate.drafts.importing import DraftFormatError, parse_draft
from cocreate.drafts.services import import_draft
from cocreate.errors import DomainError
from cocreate.exports.importing import ExportFileError, import_consultation
from cocreate.exports.options import parse_options
from cocreate.exports.services import Channel, export
from cocreate.extensions import db
from cocreate.privacy.services import erase_expired, retention_due

DEMO_FILE = Path(__file__).parent / "demo" / "renewable-energy-draft.json"
DEMO_MODERATOR = "moderator@example.org"


@click.command("create-admin")
@click.argument("email")
def create_admin_command(email: str) -> None:
    """Create an administrator (password from COCREATE_ADMIN_PASSWORD or a prompt)."""
    password = os.environ.get("COCREATE_ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = create_user(email, password, role=Role.ADMIN)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Administrator {user.email} created.")


@click.command("import-draft")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--moderator", "moderator_email", help="Email of the moderator to put in charge.")
def import_draft_command(file: Path, as_json: bool, moderator_email: str | None) -> None:
    """Import a draft (.json in cocreate-draft/1 or a flat .csv) as a new open consultation."""
    moderators = []
    if moderator_email:
        moderator = user_by_email(moderator_email)
        if moderator is None:
            raise click.ClickException(f"No account has the address {moderator_email}.")
        moderators.append(moderator)
    try:
        spec = parse_draft(file.read_bytes(), file.name)
    except DraftFormatError as error:
        raise click.ClickException(f"{file.name} was not imported:\n{error}") from None
    consultation = import_draft(spec, moderators=moderators)
    report = {
        "id": consultation.id,
        "join_code": consultation.join_code,
        "title": consultation.title,
        "items": sum(len(d.items) for d in consultation.documents),
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        click.echo(
            f"Imported consultation {report['id']} “{report['title']}” with "
            f"{report['items']} items; join code {report['join_code']}."
        )


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo consultation into an empty database and print how to get in.

    The demo moderator gets a new password every time, printed here and nowhere else.
    """
    if db.session.scalar(sa.select(sa.func.count()).select_from(Consultation)) == 0:
        moderator = user_by_email(DEMO_MODERATOR) or create_user(
            DEMO_MODERATOR, generate_password(), role=Role.ADMIN, display_name="Demo moderator"
        )
        spec = parse_draft(DEMO_FILE.read_bytes(), DEMO_FILE.name)
        import_draft(spec, moderators=[moderator])
    moderator = user_by_email(DEMO_MODERATOR)
    consultation = db.session.scalars(sa.select(Consultation).order_by(Consultation.id)).first()
    if moderator is None or consultation is None:
        click.echo("The database already holds consultations; the demo was not loaded.")
        return
    password = generate_password()
    moderator.set_password(password)
    db.session.commit()
    click.echo(
        "\n  cocreate demo\n"
        f"  moderator login: {moderator.email} / {password}\n"
        f"  join code:       {consultation.join_code}  "
        f"(http://127.0.0.1:5000/join/{consultation.join_code})\n"
    )


@click.command("export")
@click.argument("consultation_id", metavar="ID", type=int)
@click.option(
    "--format", "fmt", required=True, help="xlsx, csv (a zip of the tables), json or pdf."
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write; - writes to standard output.",
)
@click.option("--mode", default="shared", show_default=True, help="shared or full.")
@click.option(
    "--event",
    help="Only what happened during this live event: its id or its title (in any case).",
)
@click.option(
    "--group", help="Only this stakeholder group's participants: its id or name (in any case)."
)
@click.option("--region", help="Only this region's participants: its id or name (in any case).")
def export_command(consultation_id, fmt, output, mode, event, group, region) -> None:
    """Export consultation ID's results to a file.

    The command line acts as the operator, like an administrator: no account is needed
    and the full mode is allowed. A full export, which holds personal data, is recorded
    in the consultation's audit log as the operator's. The file appears only once complete.
    A title or name that several share is refused with their ids: give the id instead.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"There is no consultation {consultation_id}.")
    try:
        options = parse_options(consultation, mode=mode, event=event, group=group, region=region)
        chosen, stream = export(consultation, None, fmt, options, channel=Channel.COMMAND_LINE)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    if str(output) == "-":
        out = click.get_binary_stream("stdout")
        for chunk in stream:
            out.write(chunk)
        return
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as file:
            for chunk in stream:
                file.write(chunk)
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    click.echo(
        f"Exported consultation {consultation.id} ({chosen.name}, {options.mode.value}) to "
        f"{output}: {output.stat().st_size:,} bytes.",
        err=True,
    )


@click.command("import-consultation")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--moderator", "moderator_email", help="Email of a moderator to add.")
def import_consultation_command(file: Path, as_json: bool, moderator_email: str | None) -> None:
    """Import a full JSON export (cocreate-export/1) as a new consultation.

    The file's moderators who have an account here moderate it. Participants get new
    secrets: nobody can sign in as them again.
    """
    moderators = []
    if moderator_email:
        moderator = user_by_email(moderator_email)
        if moderator is None:
            raise click.ClickException(f"No account has the address {moderator_email}.")
        moderators.append(moderator)
    try:
        imported = import_consultation(file.read_bytes(), moderators=moderators)
    except ExportFileError as error:
        if as_json:
            click.echo(
                json.dumps({"imported": False, "problems": error.problems}, ensure_ascii=False)
            )
            raise SystemExit(1) from None
        raise click.ClickException(f"{file.name} was not imported:\n{error}") from None
    consultation = imported.consultation
    report = {
        "imported": True,
        "id": consultation.id,
        "join_code": consultation.join_code,
        "title": consultation.title,
        **imported.counts,
        "unknown_accounts": imported.unknown_accounts,
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(
        f"Imported consultation {report['id']} “{report['title']}” with {report['items']} "
        f"items, {report['participants']} participants, {report['comments']} comments and "
        f"{report['votes']} votes; join code {report['join_code']}."
    )
    if imported.unknown_accounts:
        click.echo(
            "No account here has these addresses, so what they did is kept without its "
            "author: " + ", ".join(imported.unknown_accounts)
        )


@click.command("erase-expired")
@click.option("--dry-run", is_flag=True, help="Only list what would be erased; change nothing.")
def erase_expired_command(dry_run: bool) -> None:
    """Erase participants' personal data where the retention period is over.

    For consultations with a retention period, once it has run out after closing: names,
    tokens and return codes go; votes and comments stay in the results, anonymised. Run it
    daily (from cron or a systemd timer); running it again erases nothing more.
    """
    now = utcnow()
    due = retention_due(now)
    for entry in due:
        consultation = entry.consultation
        click.echo(
            f"Consultation {consultation.id} “{consultation.title}”: {entry.pending} "
            f"participant(s) to erase; kept {consultation.retention_days} days after closing, "
            f"due since {entry.due_at:%Y-%m-%d %H:%M} UTC."
        )
    if dry_run:
        pending = sum(entry.pending for entry in due)
        click.echo(f"Dry run: {pending} participant(s) would be erased; nothing was changed.")
        return
    erased = erase_expired(now)
    click.echo(f"Erased the personal data of {erased} participant(s).")


def init_app(app: Flask) -> None:
    for command in (
        create_admin_command,
        import_draft_command,
        seed_demo_command,
        export_command,
        import_consultation_command,
        erase_expired_command,
    ):
        app.cli.add_command(command)
