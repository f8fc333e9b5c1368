"""Rate limits for anonymous actions, read from settings so that each venue can tune them."""

from __future__ import annotations

import hashlib

from flask import Response, current_app, request, session
from flask_limiter.util import get_remote_address

from cocreate.participation.identity import SESSION_KEY


def join_limit() -> str:
    return current_app.config["JOIN_RATE_LIMIT"]


def wrong_code_limit() -> str:
    return current_app.config["WRONG_JOIN_CODE_RATE_LIMIT"]


def participation_limit() -> str:
    return current_app.config["PARTICIPATION_RATE_LIMIT"]


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def is_not_found(response: Response) -> bool:
    """Only failed look-ups count against the wrong-code limit."""
    return response.status_code == 404


def participant_or_address() -> str:
    """Key for votes and comments: the participant when known, so that a venue behind one
    address is not throttled as one person."""
    known = session.get(SESSION_KEY)
    if known:
        return "participant:" + ",".join(str(pid) for pid in sorted(known.values()))
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer ") and len(auth) > 20:
        # A digest, never the token: rate-limit keys live in Redis, readable by operators.
        return "token:" + hashlib.sha256(auth[7:].encode()).hexdigest()[:32]
    return get_remote_address()
