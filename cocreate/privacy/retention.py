"""A consultation's retention period: how long participants' personal data is kept after
the consultation closes, and when that is."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from cocreate.audit.models import AuditEntry
from cocreate.consultations.models import Consultation, Status
from cocreate.errors import InvalidInput
from cocreate.extensions import db
from cocreate.publication.models import Publication

MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650


def check_retention_days(days: int | None) -> int | None:
    """:raises InvalidInput: unless empty or a whole number of days from 1 to 3650."""
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidInput(_("Give the retention period in whole days."), field="retention_days")
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput(
            _(
                "Keep personal data between %(min)d and %(max)d days after closing, or leave "
                "the field empty to keep it until a moderator erases it.",
                min=MIN_RETENTION_DAYS,
                max=MAX_RETENTION_DAYS,
            ),
            field="retention_days",
        )
    return days


def closing_moment(consultation: Consultation, now: datetime) -> datetime | None:
    """When the consultation last stopped taking votes and comments; ``None`` while it is
    in draft or open (a reopened consultation starts over).

    - It closed by itself at its closing time (its stored status is still open, or it was
      published straight after closing that way): that closing time.
    - A moderator closed it: the time of that status change in the audit log.
    - Neither is known (imported already closed): its closing time if it has passed, else
      its first publication, else ``None``, and nothing is erased automatically.

    Publishing, and later corrections, never restart the period.
    """
    status = consultation.status_at(now)
    if status not in (Status.CLOSED, Status.PUBLISHED):
        return None
    if consultation.status is Status.OPEN:
        return consultation.closes_at
    last_change = db.session.scalar(
        sa.select(AuditEntry)
        .where(
            AuditEntry.consultation_id == consultation.id,
            AuditEntry.action == "consultation.status",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if last_change is not None and (last_change.detail or {}).get("new") == Status.CLOSED.value:
        return last_change.created_at
    if consultation.closes_at is not None and consultation.closes_at <= now:
        return consultation.closes_at
    return db.session.scalar(
        sa.select(sa.func.min(Publication.published_at)).where(
            Publication.consultation_id == consultation.id
        )
    )


def erasure_due_at(consultation: Consultation, now: datetime) -> datetime | None:
    """When the consultation's personal data is to be erased; ``None`` without a retention
    period or while the consultation has not closed."""
    if consultation.retention_days is None:
        return None
    closed = closing_moment(consultation, now)
    return closed + timedelta(days=consultation.retention_days) if closed else None
