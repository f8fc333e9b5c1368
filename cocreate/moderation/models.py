"""What moderators attach to comments: reasons for hiding, themes, flags, answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from cocreate.accounts.models import User


class HideReason(enum.StrEnum):
    """Why a comment was hidden; the public page counts hidden comments per reason."""

    OFF_TOPIC = "off_topic"
    DUPLICATE = "duplicate"
    PERSONAL_DATA = "personal_data"
    ABUSIVE = "abusive"
    SPAM = "spam"
    OTHER = "other"


comment_tag = sa.Table(
    "comment_tag",
    Base.metadata,
    sa.Column("comment_id", sa.ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    """A theme moderators file comments under; free per consultation."""

    __tablename__ = "tag"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(60))


class Flag(Base):
    """A participant asking moderators to look at a comment; once per participant."""

    __tablename__ = "flag"

    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModeratorAnswer(Base):
    """A moderator's public answer under a comment, signed as the moderation team."""

    __tablename__ = "moderator_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
