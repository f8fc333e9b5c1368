"""Joining with a code, voting and commenting: shared by the pages and the JSON API."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from cocreate.accounts.tokens import PREFIX as API_TOKEN_PREFIX
from cocreate.consultations.models import Consultation, ResultsVisibility
from cocreate.consultations.services import (
    ensure_accepts_input,
    normalise_code,
    random_code,
)
from cocreate.db import utcnow
from cocreate.drafts.models import Item
from cocreate.errors import (
    ConsultationClosed,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    PhaseClosed,
)
from cocreate.extensions import db
from cocreate.live.services import live_event_id
from cocreate.moderation.models import Flag
from cocreate.moderation.wordlist import needs_review
from cocreate.participation.models import Comment, Participant, Support, Vote, VoteValue
from cocreate.participation.results import in_scope

MAX_COMMENT_LENGTH = 2000
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{1,100}")
MAX_DISPLAY_NAME_LENGTH = 80
RETURN_CODE_LENGTH = 10


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Joined:
    """A new participant and the two secrets shown to them once."""

    participant: Participant
    token: str
    return_code: str


def format_return_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def join(
    consultation: Consultation,
    *,
    stakeholder_group: str,
    region: str | None = None,
    display_name: str = "",
    accept_privacy: bool = False,
) -> Joined:
    """Make ``consultation`` a new participant's own.

    :raises ConsultationClosed: when the consultation is not open or joining is locked.
    :raises InvalidInput: for a missing consent, an unknown group or region, a long name.
    """
    if not consultation.accepts_input:
        raise ConsultationClosed(_("This consultation is not open for participation."))
    if consultation.joining_locked:
        raise ConsultationClosed(_("Joining this consultation is locked by its moderators."))
    if accept_privacy is not True:
        raise InvalidInput(
            _("Please accept the privacy notice to take part."), field="accept_privacy"
        )
    group = consultation.group_named((stakeholder_group or "").strip())
    if group is None:
        raise InvalidInput(
            _("Choose one of this consultation's stakeholder groups."), field="stakeholder_group"
        )
    region_row = None
    if region and region.strip():
        region_row = consultation.region_named(region.strip())
        if region_row is None:
            raise InvalidInput(_("Choose one of this consultation's regions."), field="region")
    display_name = (display_name or "").strip()
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH or "\n" in display_name:
        raise InvalidInput(
            _("A display name is one line of at most %(n)d characters.", n=MAX_DISPLAY_NAME_LENGTH),
            field="display_name",
        )
    token = secrets.token_urlsafe(32)
    while token.startswith(API_TOKEN_PREFIX):  # the API tells a moderator's token by it
        token = secrets.token_urlsafe(32)
    return_code = random_code(RETURN_CODE_LENGTH)
    participant = Participant(
        consultation=consultation,
        display_name=display_name,
        stakeholder_group=group,
        region=region_row,
        token_digest=digest(token),
        return_code_digest=digest(return_code),
        accepted_privacy_at=utcnow(),
    )
    db.session.add(participant)
    db.session.commit()
    return Joined(participant, token, format_return_code(return_code))


def participant_by_token(token: str | None) -> Participant:
    """:raises NotAuthenticated: for a missing or unknown token."""
    if not token:
        raise NotAuthenticated(_("Send your participant token as 'Authorization: Bearer …'."))
    participant = db.session.scalar(
        sa.select(Participant).where(
            Participant.token_digest == digest(token), Participant.erased_at.is_(None)
        )
    )
    if participant is None:
        raise NotAuthenticated(_("This token is not valid."))
    return participant


def participant_by_return_code(code: str) -> Participant:
    """Restore a participant on another device. :raises NotFound:"""
    participant = db.session.scalar(
        sa.select(Participant).where(
            Participant.return_code_digest == digest(normalise_code(code)),
            Participant.erased_at.is_(None),
        )
    )
    if participant is None:
        raise NotFound(_("That return code is not known. Check it and try again."))
    return participant


def item_for(participant: Participant, item_id: int) -> Item:
    """An item of the participant's own consultation. :raises NotFound:"""
    item = db.session.get(Item, item_id)
    if item is None or item.consultation_id != participant.consultation_id:
        raise NotFound(_("There is no such item in your consultation."))
    return item


def cast_vote(participant: Participant, item: Item, value: str, *, _retried: bool = False) -> Vote:
    """Record or change the participant's one vote on ``item``.

    The vote is tagged with the event live at this moment.

    :raises InvalidInput: for a value outside the scale.
    :raises ConsultationClosed: when the consultation does not accept votes now.
    :raises PhaseClosed: when the moderator closed voting on this item.
    """
    try:
        vote_value = VoteValue(value)
    except ValueError:
        allowed = ", ".join(v.value for v in VoteValue)
        raise InvalidInput(
            _("A vote is one of: %(allowed)s.", allowed=allowed), field="value"
        ) from None
    ensure_same_consultation(participant, item)
    ensure_accepts_input(participant.consultation)
    ensure_voting_open(item)
    event_id = live_event_id(item.consultation_id)
    vote = current_vote(participant, item)
    if vote is None:
        vote = Vote(item=item, participant=participant, value=vote_value, event_id=event_id)
        db.session.add(vote)
    else:
        vote.value = vote_value
        vote.event_id = event_id
        vote.updated_at = utcnow()
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # The same participant's other tab voted in the same instant: change that vote.
        db.session.rollback()
        if _retried:
            raise
        return cast_vote(participant, item, value, _retried=True)
    return vote


def ensure_voting_open(item: Item) -> None:
    if not item.voting_open:
        raise PhaseClosed(_("Voting on %(ref)s is closed for now.", ref=item.ref))


def withdraw_vote(participant: Participant, item: Item) -> None:
    """:raises ConsultationClosed, NotFound:"""
    ensure_same_consultation(participant, item)
    ensure_accepts_input(participant.consultation)
    ensure_voting_open(item)
    vote = current_vote(participant, item)
    if vote is None:
        raise NotFound(_("You have not voted on this item."))
    db.session.delete(vote)
    db.session.commit()


def current_vote(participant: Participant, item: Item) -> Vote | None:
    return db.session.scalar(
        sa.select(Vote).where(Vote.item_id == item.id, Vote.participant_id == participant.id)
    )


def votes_of(participant: Participant) -> dict[int, VoteValue]:
    """Item id → the participant's vote, for a whole consultation in one query."""
    rows = db.session.execute(
        sa.select(Vote.item_id, Vote.value).where(Vote.participant_id == participant.id)
    )
    return {item_id: value for item_id, value in rows}


def post_comment(
    participant: Participant,
    item: Item,
    body: str,
    parent_id: int | None = None,
    *,
    idempotency_key: str | None = None,
) -> Comment:
    """Post a comment, tagged with the live event; a retry with the same
    ``idempotency_key`` returns the comment stored the first time.

    Under the consultation's pre-moderation the comment waits hidden for approval; a
    body containing one of its review words is marked for review.

    :raises InvalidInput, ConsultationClosed, NotFound:
    :raises NotAllowed: for a participant the moderators muted.
    """
    ensure_same_consultation(participant, item)
    if idempotency_key is not None:
        if not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
            raise InvalidInput(
                _("An Idempotency-Key is 1 to 100 letters, digits, '-' or '_'."),
                field="idempotency_key",
            )
        stored = comment_with_key(participant, idempotency_key)
        if stored is not None:
            return stored
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("Write something before posting."), field="body")
    if len(body) > MAX_COMMENT_LENGTH:
        raise InvalidInput(
            _(
                "A comment has at most %(max)d characters; this one has %(n)d.",
                max=MAX_COMMENT_LENGTH,
                n=len(body),
            ),
            field="body",
        )
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        # Replies stay one level deep: a reply to a reply answers its thread instead.
        thread = parent.parent if parent is not None and parent.parent_id is not None else parent
        if parent is None or parent.item_id != item.id or parent.hidden or thread.hidden:
            raise NotFound(_("The comment you reply to is not on this item."), field="parent_id")
        parent = thread
    ensure_accepts_input(participant.consultation)
    ensure_not_muted(participant)
    consultation = participant.consultation
    comment = Comment(
        item=item,
        participant=participant,
        body=body,
        parent=parent,
        event_id=live_event_id(item.consultation_id),
        idempotency_key=idempotency_key,
        # Under pre-moderation only the author sees it until a moderator approves it.
        hidden=consultation.premoderation,
        awaiting_approval=consultation.premoderation,
        needs_review=needs_review(body, consultation.review_words),
    )
    db.session.add(comment)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Two retries raced: the first one stored it.
        db.session.rollback()
        stored = comment_with_key(participant, idempotency_key) if idempotency_key else None
        if stored is None:
            raise
        return stored
    return comment


def comment_with_key(participant: Participant, key: str) -> Comment | None:
    return db.session.scalar(
        sa.select(Comment).where(
            Comment.participant_id == participant.id, Comment.idempotency_key == key
        )
    )


def ensure_not_muted(participant: Participant) -> None:
    """:raises NotAllowed: for a muted participant."""
    if participant.muted_at is not None:
        raise NotAllowed(
            _(
                "The moderators have muted you in this consultation: you can still read "
                "and vote, but you cannot post comments or replies."
            ),
            field="body",
        )


def support_comment(participant: Participant, comment_id: int) -> Comment:
    """Back another participant's comment, once; supporting again changes nothing.

    :raises NotFound: for an unknown, hidden or other consultation's comment.
    :raises NotAllowed: for one's own comment.
    :raises ConsultationClosed: when the consultation does not accept input now.
    """
    comment = others_visible_comment(
        participant, comment_id, _("You cannot support your own comment.")
    )
    count_once(Support(comment_id=comment.id, participant_id=participant.id), comment)
    return comment


def others_visible_comment(participant: Participant, comment_id: int, own: str) -> Comment:
    """A visible comment of another participant of the same open consultation.

    :raises NotFound, NotAllowed: (with ``own`` as the message for one's own comment),
        ConsultationClosed:
    """
    comment = db.session.get(Comment, comment_id)
    if (
        comment is None
        or comment.hidden
        or comment.item.consultation_id != (participant.consultation_id)
    ):
        raise NotFound(_("There is no such comment in your consultation."))
    if comment.participant_id == participant.id:
        raise NotAllowed(own)
    ensure_accepts_input(participant.consultation)
    return comment


def count_once(mark: Support | Flag, comment: Comment) -> None:
    """Store a participant's support or flag of ``comment`` unless it is there already,
    and count it on the comment in the same transaction, so pages sort and show the number
    without a COUNT; a double tap that races itself counts once."""
    key = (mark.comment_id, mark.participant_id)
    if db.session.get(type(mark), key) is not None:
        return
    counter = Comment.support_count if isinstance(mark, Support) else Comment.flag_count
    db.session.add(mark)
    db.session.execute(
        sa.update(Comment)
        .where(Comment.id == comment.id)
        .values({counter: counter + 1})
        .execution_options(synchronize_session=False)
    )
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the other tap counted
    db.session.refresh(comment)


def supported_by(participant: Participant, comment_ids: list[int]) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Support.comment_id).where(
                Support.participant_id == participant.id, Support.comment_id.in_(comment_ids)
            )
        )
    )


def can_see_results(participant: Participant, item: Item, has_voted: bool) -> bool:
    """The consultation's setting decides when participants see an item's results."""
    visibility = participant.consultation.results_visibility
    if visibility is ResultsVisibility.AFTER_VOTE:
        return has_voted or item.results_revealed
    if visibility is ResultsVisibility.AFTER_REVEAL:
        return item.results_revealed
    return True


def ensure_same_consultation(participant: Participant, item: Item) -> None:
    if participant.consultation_id != item.consultation_id:
        raise NotFound(_("There is no such item in your consultation."))


def comments_on(item: Item, *, event_id: int | None = None) -> list[Comment]:
    """Visible top-level comments, newest first, with their replies loaded in one go.

    ``event_id`` keeps one event's comments; without it rehearsals are left out.
    """
    query = (
        sa.select(Comment)
        .where(Comment.item_id == item.id, Comment.parent_id.is_(None), ~Comment.hidden)
        .options(
            selectinload(Comment.participant).selectinload(Participant.stakeholder_group),
            selectinload(Comment.answers),
            # Hidden replies never leave the service, so no caller can forget to drop them.
            selectinload(Comment.replies.and_(~Comment.hidden))
            .selectinload(Comment.participant)
            .selectinload(Participant.stakeholder_group),
            selectinload(Comment.replies.and_(~Comment.hidden)).selectinload(Comment.answers),
        )
        .order_by(Comment.pinned.desc(), Comment.created_at.desc(), Comment.id.desc())
    )
    return list(
        db.session.scalars(in_scope(query, Comment.event_id, item.consultation_id, event_id))
    )


def comment_counts(
    consultation: Consultation, item_ids: list[int], *, event_id: int | None = None
) -> dict[int, int]:
    query = (
        sa.select(Comment.item_id, sa.func.count())
        .where(Comment.item_id.in_(item_ids), ~Comment.hidden)
        .group_by(Comment.item_id)
    )
    return dict(
        db.session.execute(in_scope(query, Comment.event_id, consultation.id, event_id)).all()
    )
