"""Who may do what: each question is answered here once, and services ask it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _

from cocreate.errors import NotAllowed

if TYPE_CHECKING:
    from cocreate.accounts.models import User
    from cocreate.consultations.models import Consultation
    from cocreate.participation.models import Participant


def is_admin(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_admin)


def can_moderate(user: User | None, consultation: Consultation) -> bool:
    """Moderators of the consultation may; administrators may moderate every consultation.

    A consultation without moderators (imported from the CLI) is run by the administrators.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_admin or any(m.id == user.id for m in consultation.moderators)


def require_moderator(user: User | None, consultation: Consultation) -> None:
    if not can_moderate(user, consultation):
        raise NotAllowed(_("Only this consultation's moderators may do that."))


def require_admin(user: User | None) -> None:
    if not is_admin(user):
        raise NotAllowed(_("Only administrators may do that."))


def require_participant_of(participant: Participant, consultation_id: int) -> None:
    if participant.consultation_id != consultation_id:
        raise NotAllowed(_("You joined another consultation; join this one to take part."))
