"""Guests who join with a code, and the comments and votes they leave."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.db import Base, UTCDateTime, enum_column, utcnow
from cocreate.moderation.models import HideReason, ModeratorAnswer, Tag, comment_tag

if TYPE_CHECKING:
    from cocreate.consultations.models import Consultation, Region, StakeholderGroup
    from cocreate.drafts.models import Item


class VoteValue(enum.StrEnum):
    STRONGLY_AGREE = "strongly_agree"
    AGREE = "agree"
    NEUTRAL = "neutral"
    DISAGREE = "disagree"
    STRONGLY_DISAGREE = "strongly_disagree"
    NO_OPINION = "no_opinion"

    @property
    def score(self) -> int | None:
        """The agreement score; ``None`` for no opinion, which counts as participation only."""
        return AGREEMENT_SCORES[self]


AGREEMENT_SCORES: dict[VoteValue, int | None] = {
    VoteValue.STRONGLY_AGREE: 2,
    VoteValue.AGREE: 1,
    VoteValue.NEUTRAL: 0,
    VoteValue.DISAGREE: -1,
    VoteValue.STRONGLY_DISAGREE: -2,
    VoteValue.NO_OPINION: None,
}


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(sa.String(80), default="")
    stakeholder_group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stakeholder_group.id"), index=True
    )
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    # Only digests are stored: a leaked database does not let anyone act as a guest.
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    return_code_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    accepted_privacy_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A muted participant may still vote and read, but posts nothing more.
    muted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the person's personal data was erased: their votes and comments stay in the
    # results, anonymised, and nobody can act as them any more.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship()
    stakeholder_group: Mapped[StakeholderGroup] = relationship()
    region: Mapped[Region | None] = relationship()


class Comment(Base):
    __tablename__ = "comment"
    __table_args__ = (sa.UniqueConstraint("participant_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    # ``hidden`` alone decides who sees a comment; the columns below say why it is hidden.
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[HideReason | None] = mapped_column(enum_column(HideReason))
    hidden_note: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    # Under pre-moderation a new comment is hidden until a moderator approves it.
    awaiting_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="SET NULL"), index=True
    )
    # Matched the consultation's word list when posted: moderators should read it.
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    flag_count: Mapped[int] = mapped_column(default=0, server_default="0")
    pinned: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("live_event.id", ondelete="SET NULL"), index=True
    )
    # A phone that retries a post sends the same key; the comment is stored once.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    support_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    item: Mapped[Item] = relationship()
    participant: Mapped[Participant] = relationship()
    parent: Mapped[Comment | None] = relationship(
        remote_side=[id], back_populates="replies", foreign_keys=[parent_id]
    )
    replies: Mapped[list[Comment]] = relationship(
        back_populates="parent", order_by="Comment.created_at", foreign_keys=[parent_id]
    )
    merged_into: Mapped[Comment | None] = relationship(
        remote_side=[id], foreign_keys=[merged_into_id]
    )
    tags: Mapped[list[Tag]] = relationship(secondary=comment_tag, order_by=Tag.name)
    answers: Mapped[list[ModeratorAnswer]] = relationship(order_by=ModeratorAnswer.created_at)

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class Vote(Base):
    """A participant's one current vote on an item; changing it updates this row."""

    __tablename__ = "vote"
    __table_args__ = (sa.UniqueConstraint("item_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[VoteValue] = mapped_column(enum_column(VoteValue))
    # The event live when the vote was last cast or changed (none between events).
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("live_event.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    item: Mapped[Item] = relationship()
    participant: Mapped[Participant] = relationship()


class Support(Base):
    """A participant backing another participant's comment; once per comment."""

    __tablename__ = "support"

    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
