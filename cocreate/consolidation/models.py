"""Consolidated texts, their versions, and what was done with each comment and amendment."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.db import Base, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from cocreate.accounts.models import User


class Outcome(enum.StrEnum):
    TAKEN_UP = "taken_up"
    PARTLY_TAKEN_UP = "partly_taken_up"
    NOT_TAKEN_UP = "not_taken_up"
    OUT_OF_SCOPE = "out_of_scope"


class TextVersion(Base):
    """One saved consolidated text of an item; ``number`` counts from 1 per item."""

    __tablename__ = "text_version"
    __table_args__ = (sa.UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class Disposition(Base):
    """What was done with one comment or one amendment, and why ("you said, we did")."""

    __tablename__ = "disposition"
    __table_args__ = (
        sa.CheckConstraint("(comment_id IS NULL) <> (amendment_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), unique=True
    )
    amendment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("amendment.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome))
    rationale: Mapped[str] = mapped_column(sa.Text, default="")
    # The words of the consolidated text this led to, quoted, so readers can find them.
    passage: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    decided_by: Mapped[User | None] = relationship()
