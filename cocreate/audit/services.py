"""Recording moderator actions, in the transaction of the action they record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment
from cocreate.audit.models import AuditEntry
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation, StakeholderGroup
from cocreate.drafts.models import Item
from cocreate.extensions import db
from cocreate.participation.models import Comment, Participant

PAGE_SIZE = 50
EXCERPT_LENGTH = 80


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


@dataclass
class AuditPage:
    """One page of the log, what its entries are about, and where the next page starts."""

    entries: Sequence[AuditEntry]
    # (subject type, id) → a few words naming it, e.g. "RES-1.1" or "RES-1.1: “Too vague…”"
    subjects: dict[tuple[str, int], str] = field(default_factory=dict)
    older_than: int | None = None


def audit_page(
    consultation: Consultation, actor: User, *, before_id: int | None = None
) -> AuditPage:
    """A page of the log with its subjects described, in a fixed number of queries.

    :raises NotAllowed:
    """
    entries = list(audit_log(consultation, actor, limit=PAGE_SIZE + 1, before_id=before_id))
    older_than = entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None
    entries = entries[:PAGE_SIZE]
    return AuditPage(entries, describe_subjects(consultation, entries), older_than)


def describe_subjects(
    consultation: Consultation, entries: Sequence[AuditEntry]
) -> dict[tuple[str, int], str]:
    """One query per kind of subject on the page, whatever the number of entries."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.subject_id is not None:
            wanted.setdefault(entry.subject_type, set()).add(entry.subject_id)
    described: dict[tuple[str, int], str] = {}
    if ids := wanted.get("item"):
        for item_id, ref in db.session.execute(
            sa.select(Item.id, Item.ref).where(
                Item.id.in_(ids), Item.consultation_id == consultation.id
            )
        ):
            described["item", item_id] = ref
    for subject, model, text in (
        ("comment", Comment, Comment.body),
        ("amendment", Amendment, Amendment.text),
    ):
        if ids := wanted.get(subject):
            rows = db.session.execute(
                sa.select(model.id, Item.ref, text)
                .join(Item, model.item_id == Item.id)
                .where(model.id.in_(ids), Item.consultation_id == consultation.id)
            )
            for subject_id, ref, body in rows:
                described[subject, subject_id] = f"{ref}: “{excerpt(body)}”"
    if ids := wanted.get("participant"):
        rows = db.session.execute(
            sa.select(Participant.id, Participant.display_name, StakeholderGroup.name)
            .join(StakeholderGroup, Participant.stakeholder_group_id == StakeholderGroup.id)
            .where(Participant.id.in_(ids), Participant.consultation_id == consultation.id)
        )
        for participant_id, name, group in rows:
            described["participant", participant_id] = f"{name} ({group})" if name else group
    return described


def excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"
