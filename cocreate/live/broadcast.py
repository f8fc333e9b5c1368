"""Pushes to connected screens, sent by a background task after the change is committed.

Requests only note what changed (a cheap set insert); the flusher turns that into emits:
tally updates coalesced to at most one per item per ``LIVE_TALLY_INTERVAL``, participant
counts to one per consultation per ``LIVE_PRESENCE_INTERVAL``. A request never waits for a
fan-out to a thousand sockets. With ``REDIS_URL`` the emits reach every server process.

Rooms, all derived by the server (a client never names one):
``c<id>`` participants, ``c<id>:mod`` moderators, ``c<id>:screen`` projectors,
``c<id>:voted:<item>`` participants who voted on an item (for "results after voting").
"""

from __future__ import annotations

import threading
import time
from collections import deque

import sqlalchemy as sa
from flask import Flask, current_app

from cocreate.consultations.models import Consultation, ResultsVisibility
from cocreate.drafts.models import Item
from cocreate.extensions import db, socketio
from cocreate.live.presence import MemoryPresence, RedisPresence


def participants_room(consultation_id: int) -> str:
    return f"c{consultation_id}"


def moderators_room(consultation_id: int) -> str:
    return f"c{consultation_id}:mod"


def screen_room(consultation_id: int) -> str:
    return f"c{consultation_id}:screen"


def voted_room(consultation_id: int, item_id: int) -> str:
    return f"c{consultation_id}:voted:{item_id}"


def public_rooms(consultation_id: int) -> list[str]:
    return [participants_room(consultation_id), screen_room(consultation_id)]


class Broadcaster:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.inline = app.config["LIVE_PUSH_INLINE"]
        self.tally_interval = app.config["LIVE_TALLY_INTERVAL"]
        self.presence_interval = app.config["LIVE_PRESENCE_INTERVAL"]
        redis_url = app.config.get("REDIS_URL")
        self.presence = (
            RedisPresence(redis_url, app.config["SOCKETIO_CHANNEL"])
            if redis_url
            else MemoryPresence()
        )
        self.lock = threading.Lock()
        self.outbox: deque[tuple[str, dict, list[str]]] = deque()
        self.tallies: set[tuple[int, int]] = set()
        self.headcounts: set[int] = set()
        self.worker_started = False
        self.last_presence_flush = 0.0

    # What requests and socket handlers call, after their commit.

    def emit(self, event: str, payload: dict, rooms: list[str]) -> None:
        with self.lock:
            self.outbox.append((event, payload, rooms))
        self.wake()

    def tally_changed(self, consultation_id: int, item_id: int) -> None:
        with self.lock:
            self.tallies.add((consultation_id, item_id))
        self.wake()

    def presence_changed(self, consultation_id: int) -> None:
        with self.lock:
            self.headcounts.add(consultation_id)
        self.wake()

    def wake(self) -> None:
        if self.inline:
            self.flush(force=True)
        elif not self.worker_started:
            self.worker_started = True
            socketio.start_background_task(self.run)

    # The background side.

    def run(self) -> None:
        took = 0.0
        while True:
            # A flush starts an interval after the last one started, and not before the
            # sockets sent what that one queued: the sleep(0) below returns (under gevent)
            # once every socket writer it woke has run. A fan-out slower than the interval
            # (thousands of clients) then stretches the coalescing instead of stacking
            # tallies up in every socket's queue (bench/live_session.py, 5,000 clients).
            socketio.sleep(max(0.0, self.tally_interval - took))
            started = time.monotonic()
            try:
                self.flush()
            except Exception:  # a bad push must not stop every later one
                self.app.logger.exception("live push failed")
            socketio.sleep(0)
            took = time.monotonic() - started

    def flush(self, *, force: bool = False) -> None:
        with self.lock:
            outbox, self.outbox = self.outbox, deque()
            tallies, self.tallies = self.tallies, set()
            now = time.monotonic()
            headcounts: set[int] = set()
            if force or now - self.last_presence_flush >= self.presence_interval:
                headcounts, self.headcounts = self.headcounts, set()
                self.last_presence_flush = now
        for event, payload, rooms in outbox:
            for room in rooms:
                socketio.emit(event, payload, to=room)
        if tallies or headcounts:
            with self.app.app_context():
                self.send_tallies(tallies)
                for consultation_id in headcounts:
                    self.send_headcount(consultation_id)
                db.session.remove()

    def send_tallies(self, pending: set[tuple[int, int]]) -> None:
        from cocreate.live.payloads import tally_payloads

        by_consultation: dict[int, list[int]] = {}
        for consultation_id, item_id in pending:
            by_consultation.setdefault(consultation_id, []).append(item_id)
        for consultation_id, item_ids in by_consultation.items():
            consultation = db.session.get(Consultation, consultation_id)
            if consultation is None:
                continue
            items = db.session.scalars(sa.select(Item).where(Item.id.in_(item_ids))).all()
            for item, moderator_view, public_view in tally_payloads(consultation, items):
                socketio.emit("tally", moderator_view, to=moderators_room(consultation_id))
                for room in tally_rooms(consultation, item):
                    socketio.emit("tally", public_view, to=room)

    def send_headcount(self, consultation_id: int) -> None:
        from cocreate.live.payloads import headcount_payloads

        consultation = db.session.get(Consultation, consultation_id)
        if consultation is None:
            return
        moderator_view, public_view = headcount_payloads(
            consultation, self.presence.count(consultation_id)
        )
        socketio.emit("presence", moderator_view, to=moderators_room(consultation_id))
        for room in public_rooms(consultation_id):
            socketio.emit("presence", public_view, to=room)


def tally_rooms(consultation: Consultation, item: Item) -> list[str]:
    """Where participants' results may go, by the consultation's visibility setting."""
    visibility = consultation.results_visibility
    if visibility is ResultsVisibility.IMMEDIATE or item.results_revealed:
        return public_rooms(consultation.id)
    if visibility is ResultsVisibility.AFTER_VOTE:
        return [voted_room(consultation.id, item.id)]
    return []


def broadcaster() -> Broadcaster:
    return current_app.extensions["cocreate.broadcaster"]


def init_app(app: Flask) -> None:
    app.extensions["cocreate.broadcaster"] = Broadcaster(app)
