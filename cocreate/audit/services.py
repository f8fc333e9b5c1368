"""Recording moderator actions, in the transaction of the action they record."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cocreate.accounts.models import User
from cocreate.audit.models import AuditEntry
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation
from cocreate.extensions import db


def record(
    consultation_id: int,
    actor: User | None,
    action: str,
    subject: tuple[str, int | None] = ("", None),
    **detail: Any,
) -> AuditEntry:
    """Add an entry to the session without committing: the caller's commit writes the
    action and its record together, or neither.

    ``action`` is a short verb such as ``comment.hide``; ``detail`` must be JSON-ready.
    """
    subject_type, subject_id = subject
    entry = AuditEntry(
        consultation_id=consultation_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail,
    )
    db.session.add(entry)
    return entry


def audit_log(
    consultation: Consultation, actor: User, *, limit: int = 200, before_id: int | None = None
) -> Sequence[AuditEntry]:
    """The newest entries first, a page at a time. :raises NotAllowed:"""
    require_moderator(actor, consultation)
    query = (
        sa.select(AuditEntry)
        .where(AuditEntry.consultation_id == consultation.id)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return db.session.scalars(query).all()
