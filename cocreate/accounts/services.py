"""Accounts: administrators create them, moderators use them, nobody needs email."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from cocreate.accounts.models import Role, User
from cocreate.authz import require_admin
from cocreate.errors import InvalidInput, NotFound
from cocreate.extensions import db

MIN_PASSWORD_LENGTH = 10


def generate_password() -> str:
    """A password to hand over once: about 96 bits, no look-alike characters."""
    return secrets.token_urlsafe(12)


def normalise_email(email: str) -> str:
    """:raises InvalidInput: for something that is not an email address."""
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(
            _("%(email)s is not a valid email address.", email=email.strip()[:254]), field="email"
        ) from error
    return valid.normalized.lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            _("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(email: str, password: str, *, role: Role, display_name: str = "") -> User:
    """:raises InvalidInput: for a bad address, a weak password or a taken address."""
    email = normalise_email(email)
    check_password_strength(password)
    if user_by_email(email) is not None:
        raise InvalidInput(
            _("An account with %(email)s already exists.", email=email), field="email"
        )
    user = User(email=email, role=role, display_name=display_name.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account with these credentials, or ``None``."""
    user = user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def invite_moderator(actor: User, email: str, display_name: str = "") -> tuple[User, str]:
    """Create a moderator account; the one-time password goes to the administrator to hand on.

    :raises NotAllowed, InvalidInput:
    """
    require_admin(actor)
    password = generate_password()
    user = create_user(email, password, role=Role.MODERATOR, display_name=display_name)
    return user, password


def reset_password(actor: User, user_id: int) -> tuple[User, str]:
    """:raises NotAllowed, NotFound:"""
    require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such account."))
    password = generate_password()
    user.set_password(password)
    db.session.commit()
    return user, password


def change_own_password(user: User, current: str, new: str) -> None:
    """:raises InvalidInput:"""
    if not user.check_password(current):
        raise InvalidInput(_("Your current password is not right."), field="current_password")
    check_password_strength(new)
    user.set_password(new)
    db.session.commit()


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.role, User.email)))
