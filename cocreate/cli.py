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
from cocreate.drafts.importing import DraftFormatError, parse_draft
from cocreate.drafts.services import import_draft
from cocreate.errors import DomainError
from cocreate.extensions import db

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


def init_app(app: Flask) -> None:
    for command in (create_admin_command, import_draft_command, seed_demo_command):
        app.cli.add_command(command)
