"""Who is calling the API: a participant's bearer token, or a moderator's personal API
token (it starts with ``cct_``), never a cookie."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from cocreate.accounts.models import User
from cocreate.accounts.tokens import is_api_token, user_by_api_token
from cocreate.errorpages import json_error
from cocreate.errors import NotAuthenticated
from cocreate.participation.models import Participant
from cocreate.participation.services import participant_by_token


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def authenticated_participant() -> Participant:
    """The participant whose token came with the request.

    :raises NotAuthenticated: for a missing, malformed or unknown token, or a moderator's.
    """
    token = bearer_token()
    if is_api_token(token):
        raise NotAuthenticated(
            _("This is a moderator's API token; send a participant token to this address.")
        )
    return participant_by_token(token)


def authenticated_moderator() -> User:
    """The account whose personal API token came with the request.

    :raises NotAuthenticated: for a missing, unknown or revoked token, or a participant's.
    """
    token = bearer_token()
    if not is_api_token(token):
        raise NotAuthenticated(
            _("Send a moderator's API token (it starts with cct_) as 'Authorization: Bearer …'.")
        )
    user = user_by_api_token(token)
    if user is None:
        raise NotAuthenticated(_("This API token is not valid, or it was revoked."))
    return user


def unauthenticated(error: NotAuthenticated):
    """A 401 that tells the client which scheme to use (RFC 6750)."""
    response = json_error(error.code, error.message, error.status)
    response.headers["WWW-Authenticate"] = 'Bearer realm="cocreate"'
    return response
