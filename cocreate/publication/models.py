"""Published final versions: each revision is frozen as it was shown to the public."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from cocreate.accounts.models import User


class Publication(Base):
    """Revision 1 is the first publication; each correction adds the next one.

    ``snapshot`` holds what the public page shows (final texts, dispositions, figures),
    so a later correction never rewrites what an earlier revision said.
    """

    __tablename__ = "publication"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    published_by: Mapped[User | None] = relationship()
