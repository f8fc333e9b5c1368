"""Which participant this browser is: a signed-cookie entry per consultation."""

from __future__ import annotations

from flask import session

from cocreate.extensions import db
from cocreate.participation.models import Participant

SESSION_KEY = "participants"
RETURN_CODES_KEY = "return_codes"


def remember(participant: Participant, return_code: str | None = None) -> None:
    session.permanent = True
    session[SESSION_KEY] = {
        **session.get(SESSION_KEY, {}),
        str(participant.consultation_id): participant.id,
    }
    if return_code:
        session[RETURN_CODES_KEY] = {
            **session.get(RETURN_CODES_KEY, {}),
            str(participant.consultation_id): return_code,
        }


def participant_in(consultation_id: int) -> Participant | None:
    participant_id = session.get(SESSION_KEY, {}).get(str(consultation_id))
    if participant_id is None:
        return None
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.consultation_id != consultation_id:
        return None
    if participant.erased_at is not None:  # their personal data is gone: nobody acts as them
        return None
    return participant


def remembered_return_code(consultation_id: int) -> str | None:
    return session.get(RETURN_CODES_KEY, {}).get(str(consultation_id))
