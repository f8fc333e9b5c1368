"""The tables of the tabular exports, built once for every tabular format (CSV, XLSX).

Each table is its columns and a generator of typed rows (text, numbers, aware UTC
datetimes, ``None`` for an empty cell); the writers decide how each type is written. The
rows come from a fixed number of queries whatever the size of the consultation: the long
tables (comments, votes, amendments) stream with ``yield_per`` (a server-side cursor on
PostgreSQL), and what rows refer to (items, groups, regions, events, tags) is loaded once
beforehand.

Modes (see ``cocreate.exports.options``):

- *shared*, for handing results on: participants are described by stakeholder group and
  region only, a vote's participant by a pseudonym ("P1", "P2", … numbered in this export
  only), with the group or region withheld where fewer than 5 voters in scope share it;
  hidden comments and amendments are left out, and so are replies to hidden comments, as
  on the participants' pages; per-group figures from fewer than 5 voters are suppressed;
  no moderation data, no timestamps, no database ids.
- *full*, for moderators' archives: everything above plus ids, hidden comments with the
  reason, moderation data and timestamps, and a participants table with display names
  (the other tables name participants by id).

Filters keep the votes, comments and amendments cast during one live event, or by the
participants of one stakeholder group or region; every figure is computed from what they
keep. Without an event filter, what happened during a rehearsal is left out, as from every
result; naming a rehearsal as the event shows it.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from cocreate.amendments.models import Amendment, AmendmentStatus, AmendmentVote
from cocreate.concurrency import cooperate
from cocreate.consolidation.consensus import consensus_of
from cocreate.consolidation.forms import OUTCOME_LABELS
from cocreate.consolidation.models import Disposition, Outcome
from cocreate.consultations.models import Consultation
from cocreate.db import utcnow
from cocreate.drafts.models import Document, Item, ItemKind
from cocreate.drafts.services import documents_with_items
from cocreate.exports.options import ExportOptions
from cocreate.extensions import db
from cocreate.live.models import LiveEvent
from cocreate.moderation.forms import HIDE_REASON_LABELS
from cocreate.moderation.models import Tag, comment_tag
from cocreate.participation.forms import VOTE_LABELS
from cocreate.participation.models import AGREEMENT_SCORES, Comment, Participant, Vote
from cocreate.participation.results import (
    SMALL_GROUP_THRESHOLD,
    ItemResults,
    Tally,
    in_scope,
    public_view,
    results_from_rows,
)

# Rows fetched from the database at a time by the streaming queries.
BATCH = 2000
# In ``shown_origins``: a region not shown (``None`` is "no region given").
WITHHELD = "withheld"

Cell = str | int | float | datetime | None


class Kind(enum.Enum):
    """What a column holds, for the writers' formats and widths."""

    TEXT = "text"  # a name, a label, a reference: one short line
    PARAGRAPH = "paragraph"  # free text that may run long and hold line breaks
    NUMBER = "number"  # a count, an id, a year
    SHARE = "share"  # from 0 to 1, shown as a percentage
    SCORE = "score"  # the mean agreement score, from -2 to +2
    TIMESTAMP = "timestamp"  # an aware UTC datetime


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT


@dataclass
class Table:
    """One CSV file, one sheet: ``name`` is the file's and the sheet's name."""

    name: str
    columns: list[Column]
    rows: Iterator[tuple[Cell, ...]]


def tables(consultation: Consultation, options: ExportOptions) -> Iterator[Table]:
    """The summary, items, comments, amendments and votes tables, in that order, and in
    full mode the participants with their names.

    Each table's queries run while its rows are read: read a table's rows before asking
    for the next table.
    """
    scope = Scope(consultation, options)
    yield Table("summary", summary_columns(), summary_rows(scope))
    yield Table("items", item_columns(scope), item_rows(scope))
    yield Table("comments", comment_columns(scope), comment_rows(scope))
    yield Table("amendments", amendment_columns(scope), amendment_rows(scope))
    yield Table("votes", vote_columns(scope), vote_rows(scope))
    if scope.full:
        yield Table("participants", participant_columns(), participant_rows(scope))


# ---------------------------------------------------------------- what an export covers


class Scope:
    """The consultation, the options, and the names rows refer to, loaded once."""

    def __init__(self, consultation: Consultation, options: ExportOptions) -> None:
        self.consultation = consultation
        self.options = options
        self.full = options.is_full
        self.exported_at = utcnow()
        self.groups = {group.id: group.name for group in consultation.stakeholder_groups}
        self.regions = {region.id: region.name for region in consultation.regions}
        self.events = {
            event.id: event
            for event in db.session.scalars(
                sa.select(LiveEvent).where(LiveEvent.consultation_id == consultation.id)
            )
        }
        self.documents = documents_with_items(consultation)
        self.items = [item for document in self.documents for item in document.items]
        self.refs = {item.id: item.ref for item in self.items}
        self.yes, self.no = _("yes"), _("no")
        self.vote_labels = {value: str(label) for value, label in VOTE_LABELS.items()}
        self.outcome_labels = {outcome: str(label) for outcome, label in OUTCOME_LABELS.items()}

    @cached_property
    def participants(self) -> dict[int, Person]:
        return people_in_scope(self)

    def event_title(self, event_id: int | None) -> str:
        return self.events[event_id].title if event_id in self.events else ""

    def yes_no(self, value: bool) -> str:
        return self.yes if value else self.no

    def restrict(self, query, event_column):
        """Keep the rows of this consultation in the export's scope: its event (or none
        from a rehearsal) and its group's or region's participants. ``query`` must join
        ``Participant``."""
        query = query.where(Participant.consultation_id == self.consultation.id)
        query = in_scope(query, event_column, self.consultation.id, self.options.event_id)
        if self.options.group_id is not None:
            query = query.where(Participant.stakeholder_group_id == self.options.group_id)
        if self.options.region_id is not None:
            query = query.where(Participant.region_id == self.options.region_id)
        return query

    def shown_comments(self, query):
        """In shared mode, only what participants see: no hidden comment, no reply to one."""
        if self.full:
            return query
        parent = aliased(Comment)
        return query.outerjoin(parent, Comment.parent_id == parent.id).where(
            ~Comment.hidden, sa.or_(Comment.parent_id.is_(None), ~parent.hidden)
        )

    def shown_amendments(self, query):
        return query if self.full else query.where(~Amendment.hidden)


def in_draft_order(query, item_column):
    """Join the item and its document, to order rows as the draft orders its items."""
    return query.join(Item, item_column == Item.id).join(Document, Item.document_id == Document.id)


def stream(query) -> Iterator[sa.Row]:
    """The rows, fetched ``BATCH`` at a time (a server-side cursor on PostgreSQL), through
    the session's connection: in its transaction, without the ORM's per-row work.

    After each batch the other greenlets of a gevent server get a turn: writing 500,000
    votes takes seconds of computing that would otherwise stall every live session (see
    ``cocreate.concurrency``).
    """
    rows = db.session.connection().execute(query, execution_options={"yield_per": BATCH})
    for batch in rows.partitions():
        yield from batch
        cooperate()


# ---------------------------------------------------------------- summary


def summary_columns() -> list[Column]:
    return [
        Column(_("Topic")),
        Column(_("Name")),
        Column(_("Value"), Kind.PARAGRAPH),
        Column(_("Participants"), Kind.NUMBER),
        Column(_("Voters"), Kind.NUMBER),
        Column(_("Comments"), Kind.NUMBER),
    ]


def summary_rows(scope: Scope) -> Iterator[tuple[Cell, ...]]:
    consultation, options = scope.consultation, scope.options
    about, export = _("Consultation"), _("Export")
    yield about, _("Title"), consultation.title, None, None, None
    yield about, _("Status"), _(consultation.current_status.value), None, None, None
    yield export, _("Exported at (UTC)"), scope.exported_at, None, None, None
    yield export, _("Mode"), mode_description(scope), None, None, None
    every = _("All")
    event = scope.events.get(options.event_id)
    yield (
        export,
        _("Live event"),
        event.title if event else _("All events (rehearsals left out)"),
        None,
        None,
        None,
    )
    yield (
        export,
        _("Stakeholder group"),
        scope.groups.get(options.group_id, every),
        None,
        None,
        None,
    )
    yield export, _("Region"), scope.regions.get(options.region_id, every), None, None, None

    figures = participation(scope)
    total = Figures()
    for values in figures.values():
        total += values
    totals = _("Totals")
    yield totals, _("All participants"), None, total.participants, total.voters, total.comments
    yield totals, _("Items"), len(scope.items), None, None, None
    yield totals, _("Comments"), total.comments, None, None, None
    yield totals, _("Votes"), total.votes, None, None, None
    yield totals, _("Amendments"), total.amendments, None, None, None

    group_label = _("Stakeholder group")
    for group_id, name in scope.groups.items():
        row = sum((v for (g, _r), v in figures.items() if g == group_id), Figures())
        yield group_label, name, None, row.participants, row.voters, row.comments
    region_label = _("Region")
    for region_id, name in [*scope.regions.items(), (None, _("No region given"))]:
        row = sum((v for (_g, r), v in figures.items() if r == region_id), Figures())
        if region_id is not None or row.participants:
            yield region_label, name, None, row.participants, row.voters, row.comments


def mode_description(scope: Scope) -> str:
    if scope.full:
        return _(
            "Full: names, hidden comments, moderation data and timestamps; for moderators only."
        )
    return _(
        "Shared: no names, hidden comments left out, figures of groups with fewer than "
        "%(n)d voters suppressed.",
        n=SMALL_GROUP_THRESHOLD,
    )


@dataclass
class Figures:
    participants: int = 0
    voters: int = 0
    comments: int = 0
    votes: int = 0
    amendments: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.participants + other.participants,
            self.voters + other.voters,
            self.comments + other.comments,
            self.votes + other.votes,
            self.amendments + other.amendments,
        )


def participation(scope: Scope) -> dict[tuple[int, int | None], Figures]:
    """Figures per (stakeholder group, region) of the participants active in scope."""
    figures: dict[tuple[int, int | None], Figures] = defaultdict(Figures)
    for person in scope.participants.values():
        if person.active:
            figures[person.group_id, person.region_id] += person.figures
    return figures


@dataclass
class Person:
    """A participant and what they did within the export's scope."""

    id: int
    display_name: str
    group_id: int
    region_id: int | None
    joined_at: datetime
    muted: bool
    erased: bool
    votes: int = 0
    comments: int = 0
    amendments: int = 0

    @property
    def active(self) -> bool:
        return bool(self.votes or self.comments or self.amendments)

    @property
    def figures(self) -> Figures:
        return Figures(1, int(self.votes > 0), self.comments, self.votes, self.amendments)


def people_in_scope(scope: Scope) -> dict[int, Person]:
    """The participants of the export's group and region, with their contributions in
    scope counted, in four queries (each count walks its table's participant index)."""
    query = sa.select(
        Participant.id,
        Participant.display_name,
        Participant.stakeholder_group_id,
        Participant.region_id,
        Participant.created_at,
        Participant.muted_at.is_not(None),
        Participant.erased_at.is_not(None),
    ).where(Participant.consultation_id == scope.consultation.id)
    if scope.options.group_id is not None:
        query = query.where(Participant.stakeholder_group_id == scope.options.group_id)
    if scope.options.region_id is not None:
        query = query.where(Participant.region_id == scope.options.region_id)
    people = {row[0]: Person(*row) for row in db.session.execute(query.order_by(Participant.id))}
    for model, shown, field in (
        (Vote, None, "votes"),
        (Comment, scope.shown_comments, "comments"),
        (Amendment, scope.shown_amendments, "amendments"),
    ):
        counts = (
            sa.select(model.participant_id, sa.func.count())
            .join(Participant, model.participant_id == Participant.id)
            .group_by(model.participant_id)
        )
        counts = scope.restrict(counts, model.event_id)
        for participant_id, count in db.session.execute(shown(counts) if shown else counts):
            setattr(people[participant_id], field, count)
    return people


def shown_origins(scope: Scope) -> dict[tuple[int, int | None], tuple[bool, bool]]:
    """Whether a shared export's vote rows show the stakeholder group and the region of a
    voter, for every (group, region) pair, region ``None`` included: "no region" is a
    region like any other here.

    A pseudonym links one person's votes across items, so a row shows only what at least
    ``SMALL_GROUP_THRESHOLD`` voters in the export's scope share: the group and region if
    that many voters have both, else the group alone if that many are in the group, else
    the region alone if that many are in the region, else neither.

    Then every kind of row (group and region, group only, region only, neither) of each
    group and region must hold that many voters too, or none: someone who knows where one
    voter comes from could otherwise find them by elimination (the one voter of a group
    whose region is withheld, beside five others whose region is shown). So a group's too
    few voters without a region take in the group's smallest pairs; a region's too few
    without a group join the rows that show neither; and too few of those take in the
    smallest other kinds. Counted from the participants in scope, already loaded.
    """
    voters = [person for person in scope.participants.values() if person.votes]
    pairs = Counter((person.group_id, person.region_id) for person in voters)
    groups = Counter(person.group_id for person in voters)
    regions = Counter(person.region_id for person in voters)
    enough = SMALL_GROUP_THRESHOLD

    shown: dict[tuple[int, int | None], tuple[bool, bool]] = {}
    for group_id, region_id in pairs:
        if pairs[group_id, region_id] >= enough:
            shown[group_id, region_id] = (True, True)
        elif groups[group_id] >= enough:
            shown[group_id, region_id] = (True, False)
        else:
            shown[group_id, region_id] = (False, regions[region_id] >= enough)

    def alike() -> dict[tuple, list[tuple[int, int | None]]]:
        """The pairs by the rows they give: (group or None, region or ``WITHHELD``)."""
        kinds = defaultdict(list)
        for (group_id, region_id), (group_shown, region_shown) in shown.items():
            kind = (group_id if group_shown else None, region_id if region_shown else WITHHELD)
            kinds[kind].append((group_id, region_id))
        return kinds

    def count(members) -> int:
        return sum(pairs[pair] for pair in members)

    for (group_id, region), members in alike().items():
        if group_id is not None and region is WITHHELD:
            whole = sorted(
                (pair for pair in pairs if pair[0] == group_id and shown[pair] == (True, True)),
                key=pairs.__getitem__,
            )
            total = count(members)
            while total < enough and whole:  # the group has enough voters: this ends
                pair = whole.pop(0)
                shown[pair] = (True, False)
                total += pairs[pair]
    for (group_id, region), members in alike().items():
        if group_id is None and region is not WITHHELD and count(members) < enough:
            shown.update(dict.fromkeys(members, (False, False)))
    kinds = alike()
    rest = kinds.pop((None, WITHHELD), [])
    others = sorted(kinds.values(), key=count)
    total = count(rest)
    while 0 < total < enough and others:
        members = others.pop(0)
        shown.update(dict.fromkeys(members, (False, False)))
        total += count(members)
    return {
        (group_id, region_id): shown.get((group_id, region_id), (False, False))
        for group_id in scope.groups
        for region_id in [*scope.regions, None]
    }


def withheld_marker() -> str:
    """What a shared vote row says in place of a group or region it does not show."""
    return _("withheld: fewer than %(n)d voters", n=SMALL_GROUP_THRESHOLD)


# ---------------------------------------------------------------- items


def item_columns(scope: Scope) -> list[Column]:
    per_group = []
    for name in scope.groups.values():
        per_group += [
            Column(_("%(group)s: agree share", group=name), Kind.SHARE),
            Column(_("%(group)s: votes", group=name), Kind.NUMBER),
        ]
    return [
        Column(_("Document")),
        Column(_("Section")),
        Column(_("Ref")),
        Column(_("Kind")),
        Column(_("Title")),
        Column(_("Milestone year"), Kind.NUMBER),
        Column(_("Draft text"), Kind.PARAGRAPH),
        Column(_("Consolidated text"), Kind.PARAGRAPH),
        Column(_("Consolidated")),
        Column(_("Comments"), Kind.NUMBER),
        Column(_("Votes"), Kind.NUMBER),
        Column(_("Agree share"), Kind.SHARE),
        Column(_("Mean score"), Kind.SCORE),
        *per_group,
        Column(_("Consensus")),
        Column(_("Consensus, explained"), Kind.PARAGRAPH),
        Column(_("Notes"), Kind.PARAGRAPH),
    ]


def item_rows(scope: Scope) -> Iterator[tuple[Cell, ...]]:
    results = item_results(scope)
    comments = contribution_counts(scope, Comment)
    kinds = {ItemKind.TARGET: _("Target"), ItemKind.PRACTICE: _("Practice")}
    for document in scope.documents:
        sections = {section.id: section.title for section in document.sections}
        for item in document.items:
            # The consensus signal uses every vote; groups under 5 voters never count in it.
            moderator_view = results[item.id]
            shown = moderator_view if scope.full else public_view(moderator_view)
            per_group: list[Cell] = []
            for group in shown.by_group:
                if group.suppressed:
                    per_group += [None, None]
                else:
                    per_group += [group.tally.agree_share, group.tally.votes]
            suppressed = [group.name for group in shown.by_group if group.suppressed]
            note = (
                _(
                    "Fewer than %(n)d voters, figures not shown: %(groups)s.",
                    n=SMALL_GROUP_THRESHOLD,
                    groups=", ".join(suppressed),
                )
                if suppressed
                else ""
            )
            consensus = consensus_of(moderator_view)
            yield (
                document.title,
                sections.get(item.section_id, ""),
                item.ref,
                kinds[item.kind],
                item.title,
                item.milestone_year if item.is_target else None,
                item.text,
                item.final_text or "",
                scope.yes_no(item.is_consolidated),
                comments.get(item.id, 0),
                shown.overall.votes,
                shown.overall.agree_share,
                shown.overall.mean_score,
                *per_group,
                consensus.label,
                consensus.explanation,
                note,
            )


def item_results(scope: Scope) -> dict[int, ItemResults]:
    """Every item's tallies from the votes in scope, nothing suppressed, in one query."""
    query = (
        sa.select(Vote.item_id, Participant.stakeholder_group_id, Vote.value, sa.func.count())
        .join(Participant, Vote.participant_id == Participant.id)
        .group_by(Vote.item_id, Participant.stakeholder_group_id, Vote.value)
    )
    rows = db.session.execute(scope.restrict(query, Vote.event_id))
    return results_from_rows(scope.consultation, list(scope.refs), rows, moderator=True)


def contribution_counts(scope: Scope, model) -> dict[int, int]:
    """Per item, the comments (replies included) or the amendments in scope."""
    query = (
        sa.select(model.item_id, sa.func.count())
        .join(Participant, model.participant_id == Participant.id)
        .group_by(model.item_id)
    )
    query = scope.restrict(query, model.event_id)
    shown = scope.shown_comments if model is Comment else scope.shown_amendments
    return dict(db.session.execute(shown(query)).all())


# ---------------------------------------------------------------- comments


def comment_columns(scope: Scope) -> list[Column]:
    if not scope.full:
        return [
            Column(_("No."), Kind.NUMBER),
            Column(_("Item")),
            Column(_("Reply to no."), Kind.NUMBER),
            Column(_("Stakeholder group")),
            Column(_("Region")),
            Column(_("Text"), Kind.PARAGRAPH),
            Column(_("Supports"), Kind.NUMBER),
            Column(_("Tags")),
            Column(_("Outcome")),
            Column(_("Rationale"), Kind.PARAGRAPH),
            Column(_("Passage"), Kind.PARAGRAPH),
            Column(_("Live event")),
        ]
    return [
        Column(_("ID"), Kind.NUMBER),
        Column(_("Item")),
        Column(_("Reply to ID"), Kind.NUMBER),
        Column(_("Participant ID"), Kind.NUMBER),
        Column(_("Display name")),
        Column(_("Stakeholder group")),
        Column(_("Region")),
        Column(_("Text"), Kind.PARAGRAPH),
        Column(_("Supports"), Kind.NUMBER),
        Column(_("Tags")),
        Column(_("Status")),
        Column(_("Hidden because")),
        Column(_("Moderator's note"), Kind.PARAGRAPH),
        Column(_("Merged into ID"), Kind.NUMBER),
        Column(_("Flags"), Kind.NUMBER),
        Column(_("Needs review")),
        Column(_("Pinned")),
        Column(_("Outcome")),
        Column(_("Rationale"), Kind.PARAGRAPH),
        Column(_("Passage"), Kind.PARAGRAPH),
        Column(_("Decided at (UTC)"), Kind.TIMESTAMP),
        Column(_("Live event")),
        Column(_("Created at (UTC)"), Kind.TIMESTAMP),
    ]


def comment_rows(scope: Scope) -> Iterator[tuple[Cell, ...]]:
    tags = tags_by_comment(scope)
    query = (
        sa.select(
            Comment.id,
            Comment.item_id,
            Comment.parent_id,
            Comment.participant_id,
            Participant.display_name,
            Participant.stakeholder_group_id,
            Participant.region_id,
            Comment.body,
            Comment.support_count,
            Comment.hidden,
            Comment.hidden_reason,
            Comment.hidden_note,
            Comment.awaiting_approval,
            Comment.merged_into_id,
            Comment.flag_count,
            Comment.needs_review,
            Comment.pinned,
            Disposition.outcome,
            Disposition.rationale,
            Disposition.passage,
            Disposition.decided_at,
            Comment.event_id,
            Comment.created_at,
        )
        .join(Participant, Comment.participant_id == Participant.id)
        .outerjoin(Disposition, Disposition.comment_id == Comment.id)
    )
    query = scope.shown_comments(
        scope.restrict(in_draft_order(query, Comment.item_id), Comment.event_id)
    )
    # Each thread together: a comment, then its replies (one level), oldest first.
    query = query.order_by(
        Document.position,
        Item.position,
        sa.func.coalesce(Comment.parent_id, Comment.id),
        Comment.parent_id.is_not(None),
        Comment.created_at,
        Comment.id,
    )
    groups, regions, refs = scope.groups, scope.regions, scope.refs
    outcomes, events = scope.outcome_labels, scope.events
    statuses: dict[tuple[bool, bool, bool], str] = {}
    numbers: dict[int, int] = {}
    for row in stream(query):
        (
            comment_id,
            item_id,
            parent_id,
            participant_id,
            display_name,
            group_id,
            region_id,
            body,
            supports,
            hidden,
            hidden_reason,
            hidden_note,
            awaiting,
            merged_into_id,
            flags,
            needs_review,
            pinned,
            outcome,
            rationale,
            passage,
            decided_at,
            event_id,
            created_at,
        ) = row
        outcome_label = outcomes[outcome] if outcome is not None else ""
        event = events[event_id].title if event_id in events else ""
        if not scope.full:
            number = numbers[comment_id] = len(numbers) + 1
            yield (
                number,
                refs[item_id],
                numbers.get(parent_id) if parent_id is not None else None,
                groups[group_id],
                regions.get(region_id, ""),
                body,
                supports,
                ", ".join(tags.get(comment_id, ())),
                outcome_label,
                rationale or "",
                passage or "",
                event,
            )
            continue
        key = (hidden, awaiting, merged_into_id is not None)
        status = statuses.get(key) or statuses.setdefault(key, comment_status(*key))
        yield (
            comment_id,
            refs[item_id],
            parent_id,
            participant_id,
            display_name,
            groups[group_id],
            regions.get(region_id, ""),
            body,
            supports,
            ", ".join(tags.get(comment_id, ())),
            status,
            str(HIDE_REASON_LABELS[hidden_reason]) if hidden and hidden_reason else "",
            hidden_note,
            merged_into_id,
            flags,
            scope.yes_no(needs_review),
            scope.yes_no(pinned),
            outcome_label,
            rationale or "",
            passage or "",
            decided_at,
            event,
            created_at,
        )


def comment_status(hidden: bool, awaiting: bool, merged: int | bool | None) -> str:
    """Shown, awaiting approval, merged or hidden; ``merged`` is the id of the comment it
    was merged into, or whether there is one."""
    if not hidden:
        return _("Shown")
    if awaiting:
        return _("Awaiting approval")
    if merged:
        return _("Merged")
    return _("Hidden")


def tags_by_comment(scope: Scope) -> dict[int, list[str]]:
    """The consultation's tags per comment id, alphabetically, in one query."""
    tags: dict[int, list[str]] = defaultdict(list)
    query = (
        sa.select(comment_tag.c.comment_id, Tag.name)
        .join(Tag, comment_tag.c.tag_id == Tag.id)
        .where(Tag.consultation_id == scope.consultation.id)
        .order_by(comment_tag.c.comment_id, Tag.name)
    )
    for comment_id, name in stream(query):
        tags[comment_id].append(name)
    return tags


# ---------------------------------------------------------------- amendments

AMENDMENT_STATUSES = {
    AmendmentStatus.PROPOSED: _l("Proposed"),
    AmendmentStatus.ACCEPTED: _l("Accepted"),
    AmendmentStatus.MERGED: _l("Merged into the text"),
    AmendmentStatus.REJECTED: _l("Rejected"),
}


def amendment_columns(scope: Scope) -> list[Column]:
    shared = [
        Column(_("Item")),
        Column(_("Proposed text"), Kind.PARAGRAPH),
        Column(_("Reason"), Kind.PARAGRAPH),
        Column(_("Status")),
        Column(_("Votes"), Kind.NUMBER),
        Column(_("Agree share"), Kind.SHARE),
        Column(_("Stakeholder group")),
        Column(_("Region")),
        Column(_("Outcome")),
        Column(_("Rationale"), Kind.PARAGRAPH),
        Column(_("Live event")),
    ]
    if not scope.full:
        return shared
    return [
        Column(_("ID"), Kind.NUMBER),
        *shared,
        Column(_("Participant ID"), Kind.NUMBER),
        Column(_("Display name")),
        Column(_("Hidden")),
        Column(_("Created at (UTC)"), Kind.TIMESTAMP),
    ]


def amendment_rows(scope: Scope) -> Iterator[tuple[Cell, ...]]:
    tallies = amendment_tallies(scope)
    decisions = amendment_dispositions(scope)
    statuses = {status: str(label) for status, label in AMENDMENT_STATUSES.items()}
    query = sa.select(
        Amendment.id,
        Amendment.item_id,
        Amendment.text,
        Amendment.reason,
        Amendment.status,
        Participant.stakeholder_group_id,
        Participant.region_id,
        Amendment.event_id,
        Amendment.participant_id,
        Participant.display_name,
        Amendment.hidden,
        Amendment.created_at,
    ).join(Participant, Amendment.participant_id == Participant.id)
    query = scope.shown_amendments(
        scope.restrict(in_draft_order(query, Amendment.item_id), Amendment.event_id)
    ).order_by(Document.position, Item.position, Amendment.created_at, Amendment.id)
    for (
        amendment_id,
        item_id,
        text,
        reason,
        status,
        group_id,
        region_id,
        event_id,
        participant_id,
        display_name,
        hidden,
        created_at,
    ) in stream(query):
        tally = tallies.get(amendment_id) or Tally()
        outcome, rationale = decisions.get(amendment_id, (None, ""))
        shared = (
            scope.refs[item_id],
            text,
            reason,
            statuses[status],
            tally.votes,
            tally.agree_share,
            scope.groups[group_id],
            scope.regions.get(region_id, ""),
            scope.outcome_labels[outcome] if outcome is not None else "",
            rationale or "",
            scope.event_title(event_id),
        )
        if not scope.full:
            yield shared
        else:
            yield (
                amendment_id,
                *shared,
                participant_id,
                display_name,
                scope.yes_no(hidden),
                created_at,
            )


def amendment_dispositions(scope: Scope) -> dict[int, tuple[Outcome, str]]:
    """(outcome, rationale) per disposed amendment, in one query.

    Not an outer join in the amendments' query: with SQLite's statistics, where most
    dispositions are about comments, the planner took the index on
    ``disposition.amendment_id`` for useless and scanned every disposition per amendment.
    """
    query = (
        sa.select(Disposition.amendment_id, Disposition.outcome, Disposition.rationale)
        .join(Item, Disposition.item_id == Item.id)
        .where(Item.consultation_id == scope.consultation.id, Disposition.amendment_id.is_not(None))
    )
    return {
        amendment_id: (outcome, rationale)
        for amendment_id, outcome, rationale in db.session.execute(query)
    }


def amendment_tallies(scope: Scope) -> dict[int, Tally]:
    """Each amendment's votes in scope (overall figures are never suppressed)."""
    query = (
        sa.select(AmendmentVote.amendment_id, AmendmentVote.value, sa.func.count())
        .join(Participant, AmendmentVote.participant_id == Participant.id)
        .group_by(AmendmentVote.amendment_id, AmendmentVote.value)
    )
    tallies: dict[int, Tally] = defaultdict(Tally)
    for amendment_id, value, count in db.session.execute(
        scope.restrict(query, AmendmentVote.event_id)
    ):
        tallies[amendment_id].counts[value] += count
    return tallies


# ---------------------------------------------------------------- votes


def vote_columns(scope: Scope) -> list[Column]:
    who = [Column(_("Participant ID"), Kind.NUMBER)] if scope.full else [Column(_("Participant"))]
    columns = [
        Column(_("Item")),
        *who,
        Column(_("Stakeholder group")),
        Column(_("Region")),
        Column(_("Vote")),
        Column(_("Score"), Kind.NUMBER),
        Column(_("Live event")),
    ]
    if scope.full:
        columns.append(Column(_("Cast at (UTC)"), Kind.TIMESTAMP))
    return columns


def vote_rows(scope: Scope) -> Iterator[tuple[Cell, ...]]:
    """One row per vote, item by item in draft order, then by participant.

    In shared mode a participant is a pseudonym numbered in the order participants first
    appear in this export ("P1", "P2", …), and a group or region shared by fewer than 5
    voters in scope is withheld (see ``shown_origins``); in full mode, the id the
    participants table gives with the name.
    """
    columns = [
        Vote.item_id,
        Vote.participant_id,
        Participant.stakeholder_group_id,
        Participant.region_id,
        # The stored value itself: looking its label up is quicker than making the enum.
        sa.type_coerce(Vote.value, sa.String),
        Vote.event_id,
    ]
    if scope.full:
        columns.append(Vote.updated_at)
    query = sa.select(*columns).join(Participant, Vote.participant_id == Participant.id)
    query = scope.restrict(in_draft_order(query, Vote.item_id), Vote.event_id).order_by(
        Document.position, Item.position, Vote.participant_id
    )
    refs, groups = scope.refs, scope.groups
    regions = {**scope.regions, None: ""}
    labels = {value.value: label for value, label in scope.vote_labels.items()}
    scores = {value.value: score for value, score in AGREEMENT_SCORES.items()}
    events = {event_id: event.title for event_id, event in scope.events.items()}
    events[None] = ""
    if scope.full:
        for item_id, participant_id, group_id, region_id, value, event_id, cast_at in stream(query):
            yield (
                refs[item_id],
                participant_id,
                groups[group_id],
                regions[region_id],
                labels[value],
                scores[value],
                events[event_id],
                cast_at,
            )
        return
    withheld = withheld_marker()
    origins = {
        (group_id, region_id): (
            groups[group_id] if group_shown else withheld,
            regions[region_id] if region_shown else withheld,
        )
        for (group_id, region_id), (group_shown, region_shown) in shown_origins(scope).items()
    }
    pseudonyms: dict[int, str] = {}
    for item_id, participant_id, group_id, region_id, value, event_id in stream(query):
        pseudonym = pseudonyms.get(participant_id)
        if pseudonym is None:
            pseudonym = pseudonyms[participant_id] = f"P{len(pseudonyms) + 1}"
        group, region = origins[group_id, region_id]
        yield (
            refs[item_id],
            pseudonym,
            group,
            region,
            labels[value],
            scores[value],
            events[event_id],
        )


# ---------------------------------------------------------------- participants (full only)


def participant_columns() -> list[Column]:
    return [
        Column(_("Participant ID"), Kind.NUMBER),
        Column(_("Display name")),
        Column(_("Stakeholder group")),
        Column(_("Region")),
        Column(_("Votes"), Kind.NUMBER),
        Column(_("Comments"), Kind.NUMBER),
        Column(_("Amendments"), Kind.NUMBER),
        Column(_("Muted")),
        Column(_("Personal data erased")),
        Column(_("Joined at (UTC)"), Kind.TIMESTAMP),
    ]


def participant_rows(scope: Scope) -> Iterator[tuple[Cell, ...]]:
    """Everyone of the export's group and region who joined; with an event filter, only
    those who took part in that event."""
    for person in scope.participants.values():
        if scope.options.event_id is not None and not person.active:
            continue
        yield (
            person.id,
            person.display_name,
            scope.groups[person.group_id],
            scope.regions.get(person.region_id, ""),
            person.votes,
            person.comments,
            person.amendments,
            scope.yes_no(person.muted),
            scope.yes_no(person.erased),
            person.joined_at,
        )
