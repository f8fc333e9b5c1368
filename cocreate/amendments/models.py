"""Participants' proposals of new wording for an item, and the votes on them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.db import Base, UTCDateTime, enum_column, utcnow
from cocreate.participation.models import VoteValue

if TYPE_CHECKING:
    from cocreate.drafts.models import Item
    from cocreate.participation.models import Participant


class AmendmentStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"  # its wording became the consolidated text
    MERGED = "merged"  # a moderator worked it into the consolidated text
    REJECTED = "rejected"


class Amendment(Base):
    __tablename__ = "amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    # The text it was written against, so the diff stays right when the item changes later.
    base_text: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[AmendmentStatus] = mapped_column(
        enum_column(AmendmentStatus), default=AmendmentStatus.PROPOSED
    )
    hidden: Mapped[bool] = mapped_column(default=False)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("live_event.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[Item] = relationship()
    participant: Mapped[Participant] = relationship()


class AmendmentVote(Base):
    """A participant's one vote on an amendment, on the same scale as on items."""

    __tablename__ = "amendment_vote"

    amendment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("amendment.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    value: Mapped[VoteValue] = mapped_column(enum_column(VoteValue))
    # The event live when the vote was last cast, so rehearsal votes stay out of results.
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("live_event.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
