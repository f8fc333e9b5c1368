"""Who is calling the API: a participant's bearer token, never a cookie."""

from __future__ import annotations

from flask import request

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

    :raises NotAuthenticated: for a missing, malformed or unknown token.
    """
    return participant_by_token(bearer_token())


def unauthenticated(error: NotAuthenticated):
    """A 401 that tells the client which scheme to use (RFC 6750)."""
    response = json_error(error.code, error.message, error.status)
    response.headers["WWW-Authenticate"] = 'Bearer realm="cocreate"'
    return response
