"""The report's feedback annex ("you said, we did"): per item, the comments and proposals
of new wording with their authors and what was done with them.

Up to a limit (``REPORT_ANNEX_LIMIT``, 1,000 comments, replies and proposals in the
report's scope) the annex lists every one. Above it, it summarises: for each item it lists
its most-supported comments (pinned ones first) and its proposals (decided ones first), as
many as the limit shared out between these lists allows but never fewer than
``MIN_PER_ITEM``; it counts the replies to each listed comment; and it counts every comment
of the item by outcome. A printed annex of 100,000 comments would be thousands of pages
that nobody reads, and WeasyPrint holds every page in memory while it lays them out; the
spreadsheet and CSV exports list every comment with its disposition.

Every figure and list comes from a fixed number of queries, whatever the numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment, AmendmentStatus
from cocreate.consolidation.diffing import Piece, readable_diff
from cocreate.consolidation.models import Disposition, Outcome
from cocreate.consultations.models import Region, StakeholderGroup
from cocreate.exports.tables import (
    Scope,
    amendment_tallies,
    comment_status,
    contribution_counts,
    tags_by_comment,
)
from cocreate.extensions import db
from cocreate.participation.models import Comment, Participant
from cocreate.participation.results import Tally

# Listed per item in a summarised annex, however many items share the limit.
MIN_PER_ITEM = 3


@dataclass
class Author:
    group: str
    region: str | None
    name: str = ""  # the display name, in the full mode only

    @property
    def where(self) -> str:
        return f"{self.group}, {self.region}" if self.region else self.group


@dataclass
class Entry:
    """A comment or an amendment with its author and what was done with it."""

    subject: Comment | Amendment
    author: Author
    disposition: Disposition | None
    decided_by: str = ""  # full mode: the moderator who recorded the disposition
    replies: list[Entry] = field(default_factory=list)
    reply_count: int = 0  # a summarised annex counts the replies instead of listing them
    status: str = ""  # comments in the full mode: shown, hidden, awaiting approval, merged
    tags: list[str] = field(default_factory=list)
    diff: list[Piece] | None = None  # amendments: the wording against what it amended
    votes: Tally | None = None  # amendments: the votes on it


@dataclass
class Feedback:
    """One item's part of the annex."""

    comments: list[Entry] = field(default_factory=list)  # threads, replies under them
    amendments: list[Entry] = field(default_factory=list)
    comment_total: int = 0  # comments and replies in scope, listed or not
    amendment_total: int = 0
    # Summarised annex: the item's comments (not replies) per outcome, None for none yet.
    outcomes: Counter[Outcome | None] = field(default_factory=Counter)

    @property
    def listed_comments(self) -> int:
        return len(self.comments) + sum(len(entry.replies) for entry in self.comments)

    @property
    def thread_total(self) -> int:
        return sum(self.outcomes.values())


@dataclass
class Annex:
    feedback: dict[int, Feedback]  # by item id; items without feedback are absent
    total: int  # comments, replies and proposals in scope
    limit: int
    per_item: int | None = None  # set when the annex summarises

    @property
    def summarised(self) -> bool:
        return self.per_item is not None

    def of(self, item_id: int) -> Feedback:
        return self.feedback.get(item_id) or Feedback()


def build_annex(scope: Scope, limit: int) -> Annex:
    """Every comment and proposal in scope, or a summary past ``limit`` of them."""
    feedback: dict[int, Feedback] = defaultdict(Feedback)
    for item_id, comments in contribution_counts(scope, Comment).items():
        feedback[item_id].comment_total = comments
    for item_id, amendments in contribution_counts(scope, Amendment).items():
        feedback[item_id].amendment_total = amendments
    total = sum(f.comment_total + f.amendment_total for f in feedback.values())
    annex = Annex(dict(feedback), total, limit)
    if total > limit:
        # The limit shared out between the lists: each item's comments, its proposals.
        lists = sum(bool(f.comment_total) + bool(f.amendment_total) for f in feedback.values())
        annex.per_item = max(MIN_PER_ITEM, limit // lists)
        for item_id, outcome, count in db.session.execute(outcome_counts(scope)):
            annex.feedback[item_id].outcomes[outcome] += count
    for item_id, threads in comment_entries(scope, annex.per_item).items():
        annex.feedback[item_id].comments = threads
    for item_id, proposals in amendment_entries(scope, annex.per_item).items():
        annex.feedback[item_id].amendments = proposals
    return annex


def restricted(scope: Scope, query, model):
    """``query``, which selects from ``model`` (comments, amendments or votes), joined to
    the author and kept to the report's filters."""
    query = query.join(Participant, model.participant_id == Participant.id)
    return scope.restrict(query, model.event_id)


def shown(scope: Scope, query, model):
    """``restricted``, and kept to what the report shows: in the shared mode, no hidden
    comment or proposal, and no reply to a hidden comment."""
    query = restricted(scope, query, model)
    if model is Comment:
        return scope.shown_comments(query)
    if model is Amendment:
        return scope.shown_amendments(query)
    return query


def outcome_counts(scope: Scope):
    """(item, outcome or None, count) of the comments in scope that are not replies."""
    query = (
        sa.select(Comment.item_id, Disposition.outcome, sa.func.count())
        .outerjoin(Disposition, Disposition.comment_id == Comment.id)
        .where(Comment.parent_id.is_(None))
        .group_by(Comment.item_id, Disposition.outcome)
    )
    return shown(scope, query, Comment)


def summary_order(model) -> tuple:
    """The order a summarised annex lists in: comments pinned first, then by supports;
    proposals decided first; then the oldest."""
    if model is Comment:
        first = (Comment.pinned.desc(), Comment.support_count.desc())
    else:
        first = (sa.case((Amendment.status == AmendmentStatus.PROPOSED, 1), else_=0),)
    return (*first, model.created_at, model.id)


def first_per_item(scope: Scope, model, per_item: int):
    """The ids of each item's first ``per_item`` comments (not replies) or proposals in
    scope, in ``summary_order``."""
    rank = sa.func.row_number().over(partition_by=model.item_id, order_by=summary_order(model))
    ranked = shown(scope, sa.select(model.id, rank.label("rank")), model)
    if model is Comment:
        ranked = ranked.where(Comment.parent_id.is_(None))
    ranked = ranked.subquery()
    return sa.select(ranked.c.id).where(ranked.c.rank <= per_item)


def contributions(scope: Scope, model, per_item: int | None):
    """Comments or amendments in scope with their author's group, region and name, the
    disposition and who recorded it, oldest first; with ``per_item``, only each item's
    first ones in ``summary_order``, and no replies."""
    columns = (model, StakeholderGroup.name, Region.name, Participant.display_name)
    query = (
        shown(scope, sa.select(*columns, Disposition, User), model)
        .join(StakeholderGroup, Participant.stakeholder_group_id == StakeholderGroup.id)
        .outerjoin(Region, Participant.region_id == Region.id)
        .outerjoin(Disposition, getattr(Disposition, f"{model.__tablename__}_id") == model.id)
        .outerjoin(User, Disposition.decided_by_id == User.id)
    )
    if per_item is None:
        query = query.order_by(model.created_at, model.id)
    else:
        query = query.where(model.id.in_(first_per_item(scope, model, per_item)))
        query = query.order_by(*summary_order(model))
    if model is Comment:
        return query.options(selectinload(Comment.answers))
    return query


def entry(scope: Scope, subject, group, region, name, disposition, decided_by) -> Entry:
    return Entry(
        subject=subject,
        author=Author(group, region, name if scope.full else ""),
        disposition=disposition,
        decided_by=decided_by.name if scope.full and decided_by is not None else "",
    )


def comment_entries(scope: Scope, per_item: int | None) -> dict[int, list[Entry]]:
    """Each item's comments, replies under the comment they answer (a reply whose comment
    is outside the report is left out with it); with ``per_item``, each item's first
    comments with their replies counted, not listed."""
    tags = tags_by_comment(scope)
    threads: dict[int, Entry] = {}
    replies: list[Entry] = []
    for comment, *about in db.session.execute(contributions(scope, Comment, per_item)):
        found = entry(scope, comment, *about)
        found.tags = tags.get(comment.id, [])
        if scope.full:
            found.status = comment_status(
                comment.hidden, comment.awaiting_approval, comment.merged_into_id
            )
        if comment.parent_id is None:
            threads[comment.id] = found
        else:
            replies.append(found)
    for reply in replies:
        if reply.subject.parent_id in threads:
            threads[reply.subject.parent_id].replies.append(reply)
    if per_item is not None:
        for parent_id, count in db.session.execute(reply_counts(scope, per_item)):
            threads[parent_id].reply_count = count
    by_item: dict[int, list[Entry]] = defaultdict(list)
    for thread in threads.values():
        by_item[thread.subject.item_id].append(thread)
    return by_item


def reply_counts(scope: Scope, per_item: int):
    """(comment id, replies in scope) for the comments a summarised annex lists."""
    query = (
        sa.select(Comment.parent_id, sa.func.count())
        .where(Comment.parent_id.in_(first_per_item(scope, Comment, per_item)))
        .group_by(Comment.parent_id)
    )
    return shown(scope, query, Comment)


def amendment_entries(scope: Scope, per_item: int | None) -> dict[int, list[Entry]]:
    tallies = amendment_tallies(scope)
    by_item: dict[int, list[Entry]] = defaultdict(list)
    for amendment, *about in db.session.execute(contributions(scope, Amendment, per_item)):
        found = entry(scope, amendment, *about)
        found.diff = readable_diff(amendment.base_text, amendment.text)
        found.votes = tallies.get(amendment.id) or Tally()
        by_item[amendment.item_id].append(found)
    return by_item
