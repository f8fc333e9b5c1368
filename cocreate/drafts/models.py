"""Draft documents: a roadmap of sections and targets, a guideline of good practices."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocreate.db import Base, enum_column

if TYPE_CHECKING:
    from cocreate.consultations.models import Consultation


class DocumentKind(enum.StrEnum):
    ROADMAP = "roadmap"
    GUIDELINE = "guideline"


class ItemKind(enum.StrEnum):
    TARGET = "target"
    PRACTICE = "practice"


class Document(Base):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    introduction: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="documents")
    sections: Mapped[list[Section]] = relationship(
        back_populates="document", order_by="Section.position", cascade="all, delete-orphan"
    )
    items: Mapped[list[Item]] = relationship(
        back_populates="document",
        order_by="Item.position",
        cascade="all, delete-orphan",
        overlaps="section,items",
    )

    @property
    def is_roadmap(self) -> bool:
        return self.kind is DocumentKind.ROADMAP


class Section(Base):
    __tablename__ = "section"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    document: Mapped[Document] = relationship(back_populates="sections")
    items: Mapped[list[Item]] = relationship(
        back_populates="section", order_by="Item.position", overlaps="document,items"
    )


class Item(Base):
    """A roadmap target or a good practice: the thing participants comment on and vote for.

    Both kinds share one table so that comments, votes and results need one code path.
    ``text`` is the target's statement or the practice's description.
    """

    __tablename__ = "item"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "ref_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("section.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    ref: Mapped[str] = mapped_column(sa.String(20))
    # Refs are unique ignoring case; the folded copy lets the database enforce it.
    ref_key: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)
    milestone_year: Mapped[int | None]
    indicators: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    responsible_actors: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    criteria: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    applies_to: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)
    # Live phases: a moderator may close voting on an item and reveal its results.
    voting_open: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    results_revealed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Bumped by each saved edit, so a save made on an older version is refused.
    version: Mapped[int] = mapped_column(default=1)
    # Consolidation: the final wording moderators write from the feedback. ``None`` until
    # the first save; ``final_version`` counts saves, so a stale one is refused.
    final_text: Mapped[str | None] = mapped_column(sa.Text)
    final_version: Mapped[int] = mapped_column(default=0, server_default="0")

    consultation: Mapped[Consultation] = relationship()
    document: Mapped[Document] = relationship(back_populates="items", overlaps="items,section")
    section: Mapped[Section | None] = relationship(back_populates="items", overlaps="items")

    def set_ref(self, ref: str) -> None:
        self.ref = ref
        self.ref_key = ref.casefold()

    @property
    def is_target(self) -> bool:
        return self.kind is ItemKind.TARGET

    @property
    def is_consolidated(self) -> bool:
        return self.final_text is not None
