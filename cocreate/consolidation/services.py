"""Writing the consolidated text of each item and recording what was done with each
comment and amendment. Views, the API and the CLI share these functions."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consolidation.models import Disposition, Outcome, TextVersion
from cocreate.consultations.models import Consultation
from cocreate.db import utcnow
from cocreate.drafts.models import Item
from cocreate.drafts.services import check_text
from cocreate.errors import EditConflict, InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.participation.models import Comment

FINAL_TEXT_MAX = 5000
VERSION_NOTE_MAX = 300
RATIONALE_MAX = 2000
PASSAGE_MAX = 1000
# Enough for a whole item's comments at once, small enough to keep one request short.
BULK_MAX = 1000


def get_item_to_consolidate(item_id: int, actor: User) -> Item:
    """:raises NotFound, NotAllowed:"""
    item = db.session.get(Item, item_id)
    if item is None:
        raise NotFound(_("There is no such item."))
    require_moderator(actor, item.consultation)
    return item


def save_final_text(
    item: Item,
    actor: User,
    text: str,
    *,
    expected_version: int,
    note: str = "",
    commit: bool = True,
) -> TextVersion:
    """Save the consolidated text as the next version, unless someone saved first.

    The check and the write are one conditional UPDATE, so of two moderators saving on the
    same version exactly one wins. With ``commit=False`` the caller's transaction (accepting
    an amendment) decides.

    :raises EditConflict: when the item's text changed since ``expected_version``.
    :raises NotAllowed, InvalidInput:
    """
    require_moderator(actor, item.consultation)
    text = check_text(text, field="text", max_len=FINAL_TEXT_MAX)
    note = check_text(note, field="note", max_len=VERSION_NOTE_MAX, required=False)
    result = db.session.execute(
        sa.update(Item)
        .where(Item.id == item.id, Item.final_version == expected_version)
        .values(final_text=text, final_version=Item.final_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise EditConflict(
            _(
                "Another moderator saved this text while you were editing it, so your "
                "version was not saved. Their text is shown; merge your changes into it "
                "and save again."
            ),
            field="text",
        )
    version = TextVersion(
        item_id=item.id, number=expected_version + 1, text=text, note=note, author_id=actor.id
    )
    db.session.add(version)
    record(
        item.consultation_id,
        actor,
        "item.consolidate",
        ("item", item.id),
        ref=item.ref,
        version=version.number,
    )
    db.session.expire(item)
    if commit:
        db.session.commit()
    return version


def versions_of(item: Item) -> Sequence[TextVersion]:
    """Every saved version, newest first, with its author."""
    return db.session.scalars(
        sa.select(TextVersion)
        .where(TextVersion.item_id == item.id)
        .options(selectinload(TextVersion.author))
        .order_by(TextVersion.number.desc())
    ).all()


def get_version(item: Item, number: int) -> TextVersion:
    """:raises NotFound:"""
    version = db.session.scalar(
        sa.select(TextVersion).where(TextVersion.item_id == item.id, TextVersion.number == number)
    )
    if version is None:
        raise NotFound(_("This item has no version %(n)d.", n=number))
    return version


def parse_outcome(value: str) -> Outcome:
    """:raises InvalidInput:"""
    try:
        return Outcome(value)
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome)
        raise InvalidInput(
            _("An outcome is one of: %(allowed)s.", allowed=allowed), field="outcome"
        ) from None


def check_passage(item: Item, passage: str) -> str:
    """The passage, if it is words of the item's consolidated text. :raises InvalidInput:"""
    passage = check_text(passage, field="passage", max_len=PASSAGE_MAX, required=False)
    if passage and passage not in (item.final_text or ""):
        raise InvalidInput(
            _(
                "The passage must be words copied from %(ref)s's consolidated text; "
                "save the text first if you just wrote them.",
                ref=item.ref,
            ),
            field="passage",
        )
    return passage


def dispose(
    actor: User,
    item: Item,
    *,
    outcome: Outcome,
    rationale: str,
    passage: str = "",
    comment: Comment | None = None,
    amendment: Amendment | None = None,
) -> Disposition:
    """Set (or change) the disposition of one comment or amendment without committing.

    Callers have checked that the subject belongs to ``item``.
    """
    subject = (
        Disposition.comment_id == comment.id
        if comment is not None
        else Disposition.amendment_id == amendment.id
    )
    disposition = db.session.scalar(sa.select(Disposition).where(subject))
    if disposition is None:
        disposition = Disposition(
            item_id=item.id,
            comment_id=comment.id if comment is not None else None,
            amendment_id=amendment.id if amendment is not None else None,
        )
        db.session.add(disposition)
    disposition.outcome = outcome
    disposition.rationale = rationale
    disposition.passage = passage
    disposition.decided_by_id = actor.id
    disposition.decided_at = utcnow()
    return disposition


def record_dispositions(
    consultation: Consultation,
    actor: User,
    *,
    outcome: str,
    rationale: str,
    passage: str = "",
    comment_ids: Sequence[int] = (),
    amendment_ids: Sequence[int] = (),
) -> list[Disposition]:
    """Record one disposition for one or several comments and amendments at once.

    Every subject must belong to ``consultation``; a passage must be words of the
    consolidated text of each subject's item. All are recorded, or none.

    :raises NotAllowed, NotFound, InvalidInput:
    """
    require_moderator(actor, consultation)
    chosen = parse_outcome(outcome)
    rationale = check_text(rationale, field="rationale", max_len=RATIONALE_MAX, required=False)
    comment_ids = list(dict.fromkeys(comment_ids))
    amendment_ids = list(dict.fromkeys(amendment_ids))
    if not comment_ids and not amendment_ids:
        raise InvalidInput(_("Select at least one comment or amendment."), field="comment_ids")
    if len(comment_ids) + len(amendment_ids) > BULK_MAX:
        raise InvalidInput(
            _("Select at most %(max)d comments at once.", max=BULK_MAX), field="comment_ids"
        )
    comments = db.session.scalars(
        sa.select(Comment).where(Comment.id.in_(comment_ids)).options(selectinload(Comment.item))
    ).all()
    amendments = db.session.scalars(
        sa.select(Amendment)
        .where(Amendment.id.in_(amendment_ids))
        .options(selectinload(Amendment.item))
    ).all()
    subjects = [*comments, *amendments]
    if (
        len(comments) != len(comment_ids)
        or len(amendments) != len(amendment_ids)
        or any(subject.item.consultation_id != consultation.id for subject in subjects)
    ):
        raise NotFound(
            _(
                "A selected comment or amendment is not part of this consultation; "
                "nothing was recorded."
            )
        )
    passages = {item.id: check_passage(item, passage) for item in {s.item for s in subjects}}
    recorded = [
        dispose(
            actor,
            subject.item,
            outcome=chosen,
            rationale=rationale,
            passage=passages[subject.item_id],
            comment=subject if isinstance(subject, Comment) else None,
            amendment=subject if isinstance(subject, Amendment) else None,
        )
        for subject in subjects
    ]
    record(
        consultation.id,
        actor,
        "disposition.record",
        ("consultation", consultation.id),
        outcome=chosen.value,
        comment_ids=sorted(comment_ids),
        amendment_ids=sorted(amendment_ids),
    )
    db.session.commit()
    return recorded
