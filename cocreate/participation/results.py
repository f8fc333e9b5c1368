"""Vote tallies, overall and per stakeholder group, computed in one query for many items."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from cocreate.consultations.models import Consultation
from cocreate.extensions import db
from cocreate.live.models import LiveEvent
from cocreate.participation.models import AGREEMENT_SCORES, Participant, Vote, VoteValue

# Below this many voters a group's figures could reveal how a person voted.
SMALL_GROUP_THRESHOLD = 5
AGREE_VALUES = (VoteValue.STRONGLY_AGREE, VoteValue.AGREE)


@dataclass
class Tally:
    counts: dict[VoteValue, int] = field(default_factory=lambda: dict.fromkeys(VoteValue, 0))

    @property
    def votes(self) -> int:
        return sum(self.counts.values())

    @property
    def scored(self) -> int:
        """Votes that take a side or stay neutral; "no opinion" is participation only."""
        return self.votes - self.counts[VoteValue.NO_OPINION]

    @property
    def agree_share(self) -> float | None:
        if not self.scored:
            return None
        return round(sum(self.counts[v] for v in AGREE_VALUES) / self.scored, 4)

    @property
    def mean_score(self) -> float | None:
        if not self.scored:
            return None
        total = sum(AGREEMENT_SCORES[v] * n for v, n in self.counts.items() if v.score is not None)
        return round(total / self.scored, 2)

    def share_of(self, value: VoteValue) -> float:
        return self.counts[value] / self.votes if self.votes else 0.0

    def as_json(self) -> dict:
        return {
            "votes": self.votes,
            "counts": {value.value: n for value, n in self.counts.items()},
            "agree_share": self.agree_share,
            "mean_score": self.mean_score,
        }


@dataclass
class GroupTally:
    name: str
    tally: Tally
    suppressed: bool = False

    def as_json(self) -> dict:
        if self.suppressed:
            return {"suppressed": True}
        return self.tally.as_json()


@dataclass
class ItemResults:
    overall: Tally
    by_group: list[GroupTally]

    def as_json(self) -> dict:
        return {
            **self.overall.as_json(),
            "by_group": {group.name: group.as_json() for group in self.by_group},
        }


def in_scope(query, event_column, consultation_id: int, event_id: int | None):
    """Keep one event's rows, or every row that no rehearsal produced."""
    if event_id is not None:
        return query.where(event_column == event_id)
    rehearsals = (
        sa.select(LiveEvent.id)
        .where(LiveEvent.consultation_id == consultation_id, LiveEvent.is_rehearsal)
        .scalar_subquery()
    )
    return query.where(sa.or_(event_column.is_(None), event_column.not_in(rehearsals)))


def tally_items(
    consultation: Consultation,
    item_ids: list[int],
    *,
    moderator: bool = False,
    event_id: int | None = None,
) -> dict[int, ItemResults]:
    """Results for each item; outside moderator views small groups are suppressed.

    With ``event_id`` only votes last cast during that event count; without it, every vote
    except those cast during a rehearsal.
    """
    query = (
        sa.select(Vote.item_id, Participant.stakeholder_group_id, Vote.value, sa.func.count())
        .join(Participant, Vote.participant_id == Participant.id)
        .where(Vote.item_id.in_(item_ids))
        .group_by(Vote.item_id, Participant.stakeholder_group_id, Vote.value)
    )
    rows = db.session.execute(in_scope(query, Vote.event_id, consultation.id, event_id))
    return results_from_rows(consultation, item_ids, rows, moderator=moderator)


def results_from_rows(
    consultation: Consultation, subject_ids, rows, *, moderator: bool
) -> dict[int, ItemResults]:
    """Results per subject (an item, an amendment) from ``(subject id, group id, value,
    count)`` rows; outside moderator views small groups are suppressed."""
    overall: dict[int, Tally] = defaultdict(Tally)
    per_group: dict[tuple[int, int], Tally] = defaultdict(Tally)
    for subject_id, group_id, value, count in rows:
        overall[subject_id].counts[value] += count
        per_group[subject_id, group_id].counts[value] += count
    results = {}
    for subject_id in subject_ids:
        groups = []
        for group in consultation.stakeholder_groups:
            tally = per_group.get((subject_id, group.id), Tally())
            suppressed = not moderator and 0 < tally.votes < SMALL_GROUP_THRESHOLD
            groups.append(GroupTally(group.name, tally, suppressed))
        results[subject_id] = ItemResults(overall[subject_id], groups)
    return results


def public_view(results: ItemResults) -> ItemResults:
    """The same results as participants may see them: small groups suppressed."""
    return ItemResults(
        results.overall,
        [
            GroupTally(g.name, g.tally, 0 < g.tally.votes < SMALL_GROUP_THRESHOLD)
            for g in results.by_group
        ],
    )


# --- moderator views: the same votes split by region and by event -------------------------


def tally_by_region(consultation: Consultation, item_ids: list[int]) -> dict[int, list[GroupTally]]:
    """Each item's votes per region (moderators only: nothing suppressed), in one query.

    Regions without votes are listed with an empty tally; votes of participants who gave
    no region come last, under "No region given", when there are any.
    """
    query = (
        sa.select(Vote.item_id, Participant.region_id, Vote.value, sa.func.count())
        .join(Participant, Vote.participant_id == Participant.id)
        .where(Vote.item_id.in_(item_ids))
        .group_by(Vote.item_id, Participant.region_id, Vote.value)
    )
    per_region: dict[tuple[int, int | None], Tally] = defaultdict(Tally)
    for item_id, region_id, value, count in db.session.execute(
        in_scope(query, Vote.event_id, consultation.id, None)
    ):
        per_region[item_id, region_id].counts[value] += count
    results = {}
    for item_id in item_ids:
        rows = [
            GroupTally(region.name, per_region.get((item_id, region.id), Tally()))
            for region in consultation.regions
        ]
        if (item_id, None) in per_region:
            rows.append(GroupTally(_("No region given"), per_region[item_id, None]))
        results[item_id] = rows
    return results


def tally_by_event(consultation: Consultation, item_ids: list[int]) -> dict[int, list[GroupTally]]:
    """Each item's votes per live event they were last cast in, in one query.

    Rehearsals are left out; votes cast between events come last, under "Outside live
    events". Only events with votes on the item are listed.
    """
    query = (
        sa.select(Vote.item_id, LiveEvent.id, LiveEvent.title, Vote.value, sa.func.count())
        .outerjoin(LiveEvent, Vote.event_id == LiveEvent.id)
        .where(
            Vote.item_id.in_(item_ids),
            sa.or_(LiveEvent.id.is_(None), ~LiveEvent.is_rehearsal),
        )
        .group_by(Vote.item_id, LiveEvent.id, LiveEvent.title, LiveEvent.created_at, Vote.value)
        .order_by(Vote.item_id, LiveEvent.id.is_(None), LiveEvent.created_at, LiveEvent.id)
    )
    per_event: dict[int, dict[int | None, GroupTally]] = defaultdict(dict)
    for item_id, event_id, title, value, count in db.session.execute(query):
        events = per_event[item_id]
        if event_id not in events:
            events[event_id] = GroupTally(title if event_id else _("Outside live events"), Tally())
        events[event_id].tally.counts[value] += count
    return {item_id: list(per_event[item_id].values()) for item_id in item_ids}
