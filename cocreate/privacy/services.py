"""Data protection: a participant's copy of their own data, erasure of one participant's
personal data by a moderator, and erasure of what has outlived a consultation's retention
period.

Erasing keeps a participant's votes, comments, proposals and supports in the results, with
their stakeholder group and region, and removes what identifies the person or lets anyone
act as them: the display name (also from the audit log) and the two secrets (token and
return code), whose digests are replaced by random values that no secret hashes to. A
comment that itself contains personal data is hidden in the moderation queue with the
reason "personal data". Publication snapshots never hold display names, so erasing needs
no new revision.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment, AmendmentVote
from cocreate.audit.models import AuditEntry
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation, Status
from cocreate.db import utcnow
from cocreate.drafts.models import Document, Item
from cocreate.errors import InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.live.models import LiveEvent
from cocreate.moderation.models import Flag
from cocreate.participation.models import Comment, Participant, Support, Vote
from cocreate.privacy.retention import erasure_due_at
from cocreate.publication.services import Contribution, PublishedResponse, contributions_of

EXPORT_FORMAT = "cocreate-my-data/1"
PAGE_SIZE = 50
# Enough ids per statement for every backend's limit on bound parameters.
CHUNK = 500
# Audit details that name a participant; erasing removes them from earlier entries.
NAMING_DETAILS = ("display_name",)


# ---------------------------------------------------------------- access: your own data


def contributions_export(participant: Participant) -> dict[str, Any]:
    """Everything the consultation holds about ``participant``, as JSON-ready data: who
    they said they are, their votes, comments, proposed wordings, votes on proposals,
    supports and flags, with the status of each contribution and, once published, the
    moderators' published response (what was done with it and why). Nothing about other
    participants: for a comment merged into another, only that one's id and response.
    """
    consultation = participant.consultation
    contributions = contributions_of(participant)
    published = contributions.published
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "consultation": {
            "id": consultation.id,
            "title": consultation.title,
            "status": consultation.current_status.value,
            "retention_days": consultation.retention_days,
        },
        "participant": {
            "number": participant.id,
            "display_name": participant.display_name,
            "stakeholder_group": participant.stakeholder_group.name,
            "region": participant.region.name if participant.region else None,
            "joined_at": participant.created_at.isoformat(),
            "accepted_privacy_at": participant.accepted_privacy_at.isoformat(),
            "muted_at": iso(participant.muted_at),
        },
        "published": {
            "revision": published.revision,
            "published_at": published.published_at.isoformat(),
        }
        if published is not None
        else None,
        "votes": votes_export(participant),
        "comments": [comment_export(entry) for entry in contributions.comments],
        "amendments": [amendment_export(entry) for entry in contributions.amendments],
        "amendment_votes": amendment_votes_export(participant),
        "supports": marks_export(Support, participant),
        "flags": marks_export(Flag, participant),
    }


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


IN_DRAFT_ORDER = (Document.position, Item.position, Item.id)


def votes_export(participant: Participant) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(Vote, Item.ref, Item.title, LiveEvent.title)
        .join(Item, Vote.item_id == Item.id)
        .join(Document, Item.document_id == Document.id)
        .outerjoin(LiveEvent, Vote.event_id == LiveEvent.id)
        .where(Vote.participant_id == participant.id)
        .order_by(*IN_DRAFT_ORDER)
    )
    return [
        {
            "item_id": vote.item_id,
            "item_ref": ref,
            "item_title": title,
            "value": vote.value.value,
            "event": event,
            "cast_at": vote.created_at.isoformat(),
            "changed_at": vote.updated_at.isoformat(),
        }
        for vote, ref, title, event in rows
    ]


def response_export(response: PublishedResponse | None) -> dict[str, str] | None:
    if response is None:
        return None
    return {
        "outcome": response.outcome,
        "rationale": response.rationale,
        "passage": response.passage,
    }


def comment_export(entry: Contribution) -> dict[str, Any]:
    merged = entry.merged_into
    return {
        "id": entry.id,
        "item_id": entry.item_id,
        "item_ref": entry.item_ref,
        "item_title": entry.item_title,
        "parent_id": entry.parent_id,
        "body": entry.body,
        "created_at": entry.created_at.isoformat(),
        "status": entry.status,
        "hidden_reason": entry.hidden_reason,
        "hidden_note": entry.hidden_note,
        # Another participant's comment may be the one kept: its id, never its text.
        "merged_into": {"id": merged.id, "response": response_export(merged.response)}
        if merged is not None
        else None,
        "response": response_export(entry.response),
    }


def amendment_export(entry: Contribution) -> dict[str, Any]:
    return {
        "id": entry.id,
        "item_id": entry.item_id,
        "item_ref": entry.item_ref,
        "item_title": entry.item_title,
        "text": entry.body,
        "reason": entry.reason,
        "created_at": entry.created_at.isoformat(),
        "status": entry.status,
        "decision": entry.amendment_status,
        "response": response_export(entry.response),
    }


def amendment_votes_export(participant: Participant) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(AmendmentVote, Item.ref)
        .join(Amendment, AmendmentVote.amendment_id == Amendment.id)
        .join(Item, Amendment.item_id == Item.id)
        .join(Document, Item.document_id == Document.id)
        .where(AmendmentVote.participant_id == participant.id)
        .order_by(*IN_DRAFT_ORDER, Amendment.id)
    )
    return [
        {
            "amendment_id": vote.amendment_id,
            "item_ref": ref,
            "value": vote.value.value,
            "changed_at": vote.updated_at.isoformat(),
        }
        for vote, ref in rows
    ]


def marks_export(model, participant: Participant) -> list[dict[str, Any]]:
    """The comments a participant supported (``Support``) or flagged (``Flag``): which,
    on which item and when; the comments themselves are other people's."""
    rows = db.session.execute(
        sa.select(model.comment_id, Item.ref, model.created_at)
        .join(Comment, model.comment_id == Comment.id)
        .join(Item, Comment.item_id == Item.id)
        .join(Document, Item.document_id == Document.id)
        .where(model.participant_id == participant.id)
        .order_by(*IN_DRAFT_ORDER, model.comment_id)
    )
    return [
        {"comment_id": comment_id, "item_ref": ref, "created_at": created_at.isoformat()}
        for comment_id, ref, created_at in rows
    ]


# ---------------------------------------------------------------- erasure


def erase_participant(participant: Participant, actor: User) -> None:
    """Erase ``participant``'s personal data, keeping their anonymised votes and comments
    in the results; also after publication. Recorded in the audit log, without the name.

    :raises NotAllowed: for anyone but the consultation's moderators.
    :raises InvalidInput: when it is already erased.
    """
    require_moderator(actor, participant.consultation)
    if participant.erased_at is not None:
        raise InvalidInput(
            _(
                "The personal data of participant %(number)d is already erased.",
                number=participant.id,
            )
        )
    anonymise([participant], utcnow())
    record(participant.consultation_id, actor, "participant.erase", ("participant", participant.id))
    db.session.commit()


def unusable_digest() -> str:
    """A value where a secret's SHA-256 digest goes that no secret hashes to: digests are
    64 hexadecimal digits, this is not; random, so that the columns stay unique."""
    return "erased:" + secrets.token_hex(28)


def anonymise(participants: Sequence[Participant], now: datetime) -> None:
    """Remove what identifies these participants, without committing."""
    ids = [participant.id for participant in participants]
    for chunk in chunks(ids):
        # Keys a participant's phone made up for retries: they could link its posts.
        db.session.execute(
            sa.update(Comment)
            .where(Comment.participant_id.in_(chunk), Comment.idempotency_key.is_not(None))
            .values(idempotency_key=None)
        )
        entries = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.subject_type == "participant", AuditEntry.subject_id.in_(chunk)
            )
        )
        for entry in entries:
            if any(key in (entry.detail or {}) for key in NAMING_DETAILS):
                entry.detail = {k: v for k, v in entry.detail.items() if k not in NAMING_DETAILS}
    for participant in participants:
        participant.display_name = ""
        participant.token_digest = unusable_digest()
        participant.return_code_digest = unusable_digest()
        participant.erased_at = now


def chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# ---------------------------------------------------------------- retention


@dataclass
class RetentionDue:
    """A consultation whose retention period is over, with participants still to erase."""

    consultation: Consultation
    due_at: datetime
    pending: int


def retention_due(now: datetime) -> list[RetentionDue]:
    """Consultations whose personal data has outlived their retention period and still
    holds participants who are not erased, oldest consultation first."""
    consultations = db.session.scalars(
        sa.select(Consultation)
        .where(Consultation.retention_days.is_not(None), Consultation.status != Status.DRAFT)
        .order_by(Consultation.id)
    ).all()
    due = []
    for consultation in consultations:
        due_at = erasure_due_at(consultation, now)
        if due_at is None or due_at > now:
            continue
        pending = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Participant)
            .where(Participant.consultation_id == consultation.id, Participant.erased_at.is_(None))
        )
        if pending:
            due.append(RetentionDue(consultation, due_at, pending))
    return due


def erase_expired(now: datetime) -> int:
    """Erase every participant of each consultation whose retention period is over (see
    :func:`cocreate.privacy.retention.closing_moment`), each consultation's erasure
    recorded in its audit log; all in one transaction. Running it again erases nothing more.

    :return: how many participants were erased.
    """
    erased = 0
    for due in retention_due(now):
        consultation = due.consultation
        participants = db.session.scalars(
            sa.select(Participant).where(
                Participant.consultation_id == consultation.id, Participant.erased_at.is_(None)
            )
        ).all()
        anonymise(participants, now)
        record(
            consultation.id,
            None,
            "participant.erase_expired",
            ("consultation", consultation.id),
            count=len(participants),
            retention_days=consultation.retention_days,
        )
        erased += len(participants)
    db.session.commit()
    return erased


# ---------------------------------------------------------------- the moderators' list


@dataclass
class ParticipantRow:
    participant: Participant
    votes: int
    comments: int
    amendments: int


@dataclass
class ParticipantsPage:
    rows: list[ParticipantRow]
    total: int
    page: int
    pages: int
    erased: int


def participants_page(
    consultation: Consultation, actor: User, *, search: str = "", page: int = 1
) -> ParticipantsPage:
    """A page of the consultation's participants with how much each contributed, in a
    fixed number of queries. ``search`` matches a participant's number or part of their name.

    :raises NotAllowed:
    """
    require_moderator(actor, consultation)
    query = sa.select(Participant).where(Participant.consultation_id == consultation.id)
    search = search.strip()
    if search:
        by_name = Participant.display_name.ilike(f"%{escape_like(search)}%", escape="\\")
        number = search.removeprefix("#")
        is_number = number.isdigit() and len(number) <= 9
        query = query.where(
            sa.or_(by_name, Participant.id == int(number)) if is_number else by_name
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    participants = db.session.scalars(
        query.options(joinedload(Participant.stakeholder_group), joinedload(Participant.region))
        .order_by(Participant.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    ids = [participant.id for participant in participants]
    votes = counts_by_participant(Vote, ids)
    comments = counts_by_participant(Comment, ids)
    amendments = counts_by_participant(Amendment, ids)
    erased = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Participant)
        .where(Participant.consultation_id == consultation.id, Participant.erased_at.is_not(None))
    )
    rows = [
        ParticipantRow(p, votes.get(p.id, 0), comments.get(p.id, 0), amendments.get(p.id, 0))
        for p in participants
    ]
    return ParticipantsPage(rows, total, page, pages, erased)


def counts_by_participant(model, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(model.participant_id, sa.func.count())
            .where(model.participant_id.in_(ids))
            .group_by(model.participant_id)
        ).all()
    )


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_participant(consultation: Consultation, participant_id: int) -> Participant:
    """:raises NotFound: for an unknown participant or another consultation's."""
    participant = db.session.get(Participant, participant_id)
    if participant is None or participant.consultation_id != consultation.id:
        raise NotFound(_("This consultation has no participant %(number)d.", number=participant_id))
    return participant
