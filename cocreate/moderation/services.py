"""Moderating comments: hiding with a reason, approving, merging, muting, tags, answers and
flags, and the queue that brings what needs a look to the top.

Each moderator action is one unit of work: it checks, authorizes, changes, records an
audit entry and commits once, or raises a domain error and leaves the database as it was.
The live console's one-click actions start here too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, contains_eager, selectinload

from cocreate.accounts.models import User
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation
from cocreate.db import utcnow
from cocreate.drafts.models import Item
from cocreate.drafts.services import check_text
from cocreate.errors import InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.moderation.models import Flag, HideReason, ModeratorAnswer, Tag, comment_tag
from cocreate.participation.models import Comment, Participant, Support
from cocreate.participation.services import count_once, others_visible_comment

HIDE_NOTE_MAX = 300
ANSWER_MAX = 2000
TAG_NAME_MAX = 60
TAGS_PER_COMMENT = 10
# Enough for a thread of duplicates, small enough to read before merging.
MERGE_MAX = 50
QUEUE_PAGE_SIZE = 100


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll all of it back if it raised."""
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def consultation_of(comment: Comment) -> Consultation:
    return comment.item.consultation


def get_comment(comment_id: int, actor: User) -> Comment:
    """:raises NotFound, NotAllowed:"""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("There is no such comment."))
    require_moderator(actor, consultation_of(comment))
    return comment


def get_participant(participant_id: int, actor: User) -> Participant:
    """:raises NotFound, NotAllowed:"""
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        raise NotFound(_("There is no such participant."))
    require_moderator(actor, participant.consultation)
    return participant


def get_tag(tag_id: int, actor: User) -> Tag:
    """:raises NotFound, NotAllowed:"""
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        raise NotFound(_("There is no such tag."))
    require_moderator(actor, db.session.get(Consultation, tag.consultation_id))
    return tag


def audit(comment: Comment, actor: User, action: str, **detail) -> None:
    record(comment.item.consultation_id, actor, action, ("comment", comment.id), **detail)


# -- hiding, restoring, approving --------------------------------------------------------


def parse_reason(reason: HideReason | str | None) -> HideReason:
    """:raises InvalidInput: for a reason outside the fixed list."""
    try:
        return HideReason(reason)
    except ValueError:
        allowed = ", ".join(r.value for r in HideReason)
        raise InvalidInput(
            _("A reason for hiding is one of: %(allowed)s.", allowed=allowed), field="reason"
        ) from None


def check_reason(reason: HideReason | str | None, note: str) -> tuple[HideReason, str]:
    """The reason and its note; "other" needs a note saying what it is.

    :raises InvalidInput:
    """
    reason = parse_reason(reason)
    note = check_text(note or "", field="note", max_len=HIDE_NOTE_MAX, required=False)
    if reason is HideReason.OTHER and not note:
        raise InvalidInput(
            _("Say in a short note why you hide it when the reason is “other”."), field="note"
        )
    return reason, note


def ensure_not_merged(comment: Comment) -> None:
    if comment.merged_into_id is not None:
        raise InvalidInput(
            _(
                "This comment was merged into comment #%(id)d: it stays hidden as a duplicate.",
                id=comment.merged_into_id,
            )
        )


def hide_comment(
    comment: Comment, actor: User, reason: HideReason | str, note: str = ""
) -> Comment:
    """Hide a comment from participants with a reason from :class:`HideReason` (the author
    still sees it, and why). On a hidden comment this changes the reason; on a comment
    awaiting approval it rejects it.

    :raises NotAllowed: for anyone but the consultation's moderators.
    :raises InvalidInput: for a reason outside the list, "other" without a note, a note over
        300 characters, or a merged comment.
    """
    require_moderator(actor, consultation_of(comment))
    reason, note = check_reason(reason, note)
    ensure_not_merged(comment)
    if comment.awaiting_approval:
        action = "comment.reject"
    elif comment.hidden:
        action = "comment.reason"
    else:
        action = "comment.hide"
    with unit_of_work():
        previous = comment.hidden_reason.value if comment.hidden_reason else None
        comment.hidden = True
        comment.awaiting_approval = False
        comment.hidden_reason = reason
        comment.hidden_note = note
        audit(comment, actor, action, reason=reason.value, note=note, previous=previous)
    return comment


def change_reason(
    comment: Comment, actor: User, reason: HideReason | str, note: str = ""
) -> Comment:
    """Change why a hidden comment is hidden (the live console hides as off-topic).

    :raises NotAllowed, InvalidInput: as :func:`hide_comment`, and for a visible comment.
    """
    require_moderator(actor, consultation_of(comment))
    if not comment.hidden or comment.awaiting_approval:
        raise InvalidInput(_("This comment is not hidden: hide it with a reason instead."))
    return hide_comment(comment, actor, reason, note)


def reject_comment(
    comment: Comment, actor: User, reason: HideReason | str, note: str = ""
) -> Comment:
    """Refuse a comment awaiting approval: it stays hidden, with a reason.

    :raises NotAllowed, InvalidInput: as :func:`hide_comment`, and for a comment that does
        not await approval.
    """
    require_moderator(actor, consultation_of(comment))
    ensure_awaiting(comment)
    return hide_comment(comment, actor, reason, note)


def ensure_awaiting(comment: Comment) -> None:
    if not comment.awaiting_approval:
        raise InvalidInput(_("This comment is not waiting for approval."))


def approve_comment(comment: Comment, actor: User) -> Comment:
    """Show a comment that waited for approval under pre-moderation.

    :raises NotAllowed, InvalidInput: for a comment that does not await approval.
    """
    require_moderator(actor, consultation_of(comment))
    ensure_awaiting(comment)
    with unit_of_work():
        comment.hidden = False
        comment.awaiting_approval = False
        comment.hidden_reason = None
        comment.hidden_note = ""
        comment.needs_review = False
        audit(comment, actor, "comment.approve")
    return comment


def restore_comment(comment: Comment, actor: User) -> Comment:
    """Show a hidden comment again; its reason is cleared. Restoring a comment that awaits
    approval approves it.

    :raises NotAllowed, InvalidInput: for a visible comment or a merged one.
    """
    require_moderator(actor, consultation_of(comment))
    if not comment.hidden:
        raise InvalidInput(_("This comment is not hidden."))
    ensure_not_merged(comment)
    if comment.awaiting_approval:
        return approve_comment(comment, actor)
    with unit_of_work():
        previous = comment.hidden_reason.value if comment.hidden_reason else None
        comment.hidden = False
        comment.hidden_reason = None
        comment.hidden_note = ""
        audit(comment, actor, "comment.restore", previous=previous)
    return comment


def set_hidden(
    comment: Comment, actor: User, hidden: bool, *, reason: HideReason = HideReason.OFF_TOPIC
) -> Comment:
    """The live console's one-click toggle: hide (as off-topic unless told otherwise, and
    changeable later in the queue) or restore. Hiding a hidden comment changes nothing.

    :raises NotAllowed, InvalidInput:
    """
    require_moderator(actor, consultation_of(comment))
    if hidden:
        if comment.hidden:
            return comment
        return hide_comment(comment, actor, reason)
    if not comment.hidden:
        return comment
    return restore_comment(comment, actor)


def set_pinned(comment: Comment, actor: User, pinned: bool) -> Comment:
    """Pinned comments come first for everyone. :raises NotAllowed:"""
    require_moderator(actor, consultation_of(comment))
    if comment.pinned == pinned:
        return comment
    with unit_of_work():
        comment.pinned = pinned
        audit(comment, actor, "comment.pin" if pinned else "comment.unpin")
    return comment


# -- muting --------------------------------------------------------------------------------


def set_muted(participant: Participant, actor: User, muted: bool) -> Participant:
    """Mute a participant (they may still read and vote, but post no more comments or
    replies), or unmute them. Muting a muted participant changes nothing.

    :raises NotAllowed:
    """
    require_moderator(actor, participant.consultation)
    if (participant.muted_at is not None) == muted:
        return participant
    with unit_of_work():
        participant.muted_at = utcnow() if muted else None
        record(
            participant.consultation_id,
            actor,
            "participant.mute" if muted else "participant.unmute",
            ("participant", participant.id),
            display_name=participant.display_name,
        )
    return participant


def mute_participant(participant: Participant, actor: User) -> Participant:
    """:raises NotAllowed:"""
    return set_muted(participant, actor, True)


def unmute_participant(participant: Participant, actor: User) -> Participant:
    """:raises NotAllowed:"""
    return set_muted(participant, actor, False)


# -- merging -------------------------------------------------------------------------------


def merge_comments(target: Comment, sources: Sequence[Comment], actor: User) -> Comment:
    """Merge duplicates into ``target``, all of it in one transaction: the sources are
    hidden as duplicates and linked to the target, their replies move to the target, and
    their supporters support the target (once each, never its own author).

    :raises NotAllowed: for anyone but the consultation's moderators.
    :raises InvalidInput: for no sources, a comment merged into itself, comments on
        another item, replies, a source already merged, or a target that is hidden or
        merged.
    """
    require_moderator(actor, consultation_of(target))
    sources = list({source.id: source for source in sources}.values())
    check_merge(target, sources)
    source_ids = [source.id for source in sources]
    with unit_of_work():
        # Another moderator may be merging the same comments: lock them (in id order, so two
        # merges never wait on each other), read them afresh and check again.
        db.session.scalars(
            sa.select(Comment)
            .where(Comment.id.in_([target.id, *source_ids]))
            .order_by(Comment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        check_merge(target, sources)
        for source in sources:
            source.hidden = True
            source.awaiting_approval = False
            source.hidden_reason = HideReason.DUPLICATE
            source.hidden_note = ""
            source.merged_into_id = target.id
        db.session.execute(
            sa.update(Comment)
            .where(Comment.parent_id.in_(source_ids))
            .values(parent_id=target.id)
            .execution_options(synchronize_session=False)
        )
        carry_supports(target, source_ids)
        record(
            target.item.consultation_id,
            actor,
            "comment.merge",
            ("comment", target.id),
            sources=source_ids,
            item=target.item.ref,
        )
    return target


def check_merge(target: Comment, sources: Sequence[Comment]) -> None:
    """:raises InvalidInput: for anything that cannot be merged, naming the comment."""
    if not sources:
        raise InvalidInput(_("Choose the comments to merge into this one."), field="sources")
    if len(sources) > MERGE_MAX:
        raise InvalidInput(
            _("Merge at most %(max)d comments at once.", max=MERGE_MAX), field="sources"
        )
    if target.parent_id is not None:
        raise InvalidInput(
            _("Comment #%(id)d is a reply: only whole comments can be merged.", id=target.id),
            field="target",
        )
    if target.merged_into_id is not None:
        raise InvalidInput(
            _(
                "Comment #%(id)d was itself merged into #%(into)d: merge into that one.",
                id=target.id,
                into=target.merged_into_id,
            ),
            field="target",
        )
    if target.hidden:
        raise InvalidInput(
            _("Comment #%(id)d is hidden: merge into a comment participants see.", id=target.id),
            field="target",
        )
    for source in sources:
        if source.id == target.id:
            raise InvalidInput(
                _("A comment cannot be merged into itself (#%(id)d).", id=target.id),
                field="sources",
            )
        if source.item_id != target.item_id:
            raise InvalidInput(
                _(
                    "Comment #%(id)d is on %(ref)s, not on %(target_ref)s: only comments on "
                    "the same item can be merged.",
                    id=source.id,
                    ref=source.item.ref,
                    target_ref=target.item.ref,
                ),
                field="sources",
            )
        if source.parent_id is not None:
            raise InvalidInput(
                _("Comment #%(id)d is a reply: only whole comments can be merged.", id=source.id),
                field="sources",
            )
        if source.merged_into_id is not None:
            raise InvalidInput(
                _(
                    "Comment #%(id)d is already merged into #%(into)d.",
                    id=source.id,
                    into=source.merged_into_id,
                ),
                field="sources",
            )


def carry_supports(target: Comment, source_ids: list[int]) -> None:
    """Give the target a support from each supporter of the sources who does not support
    it yet, then count the target's supports again from the rows."""
    already = sa.select(Support.participant_id).where(Support.comment_id == target.id)
    supporters = db.session.scalars(
        sa.select(Support.participant_id)
        .where(
            Support.comment_id.in_(source_ids),
            Support.participant_id != target.participant_id,
            Support.participant_id.not_in(already),
        )
        .distinct()
    ).all()
    db.session.add_all(
        Support(comment_id=target.id, participant_id=participant_id)
        for participant_id in supporters
    )
    db.session.flush()
    db.session.execute(
        sa.update(Comment)
        .where(Comment.id == target.id)
        .values(
            support_count=sa.select(sa.func.count())
            .select_from(Support)
            .where(Support.comment_id == target.id)
            .scalar_subquery()
        )
        .execution_options(synchronize_session=False)
    )


# -- tags ----------------------------------------------------------------------------------


def clean_tag_name(name: str) -> str:
    """:raises InvalidInput:"""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("A tag needs a name."), field="tags")
    if len(name) > TAG_NAME_MAX:
        raise InvalidInput(
            _(
                "A tag has at most %(max)d characters; “%(name)s…” has %(n)d.",
                max=TAG_NAME_MAX,
                name=name[:20],
                n=len(name),
            ),
            field="tags",
        )
    return name


def parse_tag_names(names: Sequence[str]) -> list[str]:
    """Trimmed names, blanks dropped, repeats (ignoring case) kept once, in order.

    :raises InvalidInput: for a name over 60 characters or more than 10 names.
    """
    cleaned: dict[str, str] = {}
    for name in names:
        if name and name.strip():
            name = clean_tag_name(name)
            cleaned.setdefault(name.casefold(), name)
    if len(cleaned) > TAGS_PER_COMMENT:
        raise InvalidInput(
            _("A comment has at most %(max)d tags.", max=TAGS_PER_COMMENT), field="tags"
        )
    return list(cleaned.values())


def split_tags(text: str) -> list[str]:
    """Tag names typed as one comma-separated line."""
    return (text or "").split(",")


def set_tags(comment: Comment, actor: User, names: Sequence[str]) -> list[Tag]:
    """File a comment under these themes (its previous tags are replaced). A name the
    consultation does not have yet becomes a new tag; an existing one is matched ignoring
    case.

    :raises NotAllowed, InvalidInput:
    """
    consultation = consultation_of(comment)
    require_moderator(actor, consultation)
    names = parse_tag_names(names)
    try:
        return replace_tags(comment, actor, consultation, names)
    except sa.exc.IntegrityError:
        # Another moderator created one of these tags in the same instant: use theirs.
        return replace_tags(comment, actor, consultation, names)


def replace_tags(
    comment: Comment, actor: User, consultation: Consultation, names: list[str]
) -> list[Tag]:
    with unit_of_work():
        existing = {
            tag.name.casefold(): tag
            for tag in db.session.scalars(
                sa.select(Tag).where(Tag.consultation_id == consultation.id)
            )
        }
        tags = []
        for name in names:
            tag = existing.get(name.casefold())
            if tag is None:
                tag = Tag(consultation_id=consultation.id, name=name)
                db.session.add(tag)
                existing[name.casefold()] = tag
            tags.append(tag)
        comment.tags = tags
        audit(comment, actor, "comment.tags", tags=[tag.name for tag in tags])
    return comment.tags


@dataclass(frozen=True)
class TagCount:
    tag: Tag
    comments: int


def tags_of(consultation: Consultation, actor: User) -> list[TagCount]:
    """The consultation's tags by name, each with how many comments carry it.

    :raises NotAllowed:
    """
    require_moderator(actor, consultation)
    rows = db.session.execute(
        sa.select(Tag, sa.func.count(comment_tag.c.comment_id))
        .outerjoin(comment_tag, comment_tag.c.tag_id == Tag.id)
        .where(Tag.consultation_id == consultation.id)
        .group_by(Tag.id)
        .order_by(sa.func.lower(Tag.name), Tag.id)
    ).all()
    return [TagCount(tag, count) for tag, count in rows]


def rename_tag(tag: Tag, actor: User, name: str) -> Tag:
    """:raises NotAllowed, InvalidInput: for a bad name or one another tag has."""
    require_moderator(actor, db.session.get(Consultation, tag.consultation_id))
    name = clean_tag_name(name)
    clash = db.session.scalar(
        sa.select(Tag).where(
            Tag.consultation_id == tag.consultation_id,
            sa.func.lower(Tag.name) == name.lower(),
            Tag.id != tag.id,
        )
    )
    if clash is not None:
        raise InvalidInput(_("There is already a tag “%(name)s”.", name=clash.name), field="name")
    with unit_of_work():
        previous, tag.name = tag.name, name
        record(
            tag.consultation_id, actor, "tag.rename", ("tag", tag.id), name=name, previous=previous
        )
    return tag


def delete_tag(tag: Tag, actor: User) -> None:
    """Remove a tag from the consultation and from every comment that had it.

    :raises NotAllowed:
    """
    require_moderator(actor, db.session.get(Consultation, tag.consultation_id))
    with unit_of_work():
        record(tag.consultation_id, actor, "tag.delete", ("tag", tag.id), name=tag.name)
        db.session.execute(sa.delete(comment_tag).where(comment_tag.c.tag_id == tag.id))
        db.session.delete(tag)


# -- answers -------------------------------------------------------------------------------


def answer_comment(comment: Comment, actor: User, body: str) -> ModeratorAnswer:
    """Answer a comment publicly, signed "Moderators".

    :raises NotAllowed, InvalidInput: for an empty answer or one over 2000 characters.
    """
    require_moderator(actor, consultation_of(comment))
    body = check_text(body, field="answer", max_len=ANSWER_MAX)
    with unit_of_work():
        answer = ModeratorAnswer(comment_id=comment.id, author_id=actor.id, body=body)
        db.session.add(answer)
        db.session.flush()
        audit(comment, actor, "comment.answer", answer=answer.id)
    return answer


# -- flags ---------------------------------------------------------------------------------


def flag_comment(participant: Participant, comment_id: int) -> Comment:
    """A participant asks moderators to look at another's comment; once: flagging again
    changes nothing.

    :raises NotFound: for an unknown, hidden or other consultation's comment.
    :raises NotAllowed: for one's own comment.
    :raises ConsultationClosed: when the consultation does not accept input now.
    """
    comment = others_visible_comment(
        participant, comment_id, _("You cannot flag your own comment.")
    )
    count_once(Flag(comment_id=comment.id, participant_id=participant.id), comment)
    return comment


def flagged_by(participant: Participant, comment_ids: Sequence[int]) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Flag.comment_id).where(
                Flag.participant_id == participant.id, Flag.comment_id.in_(comment_ids)
            )
        )
    )


def dismiss_flags(comment: Comment, actor: User) -> Comment:
    """Mark a comment as looked at: its flags are dismissed and its word-list mark cleared.

    :raises NotAllowed, InvalidInput: when there is nothing to dismiss.
    """
    require_moderator(actor, consultation_of(comment))
    if comment.flag_count == 0 and not comment.needs_review:
        raise InvalidInput(_("This comment has no flags and is not marked for review."))
    with unit_of_work():
        audit(
            comment,
            actor,
            "comment.flags_dismissed",
            flags=comment.flag_count,
            needed_review=comment.needs_review,
        )
        db.session.execute(sa.delete(Flag).where(Flag.comment_id == comment.id))
        comment.flag_count = 0
        comment.needs_review = False
    return comment


# -- the queue -----------------------------------------------------------------------------

QUEUE_FILTERS = ("all", "flagged", "awaiting", "review", "hidden")
# Hidden with a reason or merged; comments awaiting approval have their own filter.
HIDDEN_BY_MODERATORS = sa.and_(Comment.hidden, ~Comment.awaiting_approval)


@dataclass(frozen=True)
class QueuePage:
    comments: list[Comment]
    total: int
    page: int
    pages: int
    counts: dict[str, int]

    @property
    def first(self) -> int:
        """The position of the page's first comment in the whole list, from 1."""
        return (self.page - 1) * QUEUE_PAGE_SIZE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.comments) - 1


def queue_filter(name: str, query: sa.Select) -> sa.Select:
    if name == "flagged":
        return query.where(Comment.flag_count > 0)
    if name == "awaiting":
        return query.where(Comment.awaiting_approval)
    if name == "review":
        return query.where(Comment.needs_review)
    if name == "hidden":
        return query.where(HIDDEN_BY_MODERATORS)
    return query


def queue_counts(consultation: Consultation) -> dict[str, int]:
    """How many comments each filter shows, in one query."""

    def count_if(condition) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        sa.select(
            sa.func.count(Comment.id),
            count_if(Comment.flag_count > 0),
            count_if(Comment.awaiting_approval),
            count_if(Comment.needs_review),
            count_if(HIDDEN_BY_MODERATORS),
        )
        .join(Item, Comment.item_id == Item.id)
        .where(Item.consultation_id == consultation.id)
    ).one()
    return dict(zip(QUEUE_FILTERS, (int(n) for n in row), strict=True))


def moderation_queue(
    consultation: Consultation,
    actor: User,
    *,
    show: str = "all",
    item_id: int | None = None,
    tag_id: int | None = None,
    page: int = 1,
) -> QueuePage:
    """The consultation's comments, a page at a time, what needs a look first: flagged
    comments participants still see (most flags first), then those awaiting approval,
    then those the word list marked, then the newest. A fixed number of queries whatever
    the number of comments.

    :raises NotAllowed:
    """
    require_moderator(actor, consultation)
    if show not in QUEUE_FILTERS:
        show = "all"
    query = (
        sa.select(Comment)
        .join(Item, Comment.item_id == Item.id)
        .where(Item.consultation_id == consultation.id)
    )
    query = queue_filter(show, query)
    if item_id is not None:
        query = query.where(Comment.item_id == item_id)
    if tag_id is not None:
        query = query.where(
            Comment.id.in_(
                sa.select(comment_tag.c.comment_id).where(comment_tag.c.tag_id == tag_id)
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // QUEUE_PAGE_SIZE))
    page = min(max(page, 1), pages)
    open_flags = sa.and_(Comment.flag_count > 0, ~Comment.hidden)
    open_review = sa.and_(Comment.needs_review, ~Comment.hidden)
    comments = db.session.scalars(
        query.options(
            selectinload(Comment.item),
            selectinload(Comment.participant).selectinload(Participant.stakeholder_group),
            selectinload(Comment.participant).selectinload(Participant.region),
            selectinload(Comment.tags),
            selectinload(Comment.answers),
        )
        .order_by(
            sa.case((open_flags, 0), else_=1),
            sa.case((open_flags, Comment.flag_count), else_=0).desc(),
            Comment.awaiting_approval.desc(),
            sa.case((open_review, 0), else_=1),
            Comment.created_at.desc(),
            Comment.id.desc(),
        )
        .limit(QUEUE_PAGE_SIZE)
        .offset((page - 1) * QUEUE_PAGE_SIZE)
    ).all()
    return QueuePage(list(comments), total, page, pages, queue_counts(consultation))


def queue_row(comment: Comment) -> Comment:
    """One comment with what its queue row shows, loaded afresh after an action."""
    return db.session.scalar(
        sa.select(Comment)
        .where(Comment.id == comment.id)
        .options(
            selectinload(Comment.item),
            selectinload(Comment.participant).selectinload(Participant.stakeholder_group),
            selectinload(Comment.participant).selectinload(Participant.region),
            selectinload(Comment.tags),
            selectinload(Comment.answers),
        )
        .execution_options(populate_existing=True)
    )


def own_hidden_comments(participant: Participant, item: Item) -> list[Comment]:
    """The participant's comments on ``item`` that others do not see, newest first, hidden
    themselves or replying to a hidden comment: the author still sees them, and why."""
    parent = aliased(Comment)
    return list(
        db.session.scalars(
            sa.select(Comment)
            .outerjoin(parent, Comment.parent_id == parent.id)
            .where(
                Comment.item_id == item.id,
                Comment.participant_id == participant.id,
                sa.or_(Comment.hidden, parent.hidden.is_(True)),
            )
            .options(contains_eager(Comment.parent.of_type(parent)))
            .order_by(Comment.created_at.desc(), Comment.id.desc())
        )
    )
