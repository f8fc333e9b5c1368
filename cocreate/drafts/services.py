"""Draft documents: importing whole drafts and editing them item by item."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from cocreate.accounts.models import User
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation, Status
from cocreate.consultations.services import new_consultation
from cocreate.drafts.importing import (
    DOCUMENTS_MAX,
    GROUPS_MAX,
    INTRODUCTION_MAX,
    LIST_ENTRY_MAX,
    LIST_MAX,
    NAME_MAX,
    PRACTICE_DESCRIPTION_MAX,
    SECTION_DESCRIPTION_MAX,
    STAGE_MAX,
    STATEMENT_MAX,
    TITLE_MAX,
    YEAR_MAX,
    YEAR_MIN,
    DocumentSpec,
    DraftSpec,
)
from cocreate.drafts.models import Document, DocumentKind, Item, ItemKind, Section
from cocreate.errors import EditConflict, InvalidInput, NotAllowed, NotFound
from cocreate.extensions import db

# The import format's rules, for items written in the browser or sent to the API.
REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
# Tab and line breaks are text; other control characters cannot be shown (nor stored by
# PostgreSQL, for NUL).
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
    query = (
        sa.select(Document)
        .where(Document.consultation_id == consultation.id)
        .options(selectinload(Document.sections), selectinload(Document.items))
        .order_by(Document.position)
    )
    return list(db.session.scalars(query))


def get_document(document_id: int, actor: User) -> Document:
    """A document to edit, with its sections and items loaded for the editor page.

    :raises NotFound, NotAllowed:
    """
    document = db.session.get(
        Document,
        document_id,
        options=[selectinload(Document.sections), selectinload(Document.items)],
    )
    if document is None:
        raise NotFound(_("There is no such document."))
    require_moderator(actor, document.consultation)
    return document


def get_section(section_id: int, actor: User) -> Section:
    """:raises NotFound, NotAllowed:"""
    section = db.session.get(Section, section_id)
    if section is None:
        raise NotFound(_("There is no such section."))
    require_moderator(actor, section.document.consultation)
    return section


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
    clash = db.session.execute(
        sa.select(Item.id, Item.ref).where(
            Item.consultation_id == consultation.id, Item.ref_key == ref.casefold()
        )
    ).first()
    if clash is not None and (item is None or clash.id != item.id):
        raise InvalidInput(
            _(
                "Another item already has the reference %(ref)s "
                "(upper and lower case count as the same).",
                ref=clash.ref,
            ),
            field="ref",
        )


def check_text(
    value: str, *, field: str, max_len: int, required: bool = True, single_line: bool = False
) -> str:
    """The text stripped, if it keeps the draft format's rules.

    :raises InvalidInput: naming ``field``.
    """
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(_("This must not be empty."), field=field)
    if single_line and len(text.splitlines()) > 1:
        raise InvalidInput(_("Write this on a single line."), field=field)
    if CONTROL_CHARACTER.search(text):
        raise InvalidInput(_("This contains a control character; remove it."), field=field)
    if len(text) > max_len:
        raise InvalidInput(
            _("Too long: %(count)d characters, at most %(max)d.", count=len(text), max=max_len),
            field=field,
        )
    return text


def check_lines(
    values: Sequence[str], *, field: str, max_items: int, max_len: int, distinct: bool = False
) -> list[str]:
    """A list of single-line texts, each checked with `check_text`.

    :raises InvalidInput: naming ``field``.
    """
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidInput(_("Expected a list of texts."), field=field)
    if len(values) > max_items:
        raise InvalidInput(
            _("Too many entries: %(count)d, at most %(max)d.", count=len(values), max=max_items),
            field=field,
        )
    lines = [check_text(v, field=field, max_len=max_len, single_line=True) for v in values]
    if distinct and len(set(lines)) < len(lines):
        raise InvalidInput(_("An entry is listed twice."), field=field)
    return lines


def check_item_fields(consultation: Consultation, kind: ItemKind, fields: dict) -> dict:
    """The column values of a target or practice, checked as an import checks them.

    ``fields`` holds ref, title, text, and for a target milestone_year, indicators and
    responsible_actors, for a practice criteria and applies_to. The ref's uniqueness is
    checked by the caller, which knows which item may keep it.

    :raises InvalidInput: naming the form field at fault.
    """
    ref = check_text(fields.get("ref"), field="ref", max_len=20, single_line=True)
    if not REF_PATTERN.fullmatch(ref):
        raise InvalidInput(
            _('Use 1 to 20 letters, digits, ".", "_" or "-", starting with a letter or digit.'),
            field="ref",
        )
    values = {
        "ref": ref,
        "title": check_text(
            fields.get("title"), field="title", max_len=TITLE_MAX, single_line=True
        ),
    }
    if kind is ItemKind.PRACTICE:
        values["text"] = check_text(
            fields.get("text"), field="description", max_len=PRACTICE_DESCRIPTION_MAX
        )
        values["criteria"] = check_lines(
            fields.get("criteria", []), field="criteria", max_items=LIST_MAX, max_len=LIST_ENTRY_MAX
        )
        values["applies_to"] = check_lines(
            fields.get("applies_to", []),
            field="applies_to",
            max_items=LIST_MAX,
            max_len=STAGE_MAX,
            distinct=True,
        )
        return values
    values["text"] = check_text(fields.get("text"), field="statement", max_len=STATEMENT_MAX)
    year = fields.get("milestone_year")
    # bool is an int to Python, but True is no year.
    if type(year) is not int or not YEAR_MIN <= year <= YEAR_MAX:
        raise InvalidInput(
            _("Give a year from %(min)d to %(max)d.", min=YEAR_MIN, max=YEAR_MAX),
            field="milestone_year",
        )
    values["milestone_year"] = year
    values["indicators"] = check_lines(
        fields.get("indicators", []), field="indicators", max_items=LIST_MAX, max_len=LIST_ENTRY_MAX
    )
    actors = check_lines(
        fields.get("responsible_actors", []),
        field="responsible_actors",
        max_items=GROUPS_MAX,
        max_len=NAME_MAX,
        distinct=True,
    )
    groups = {group.name for group in consultation.stakeholder_groups}
    for actor in actors:
        if actor not in groups:
            raise InvalidInput(
                _("“%(name)s” is not a stakeholder group of this consultation.", name=actor),
                field="responsible_actors",
            )
    values["responsible_actors"] = actors
    return values


def check_section_of(document: Document, section: Section | None) -> None:
    """A target goes in a section of its own roadmap; a practice in none.

    :raises InvalidInput:
    """
    if not document.is_roadmap:
        if section is not None:
            raise InvalidInput(_("Only a roadmap has sections."))
        return
    if section is None:
        raise InvalidInput(_("Choose the section this target belongs to."), field="section_id")
    if section.document_id != document.id:
        raise InvalidInput(_("That section belongs to another document."), field="section_id")


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
    if len(consultation.documents) >= DOCUMENTS_MAX:
        raise InvalidInput(_("A consultation holds at most %(max)d documents.", max=DOCUMENTS_MAX))
    position = len(consultation.documents)
    document = Document(
        consultation=consultation,
        kind=document_kind,
        title=check_text(title, field="title", max_len=TITLE_MAX, single_line=True),
        introduction=check_text(
            introduction, field="introduction", max_len=INTRODUCTION_MAX, required=False
        ),
        position=position,
    )
    db.session.add(document)
    record(consultation.id, actor, "document.create", ("document", None), title=document.title)
    db.session.commit()
    return document


def update_document(document: Document, actor: User, *, title: str, introduction: str) -> None:
    """:raises NotAllowed, InvalidInput:"""
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    document.title = check_text(title, field="title", max_len=TITLE_MAX, single_line=True)
    document.introduction = check_text(
        introduction, field="introduction", max_len=INTRODUCTION_MAX, required=False
    )
    record(
        document.consultation_id,
        actor,
        "document.edit",
        ("document", document.id),
        title=document.title,
    )
    db.session.commit()


def delete_document(document: Document, actor: User) -> None:
    """Delete a document with everything in it, votes and comments included.

    :raises NotAllowed:
    """
    consultation = document.consultation
    require_moderator(actor, consultation)
    ensure_editable(consultation)
    record(
        consultation.id, actor, "document.delete", ("document", document.id), title=document.title
    )
    consultation.documents.remove(document)
    db.session.delete(document)
    for position, each in enumerate(consultation.documents):
        each.position = position
    db.session.commit()


def create_section(
    document: Document, actor: User, *, title: str, description: str = ""
) -> Section:
    """Add a section at the end of a roadmap.

    :raises NotAllowed, InvalidInput:
    """
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    if not document.is_roadmap:
        raise InvalidInput(_("Only a roadmap has sections."))
    section = Section(
        document=document,
        title=check_text(title, field="title", max_len=TITLE_MAX, single_line=True),
        description=check_text(
            description, field="description", max_len=SECTION_DESCRIPTION_MAX, required=False
        ),
        position=len(document.sections),
    )
    db.session.add(section)
    db.session.commit()
    return section


def update_section(section: Section, actor: User, *, title: str, description: str) -> None:
    """:raises NotAllowed, InvalidInput:"""
    require_moderator(actor, section.document.consultation)
    ensure_editable(section.document.consultation)
    section.title = check_text(title, field="title", max_len=TITLE_MAX, single_line=True)
    section.description = check_text(
        description, field="description", max_len=SECTION_DESCRIPTION_MAX, required=False
    )
    db.session.commit()


def delete_section(section: Section, actor: User) -> None:
    """Delete a section and its targets.

    :raises NotAllowed:
    """
    require_moderator(actor, section.document.consultation)
    ensure_editable(section.document.consultation)
    document = section.document
    for item in list(section.items):
        document.items.remove(item)
    document.sections.remove(section)
    db.session.delete(section)
    # Dense positions, so a section added next does not share a position with another.
    for position, each in enumerate(document.sections):
        each.position = position
    renumber(document)
    db.session.commit()


def save_item(
    item: Item,
    actor: User,
    *,
    fields: dict,
    expected_version: int,
    section: Section | None = None,
) -> Item:
    """Save an edit made on ``expected_version``; it never overwrites a newer save.

    ``fields`` is as for `check_item_fields`. A target given another ``section`` moves to
    the end of that section. The check and the write are one conditional UPDATE, so two
    moderators saving at the same moment cannot both win.

    :raises EditConflict: when the item changed since the editor loaded it.
    :raises NotAllowed, InvalidInput:
    """
    document = item.document
    consultation = document.consultation
    require_moderator(actor, consultation)
    ensure_editable(consultation)
    values = check_item_fields(consultation, item.kind, fields)
    ensure_unique_ref(consultation, values["ref"], item)
    moved = section is not None and section.id != item.section_id
    if moved:
        check_section_of(document, section)
        values |= {"section_id": section.id, "position": len(document.items)}
    values |= {"ref_key": values["ref"].casefold(), "version": Item.version + 1}
    with ref_clash_refused(values["ref"]):
        result = db.session.execute(
            sa.update(Item)
            .where(Item.id == item.id, Item.version == expected_version)
            .values(values)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        db.session.rollback()
        raise EditConflict(
            _(
                "Someone else saved this item while you were editing it, so your changes "
                "were not saved. Compare them with the saved version, then save again."
            )
        )
    db.session.expire(item)
    if moved:
        renumber(document)
    record(
        consultation.id,
        actor,
        "item.edit",
        ("item", item.id),
        ref=values["ref"],
        version=expected_version + 1,
    )
    db.session.commit()
    return item


def create_item(
    document: Document, actor: User, *, fields: dict, section: Section | None = None
) -> Item:
    """Add a target at the end of ``section``, or a practice at the end of a guideline.

    ``fields`` is as for `check_item_fields`.

    :raises NotAllowed, InvalidInput:
    """
    consultation = document.consultation
    require_moderator(actor, consultation)
    ensure_editable(consultation)
    check_section_of(document, section)
    kind = ItemKind.TARGET if document.is_roadmap else ItemKind.PRACTICE
    values = check_item_fields(consultation, kind, fields)
    ensure_unique_ref(consultation, values["ref"])
    item = Item(
        consultation=consultation,
        section=section,
        kind=kind,
        position=len(document.items) + 1,
        **values,
    )
    item.set_ref(values["ref"])
    document.items.append(item)
    renumber(document)
    record(consultation.id, actor, "item.create", ("item", None), ref=item.ref)
    with ref_clash_refused(values["ref"]):
        db.session.commit()
    return item


@contextmanager
def ref_clash_refused(ref: str) -> Iterator[None]:
    """Two moderators taking the same ref at the same instant: the database decides, and the
    loser gets the same message as when the check above caught it."""
    try:
        yield
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise InvalidInput(
            _("Another item already has the reference %(ref)s.", ref=ref), field="ref"
        ) from None


def delete_item(item: Item, actor: User) -> None:
    """Delete an item with its votes and comments.

    :raises NotAllowed:
    """
    document = item.document
    require_moderator(actor, document.consultation)
    ensure_editable(document.consultation)
    record(document.consultation_id, actor, "item.delete", ("item", item.id), ref=item.ref)
    document.items.remove(item)
    db.session.delete(item)
    renumber(document)
    db.session.commit()


def move_item(item: Item, actor: User, offset: int) -> None:
    """Move an item up (-1) or down (+1) within its section or guideline.

    Moving the first up or the last down changes nothing.

    :raises NotAllowed:
    """
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
    """Move a section, with its targets, up (-1) or down (+1) in its roadmap.

    :raises NotAllowed:
    """
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
