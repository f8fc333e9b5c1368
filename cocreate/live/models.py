"""Live events and the live state a moderator steers: focus, voting phases, timer."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.db import Base, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from cocreate.consultations.models import Region
    from cocreate.drafts.models import Item


class EventFormat(enum.StrEnum):
    WORKSHOP = "workshop"
    WEBINAR = "webinar"
    FORUM = "forum"


class LiveEvent(Base):
    """A workshop, webinar or forum during which participants react live.

    A rehearsal runs like any event, but nothing that happens in it reaches a result.
    """

    __tablename__ = "live_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    format: Mapped[EventFormat] = mapped_column(enum_column(EventFormat))
    held_on: Mapped[date | None]
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    region_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("region.id", ondelete="SET NULL"), index=True
    )
    is_rehearsal: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region | None] = relationship()

    @property
    def is_online(self) -> bool:
        return not self.place or self.place.casefold() == "online"


class LiveState(Base):
    """What every screen of one consultation follows right now; one row per consultation.

    Kept in the database, not in a process, so that several server processes and a
    restarted one agree on it.
    """

    __tablename__ = "live_state"

    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
    )
    # At most one event is live per consultation: this column is that rule.
    live_event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("live_event.id", ondelete="SET NULL")
    )
    focus_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id", ondelete="SET NULL"))
    timer_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timer_seconds: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    live_event: Mapped[LiveEvent | None] = relationship()
    focus_item: Mapped[Item | None] = relationship()
