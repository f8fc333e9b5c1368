"""Socket.IO handlers: authenticate on connect, join the rooms the server derives, and
answer a few read-only requests. Commands (vote, comment, moderator actions) stay HTTP.

A client says which consultation and role it wants; the server checks that it may (a
participant's session or API token, a moderator's login) and refuses the connection
otherwise. It never joins a room a client names.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, emit, join_room

from cocreate.authz import can_moderate
from cocreate.consultations.models import Consultation
from cocreate.errors import NotAuthenticated
from cocreate.extensions import db, socketio
from cocreate.live.broadcast import (
    broadcaster,
    moderators_room,
    participants_room,
    screen_room,
    voted_room,
)
from cocreate.live.payloads import state_payload
from cocreate.participation.identity import participant_in
from cocreate.participation.models import Participant, Vote
from cocreate.participation.services import participant_by_token

ROLES = ("participant", "moderator", "projector")
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class Connection:
    consultation_id: int
    role: str
    participant_id: int | None = None


# sid → who it is, for this process's sockets only.
connections: dict[str, Connection] = {}


def refuse(reason: str):
    raise ConnectionRefusedError(reason)


def positive_int(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 10:
        return int(value)
    return None


@socketio.on("connect")
def on_connect(auth=None):
    auth = auth if isinstance(auth, dict) else {}
    role = auth.get("role", "participant")
    if role not in ROLES:
        refuse("unknown role")
    if role == "participant":
        participant = authenticate_participant(auth)
        consultation = participant.consultation
        rooms = [participants_room(consultation.id)]
        # Always, not only under "after voting": the setting may change mid-session.
        rooms += [voted_room(consultation.id, item_id) for item_id in voted_items(participant)]
    else:
        participant = None
        consultation = consultation_to_moderate(auth)
        rooms = [
            moderators_room(consultation.id)
            if role == "moderator"
            else screen_room(consultation.id)
        ]
    for room in rooms:
        join_room(room)
    connections[request.sid] = Connection(
        consultation.id, role, participant.id if participant else None
    )
    live = broadcaster()
    if participant is not None:
        label = f"{participant.stakeholder_group_id}:{participant.region_id or ''}"
        live.presence.arrive(consultation.id, participant.id, label)
        live.presence_changed(consultation.id)
    emit(
        "state",
        state_payload(
            consultation,
            role=role,
            participant=participant,
            headcount=live.presence.count(consultation.id),
        ),
    )
    db.session.remove()


def authenticate_participant(auth: dict) -> Participant:
    token = auth.get("token")
    if token is not None:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            refuse("invalid token")
        try:
            participant = participant_by_token(token)
        except NotAuthenticated:
            refuse("invalid token")
        # A client naming a consultation must get that one, never a silent substitute.
        if "consultation_id" in auth and (
            positive_int(auth["consultation_id"]) != participant.consultation_id
        ):
            refuse("this token belongs to another consultation")
        return participant
    consultation_id = positive_int(auth.get("consultation_id"))
    participant = participant_in(consultation_id) if consultation_id else None
    if participant is None:
        refuse("join this consultation first")
    return participant


def consultation_to_moderate(auth: dict) -> Consultation:
    consultation_id = positive_int(auth.get("consultation_id"))
    consultation = db.session.get(Consultation, consultation_id) if consultation_id else None
    if consultation is None or not can_moderate(current_user, consultation):
        refuse("moderators of this consultation only")
    return consultation


def voted_items(participant: Participant) -> list[int]:
    return list(
        db.session.scalars(sa.select(Vote.item_id).where(Vote.participant_id == participant.id))
    )


@socketio.on("disconnect")
def on_disconnect(*args):
    connection = connections.pop(request.sid, None)
    if connection is not None and connection.participant_id is not None:
        live = broadcaster()
        live.presence.leave(connection.consultation_id, connection.participant_id)
        live.presence_changed(connection.consultation_id)


@socketio.on("voted")
def on_voted(data=None):
    """After a vote over HTTP, the page asks to follow that item's results (when results
    show only after voting). The server checks the vote exists before joining the room."""
    connection = connections.get(request.sid)
    item_id = positive_int(data.get("item_id")) if isinstance(data, dict) else None
    if connection is None or connection.participant_id is None or item_id is None:
        return {"ok": False}
    has_voted = db.session.scalar(
        sa.select(sa.func.count()).where(
            Vote.participant_id == connection.participant_id, Vote.item_id == item_id
        )
    )
    if has_voted:
        join_room(voted_room(connection.consultation_id, item_id))
    db.session.remove()
    return {"ok": bool(has_voted)}


@socketio.on("sync")
def on_sync(data=None):
    """A screen that suspects it missed something asks for the whole state again."""
    connection = connections.get(request.sid)
    if connection is None:
        return {"ok": False}
    consultation = db.session.get(Consultation, connection.consultation_id)
    participant = (
        db.session.get(Participant, connection.participant_id)
        if connection.participant_id
        else None
    )
    emit(
        "state",
        state_payload(
            consultation,
            role=connection.role,
            participant=participant,
            headcount=broadcaster().presence.count(consultation.id),
        ),
    )
    db.session.remove()
    return {"ok": True}
