"""JSON export: the whole consultation as one ``cocreate-export/1`` document.

The format is documented for people in ``docs/export-format.md`` and for programs in
``cocreate/exports/schema.json``; ``cocreate.exports.importing`` reads a full-mode export
back into a new consultation.

The document is written piece by piece: each top-level member, then each element of the
long arrays on a line of its own, every piece encoded by the ``json`` module. Comments, votes and
amendments stream from the database with ``yield_per``; what they refer to (items,
events, the export's own numbering of participants and comments) is loaded beforehand,
so the number of queries does not grow with the consultation.

Ids are the export's own: ``P1``, ``C1``, ``A1``, ``E1`` count the consultation's
participants, comments, amendments and live events in the order they were created, so
two exports of the same data compare equal as documents and a comment keeps its ref
in every export. Items are named by their ref, groups, regions and tags by their name,
accounts by their email address.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment, AmendmentVote
from cocreate.consolidation.consensus import consensus_of
from cocreate.consolidation.models import Disposition, TextVersion
from cocreate.consultations.models import Consultation
from cocreate.drafts.models import Document, Item
from cocreate.exports.formats import register
from cocreate.exports.options import ExportOptions
from cocreate.exports.tables import Scope, in_draft_order, item_results, shown_origins, stream
from cocreate.extensions import db
from cocreate.moderation.models import ModeratorAnswer, Tag, comment_tag
from cocreate.participation.models import Comment, Participant, Support, Vote
from cocreate.participation.results import ItemResults, public_view
from cocreate.publication.models import Publication
from cocreate.publication.services import snapshot_items

FORMAT_NAME = "cocreate-export/1"
# Bytes handed on at a time (rows are fetched ``tables.BATCH`` at a time).
CHUNK_BYTES = 64 * 1024


@register("json", "application/json", "json")
def write(consultation: Consultation, options: ExportOptions) -> Iterator[bytes]:
    """The export's bytes (UTF-8), in chunks of about 64 KiB; nothing is read before the
    first chunk is asked for."""
    pending: list[str] = []
    size = 0
    for piece in document(consultation, options):
        pending.append(piece)
        size += len(piece)  # characters: at least as many bytes
        if size >= CHUNK_BYTES:
            yield "".join(pending).encode()
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode()


def document(consultation: Consultation, options: ExportOptions) -> Iterator[str]:
    """The export as pieces of JSON text which, joined, make one JSON object."""
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL plans a cursor's query for its first tenth of rows unless told that
        # every row will be read, as here: five times faster for 500,000 votes.
        db.session.execute(sa.text("SET LOCAL cursor_tuple_fraction = 1.0"))
    scope = Scope(consultation, options)
    refs = Refs(scope)
    yield "{" + member("format", FORMAT_NAME)
    yield "," + member("exported_at", timestamp(scope.exported_at))
    yield "," + member("mode", options.mode.value)
    yield "," + member("filters", filters_entry(scope, refs))
    yield "," + member("consultation", consultation_entry(scope))
    yield from array("events", event_entries(scope, refs))
    yield "," + member("tags", refs.tags)
    yield from array("documents", document_entries(scope, refs))
    if scope.full:
        yield from array("participants", participant_entries(scope, refs))
    yield from array("comments", comment_entries(scope, refs))
    yield from array("votes", vote_entries(scope, refs))
    yield from array("amendments", amendment_entries(scope, refs))
    yield from array("publications", publication_entries(scope, refs))
    yield "\n}\n"


# ---------------------------------------------------------------- writing JSON


# Non-Latin text stays readable; line breaks inside texts are escaped as \n. One encoder
# for every object: ``json.dumps`` with options would build a new one per call.
dumps = json.JSONEncoder(ensure_ascii=False).encode


def member(name: str, value: Any) -> str:
    return f"\n{dumps(name)}: {dumps(value)}"


def array(name: str, entries: Iterable[Any]) -> Iterator[str]:
    """A top-level array, one element per line."""
    yield f",\n{dumps(name)}: ["
    separator = "\n"
    for entry in entries:
        yield separator + dumps(entry)
        separator = ",\n"
    yield "\n]" if separator != "\n" else "]"


def timestamp(value: datetime | str | None) -> str | None:
    """RFC 3339 in UTC with microseconds, e.g. 2026-03-01T09:30:00.000000Z; a string is a
    value ``iso_time`` had the database write so already."""
    if value is None or isinstance(value, str):
        return value
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")[:26] + "Z"


def iso_time(column) -> sa.ColumnElement:
    """A UTC timestamp column as ``timestamp`` writes it, written by the database: for a
    million votes, reading each value into a datetime and writing it out again takes
    Python seconds. PostgreSQL formats it; SQLite stores it as ``YYYY-MM-DD HH:MM:SS.ffffff``
    in UTC (SQLAlchemy always writes the microseconds), which needs a T and a Z."""
    if db.session.get_bind().dialect.name == "postgresql":
        utc = sa.func.timezone("UTC", column)
        text = sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    else:
        text = sa.func.replace(sa.type_coerce(column, sa.String), " ", "T").concat("Z")
    return sa.type_coerce(text, sa.String).label(column.key)


def day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.isoformat()


class Aligned:
    """The rows of a side query, handed out per key of the main query's rows.

    Both queries are sorted by the same key, ascending: each call to ``take`` reads on
    until the key is passed, so the side rows are read once, alongside the main ones.
    """

    def __init__(self, rows: Iterator[sa.Row]) -> None:
        self.rows = rows
        self.current = next(rows, None)

    def take(self, key: int) -> list[sa.Row]:
        found = []
        while self.current is not None and self.current[0] <= key:
            if self.current[0] == key:
                found.append(self.current)
            self.current = next(self.rows, None)
        return found


# ---------------------------------------------------------------- the export's ids


def ids(query) -> Iterator[int]:
    return db.session.connection().execute(query).scalars()


def numbered(prefix: str, row_ids: Iterable[int]) -> dict[int, str]:
    return {row_id: f"{prefix}{number}" for number, row_id in enumerate(row_ids, start=1)}


# A shared vote's ``group``, ``region`` and ``withheld``.
Voter = tuple[str | None, str | None, list[str]]


def voters_shown(scope: Scope) -> dict[tuple[int, int | None], Voter]:
    """For each (group, region) pair, what a shared export's votes say of their voter:
    a group or region shared by fewer than 5 voters in scope is ``null`` and named in
    ``withheld``, as the tabular exports write a marker in its place."""
    voters = {}
    for (group_id, region_id), (group_shown, region_shown) in shown_origins(scope).items():
        voters[group_id, region_id] = (
            scope.groups[group_id] if group_shown else None,
            scope.regions.get(region_id) if region_shown else None,
            [
                name
                for name, shown in (("group", group_shown), ("region", region_shown))
                if not shown
            ],
        )
    return voters


class Refs:
    """The export's names for what rows refer to, loaded once in a fixed number of queries."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        consultation_id = scope.consultation.id
        self.events = numbered("E", sorted(scope.events))
        self.comments = numbered(
            "C",
            ids(
                sa.select(Comment.id)
                .join(Item, Comment.item_id == Item.id)
                .where(Item.consultation_id == consultation_id)
                .order_by(Comment.id)
            ),
        )
        self.amendments = numbered(
            "A",
            ids(
                sa.select(Amendment.id)
                .join(Item, Amendment.item_id == Item.id)
                .where(Item.consultation_id == consultation_id)
                .order_by(Amendment.id)
            ),
        )
        self.tags = list(
            db.session.scalars(
                sa.select(Tag.name).where(Tag.consultation_id == consultation_id).order_by(Tag.name)
            )
        )
        self.participants: dict[int, str] = {}
        self.accounts: dict[int, str] = {}
        if scope.full:
            self.participants = numbered(
                "P",
                ids(
                    sa.select(Participant.id)
                    .where(Participant.consultation_id == consultation_id)
                    .order_by(Participant.id)
                ),
            )
            self.accounts = {
                user_id: email
                for user_id, email in db.session.execute(sa.select(User.id, User.email))
            }

    def participant(self, participant_id: int) -> str:
        """Full mode: the participant's number. Shared mode: a pseudonym numbered in the
        order participants first appear in the export's votes, as in the tabular exports."""
        name = self.participants.get(participant_id)
        if name is None:
            name = self.participants[participant_id] = f"P{len(self.participants) + 1}"
        return name

    @cached_property
    def voters(self) -> dict[tuple[int, int | None], Voter]:
        """Shared mode: what a vote says of its voter, per (group, region); counted when
        the votes are reached, not before the first chunk."""
        return voters_shown(self.scope)

    def account(self, user_id: int | None) -> str | None:
        return self.accounts.get(user_id) if user_id is not None else None

    def event(self, event_id: int | None) -> str | None:
        return self.events.get(event_id) if event_id is not None else None

    def comment(self, comment_id: int | None) -> str | None:
        return self.comments.get(comment_id) if comment_id is not None else None


def keep(scope: Scope, query, event_column):
    """The rows of this consultation within the export's filters; ``query`` must join
    ``Participant``. A full export without an event filter keeps what happened during
    rehearsals too (it is the archive: every row, marked with its event); everywhere
    else they are left out, as from every result."""
    if not scope.full or scope.options.event_id is not None:
        return scope.restrict(query, event_column)
    query = query.where(Participant.consultation_id == scope.consultation.id)
    if scope.options.group_id is not None:
        query = query.where(Participant.stakeholder_group_id == scope.options.group_id)
    if scope.options.region_id is not None:
        query = query.where(Participant.region_id == scope.options.region_id)
    return query


# ---------------------------------------------------------------- the consultation


def filters_entry(scope: Scope, refs: Refs) -> dict[str, Any]:
    options = scope.options
    return {
        "event": refs.event(options.event_id),
        "group": scope.groups.get(options.group_id) if options.group_id else None,
        "region": scope.regions.get(options.region_id) if options.region_id else None,
    }


def consultation_entry(scope: Scope) -> dict[str, Any]:
    consultation = scope.consultation
    entry: dict[str, Any] = {
        "title": consultation.title,
        "summary": consultation.summary,
        "language": consultation.language,
        "status": (consultation.status if scope.full else consultation.current_status).value,
        "closes_at": timestamp(consultation.closes_at),
        "privacy_notice": consultation.privacy_notice,
        "retention_days": consultation.retention_days,
        "groups": list(scope.groups.values()),
        "regions": list(scope.regions.values()),
    }
    if scope.full:
        entry |= {
            "id": consultation.id,
            "join_code": consultation.join_code,
            "joining_locked": consultation.joining_locked,
            "results_visibility": consultation.results_visibility.value,
            "premoderation": consultation.premoderation,
            "review_words": consultation.review_words,
            "created_at": timestamp(consultation.created_at),
            "moderators": sorted(user.email for user in consultation.moderators),
        }
    return entry


def event_entries(scope: Scope, refs: Refs) -> Iterator[dict[str, Any]]:
    for event_id, ref in refs.events.items():
        event = scope.events[event_id]
        if not scope.full and event.is_rehearsal and event_id != scope.options.event_id:
            continue
        entry = {
            "id": ref,
            "title": event.title,
            "format": event.format.value,
            "held_on": day(event.held_on),
            "place": event.place,
            "region": scope.regions.get(event.region_id) if event.region_id else None,
        }
        if scope.full:
            entry |= {
                "rehearsal": event.is_rehearsal,
                "started_at": timestamp(event.started_at),
                "ended_at": timestamp(event.ended_at),
                "created_at": timestamp(event.created_at),
            }
        yield entry


# ---------------------------------------------------------------- documents and items


def document_entries(scope: Scope, refs: Refs) -> Iterator[dict[str, Any]]:
    results = item_results(scope)
    versions = Aligned(
        stream(
            sa.select(
                TextVersion.item_id,
                TextVersion.number,
                TextVersion.text,
                TextVersion.note,
                TextVersion.author_id,
                TextVersion.created_at,
            )
            .join(Item, TextVersion.item_id == Item.id)
            .where(Item.consultation_id == scope.consultation.id)
            .order_by(TextVersion.item_id, TextVersion.number)
        )
    )
    # Item ids ascend in no particular document order: gather each item's versions first.
    item_versions = {
        item.id: [version_entry(scope, refs, row) for row in versions.take(item.id)]
        for item in sorted(scope.items, key=lambda item: item.id)
    }

    def item_entry(item: Item) -> dict[str, Any]:
        return {
            "ref": item.ref,
            "kind": item.kind.value,
            "title": item.title,
            "text": item.text,
            "milestone_year": item.milestone_year,
            "indicators": item.indicators,
            "responsible_actors": item.responsible_actors,
            "criteria": item.criteria,
            "applies_to": item.applies_to,
            "voting_open": item.voting_open,
            "results_revealed": item.results_revealed,
            "final_text": item.final_text,
            "final_version": item.final_version,
            "versions": item_versions[item.id],
            "results": results_entry(scope, results[item.id]),
        }

    for document in scope.documents:
        yield document_entry(document, item_entry)


def document_entry(document: Document, item_entry) -> dict[str, Any]:
    """A document with its sections; items outside any section stay on the document."""
    return {
        "kind": document.kind.value,
        "title": document.title,
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


def version_entry(scope: Scope, refs: Refs, row: sa.Row) -> dict[str, Any]:
    _item_id, number, text, note, author_id, created_at = row
    entry = {"number": number, "text": text, "note": note}
    if scope.full:
        entry |= {
            "author": refs.account(author_id),
            "created_at": timestamp(created_at),
        }
    return entry


def results_entry(scope: Scope, results: ItemResults) -> dict[str, Any]:
    """Figures from the votes in the export's scope (never from a rehearsal); in shared
    mode the figures of a group with fewer than 5 voters are suppressed."""
    shown = results if scope.full else public_view(results)
    consensus = consensus_of(results)
    return {
        **shown.overall.as_json(),
        "by_group": [{"group": group.name, **group.as_json()} for group in shown.by_group],
        "consensus": {
            "signal": consensus.signal.value,
            "spread": consensus.spread,
            "most": consensus.most.name if consensus.most else None,
            "least": consensus.least.name if consensus.least else None,
        },
    }


# ---------------------------------------------------------------- participants


def participant_entries(scope: Scope, refs: Refs) -> Iterator[dict[str, Any]]:
    query = sa.select(
        Participant.id,
        Participant.display_name,
        Participant.stakeholder_group_id,
        Participant.region_id,
        Participant.accepted_privacy_at,
        Participant.muted_at,
        Participant.erased_at,
        Participant.created_at,
    ).where(Participant.consultation_id == scope.consultation.id)
    if scope.options.group_id is not None:
        query = query.where(Participant.stakeholder_group_id == scope.options.group_id)
    if scope.options.region_id is not None:
        query = query.where(Participant.region_id == scope.options.region_id)
    for row in stream(query.order_by(Participant.id)):
        yield {
            "id": refs.participant(row.id),
            "display_name": row.display_name,
            "group": scope.groups[row.stakeholder_group_id],
            "region": scope.regions.get(row.region_id) if row.region_id else None,
            "accepted_privacy_at": timestamp(row.accepted_privacy_at),
            "muted_at": timestamp(row.muted_at),
            "erased_at": timestamp(row.erased_at),
            "created_at": timestamp(row.created_at),
        }


# ---------------------------------------------------------------- comments


def of_consultation(query, scope: Scope, comment_column):
    return (
        query.join(Comment, comment_column == Comment.id)
        .join(Item, Comment.item_id == Item.id)
        .where(Item.consultation_id == scope.consultation.id)
    )


def comment_entries(scope: Scope, refs: Refs) -> Iterator[dict[str, Any]]:
    tags = Aligned(
        stream(
            of_consultation(
                sa.select(comment_tag.c.comment_id, Tag.name).join(
                    Tag, comment_tag.c.tag_id == Tag.id
                ),
                scope,
                comment_tag.c.comment_id,
            ).order_by(comment_tag.c.comment_id, Tag.name)
        )
    )
    answers = Aligned(
        stream(
            of_consultation(
                sa.select(
                    ModeratorAnswer.comment_id,
                    ModeratorAnswer.body,
                    ModeratorAnswer.author_id,
                    ModeratorAnswer.created_at,
                ),
                scope,
                ModeratorAnswer.comment_id,
            ).order_by(ModeratorAnswer.comment_id, ModeratorAnswer.created_at, ModeratorAnswer.id)
        )
    )
    supporters = (
        Aligned(
            stream(
                of_consultation(
                    sa.select(Support.comment_id, Support.participant_id),
                    scope,
                    Support.comment_id,
                ).order_by(Support.comment_id, Support.participant_id)
            )
        )
        if scope.full
        else None
    )
    query = (
        sa.select(
            Comment.id,
            Comment.item_id,
            Comment.parent_id,
            Comment.participant_id,
            Participant.stakeholder_group_id,
            Participant.region_id,
            Comment.body,
            Comment.hidden,
            Comment.hidden_reason,
            Comment.hidden_note,
            Comment.awaiting_approval,
            Comment.merged_into_id,
            Comment.needs_review,
            Comment.pinned,
            Comment.flag_count,
            Comment.support_count,
            Comment.event_id,
            iso_time(Comment.created_at),
            *DISPOSITION_COLUMNS,
        )
        .join(Participant, Comment.participant_id == Participant.id)
        .outerjoin(Disposition, Disposition.comment_id == Comment.id)
    )
    query = scope.shown_comments(keep(scope, query, Comment.event_id)).order_by(Comment.id)
    for row in stream(query):
        entry: dict[str, Any] = {
            "id": refs.comments[row.id],
            "item": scope.refs[row.item_id],
            "parent": refs.comment(row.parent_id),
        }
        if scope.full:
            supported_by = [
                refs.participant(side.participant_id) for side in supporters.take(row.id)
            ]
            entry |= {
                "participant": refs.participant(row.participant_id),
                "body": row.body,
                "hidden": row.hidden,
                "hidden_reason": row.hidden_reason.value if row.hidden_reason else None,
                "hidden_note": row.hidden_note,
                "awaiting_approval": row.awaiting_approval,
                "merged_into": refs.comment(row.merged_into_id),
                "needs_review": row.needs_review,
                "pinned": row.pinned,
                "flags": row.flag_count,
                "supports": len(supported_by),
                "supporters": supported_by,
            }
        else:
            entry |= {
                "group": scope.groups[row.stakeholder_group_id],
                "region": scope.regions.get(row.region_id) if row.region_id else None,
                "body": row.body,
                "pinned": row.pinned,
                "supports": row.support_count,
            }
        entry |= {
            "tags": [side.name for side in tags.take(row.id)],
            "answers": [answer_entry(scope, refs, side) for side in answers.take(row.id)],
            "event": refs.event(row.event_id),
            "disposition": disposition_entry(scope, refs, row),
        }
        if scope.full:
            entry["created_at"] = timestamp(row.created_at)
        yield entry


def answer_entry(scope: Scope, refs: Refs, row: sa.Row) -> dict[str, Any]:
    if not scope.full:
        return {"body": row.body}
    return {
        "body": row.body,
        "author": refs.account(row.author_id),
        "created_at": timestamp(row.created_at),
    }


# Outer-joined to a comment's or an amendment's row: ``outcome`` is None without one.
DISPOSITION_COLUMNS = (
    Disposition.outcome,
    Disposition.rationale,
    Disposition.passage,
    Disposition.decided_by_id,
    Disposition.decided_at,
)


def disposition_entry(scope: Scope, refs: Refs, row: sa.Row) -> dict[str, Any] | None:
    if row.outcome is None:
        return None
    entry = {"outcome": row.outcome.value, "rationale": row.rationale, "passage": row.passage}
    if scope.full:
        entry |= {
            "decided_by": refs.account(row.decided_by_id),
            "decided_at": timestamp(row.decided_at),
        }
    return entry


# ---------------------------------------------------------------- votes


def vote_entries(scope: Scope, refs: Refs) -> Iterator[dict[str, Any]]:
    if scope.full:
        query = sa.select(
            Vote.item_id,
            Vote.participant_id,
            Vote.value,
            Vote.event_id,
            iso_time(Vote.created_at),
            iso_time(Vote.updated_at),
        ).join(Participant, Vote.participant_id == Participant.id)
        # The longest array of all: names looked up in plain dicts, rows unpacked.
        items, participants, events = scope.refs, refs.participants, refs.events
        rows = stream(keep(scope, query, Vote.event_id).order_by(Vote.id))
        for item_id, participant_id, value, event_id, created_at, updated_at in rows:
            yield {
                "item": items[item_id],
                "participant": participants[participant_id],
                "value": value.value,
                "event": events.get(event_id),
                "created_at": created_at,  # written by the database (``iso_time``)
                "updated_at": updated_at,
            }
        return
    # The order of the tabular exports' votes table, so that pseudonyms match theirs.
    query = sa.select(
        Vote.item_id,
        Vote.participant_id,
        Participant.stakeholder_group_id,
        Participant.region_id,
        Vote.value,
        Vote.event_id,
    ).join(Participant, Vote.participant_id == Participant.id)
    query = keep(scope, in_draft_order(query, Vote.item_id), Vote.event_id).order_by(
        Document.position, Item.position, Vote.participant_id
    )
    voters = refs.voters  # counted before the votes' cursor opens
    for row in stream(query):
        group, region, withheld = voters[row.stakeholder_group_id, row.region_id]
        yield {
            "item": scope.refs[row.item_id],
            "participant": refs.participant(row.participant_id),
            "group": group,
            "region": region,
            "withheld": withheld,
            "value": row.value.value,
            "event": refs.event(row.event_id),
        }


# ---------------------------------------------------------------- amendments


def amendment_entries(scope: Scope, refs: Refs) -> Iterator[dict[str, Any]]:
    votes = Aligned(
        stream(
            keep(
                scope,
                sa.select(
                    AmendmentVote.amendment_id,
                    AmendmentVote.participant_id,
                    Participant.stakeholder_group_id,
                    Participant.region_id,
                    AmendmentVote.value,
                    AmendmentVote.event_id,
                    AmendmentVote.updated_at,
                ).join(Participant, AmendmentVote.participant_id == Participant.id),
                AmendmentVote.event_id,
            ).order_by(AmendmentVote.amendment_id, AmendmentVote.participant_id)
        )
    )
    query = (
        sa.select(
            Amendment.id,
            Amendment.item_id,
            Amendment.participant_id,
            Participant.stakeholder_group_id,
            Participant.region_id,
            Amendment.base_text,
            Amendment.text,
            Amendment.reason,
            Amendment.status,
            Amendment.hidden,
            Amendment.event_id,
            Amendment.created_at,
            *DISPOSITION_COLUMNS,
        )
        .join(Participant, Amendment.participant_id == Participant.id)
        .outerjoin(Disposition, Disposition.amendment_id == Amendment.id)
    )
    query = scope.shown_amendments(keep(scope, query, Amendment.event_id)).order_by(Amendment.id)
    for row in stream(query):
        entry: dict[str, Any] = {"id": refs.amendments[row.id], "item": scope.refs[row.item_id]}
        if scope.full:
            entry["participant"] = refs.participant(row.participant_id)
        else:
            entry |= {
                "group": scope.groups[row.stakeholder_group_id],
                "region": scope.regions.get(row.region_id) if row.region_id else None,
            }
        entry |= {
            "base_text": row.base_text,
            "text": row.text,
            "reason": row.reason,
            "status": row.status.value,
        }
        if scope.full:
            entry["hidden"] = row.hidden
        entry |= {
            "event": refs.event(row.event_id),
            "votes": [amendment_vote_entry(scope, refs, vote) for vote in votes.take(row.id)],
            "disposition": disposition_entry(scope, refs, row),
        }
        if scope.full:
            entry["created_at"] = timestamp(row.created_at)
        yield entry


def amendment_vote_entry(scope: Scope, refs: Refs, row: sa.Row) -> dict[str, Any]:
    entry = {"participant": refs.participant(row.participant_id)}
    if not scope.full:
        # The pseudonym is the one of the votes on items: withhold what they withhold.
        group, region, withheld = refs.voters[row.stakeholder_group_id, row.region_id]
        entry |= {"group": group, "region": region, "withheld": withheld}
    entry |= {"value": row.value.value, "event": refs.event(row.event_id)}
    if scope.full:
        entry["updated_at"] = timestamp(row.updated_at)
    return entry


# ---------------------------------------------------------------- publications


def publication_entries(scope: Scope, refs: Refs) -> Iterator[dict[str, Any]]:
    query = (
        sa.select(Publication)
        .where(Publication.consultation_id == scope.consultation.id)
        .order_by(Publication.revision)
    )
    for publication in db.session.scalars(query):
        entry: dict[str, Any] = {"revision": publication.revision, "note": publication.note}
        if scope.full:
            entry |= {
                "published_by": refs.account(publication.published_by_id),
                "published_at": timestamp(publication.published_at),
            }
        else:
            entry["published_on"] = day(publication.published_at)
        entry["snapshot"] = with_refs(publication.snapshot, scope, refs)
        yield entry


def with_refs(snapshot: dict[str, Any], scope: Scope, refs: Refs) -> dict[str, Any]:
    """A copy of a publication's snapshot with the export's refs for the database ids it
    holds: items by their ref, comments and amendments by their C and A refs (``None``
    for what no longer exists)."""
    copied = json.loads(json.dumps(snapshot))
    subjects = {"comment": refs.comments, "amendment": refs.amendments}
    for item in snapshot_items(copied):
        item["id"] = scope.refs.get(item["id"])
        for response in item["dispositions"]:
            response["id"] = subjects[response["subject"]].get(response["id"])
    return copied
