"""Draft documents: importing whole drafts and editing them item by item."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from cocreate.accounts.models import User
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation, Status
from cocreate.consultations.services import new_consultation
from cocreate.drafts.importing import DocumentSpec, DraftSpec
from cocreate.drafts.models import Document, DocumentKind, Item, ItemKind, Section
from cocreate.errors import EditConflict, InvalidInput, NotAllowed, NotFound
from cocreate.extensions import db


def import_draft(
    spec: DraftSpec, *, moderators: Sequence[User] = (), status: Status = Status.OPEN
) -> Consultation:
    """Create a consultation from a parsed draft, in one transaction.

    With no moderators the administrators run it until one is added.
    """
    head = spec.consultation
    try:
        consultation = new_consultation(
            title=head.title,
            summary=head.summary,
            language=head.language,
            stakeholder_groups=head.stakeholder_groups,
            regions=head.regions,
            moderators=moderators,
            status=status,
        )
        for position, document_spec in enumerate(spec.documents):
            add_document_from_spec(consultation, document_spec, position)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return consultation


def add_document_from_spec(consultation: Consultation, spec: DocumentSpec, position: int) -> None:
    document = Document(
        consultation=consultation,
        kind=DocumentKind(spec.kind),
        title=spec.title,
        introduction=spec.introduction,
        position=position,
    )
    db.session.add(document)
    item_position = 0
    for section_position, section_spec in enumerate(spec.sections):
        section = Section(
            document=document,
            title=section_spec.title,
            description=section_spec.description,
            position=section_position,
        )
        for target in section_spec.targets:
            item = Item(
                consultation=consultation,
                document=document,
                section=section,
                kind=ItemKind.TARGET,
                title=target.title,
                text=target.statement,
                milestone_year=target.milestone_year,
                indicators=target.indicators,
                responsible_actors=target.responsible_actors,
                position=item_position,
            )
            item.set_ref(target.ref)
            db.session.add(item)
            item_position += 1
    for practice in spec.practices:
        item = Item(
            consultation=consultation,
            document=document,
            kind=ItemKind.PRACTICE,
            title=practice.title,
            text=practice.description,
            criteria=practice.criteria,
            applies_to=practice.applies_to,
            position=item_position,
        )
        item.set_ref(practice.ref)
        db.session.add(item)
        item_position += 1


def documents_with_items(consultation: Consultation) -> list[Document]:
    """The consultation's documents with sections and items loaded in a fixed number of queries."""
    from sqlalchemy.orm import selectinload

    query = (
        sa.select(Document)
        .where(Document.consultation_id == consultation.id)
        .options(selectinload(Document.sections), selectinload(Document.items))
        .order_by(Document.position)
    )
    return list(db.session.scalars(query))


def get_document(document_id: int, actor: User) -> Document:
    """:raises NotFound, NotAllowed:"""
    document = db.session.get(Document, document_id)
    if document is None:
        raise NotFound(_("There is no such document."))
    require_moderator(actor, document.consultation)
    return document


def get_item_to_edit(item_id: int, actor: User) -> Item:
    """:raises NotFound, NotAllowed:"""
    item = db.session.get(Item, item_id)
    if item is None:
        raise NotFound(_("There is no such item."))
    require_moderator(actor, item.document.consultation)
    return item


def ensure_editable(consultation: Consultation) -> None:
    if consultation.status is Status.PUBLISHED:
        raise NotAllowed(_("A published consultation can no longer be edited."))


def ensure_unique_ref(consultation: Consultation, ref: str, item: Item | None = None) -> None:
    clash = db.session.scalar(
        sa.select(Item.id).where(
            Item.consultation_id == consultation.id, Item.ref_key == ref.casefold()
        )
    )
    if clash is not None and (item is None or clash != item.id):
        raise InvalidInput(
            _("Another item already has the reference %(ref)s.", ref=ref), field="ref"
        )


def create_document(
    consultation: Consultation, actor: User, *, kind: str, title: str, introduction: str = ""
) -> Document:
    """:raises NotAllowed, InvalidInput:"""
    require_moderator(actor, consultation)
    ensure_editable(consultation)
    try:
        document_kind = DocumentKind(kind)
    except ValueError:
        raise InvalidInput(_("A document is a roadmap or a guideline."), field="kind") from None
    position = len(consultation.documents)
    document = Document(
        consultation=consultation,
        kind=document_kind,
        title=title,
        introduction=introduction,
        position=position,
    )
    db.session.add(document)
    db.session.commit()
    return document


def update_document(document: Document, actor: User, *, title: str, introduction: str) -> None:
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    document.title = title
    document.introduction = introduction
    db.session.commit()


def delete_document(document: Document, actor: User) -> None:
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    db.session.delete(document)
    db.session.commit()


def create_section(
    document: Document, actor: User, *, title: str, description: str = ""
) -> Section:
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    if not document.is_roadmap:
        raise InvalidInput(_("Only a roadmap has sections."))
    section = Section(
        document=document, title=title, description=description, position=len(document.sections)
    )
    db.session.add(section)
    db.session.commit()
    return section


def update_section(section: Section, actor: User, *, title: str, description: str) -> None:
    require_moderator(actor, section.document.consultation)
    ensure_editable(section.document.consultation)
    section.title = title
    section.description = description
    db.session.commit()


def delete_section(section: Section, actor: User) -> None:
    require_moderator(actor, section.document.consultation)
    ensure_editable(section.document.consultation)
    document = section.document
    for item in list(section.items):
        document.items.remove(item)
    document.sections.remove(section)
    db.session.delete(section)
    renumber(document)
    db.session.commit()


def save_item(item: Item, actor: User, *, fields: dict, expected_version: int) -> Item:
    """Save an edit made on ``expected_version``; it never overwrites a newer save.

    The check and the write are one conditional UPDATE, so two moderators saving at the
    same moment cannot both win.

    :raises EditConflict: when the item changed since the editor loaded it.
    :raises NotAllowed, InvalidInput:
    """
    consultation = item.document.consultation
    require_moderator(actor, consultation)
    ensure_editable(consultation)
    ensure_unique_ref(consultation, fields["ref"], item)
    values = {**fields, "ref_key": fields["ref"].casefold(), "version": Item.version + 1}
    result = db.session.execute(
        sa.update(Item).where(Item.id == item.id, Item.version == expected_version).values(values)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise EditConflict(
            _(
                "Someone else saved this item while you were editing it. "
                "Their version is shown below; reapply your change to it."
            )
        )
    db.session.commit()
    db.session.refresh(item)
    return item


def create_item(
    document: Document, actor: User, *, fields: dict, section: Section | None = None
) -> Item:
    """:raises NotAllowed, InvalidInput:"""
    consultation = document.consultation
    require_moderator(actor, consultation)
    ensure_editable(consultation)
    if document.is_roadmap and section is None:
        raise InvalidInput(_("Choose the section this target belongs to."), field="section")
    ensure_unique_ref(consultation, fields["ref"])
    kind = ItemKind.TARGET if document.is_roadmap else ItemKind.PRACTICE
    fields = dict(fields)
    item = Item(
        consultation=consultation,
        section=section,
        kind=kind,
        position=len(document.items) + 1,
        **fields,
    )
    item.set_ref(fields["ref"])
    document.items.append(item)
    renumber(document)
    db.session.commit()
    return item


def delete_item(item: Item, actor: User) -> None:
    document = item.document
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    document.items.remove(item)
    db.session.delete(item)
    renumber(document)
    db.session.commit()


def move_item(item: Item, actor: User, offset: int) -> None:
    """Move an item up (-1) or down (+1) within its section or guideline."""
    document = item.document
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    siblings = [i for i in document.items if i.section_id == item.section_id]
    index = siblings.index(item)
    other = index + offset
    if 0 <= other < len(siblings):
        siblings[index].position, siblings[other].position = (
            siblings[other].position,
            siblings[index].position,
        )
        renumber(document)
        db.session.commit()


def move_section(section: Section, actor: User, offset: int) -> None:
    document = section.document
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    sections = list(document.sections)
    index = sections.index(section)
    other = index + offset
    if 0 <= other < len(sections):
        sections[index], sections[other] = sections[other], sections[index]
        for position, each in enumerate(sections):
            each.position = position
        renumber(document)
        db.session.commit()


def renumber(document: Document) -> None:
    """Keep item positions dense and in reading order, section by section (not committed)."""
    section_rank = {id(s): s.position for s in document.sections}
    ordered = sorted(
        document.items, key=lambda i: (section_rank.get(id(i.section), -1), i.position)
    )
    for position, item in enumerate(ordered):
        item.position = position
    document.items[:] = ordered
