"""Publishing the final version, corrections as new revisions, and "you said, we did".

A publication freezes what the public page shows in a JSON snapshot: the final texts,
what was done with each visible comment and amendment and why, the results and the
participation figures. A later correction adds a revision; it never rewrites an earlier one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consolidation.models import Disposition
from cocreate.consultations.models import Consultation, Region, StakeholderGroup, Status
from cocreate.drafts.models import Document, Item
from cocreate.drafts.services import check_text, documents_with_items
from cocreate.errors import ConsultationClosed, EditConflict, InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.live.models import LiveEvent
from cocreate.moderation.models import HideReason
from cocreate.participation.models import Comment, Participant, Vote
from cocreate.participation.results import in_scope, tally_items
from cocreate.publication.models import Publication

NOTE_MAX = 2000
SNAPSHOT_FORMAT = 1
# Hidden comments that were never approved under pre-moderation are counted apart.
NOT_APPROVED = "not_approved"
# The transparency paragraph lists the kinds of reason in this order.
HIDDEN_KINDS = [*(reason.value for reason in HideReason), NOT_APPROVED]


class UnconsolidatedItems(InvalidInput):
    """Publishing would show some items with their draft text; the caller must confirm."""

    def __init__(self, message: str, refs: list[str]) -> None:
        super().__init__(message, field="confirm_unconsolidated")
        self.refs = refs


# ---------------------------------------------------------------- publishing


def unconsolidated_items(consultation: Consultation) -> list[Item]:
    """Items without a consolidated text, in document order."""
    return [
        item
        for document in documents_with_items(consultation)
        for item in document.items
        if not item.is_consolidated
    ]


def publish(
    consultation: Consultation,
    actor: User,
    *,
    note: str = "",
    confirm_unconsolidated: bool = False,
) -> Publication:
    """Publish the final version as revision 1 and freeze the consultation, in one
    transaction with its audit entry.

    Items without a consolidated text are published with their draft text, marked "not
    revised", only when ``confirm_unconsolidated`` says the moderator saw their list.

    :raises NotAllowed: for anyone but the consultation's moderators.
    :raises ConsultationClosed: unless the consultation is closed (or already published).
    :raises UnconsolidatedItems: listing the refs of unconsolidated items, unconfirmed.
    :raises InvalidInput: for an overlong note.
    :raises EditConflict: when another moderator published at the same moment.
    """
    require_moderator(actor, consultation)
    status = consultation.current_status
    if status is Status.PUBLISHED:
        raise ConsultationClosed(
            _("This consultation is already published; publish a correction instead.")
        )
    if status is not Status.CLOSED:
        raise ConsultationClosed(
            _(
                "This consultation is %(status)s: close it first, so that nobody votes or "
                "comments on what you publish.",
                status=_(status.value),
            )
        )
    note = check_text(note, field="note", max_len=NOTE_MAX, required=False)
    pending = [item.ref for item in unconsolidated_items(consultation)]
    if pending and not confirm_unconsolidated:
        raise UnconsolidatedItems(
            _(
                "These items have no consolidated text yet: %(refs)s. Consolidate them, or "
                "confirm that they are published with their draft text, marked “not revised”.",
                refs=", ".join(pending),
            ),
            pending,
        )
    snapshot = build_snapshot(consultation)
    snapshot["changed_items"] = []
    publication = Publication(
        consultation_id=consultation.id,
        revision=1,
        note=note,
        snapshot=snapshot,
        published_by_id=actor.id,
    )
    db.session.add(publication)
    consultation.status = Status.PUBLISHED
    record(
        consultation.id,
        actor,
        "consultation.publish",
        ("consultation", consultation.id),
        revision=1,
        previous=status.value,
        not_revised=pending,
    )
    commit_publication(
        _("Another moderator published this consultation at the same moment; reload the page.")
    )
    return publication


def publish_correction(consultation: Consultation, actor: User, note: str) -> Publication:
    """Publish the current final texts and dispositions as the next revision.

    ``note`` says what was corrected; the public page shows it with the changed items.

    :raises NotAllowed: for anyone but the consultation's moderators.
    :raises ConsultationClosed: before the first publication.
    :raises InvalidInput: without a note, or when nothing changed since the last revision.
    :raises EditConflict: when another moderator published a correction at the same moment.
    """
    require_moderator(actor, consultation)
    latest = latest_publication(consultation.id)
    if latest is None or consultation.status is not Status.PUBLISHED:
        raise ConsultationClosed(
            _("This consultation is not published yet; publish it before correcting it.")
        )
    note = check_text(note, field="note", max_len=NOTE_MAX)
    snapshot = build_snapshot(consultation)
    pending = compare(latest, snapshot)
    if not pending.changed:
        raise InvalidInput(
            _(
                "Nothing changed since revision %(revision)d: edit a consolidated text or a "
                "disposition first.",
                revision=latest.revision,
            ),
            field="note",
        )
    snapshot["changed_items"] = pending.items
    publication = Publication(
        consultation_id=consultation.id,
        revision=latest.revision + 1,
        note=note,
        snapshot=snapshot,
        published_by_id=actor.id,
    )
    db.session.add(publication)
    record(
        consultation.id,
        actor,
        "consultation.correct",
        ("consultation", consultation.id),
        revision=publication.revision,
        note=note,
        changed_items=snapshot["changed_items"],
    )
    commit_publication(
        _("Another moderator published a correction at the same moment; reload the page.")
    )
    return publication


@dataclass
class PendingChanges:
    """What a correction would publish: whether anything differs, and which items."""

    changed: bool
    items: list[str]


def pending_changes(consultation: Consultation, actor: User) -> PendingChanges | None:
    """How the current texts and dispositions differ from the latest revision; ``None``
    before the first publication.

    :raises NotAllowed:
    """
    require_moderator(actor, consultation)
    latest = latest_publication(consultation.id)
    if latest is None:
        return None
    return compare(latest, build_snapshot(consultation))


def compare(latest: Publication, snapshot: dict[str, Any]) -> PendingChanges:
    previous = without_changes(latest.snapshot)
    return PendingChanges(json_ready(snapshot) != previous, changed_refs(previous, snapshot))


def commit_publication(conflict_message: str) -> None:
    """Commit; a revision number taken by a concurrent publication is an edit conflict."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise EditConflict(conflict_message) from None


def json_ready(value: Any) -> Any:
    """The value as it reads back from a JSON column, so that snapshots compare equal."""
    return json.loads(json.dumps(value))


def without_changes(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in snapshot.items() if key != "changed_items"}


def changed_refs(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Refs of the items whose published entry differs between two snapshots."""
    before = {item["id"]: item for item in snapshot_items(previous)}
    return [
        item["ref"]
        for item in snapshot_items(json_ready(current))
        if before.get(item["id"]) != item
    ]


def snapshot_items(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a snapshot, in document order."""
    return [
        item
        for document in snapshot["documents"]
        for part in [*document["sections"], document]
        for item in part["items"]
    ]


# ---------------------------------------------------------------- the snapshot


def build_snapshot(consultation: Consultation) -> dict[str, Any]:
    """What the public page shows, as JSON, in a fixed number of queries."""
    documents = documents_with_items(consultation)
    items = [item for document in documents for item in document.items]
    item_ids = [item.id for item in items]
    results = tally_items(consultation, item_ids, moderator=False)
    responses = comment_responses(consultation) + amendment_responses(consultation)
    by_item: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item_id, response in responses:
        by_item[item_id].append(response)
    counts = visible_comment_counts(consultation)

    def item_entry(item: Item) -> dict[str, Any]:
        item_results = results[item.id]
        return {
            "id": item.id,
            "ref": item.ref,
            "title": item.title,
            "kind": item.kind.value,
            "milestone_year": item.milestone_year if item.is_target else None,
            "draft_text": item.text,
            "final_text": item.final_text if item.is_consolidated else item.text,
            "revised": item.is_consolidated,
            "comments": counts.get(item.id, 0),
            "dispositions": by_item.get(item.id, []),
            "results": {
                "overall": item_results.overall.as_json(),
                "by_group": [
                    {"name": group.name, **group.as_json()} for group in item_results.by_group
                ],
            },
        }

    return {
        "format": SNAPSHOT_FORMAT,
        "title": consultation.title,
        "summary": consultation.summary,
        "documents": [document_entry(document, item_entry) for document in documents],
        "participation": participation_figures(consultation),
        "moderation": hidden_counts(consultation),
    }


def document_entry(document: Document, item_entry) -> dict[str, Any]:
    """A document with its sections; items outside any section stay on the document."""
    return {
        "title": document.title,
        "kind": document.kind.value,
        "introduction": document.introduction,
        "sections": [
            {
                "title": section.title,
                "description": section.description,
                "items": [item_entry(i) for i in document.items if i.section_id == section.id],
            }
            for section in document.sections
        ],
        "items": [item_entry(i) for i in document.items if i.section_id is None],
    }


def of_consultation(query, consultation: Consultation, item_column):
    return query.join(Item, item_column == Item.id).where(Item.consultation_id == consultation.id)


def comment_responses(consultation: Consultation) -> list[tuple[int, dict[str, Any]]]:
    """(item id, response) for each visible comment with a disposition."""
    return responses_to(
        consultation,
        Comment,
        "comment",
        lambda comment: {"body": comment.body, "reason": "", "supports": comment.support_count},
    )


def amendment_responses(consultation: Consultation) -> list[tuple[int, dict[str, Any]]]:
    """(item id, response) for each visible amendment with a disposition."""
    return responses_to(
        consultation,
        Amendment,
        "amendment",
        lambda amendment: {"body": amendment.text, "reason": amendment.reason, "supports": 0},
    )


def responses_to(
    consultation: Consultation, model, subject: str, describe
) -> list[tuple[int, dict[str, Any]]]:
    """One query for the dispositions of a kind of contribution. Authors are described by
    their group and region only, never by name; rehearsal contributions are left out."""
    query = (
        sa.select(model, StakeholderGroup.name, Region.name, Disposition)
        .join(Disposition, getattr(Disposition, f"{subject}_id") == model.id)
        .join(Participant, model.participant_id == Participant.id)
        .join(StakeholderGroup, Participant.stakeholder_group_id == StakeholderGroup.id)
        .outerjoin(Region, Participant.region_id == Region.id)
        .where(~model.hidden)
        .order_by(model.created_at, model.id)
    )
    query = in_scope(
        of_consultation(query, consultation, model.item_id), model.event_id, consultation.id, None
    )
    return [
        (
            contribution.item_id,
            {
                "subject": subject,
                "id": contribution.id,
                **describe(contribution),
                "group": group,
                "region": region,
                **disposition_entry(disposition),
            },
        )
        for contribution, group, region, disposition in db.session.execute(query)
    ]


def disposition_entry(disposition: Disposition) -> dict[str, str]:
    return {
        "outcome": disposition.outcome.value,
        "rationale": disposition.rationale,
        "passage": disposition.passage,
    }


def visible_comment_counts(consultation: Consultation) -> dict[int, int]:
    query = sa.select(Comment.item_id, sa.func.count()).where(~Comment.hidden)
    query = in_scope(
        of_consultation(query, consultation, Comment.item_id),
        Comment.event_id,
        consultation.id,
        None,
    ).group_by(Comment.item_id)
    return dict(db.session.execute(query).all())


def activity(consultation: Consultation, narrow=None):
    """One row per vote, comment and amendment outside rehearsals: who, during which event.

    ``narrow(query, model)``, when given, replaces the rehearsal filter (exports pass their
    event, group and region filters)."""

    def rows(model, is_vote: int, is_comment: int):
        query = sa.select(
            model.participant_id.label("participant_id"),
            model.event_id.label("event_id"),
            sa.literal_column(str(is_vote)).label("is_vote"),
            sa.literal_column(str(is_comment)).label("is_comment"),
        )
        query = of_consultation(query, consultation, model.item_id)
        if narrow is not None:
            return narrow(query, model)
        return in_scope(query, model.event_id, consultation.id, None)

    return sa.union_all(rows(Vote, 1, 0), rows(Comment, 0, 1), rows(Amendment, 0, 0)).subquery()


@dataclass
class Turnout:
    """Who took part, who voted, and how many comments, for one group, region or event."""

    participants: set[int] = field(default_factory=set)
    voters: set[int] = field(default_factory=set)
    comments: int = 0

    def add(self, participant_id: int, voted: bool, comments: int) -> None:
        self.participants.add(participant_id)
        if voted:
            self.voters.add(participant_id)
        self.comments += comments

    @property
    def figures(self) -> tuple[int, int, int]:
        return len(self.participants), len(self.voters), self.comments


def participation_figures(consultation: Consultation, narrow=None) -> dict[str, Any]:
    """Participants (who voted, commented or proposed wording), voters and comments, per
    stakeholder group, per region and per live event; rehearsals are left out.

    One pass over the activity, summed up per participant and event in the database (a
    few thousand rows where the activity has hundreds of thousands), then counted here
    for every way of grouping at once."""
    acts = activity(consultation, narrow)
    query = (
        sa.select(
            acts.c.participant_id,
            Participant.stakeholder_group_id,
            Participant.region_id,
            acts.c.event_id,
            sa.func.max(acts.c.is_vote),
            sa.func.sum(acts.c.is_comment),
        )
        .join(Participant, Participant.id == acts.c.participant_id)
        .group_by(
            acts.c.participant_id,
            Participant.stakeholder_group_id,
            Participant.region_id,
            acts.c.event_id,
        )
    )
    everyone = Turnout()
    per_group: dict[int, Turnout] = defaultdict(Turnout)
    per_region: dict[int | None, Turnout] = defaultdict(Turnout)
    per_event: dict[int | None, Turnout] = defaultdict(Turnout)
    for participant_id, group_id, region_id, event_id, voted, comments in db.session.execute(query):
        for turnout in (everyone, per_group[group_id], per_region[region_id], per_event[event_id]):
            turnout.add(participant_id, bool(voted), int(comments or 0))
    total = everyone.figures
    by_group = {key: turnout.figures for key, turnout in per_group.items()}
    by_region = {key: turnout.figures for key, turnout in per_region.items()}
    by_event = {key: turnout.figures for key, turnout in per_event.items()}

    def row(name: str, values: tuple[int, int, int] | None) -> dict[str, Any]:
        participants, voters, comments = values or (0, 0, 0)
        return {
            "name": name,
            "participants": participants,
            "voters": voters,
            "comments": int(comments),
        }

    events = db.session.scalars(
        sa.select(LiveEvent)
        .where(LiveEvent.consultation_id == consultation.id, ~LiveEvent.is_rehearsal)
        .order_by(LiveEvent.held_on, LiveEvent.created_at, LiveEvent.id)
    ).all()
    regions = [row(region.name, by_region.get(region.id)) for region in consultation.regions]
    if None in by_region:
        regions.append(row(_("No region given"), by_region[None]))
    return {
        "total": row(_("All participants"), total),
        "by_group": [row(g.name, by_group.get(g.id)) for g in consultation.stakeholder_groups],
        "by_region": regions,
        "by_event": [
            {
                **row(event.title, by_event.get(event.id)),
                "format": event.format.value,
                "held_on": event.held_on.isoformat() if event.held_on else None,
                "place": event.place,
            }
            for event in events
        ],
    }


def hidden_counts(consultation: Consultation, narrow=None) -> dict[str, Any]:
    """How many comments were received and how many were hidden, per kind of reason.

    Merged duplicates count as duplicates; comments still awaiting approval were never
    approved; a comment hidden without a reason counts as "other". ``narrow``: see
    ``activity``.
    """
    query = sa.select(
        Comment.hidden,
        Comment.hidden_reason,
        Comment.awaiting_approval,
        Comment.merged_into_id.is_not(None),
        sa.func.count(),
    )
    query = of_consultation(query, consultation, Comment.item_id)
    if narrow is not None:
        query = narrow(query, Comment)
    else:
        query = in_scope(query, Comment.event_id, consultation.id, None)
    query = query.group_by(
        Comment.hidden,
        Comment.hidden_reason,
        Comment.awaiting_approval,
        Comment.merged_into_id.is_not(None),
    )
    received = 0
    hidden = dict.fromkeys(HIDDEN_KINDS, 0)
    for is_hidden, reason, awaiting, merged, count in db.session.execute(query):
        received += count
        if not is_hidden:
            continue
        if awaiting:
            kind = NOT_APPROVED
        elif merged:
            kind = HideReason.DUPLICATE.value
        else:
            kind = reason.value if reason is not None else HideReason.OTHER.value
        hidden[kind] += count
    return {"received": received, "hidden": sum(hidden.values()), "by_reason": hidden}


# ---------------------------------------------------------------- reading publications


@dataclass
class RevisionSummary:
    revision: int
    note: str
    published_at: datetime
    changed_items: list[str]


def latest_publication(consultation_id: int) -> Publication | None:
    return db.session.scalar(
        sa.select(Publication)
        .where(Publication.consultation_id == consultation_id)
        .order_by(Publication.revision.desc())
        .limit(1)
    )


def get_publication(consultation_id: int, revision: int | None = None) -> Publication:
    """The latest revision, or the one asked for.

    :raises NotFound: before the first publication, or for an unknown revision.
    """
    if revision is None:
        publication = latest_publication(consultation_id)
    else:
        publication = db.session.scalar(
            sa.select(Publication).where(
                Publication.consultation_id == consultation_id, Publication.revision == revision
            )
        )
    if publication is None:
        raise NotFound(
            _("This consultation has not published its final version yet.")
            if revision is None
            else _("There is no revision %(revision)d.", revision=revision)
        )
    return publication


def revision_history(consultation_id: int) -> list[RevisionSummary]:
    """Every revision, newest first, without loading their snapshots."""
    rows = db.session.execute(
        sa.select(
            Publication.revision,
            Publication.note,
            Publication.published_at,
            Publication.snapshot["changed_items"],
        )
        .where(Publication.consultation_id == consultation_id)
        .order_by(Publication.revision.desc())
    )
    return [
        RevisionSummary(revision, note, published_at, list(changed or []))
        for revision, note, published_at, changed in rows
    ]


# ---------------------------------------------------------------- you said, we did


@dataclass
class PublishedResponse:
    """What the moderators published about one contribution."""

    outcome: str
    rationale: str
    passage: str


@dataclass
class MergedInto:
    id: int
    body: str
    response: PublishedResponse | None


@dataclass
class Contribution:
    """One of a participant's own comments or amendments, with what became of it."""

    kind: str  # "comment" or "amendment"
    id: int
    item_id: int
    item_ref: str
    item_title: str
    body: str
    reason: str
    created_at: datetime
    parent_id: int | None
    # shown, hidden, awaiting_approval or merged
    status: str
    hidden_reason: str | None = None
    hidden_note: str = ""
    amendment_status: str | None = None
    merged_into: MergedInto | None = None
    response: PublishedResponse | None = None


@dataclass
class Contributions:
    consultation_id: int
    published: Publication | None
    entries: list[Contribution] = field(default_factory=list)

    @property
    def comments(self) -> list[Contribution]:
        return [entry for entry in self.entries if entry.kind == "comment"]

    @property
    def amendments(self) -> list[Contribution]:
        return [entry for entry in self.entries if entry.kind == "amendment"]


def contributions_of(participant: Participant) -> Contributions:
    """Each of the participant's comments and amendments, in the order of the draft, with
    its status and, once published, the published response from the latest revision."""
    published = db.session.scalar(
        sa.select(Publication)
        .where(Publication.consultation_id == participant.consultation_id)
        .order_by(Publication.revision.desc())
        .limit(1)
    )
    responses = published_responses(published)

    def response(kind: str, subject_id: int) -> PublishedResponse | None:
        return responses.get((kind, subject_id)) if published is not None else None

    in_draft_order = (Document.position, Item.position)
    comments = db.session.scalars(
        sa.select(Comment)
        .join(Item, Comment.item_id == Item.id)
        .join(Document, Item.document_id == Document.id)
        .where(Comment.participant_id == participant.id)
        .options(joinedload(Comment.item), selectinload(Comment.merged_into))
        .order_by(*in_draft_order, Comment.created_at, Comment.id)
    ).all()
    amendments = db.session.scalars(
        sa.select(Amendment)
        .join(Item, Amendment.item_id == Item.id)
        .join(Document, Item.document_id == Document.id)
        .where(Amendment.participant_id == participant.id)
        .options(joinedload(Amendment.item))
        .order_by(*in_draft_order, Amendment.created_at, Amendment.id)
    ).all()
    entries = [
        Contribution(
            kind="comment",
            id=comment.id,
            item_id=comment.item_id,
            item_ref=comment.item.ref,
            item_title=comment.item.title,
            body=comment.body,
            reason="",
            created_at=comment.created_at,
            parent_id=comment.parent_id,
            status=comment_status(comment),
            hidden_reason=comment.hidden_reason.value
            if comment.hidden and comment.hidden_reason and not comment.awaiting_approval
            else None,
            # The note explains "other"; for the listed reasons it is the moderators' own.
            hidden_note=comment.hidden_note
            if comment_status(comment) == "hidden" and comment.hidden_reason is HideReason.OTHER
            else "",
            merged_into=MergedInto(
                comment.merged_into.id,
                comment.merged_into.body,
                response("comment", comment.merged_into.id),
            )
            if comment.merged_into is not None
            else None,
            response=response("comment", comment.id),
        )
        for comment in comments
    ] + [
        Contribution(
            kind="amendment",
            id=amendment.id,
            item_id=amendment.item_id,
            item_ref=amendment.item.ref,
            item_title=amendment.item.title,
            body=amendment.text,
            reason=amendment.reason,
            created_at=amendment.created_at,
            parent_id=None,
            status="hidden" if amendment.hidden else "shown",
            amendment_status=amendment.status.value,
            response=response("amendment", amendment.id),
        )
        for amendment in amendments
    ]
    return Contributions(participant.consultation_id, published, entries)


def comment_status(comment: Comment) -> str:
    if not comment.hidden:
        return "shown"
    if comment.awaiting_approval:
        return "awaiting_approval"
    if comment.merged_into_id is not None:
        return "merged"
    return "hidden"


def published_responses(
    publication: Publication | None,
) -> dict[tuple[str, int], PublishedResponse]:
    """(subject, id) → the response a publication's snapshot records for it."""
    if publication is None:
        return {}
    return {
        (entry["subject"], entry["id"]): PublishedResponse(
            entry["outcome"], entry["rationale"], entry["passage"]
        )
        for item in snapshot_items(publication.snapshot)
        for entry in item["dispositions"]
    }
