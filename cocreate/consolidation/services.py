"""Writing the consolidated text of each item and recording what was done with each
comment and amendment. Views, the API and the CLI share these functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment, AmendmentStatus
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consolidation.consensus import Consensus, consensus_of
from cocreate.consolidation.models import Disposition, Outcome, TextVersion
from cocreate.consultations.models import Consultation
from cocreate.db import utcnow
from cocreate.drafts.models import Document, Item
from cocreate.drafts.services import check_text, documents_with_items
from cocreate.errors import EditConflict, InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.moderation.models import Tag
from cocreate.participation.models import Comment, Participant, Vote, VoteValue
from cocreate.participation.results import in_scope, tally_items

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
        disposition = new_disposition(item, comment=comment, amendment=amendment)
    return decide(disposition, actor, outcome=outcome, rationale=rationale, passage=passage)


def new_disposition(
    item: Item, *, comment: Comment | None = None, amendment: Amendment | None = None
) -> Disposition:
    disposition = Disposition(
        item_id=item.id,
        comment_id=comment.id if comment is not None else None,
        amendment_id=amendment.id if amendment is not None else None,
    )
    db.session.add(disposition)
    return disposition


def decide(
    disposition: Disposition, actor: User, *, outcome: Outcome, rationale: str, passage: str
) -> Disposition:
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
    # One query for the dispositions that exist, not one per subject.
    existing = {
        (d.comment_id, d.amendment_id): d
        for d in db.session.scalars(
            sa.select(Disposition).where(
                sa.or_(
                    Disposition.comment_id.in_(comment_ids),
                    Disposition.amendment_id.in_(amendment_ids),
                )
            )
        )
    }
    recorded = []
    for subject in subjects:
        comment = subject if isinstance(subject, Comment) else None
        amendment = subject if isinstance(subject, Amendment) else None
        key = (subject.id, None) if comment is not None else (None, subject.id)
        disposition = existing.get(key) or new_disposition(
            subject.item, comment=comment, amendment=amendment
        )
        recorded.append(
            decide(
                disposition,
                actor,
                outcome=chosen,
                rationale=rationale,
                passage=passages[subject.item_id],
            )
        )
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


def text_of_version(item: Item, number: int) -> str:
    """Version ``number``'s text; 0 is the draft text. :raises NotFound:"""
    if number == 0:
        return item.text
    return get_version(item, number).text


def latest_version(item: Item) -> TextVersion | None:
    """The version the consolidated text is now, with its author; None before the first save."""
    if not item.final_version:
        return None
    return db.session.scalar(
        sa.select(TextVersion)
        .where(TextVersion.item_id == item.id, TextVersion.number == item.final_version)
        .options(selectinload(TextVersion.author))
    )


# --- the feedback on one item, as the workspace shows it ----------------------------------

# How the workspace orders stances: from agreeing to disagreeing, then no opinion, then the
# authors who did not vote on the item (None).
STANCES: tuple[VoteValue | None, ...] = (*VoteValue, None)
# What the workspace shows of a comment's author (group and region names come from the
# consultation): loading only these keeps a page of hundreds of comments quick.
AUTHOR_COLUMNS = (
    Participant.display_name,
    Participant.stakeholder_group_id,
    Participant.region_id,
)


@dataclass
class Feedback:
    """An item's top-level comments (hidden ones too) with what the workspace shows beside
    each: the author's own vote on the item, and the disposition so far."""

    comments: list[Comment]
    stances: dict[int, VoteValue] = field(default_factory=dict)  # participant id -> vote
    dispositions: dict[int, Disposition] = field(default_factory=dict)  # comment id -> it

    def stance_of(self, comment: Comment) -> VoteValue | None:
        return self.stances.get(comment.participant_id)

    def by_stance(self) -> list[tuple[VoteValue | None, list[Comment]]]:
        """Groups in the order of ``STANCES``, empty ones left out."""
        groups: dict[VoteValue | None, list[Comment]] = defaultdict(list)
        for comment in self.comments:
            groups[self.stance_of(comment)].append(comment)
        return [(stance, groups[stance]) for stance in STANCES if groups[stance]]

    def by_tag(self) -> list[tuple[Tag | None, list[Comment]]]:
        """One group per tag, by name, then the untagged (None); a comment with several
        tags is under each."""
        groups: dict[int | None, list[Comment]] = defaultdict(list)
        tags: dict[int, Tag] = {}
        for comment in self.comments:
            for tag in comment.tags:
                tags[tag.id] = tag
                groups[tag.id].append(comment)
            if not comment.tags:
                groups[None].append(comment)
        ordered = sorted(tags.values(), key=lambda tag: tag.name.casefold())
        result: list[tuple[Tag | None, list[Comment]]] = [(t, groups[t.id]) for t in ordered]
        if groups[None]:
            result.append((None, groups[None]))
        return result

    @property
    def undecided(self) -> int:
        """Visible comments that still wait for a disposition."""
        return sum(1 for c in self.comments if not c.hidden and c.id not in self.dispositions)


def feedback_on(item: Item, *, only: int | None = None) -> Feedback:
    """The item's feedback in a fixed number of queries, whatever the number of comments;
    with ``only``, just that comment's.

    Comments of rehearsals are left out, as in every result. Pinned comments come first,
    then the most supported.
    """
    query = (
        sa.select(Comment)
        .where(Comment.item_id == item.id, Comment.parent_id.is_(None))
        .options(
            selectinload(Comment.participant).load_only(*AUTHOR_COLUMNS),
            selectinload(Comment.tags),
            selectinload(Comment.replies)
            .selectinload(Comment.participant)
            .load_only(*AUTHOR_COLUMNS),
        )
        .order_by(
            Comment.pinned.desc(),
            Comment.support_count.desc(),
            Comment.created_at,
            Comment.id,
        )
    )
    dispositions = sa.select(Disposition).where(
        Disposition.item_id == item.id, Disposition.comment_id.is_not(None)
    )
    votes = sa.select(Vote.participant_id, Vote.value).where(Vote.item_id == item.id)
    if only is not None:
        query = query.where(Comment.id == only)
        dispositions = dispositions.where(Disposition.comment_id == only)
        votes = votes.where(Vote.participant_id == Comment.participant_id, Comment.id == only)
    else:
        query = in_scope(query, Comment.event_id, item.consultation_id, None)
    return Feedback(
        list(db.session.scalars(query)),
        dict(db.session.execute(votes).all()),
        {d.comment_id: d for d in db.session.scalars(dispositions)},
    )


def comment_to_dispose(consultation: Consultation, comment_id: int) -> Comment:
    """A top-level comment of ``consultation``. :raises NotFound:"""
    comment = db.session.scalar(
        sa.select(Comment)
        .join(Item, Comment.item_id == Item.id)
        .where(
            Comment.id == comment_id,
            Comment.parent_id.is_(None),
            Item.consultation_id == consultation.id,
        )
    )
    if comment is None:
        raise NotFound(_("There is no such comment in this consultation."))
    return comment


# --- progress across a consultation -------------------------------------------------------


@dataclass
class ItemProgress:
    item: Item
    comments: int = 0  # visible top-level comments, outside rehearsals
    undecided_comments: int = 0
    undecided_amendments: int = 0
    latest: TextVersion | None = None
    consensus: Consensus | None = None


@dataclass
class Progress:
    documents: list[Document]
    items: dict[int, ItemProgress]

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def consolidated(self) -> int:
        return sum(1 for row in self.items.values() if row.item.is_consolidated)

    @property
    def undecided_comments(self) -> int:
        return sum(row.undecided_comments for row in self.items.values())

    @property
    def undecided_amendments(self) -> int:
        return sum(row.undecided_amendments for row in self.items.values())

    @property
    def unconsolidated(self) -> list[Item]:
        return [row.item for row in self.items.values() if not row.item.is_consolidated]


def consolidation_progress(consultation: Consultation, actor: User) -> Progress:
    """Where consolidation stands, per item, in a fixed number of queries.

    :raises NotAllowed:
    """
    require_moderator(actor, consultation)
    documents = documents_with_items(consultation)
    items = {item.id: ItemProgress(item) for document in documents for item in document.items}
    ids = list(items)
    comments = (
        sa.select(Comment.item_id, sa.func.count(Comment.id), sa.func.count(Disposition.id))
        .outerjoin(Disposition, Disposition.comment_id == Comment.id)
        .where(Comment.item_id.in_(ids), Comment.parent_id.is_(None), ~Comment.hidden)
        .group_by(Comment.item_id)
    )
    for item_id, total, decided in db.session.execute(
        in_scope(comments, Comment.event_id, consultation.id, None)
    ):
        items[item_id].comments = total
        items[item_id].undecided_comments = total - decided
    amendments = (
        sa.select(Amendment.item_id, sa.func.count())
        .where(
            Amendment.item_id.in_(ids),
            Amendment.status == AmendmentStatus.PROPOSED,
            ~Amendment.hidden,
        )
        .group_by(Amendment.item_id)
    )
    for item_id, undecided in db.session.execute(
        in_scope(amendments, Amendment.event_id, consultation.id, None)
    ):
        items[item_id].undecided_amendments = undecided
    latest = db.session.scalars(
        sa.select(TextVersion)
        .join(Item, Item.id == TextVersion.item_id)
        .where(Item.consultation_id == consultation.id, TextVersion.number == Item.final_version)
        .options(joinedload(TextVersion.author))
    )
    for version in latest:
        items[version.item_id].latest = version
    for item_id, results in tally_items(consultation, ids, moderator=True).items():
        items[item_id].consensus = consensus_of(results)
    return Progress(documents, items)
