"""What the moderator console and the projector show, loaded in a fixed number of queries."""

from __future__ import annotations

import math

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cocreate.consultations.models import Consultation
from cocreate.db import utcnow
from cocreate.drafts.models import Item
from cocreate.extensions import db
from cocreate.live.models import LiveState
from cocreate.participation.models import Comment, Participant
from cocreate.participation.results import in_scope

# The console lists this many of the newest comments; older ones are on the item pages.
STREAM_LENGTH = 100
# The projector keeps this many of the focused item's best comments, and shows the top few.
PROJECTOR_POOL = 50
PROJECTOR_SHOWN = 5


def current_state(consultation_id: int) -> LiveState:
    """The live state as it is, without creating a row on a page view."""
    return db.session.get(LiveState, consultation_id) or LiveState(consultation_id=consultation_id)


def seconds_left(state: LiveState) -> int | None:
    """Whole seconds until the countdown ends (0 once it has), or None without a timer."""
    if state.timer_ends_at is None:
        return None
    return max(0, math.ceil((state.timer_ends_at - utcnow()).total_seconds()))


def clock(seconds: int | None) -> str:
    """``90`` → ``1:30``, ``3725`` → ``1:02:05``: how a countdown reads (live-common.js too)."""
    if seconds is None:
        return "–"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def with_author():
    return selectinload(Comment.participant).selectinload(Participant.stakeholder_group)


def comment_stream(
    consultation: Consultation, *, event_id: int | None, limit: int = STREAM_LENGTH
) -> list[Comment]:
    """The newest comments on any item, hidden ones included, for the moderators' stream.

    ``event_id`` keeps one event's comments (a rehearsal); without it rehearsals are left out.
    """
    query = (
        sa.select(Comment)
        .join(Item, Comment.item_id == Item.id)
        .where(Item.consultation_id == consultation.id)
        .options(with_author())
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(in_scope(query, Comment.event_id, consultation.id, event_id)))


def top_comments(item: Item, *, event_id: int | None, limit: int = PROJECTOR_POOL) -> list[Comment]:
    """An item's visible top-level comments, pinned first, then the most supported."""
    query = (
        sa.select(Comment)
        .where(Comment.item_id == item.id, Comment.parent_id.is_(None), ~Comment.hidden)
        .options(with_author())
        .order_by(
            Comment.pinned.desc(),
            Comment.support_count.desc(),
            Comment.created_at.desc(),
            Comment.id.desc(),
        )
        .limit(limit)
    )
    return list(
        db.session.scalars(in_scope(query, Comment.event_id, item.consultation_id, event_id))
    )
