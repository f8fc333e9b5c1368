"""A consultation: its lifecycle, its join code, its stakeholder groups and regions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.db import Base, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from cocreate.accounts.models import User
    from cocreate.drafts.models import Document


class Status(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


class ResultsVisibility(enum.StrEnum):
    """When participants see an item's results; moderators always do."""

    IMMEDIATE = "immediate"
    AFTER_VOTE = "after_vote"  # only once they voted on it, against herding
    AFTER_REVEAL = "after_reveal"  # only once the moderator reveals them


# The lifecycle only moves forward, except that a moderator may reopen a closed one.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.DRAFT: (Status.OPEN,),
    Status.OPEN: (Status.CLOSED,),
    Status.CLOSED: (Status.OPEN, Status.PUBLISHED),
    Status.PUBLISHED: (),
}

consultation_moderator = sa.Table(
    "consultation_moderator",
    Base.metadata,
    sa.Column(
        "consultation_id", sa.ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Consultation(Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(35), default="en")
    status: Mapped[Status] = mapped_column(enum_column(Status), default=Status.DRAFT)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    join_code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    joining_locked: Mapped[bool] = mapped_column(default=False)
    privacy_notice: Mapped[str] = mapped_column(sa.Text, default="")
    results_visibility: Mapped[ResultsVisibility] = mapped_column(
        enum_column(ResultsVisibility),
        default=ResultsVisibility.IMMEDIATE,
        server_default=ResultsVisibility.IMMEDIATE.value,
    )
    # Moderation: comments wait for approval; comments with one of these words are marked.
    premoderation: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    review_words: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # How long participants' personal data (names, secrets) is kept after the consultation
    # closes; ``None`` keeps it until a moderator erases it.
    retention_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stakeholder_groups: Mapped[list[StakeholderGroup]] = relationship(
        back_populates="consultation",
        order_by="StakeholderGroup.position",
        cascade="all, delete-orphan",
    )
    regions: Mapped[list[Region]] = relationship(
        back_populates="consultation", order_by="Region.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="consultation", order_by="Document.position", cascade="all, delete-orphan"
    )
    moderators: Mapped[list[User]] = relationship(secondary=consultation_moderator)

    def status_at(self, now: datetime) -> Status:
        """The status in force: an open consultation past its closing time is closed."""
        if self.status is Status.OPEN and self.closes_at is not None and self.closes_at <= now:
            return Status.CLOSED
        return self.status

    @property
    def current_status(self) -> Status:
        return self.status_at(utcnow())

    @property
    def accepts_input(self) -> bool:
        return self.current_status is Status.OPEN

    @property
    def accepts_joins(self) -> bool:
        return self.accepts_input and not self.joining_locked

    def group_named(self, name: str) -> StakeholderGroup | None:
        return next((g for g in self.stakeholder_groups if g.name == name), None)

    def region_named(self, name: str) -> Region | None:
        return next((r for r in self.regions if r.name == name), None)

    def __repr__(self) -> str:
        return f"<Consultation {self.id} {self.join_code} {self.status.value}>"


class StakeholderGroup(Base):
    __tablename__ = "stakeholder_group"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="stakeholder_groups")


class Region(Base):
    __tablename__ = "region"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="regions")
