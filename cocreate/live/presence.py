"""Who is connected right now, per consultation: in memory, or in Redis when processes share.

Counts are per participant (a participant with two tabs is one person), with their
stakeholder group and region for the moderator's breakdown.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Headcount:
    total: int
    by_group: dict[int, int]
    by_region: dict[int, int]


def headcount(members: dict[int, str]) -> Headcount:
    """``members`` maps participant id → "group_id:region_id" (region may be empty)."""
    groups: Counter[int] = Counter()
    regions: Counter[int] = Counter()
    for label in members.values():
        group, _, region = label.partition(":")
        groups[int(group)] += 1
        if region:
            regions[int(region)] += 1
    return Headcount(len(members), dict(groups), dict(regions))


class MemoryPresence:
    """Running totals, so that a connect costs the same with 5 or 5,000 people in the room."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: dict[int, Counter[int]] = defaultdict(Counter)
        self.labels: dict[int, dict[int, str]] = defaultdict(dict)
        self.groups: dict[int, Counter[int]] = defaultdict(Counter)
        self.regions: dict[int, Counter[int]] = defaultdict(Counter)

    def arrive(self, consultation_id: int, participant_id: int, label: str) -> None:
        with self.lock:
            counts = self.connections[consultation_id]
            counts[participant_id] += 1
            if counts[participant_id] == 1:  # a person, not a second tab
                self.labels[consultation_id][participant_id] = label
                self.tally(consultation_id, label, +1)

    def leave(self, consultation_id: int, participant_id: int) -> None:
        with self.lock:
            counts = self.connections[consultation_id]
            if counts[participant_id] <= 0:
                return
            counts[participant_id] -= 1
            if counts[participant_id] == 0:
                del counts[participant_id]
                label = self.labels[consultation_id].pop(participant_id)
                self.tally(consultation_id, label, -1)

    def tally(self, consultation_id: int, label: str, step: int) -> None:
        group, _, region = label.partition(":")
        self.groups[consultation_id][int(group)] += step
        if region:
            self.regions[consultation_id][int(region)] += step

    def count(self, consultation_id: int) -> Headcount:
        with self.lock:
            return Headcount(
                len(self.labels[consultation_id]),
                {g: n for g, n in self.groups[consultation_id].items() if n > 0},
                {r: n for r, n in self.regions[consultation_id].items() if n > 0},
            )


class RedisPresence:
    """Shared by every server process. A process that dies leaves its counts behind until
    those participants reconnect and leave again; good enough for a headcount."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def keys(self, consultation_id: int) -> tuple[str, str]:
        return (
            f"{self.prefix}:presence:{consultation_id}",
            f"{self.prefix}:presence-labels:{consultation_id}",
        )

    def arrive(self, consultation_id: int, participant_id: int, label: str) -> None:
        connections, labels = self.keys(consultation_id)
        with self.redis.pipeline() as pipe:
            pipe.hincrby(connections, participant_id, 1)
            pipe.hset(labels, participant_id, label)
            pipe.execute()

    def leave(self, consultation_id: int, participant_id: int) -> None:
        connections, labels = self.keys(consultation_id)
        if self.redis.hincrby(connections, participant_id, -1) <= 0:
            with self.redis.pipeline() as pipe:
                pipe.hdel(connections, participant_id)
                pipe.hdel(labels, participant_id)
                pipe.execute()

    def count(self, consultation_id: int) -> Headcount:
        _, labels = self.keys(consultation_id)
        raw = self.redis.hgetall(labels)
        return headcount({int(k): v.decode() for k, v in raw.items()})
