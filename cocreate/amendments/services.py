"""Amendments: participants propose new wording for an item and vote on it; moderators
accept it, merge it into the consolidated text, or reject it. Views, the API and the
consolidation workspace share these functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment, AmendmentStatus, AmendmentVote
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consolidation.diffing import Piece, readable_diff
from cocreate.consolidation.models import Disposition, Outcome
from cocreate.consolidation.services import RATIONALE_MAX, dispose, save_final_text
from cocreate.consultations.models import Consultation, Status
from cocreate.consultations.services import ensure_accepts_input
from cocreate.db import utcnow
from cocreate.drafts.models import Item
from cocreate.drafts.services import check_text
from cocreate.errors import (
    ConsultationClosed,
    EditConflict,
    InvalidInput,
    NotAllowed,
    NotFound,
)
from cocreate.extensions import db
from cocreate.live.services import live_event_id
from cocreate.participation.models import Participant, VoteValue
from cocreate.participation.results import (
    ItemResults,
    in_scope,
    results_from_rows,
)
from cocreate.participation.services import can_see_results

TEXT_MAX = 5000
REASON_MAX = 1000
# A ceiling per participant and item, so that one person cannot bury the others' proposals.
OPEN_PER_PARTICIPANT_AND_ITEM = 10
# Decided into the consolidated text: deciding again would make the record contradict it.
IN_TEXT = (AmendmentStatus.ACCEPTED, AmendmentStatus.MERGED)


# ---------------------------------------------------------------- participants


def propose(participant: Participant, item: Item, text: str, reason: str = "") -> Amendment:
    """Propose new wording for ``item``'s draft text, tagged with the live event.

    Proposing the same wording and reason again while the first is still open returns the
    first: a phone's retry or a double tap stores one proposal, in any process.

    :raises NotFound: for an item of another consultation.
    :raises ConsultationClosed: when the consultation does not accept input now.
    :raises NotAllowed: for a muted participant.
    :raises InvalidInput: for an empty, unchanged or too long text, a long reason, or too
        many open proposals on the item.
    """
    ensure_same_consultation(participant, item)
    ensure_accepts_input(participant.consultation)
    ensure_not_muted(participant)
    text = check_text(text, field="text", max_len=TEXT_MAX)
    reason = check_text(reason, field="reason", max_len=REASON_MAX, required=False)
    if normalise_space(text) == normalise_space(item.text):
        raise InvalidInput(
            _("Your wording is the same as the draft; change it before proposing."),
            field="text",
        )
    open_ones = db.session.scalars(
        sa.select(Amendment).where(
            Amendment.item_id == item.id,
            Amendment.participant_id == participant.id,
            Amendment.status == AmendmentStatus.PROPOSED,
        )
    ).all()
    same = next((a for a in open_ones if a.text == text and a.reason == reason), None)
    if same is not None:
        return same
    if len(open_ones) >= OPEN_PER_PARTICIPANT_AND_ITEM:
        raise InvalidInput(
            _(
                "You already have %(n)d proposals waiting on %(ref)s; wait for the "
                "moderators to decide on them.",
                n=len(open_ones),
                ref=item.ref,
            ),
            field="text",
        )
    amendment = Amendment(
        item=item,
        participant=participant,
        base_text=item.text,
        text=text,
        reason=reason,
        event_id=live_event_id(item.consultation_id),
    )
    db.session.add(amendment)
    db.session.commit()
    return amendment


def normalise_space(text: str) -> str:
    return " ".join((text or "").split())


def ensure_same_consultation(participant: Participant, item: Item) -> None:
    if participant.consultation_id != item.consultation_id:
        raise NotFound(_("There is no such item in your consultation."))


def ensure_not_muted(participant: Participant) -> None:
    if participant.muted_at is not None:
        raise NotAllowed(
            _("The moderators have muted you: you can still vote, but not propose wording.")
        )


def amendment_for(participant: Participant, amendment_id: int) -> Amendment:
    """A visible amendment of the participant's consultation. :raises NotFound:"""
    amendment = db.session.get(Amendment, amendment_id)
    if (
        amendment is None
        or amendment.item.consultation_id != participant.consultation_id
        or (amendment.hidden and amendment.participant_id != participant.id)
    ):
        raise NotFound(_("There is no such proposal in your consultation."))
    return amendment


def cast_vote(
    participant: Participant, amendment: Amendment, value: str, *, _retried: bool = False
) -> AmendmentVote:
    """Record or change the participant's one vote on ``amendment``.

    Authors may vote on their own proposal: it is one person's view like any other, and
    leaving it out would make a proposal's support look smaller than it is.

    :raises InvalidInput: for a value outside the scale.
    :raises NotFound: for a hidden amendment or one of another consultation.
    :raises ConsultationClosed: when the consultation does not accept votes now, or the
        amendment is decided.
    """
    vote_value = parse_vote(value)
    ensure_votable(participant, amendment)
    key = (amendment.id, participant.id)
    vote = db.session.get(AmendmentVote, key)
    if vote is None:
        vote = AmendmentVote(
            amendment_id=amendment.id, participant_id=participant.id, value=vote_value
        )
        db.session.add(vote)
    else:
        vote.value = vote_value
        vote.updated_at = utcnow()
    vote.event_id = live_event_id(amendment.item.consultation_id)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # The participant's other tab voted in the same instant: change that vote instead.
        db.session.rollback()
        if _retried:
            raise
        return cast_vote(participant, amendment, value, _retried=True)
    return vote


def withdraw_vote(participant: Participant, amendment: Amendment) -> None:
    """:raises NotFound, ConsultationClosed:"""
    ensure_votable(participant, amendment)
    vote = db.session.get(AmendmentVote, (amendment.id, participant.id))
    if vote is None:
        raise NotFound(_("You have not voted on this proposal."))
    db.session.delete(vote)
    db.session.commit()


def parse_vote(value: str) -> VoteValue:
    try:
        return VoteValue(value)
    except ValueError:
        allowed = ", ".join(v.value for v in VoteValue)
        raise InvalidInput(
            _("A vote is one of: %(allowed)s.", allowed=allowed), field="value"
        ) from None


def ensure_votable(participant: Participant, amendment: Amendment) -> None:
    if amendment.item.consultation_id != participant.consultation_id or amendment.hidden:
        raise NotFound(_("There is no such proposal in your consultation."))
    ensure_accepts_input(participant.consultation)
    if amendment.status is not AmendmentStatus.PROPOSED:
        raise ConsultationClosed(
            _("The moderators have decided on this proposal; voting on it is closed.")
        )


@dataclass
class AmendmentView:
    """One amendment as a page shows it."""

    amendment: Amendment
    diff: list[Piece]
    results: ItemResults | None = None
    my_vote: VoteValue | None = None
    results_visible: bool = True
    disposition: Disposition | None = None

    @property
    def id(self) -> int:
        return self.amendment.id


def amendments_for_participant(
    participant: Participant, item: Item, *, event_id: int | None = None
) -> list[AmendmentView]:
    """The item's visible amendments (and the participant's own hidden ones, marked), with
    their diff, the participant's vote, and the tally where the consultation lets them see
    it. Three queries whatever the number of amendments.

    ``event_id`` keeps one event's proposals; without it rehearsals are left out.
    """
    query = (
        sa.select(Amendment)
        .where(
            Amendment.item_id == item.id,
            sa.or_(~Amendment.hidden, Amendment.participant_id == participant.id),
        )
        # Joined, not select-in: the authors come with the amendments in the one query.
        .options(joinedload(Amendment.participant).joinedload(Participant.stakeholder_group))
        .order_by(Amendment.created_at.desc(), Amendment.id.desc())
    )
    amendments = list(
        db.session.scalars(in_scope(query, Amendment.event_id, item.consultation_id, event_id))
    )
    return views_of(participant, item, amendments)


def views_of(
    participant: Participant, item: Item, amendments: Sequence[Amendment]
) -> list[AmendmentView]:
    """Diff, the participant's vote and (where they may see it) the tally of each of the
    item's ``amendments``: two queries however many there are."""
    ids = [a.id for a in amendments]
    mine = votes_of(participant, ids)
    tallies = tally_amendments(item.consultation, ids)
    views = []
    for amendment in amendments:
        visible = can_see_results(participant, item, has_voted=amendment.id in mine)
        views.append(
            AmendmentView(
                amendment=amendment,
                diff=readable_diff(amendment.base_text, amendment.text),
                results=tallies[amendment.id] if visible else None,
                my_vote=mine.get(amendment.id),
                results_visible=visible,
            )
        )
    return views


def votes_of(participant: Participant, amendment_ids: Sequence[int]) -> dict[int, VoteValue]:
    if not amendment_ids:
        return {}
    rows = db.session.execute(
        sa.select(AmendmentVote.amendment_id, AmendmentVote.value).where(
            AmendmentVote.participant_id == participant.id,
            AmendmentVote.amendment_id.in_(amendment_ids),
        )
    )
    return dict(rows.all())


def tally_amendments(
    consultation: Consultation, amendment_ids: Sequence[int], *, moderator: bool = False
) -> dict[int, ItemResults]:
    """Results for each amendment, overall and per stakeholder group, in one query; outside
    moderator views groups of fewer than five voters are suppressed, as for items."""
    if not amendment_ids:
        return {}
    query = (
        sa.select(
            AmendmentVote.amendment_id,
            Participant.stakeholder_group_id,
            AmendmentVote.value,
            sa.func.count(),
        )
        .join(Participant, AmendmentVote.participant_id == Participant.id)
        .where(AmendmentVote.amendment_id.in_(amendment_ids))
        .group_by(AmendmentVote.amendment_id, Participant.stakeholder_group_id, AmendmentVote.value)
    )
    rows = db.session.execute(in_scope(query, AmendmentVote.event_id, consultation.id, None))
    return results_from_rows(consultation, amendment_ids, rows, moderator=moderator)


# ---------------------------------------------------------------- moderators


def get_amendment_to_decide(amendment_id: int, actor: User) -> Amendment:
    """An amendment the actor moderates. :raises NotFound, NotAllowed:"""
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        raise NotFound(_("There is no such proposal."))
    require_moderator(actor, amendment.item.consultation)
    return amendment


def ensure_decidable(amendment: Amendment, *, into_text: bool) -> None:
    """:raises ConsultationClosed, InvalidInput:"""
    if amendment.item.consultation.current_status is Status.PUBLISHED:
        raise ConsultationClosed(
            _("This consultation is published; correct it with a new published revision.")
        )
    if amendment.status in IN_TEXT:
        raise InvalidInput(
            _(
                "This proposal is already part of the consolidated text; to undo it, edit "
                "the text and record a new disposition."
            ),
            field="status",
        )
    if into_text and amendment.hidden:
        raise InvalidInput(
            _("This proposal is hidden; restore it before taking it into the text."),
            field="status",
        )


def accept(
    actor: User,
    amendment: Amendment,
    *,
    expected_version: int,
    rationale: str = "",
    note: str = "",
) -> Amendment:
    """Make the amendment's wording the item's consolidated text.

    The new text version, the status, the disposition (taken up) and the audit entry are
    one transaction: all of them or none.

    :raises NotAllowed, ConsultationClosed, InvalidInput:
    :raises EditConflict: when the consolidated text changed since ``expected_version``.
    """
    return take_into_text(
        actor,
        amendment,
        text=amendment.text,
        status=AmendmentStatus.ACCEPTED,
        outcome=Outcome.TAKEN_UP,
        expected_version=expected_version,
        rationale=rationale,
        note=note or _("Accepted proposal #%(id)d", id=amendment.id),
        action="amendment.accept",
    )


def merge(
    actor: User,
    amendment: Amendment,
    *,
    text: str,
    expected_version: int,
    rationale: str = "",
    note: str = "",
) -> Amendment:
    """Save ``text`` (the moderator's combination of the consolidated text and the
    amendment) as the consolidated text and mark the amendment merged, partly taken up.
    One transaction.

    :raises NotAllowed, ConsultationClosed, InvalidInput, EditConflict:
    """
    return take_into_text(
        actor,
        amendment,
        text=text,
        status=AmendmentStatus.MERGED,
        outcome=Outcome.PARTLY_TAKEN_UP,
        expected_version=expected_version,
        rationale=rationale,
        note=note or _("Merged proposal #%(id)d", id=amendment.id),
        action="amendment.merge",
    )


def take_into_text(
    actor: User,
    amendment: Amendment,
    *,
    text: str,
    status: AmendmentStatus,
    outcome: Outcome,
    expected_version: int,
    rationale: str,
    note: str,
    action: str,
) -> Amendment:
    item = amendment.item
    require_moderator(actor, item.consultation)
    ensure_decidable(amendment, into_text=True)
    rationale = check_text(rationale, field="rationale", max_len=RATIONALE_MAX, required=False)
    previous = amendment.status
    # Not committed: a stale version raises EditConflict after rolling back, and nothing
    # below has happened yet.
    version = save_final_text(
        item, actor, text, expected_version=expected_version, note=note, commit=False
    )
    change_status(amendment, previous, status)
    dispose(actor, item, outcome=outcome, rationale=rationale, amendment=amendment)
    record(
        item.consultation_id,
        actor,
        action,
        ("amendment", amendment.id),
        ref=item.ref,
        version=version.number,
        previous=previous.value,
    )
    db.session.commit()
    return amendment


def change_status(amendment: Amendment, previous: AmendmentStatus, new: AmendmentStatus) -> None:
    """Move the amendment from the status the moderator saw to ``new``, unless another
    moderator decided it meanwhile: one conditional UPDATE, as for the text's version.

    :raises EditConflict: after rolling back the whole decision.
    """
    changed = db.session.execute(
        sa.update(Amendment)
        .where(Amendment.id == amendment.id, Amendment.status == previous)
        .values(status=new)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        db.session.rollback()
        raise EditConflict(
            _(
                "Another moderator decided on this proposal while you were looking at it; "
                "nothing was changed. Its current decision is shown."
            ),
            field="status",
        )
    db.session.expire(amendment, ["status"])


def reject(actor: User, amendment: Amendment, *, rationale: str) -> Amendment:
    """Decline the amendment, saying why (participants read the rationale).

    :raises NotAllowed, ConsultationClosed, InvalidInput:
    """
    item = amendment.item
    require_moderator(actor, item.consultation)
    ensure_decidable(amendment, into_text=False)
    rationale = check_text(rationale, field="rationale", max_len=RATIONALE_MAX)
    previous = amendment.status
    change_status(amendment, previous, AmendmentStatus.REJECTED)
    dispose(actor, item, outcome=Outcome.NOT_TAKEN_UP, rationale=rationale, amendment=amendment)
    record(
        item.consultation_id,
        actor,
        "amendment.reject",
        ("amendment", amendment.id),
        ref=item.ref,
        previous=previous.value,
    )
    db.session.commit()
    return amendment


def set_hidden(actor: User, amendment: Amendment, hidden: bool) -> Amendment:
    """Hide an abusive amendment from other participants, or restore it.

    :raises NotAllowed, InvalidInput:
    """
    require_moderator(actor, amendment.item.consultation)
    if amendment.hidden == hidden:
        raise InvalidInput(
            _("This proposal is already hidden.") if hidden else _("This proposal is not hidden."),
            field="hidden",
        )
    if hidden and amendment.status in IN_TEXT:
        raise InvalidInput(
            _("This proposal is part of the consolidated text; it cannot be hidden."),
            field="hidden",
        )
    amendment.hidden = hidden
    record(
        amendment.item.consultation_id,
        actor,
        "amendment.hide" if hidden else "amendment.restore",
        ("amendment", amendment.id),
        ref=amendment.item.ref,
    )
    db.session.commit()
    return amendment


@dataclass
class ModeratedAmendment(AmendmentView):
    author_group: str = ""
    author_region: str = ""


def moderation_context(item: Item) -> dict:
    """What the moderator's amendments panel in the consolidation workspace needs, in a
    fixed number of queries: every amendment of ``item`` (hidden ones too) with its
    author's group and region, its diff against the text it was written on, its tally
    overall and per group (not suppressed: moderators see it all), its disposition, and
    the item's consolidated-text version for the accept and merge forms.

    Keys are prefixed so that they do not collide with the workspace's own.
    """
    query = (
        sa.select(Amendment)
        .where(Amendment.item_id == item.id)
        .options(
            joinedload(Amendment.participant).joinedload(Participant.stakeholder_group),
            joinedload(Amendment.participant).joinedload(Participant.region),
        )
        .order_by(Amendment.created_at, Amendment.id)
    )
    # Rehearsal proposals are left out, as from every result.
    amendments = list(
        db.session.scalars(in_scope(query, Amendment.event_id, item.consultation_id, None))
    )
    ids = [a.id for a in amendments]
    tallies = tally_amendments(item.consultation, ids, moderator=True)
    dispositions = (
        {
            d.amendment_id: d
            for d in db.session.scalars(
                sa.select(Disposition)
                .where(Disposition.amendment_id.in_(ids))
                .options(joinedload(Disposition.decided_by))
            )
        }
        if ids
        else {}
    )
    rows = [
        ModeratedAmendment(
            amendment=a,
            diff=readable_diff(a.base_text, a.text),
            results=tallies[a.id],
            disposition=dispositions.get(a.id),
            author_group=a.participant.stakeholder_group.name,
            author_region=a.participant.region.name if a.participant.region else "",
        )
        for a in amendments
    ]
    return {
        "amendment_item": item,
        "amendment_rows": rows,
        "amendment_final_version": item.final_version,
        "amendment_open_count": sum(
            1 for a in amendments if a.status is AmendmentStatus.PROPOSED and not a.hidden
        ),
    }
