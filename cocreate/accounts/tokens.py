"""Moderators' personal API tokens, for exports and scripts.

A secret is shown once, when it is created; only its SHA-256 digest is stored, so a leaked
database gives nobody access. Secrets start with ``cct_`` so that a leaked one is easy to
recognise (in logs, in a repository) and so that the API tells them from participant tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from cocreate.accounts.models import ApiToken, User
from cocreate.db import utcnow
from cocreate.errors import InvalidInput, NotFound
from cocreate.extensions import db

PREFIX = "cct_"
MAX_NAME_LENGTH = 80
MAX_ACTIVE_TOKENS = 20
# Recording every use would write on every API call; once a minute says enough.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def is_api_token(secret: str | None) -> bool:
    """Whether ``secret`` looks like a moderator's API token (rather than a participant's)."""
    return bool(secret) and secret.startswith(PREFIX)


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret, which is shown this once and never again.

    :raises InvalidInput: for a missing or overlong name, or too many active tokens.
    """
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(
            _("Give the token a name, such as the script that uses it."), field="name"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            _("A token's name has at most %(n)d characters.", n=MAX_NAME_LENGTH), field="name"
        )
    active = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if active >= MAX_ACTIVE_TOKENS:
        raise InvalidInput(
            _(
                "You have %(n)d active tokens, the most there may be: revoke one you no "
                "longer use first.",
                n=MAX_ACTIVE_TOKENS,
            ),
            field="name",
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, digest=token_digest(secret))
    db.session.add(token)
    db.session.commit()
    return token, secret


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s own tokens; it stops working at once. Revoking a revoked
    token changes nothing.

    :raises NotFound: for an unknown token or another account's.
    """
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("You have no such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """``user``'s tokens, active ones first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def user_by_api_token(secret: str | None, *, now: datetime | None = None) -> User | None:
    """The active account an active token belongs to, or ``None``.

    Notes when the token was last used, at most once a minute.
    """
    if not is_api_token(secret):
        return None
    token = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.digest == token_digest(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.user.is_active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token.user
