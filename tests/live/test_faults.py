"""Bad input and faults, against the server as deployed (gunicorn, gevent-websocket worker,
production settings) on a SQLite file: foreign origins and strangers are refused, long-polling
works when WebSocket is blocked, junk on one socket harms nobody else, and a SIGKILL loses no
acknowledged vote or comment while clients reconnect and resync by themselves."""

from __future__ import annotations

import http.client
import itertools
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

import pytest
import socketio
import websocket
from servers import (
    Demo,
    Listener,
    ServerProcess,
    call_api,
    join,
    prepare_database,
    server_environment,
)

FOREIGN_ORIGIN = "http://evil.example"
BUFFER_LIMIT = 64 * 1024  # max_http_buffer_size in cocreate.init_socketio


@dataclass(frozen=True)
class Site:
    server: ServerProcess
    demo: Demo
    other: Demo  # a second consultation, which the test participants never join


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    url = f"sqlite:///{folder / 'live.db'}"
    demo, other = prepare_database(url, copies=2)
    with ServerProcess(server_environment(url), log_path=folder / "server.log") as server:
        yield Site(server, demo, other)
        assert server.running, server.log_tail()


def refusal(server: ServerProcess, auth, **options) -> str:
    """Connect, expect a refusal, and return the server's reason for it."""
    with Listener() as listener:
        with pytest.raises(socketio.exceptions.ConnectionError):
            listener.connect(server, auth, **options)
        return listener.wait_for("connect_error", timeout=2)["message"]


def page_session(server: ServerProcess, demo: Demo) -> str:
    """Join through the page as a browser does; returns its session cookie ("name=value").

    The production cookie is Secure, which a cookie jar would keep off plain HTTP, so the
    cookie is carried by hand.
    """
    with urllib.request.urlopen(f"{server.url}/join/{demo.join_code}", timeout=10) as page:  # noqa: S310
        cookie = page.headers["Set-Cookie"].split(";")[0]
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())[1]
    form = {"csrf_token": csrf, "stakeholder_group": "Industry", "accept_privacy": "y"}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(
            "POST",
            f"/join/{demo.join_code}",
            urllib.parse.urlencode(form),
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        )
        response = connection.getresponse()
        assert response.status == 302, response.read()[:500]
        return response.headers["Set-Cookie"].split(";")[0]
    finally:
        connection.close()


# Refusals.


def engineio_greeting(server: ServerProcess, origin: str) -> str:
    """What the server first says on a WebSocket opened from ``origin``: Engine.IO's open
    packet ("0{...}"), or nothing when it refuses. (gevent-websocket completes the WebSocket
    handshake before the app can look at the Origin, so a refusal is a close, not a 400.)"""
    address = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    raw = websocket.create_connection(address, timeout=5, origin=origin)
    try:
        return raw.recv() or ""
    except websocket.WebSocketConnectionClosedException:
        return ""
    finally:
        raw.close()


def test_websocket_from_a_foreign_origin_is_refused(site):
    assert engineio_greeting(site.server, FOREIGN_ORIGIN) == ""
    assert engineio_greeting(site.server, site.server.url).startswith("0{")


def test_long_polling_from_a_foreign_origin_is_refused(site):
    token = join(site.server, site.demo)
    with Listener() as foreign:
        with pytest.raises(socketio.exceptions.ConnectionError, match="400"):
            foreign.connect(
                site.server,
                {"token": token},
                transports=("polling",),
                headers={"Origin": FOREIGN_ORIGIN},
            )
    with Listener() as own:
        own.connect(
            site.server,
            {"token": token},
            transports=("polling",),
            headers={"Origin": site.server.url},
        )
        assert own.wait_for("state")["consultation"]["id"] == site.demo.consultation_id


@pytest.mark.parametrize(
    "auth",
    [
        None,
        {},
        {"token": "x" * 43},
        {"token": 12345},
        {"token": "x" * 5000},
        {"consultation_id": "not a number"},
        {"role": "superuser"},
    ],
    ids=["nothing", "empty", "unknown-token", "token-not-text", "huge-token", "bad-id", "role"],
)
def test_socket_without_valid_credentials_is_refused(site, auth):
    assert refusal(site.server, auth)


def test_socket_with_a_consultation_id_but_no_session_is_refused(site):
    reason = refusal(site.server, {"consultation_id": site.demo.consultation_id})
    assert reason == "join this consultation first"


def test_forged_session_cookie_is_refused(site):
    reason = refusal(
        site.server,
        {"consultation_id": site.demo.consultation_id},
        headers={"Cookie": "session=eyJwYXJ0aWNpcGFudHMiOnsiMSI6MX19.forged.signature"},
    )
    assert reason == "join this consultation first"


def test_page_session_reaches_its_own_consultation_only(site):
    cookie = page_session(site.server, site.demo)

    with Listener() as own:
        own.connect(
            site.server, {"consultation_id": site.demo.consultation_id}, headers={"Cookie": cookie}
        )
        assert own.wait_for("state")["consultation"]["id"] == site.demo.consultation_id
    reason = refusal(
        site.server, {"consultation_id": site.other.consultation_id}, headers={"Cookie": cookie}
    )
    assert reason == "join this consultation first"


def test_token_asking_for_a_consultation_it_did_not_join_is_refused(site):
    token = join(site.server, site.demo)
    reason = refusal(site.server, {"token": token, "consultation_id": site.other.consultation_id})
    assert reason == "this token belongs to another consultation"
    with Listener() as own:
        own.connect(site.server, {"token": token, "consultation_id": site.demo.consultation_id})
        assert own.wait_for("state")["consultation"]["id"] == site.demo.consultation_id


@pytest.mark.parametrize("role", ["moderator", "projector"])
def test_participant_cannot_connect_as_moderator_or_projector(site, role):
    token = join(site.server, site.demo)
    reason = refusal(
        site.server, {"role": role, "token": token, "consultation_id": site.demo.consultation_id}
    )
    assert reason == "moderators of this consultation only"


# WebSocket blocked.


def test_client_limited_to_long_polling_gets_state_and_pushes(site):
    token = join(site.server, site.demo)
    item_id = site.demo.item_ids[1]
    with Listener() as listener:
        listener.connect(site.server, {"token": token}, transports=("polling",))
        assert listener.client.transport() == "polling"
        assert listener.wait_for("state")["consultation"]["id"] == site.demo.consultation_id
        since = listener.mark()

        vote = call_api(
            site.server, "PUT", f"/api/v1/items/{item_id}/vote", {"value": "neutral"}, token=token
        )
        comment = call_api(
            site.server,
            "POST",
            f"/api/v1/items/{item_id}/comments",
            {"body": "Heard by polling"},
            token=token,
        )

        assert (vote.status, comment.status) == (200, 201)
        assert listener.wait_for("tally", lambda t: t["item_id"] == item_id, after=since)
        pushed = listener.wait_for("comment", lambda c: c["id"] == comment.body["id"], after=since)
        assert pushed["body"] == "Heard by polling"


# Oversized and malformed messages.


@pytest.fixture
def watcher(site):
    """A participant on WebSocket who must keep receiving pushes whatever others send."""
    with Listener() as listener:
        listener.connect(site.server, {"token": join(site.server, site.demo)})
        listener.wait_for("state")
        yield listener


def assert_pushes_still_arrive(site: Site, watcher: Listener) -> None:
    voter = join(site.server, site.demo, group="Other")
    item_id = site.demo.item_ids[2]
    since = watcher.mark()
    vote = call_api(
        site.server, "PUT", f"/api/v1/items/{item_id}/vote", {"value": "agree"}, token=voter
    )
    assert vote.status == 200, vote
    watcher.wait_for("tally", lambda t: t["item_id"] == item_id, after=since)
    assert site.server.running, site.server.log_tail()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_oversized_message_is_dropped_without_harming_others(site, watcher, transport):
    with Listener() as offender:
        offender.connect(
            site.server, {"token": join(site.server, site.demo)}, transports=(transport,)
        )
        offender.wait_for("state")
        since = offender.mark()

        offender.client.emit("sync", "x" * (BUFFER_LIMIT + 1024))

        # The server refuses the message (and may drop the connection): it never answers it.
        with pytest.raises(AssertionError):
            offender.wait_for("state", after=since, timeout=1)
        assert_pushes_still_arrive(site, watcher)


MALFORMED_FRAMES = {
    "empty": "",
    "unknown-engineio-type": "9garbage",
    "unknown-socketio-type": "4garbage{",
    "truncated-json": '42["voted", {"item_id": ',
    "binary-junk": b"\x00\xff\x10\x80",
    "not-an-event-list": '42{"voted": 1}',
    "unknown-event": '42["drop_tables", {}]',
    "wrong-argument": '42["voted", "everything"]',
    "huge-item-id": '42["voted", {"item_id": 99999999999999999999}]',
    "oversized": "42" + json.dumps(["sync", "x" * (BUFFER_LIMIT + 1024)]),
}


def raw_socket(server: ServerProcess, token: str) -> websocket.WebSocket:
    """An Engine.IO v4 / Socket.IO v5 connection spoken by hand, authenticated, past its
    first "state"."""
    address = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    raw = websocket.create_connection(address, timeout=5, origin=server.url)
    assert raw.recv().startswith("0{")  # Engine.IO open
    raw.send("40" + json.dumps({"token": token}))
    frames = [raw.recv() for _ in range(2)]  # the connect acknowledgement and the state
    assert any(frame.startswith("40{") for frame in frames), frames
    assert any(frame.startswith('42["state"') for frame in frames), frames
    return raw


@pytest.mark.parametrize("frame", MALFORMED_FRAMES.values(), ids=MALFORMED_FRAMES.keys())
def test_malformed_frame_is_dropped_without_harming_others(site, watcher, frame):
    raw = raw_socket(site.server, join(site.server, site.demo))
    try:
        if isinstance(frame, bytes):
            raw.send_binary(frame)
        else:
            raw.send(frame)
        assert_pushes_still_arrive(site, watcher)
    finally:
        raw.close()


# SIGKILL mid-session.


@dataclass
class Acknowledged:
    """What the server confirmed (200/201) before, during and after the crash."""

    votes: dict[tuple[int, int], str] = field(default_factory=dict)  # (voter, item) → value
    comments: dict[int, str] = field(default_factory=dict)  # id → body
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.votes) + len(self.comments)


VALUES = ["strongly_agree", "agree", "neutral", "disagree", "strongly_disagree"]
# Four participants taking turns every 0.15 s stay under 120 actions a minute each.
PACE = 0.15


def keep_writing(
    server: ServerProcess, demo: Demo, tokens: list[str], done: Acknowledged, stop: threading.Event
) -> None:
    """Vote and comment in turns until told to stop. Each vote is a participant's first on
    its item, so none overwrites another; a request without an answer is a failure."""
    turns = itertools.product(range(len(demo.item_ids)), range(len(tokens)))
    for number, (item_index, voter) in enumerate(turns):
        if stop.is_set():
            return
        try:
            acknowledged = write_once(
                server, demo.item_ids[item_index], tokens, voter, number, done
            )
        except (OSError, http.client.HTTPException):
            acknowledged = False
        if not acknowledged:
            with done.lock:
                done.failures += 1
        time.sleep(PACE)


def write_once(
    server: ServerProcess,
    item_id: int,
    tokens: list[str],
    voter: int,
    number: int,
    done: Acknowledged,
) -> bool:
    token = tokens[voter]
    if number % 2:
        body = f"Comment {number}, written around a crash"
        answer = call_api(
            server, "POST", f"/api/v1/items/{item_id}/comments", {"body": body}, token=token
        )
        if answer.status == 201:
            with done.lock:
                done.comments[answer.body["id"]] = body
        return answer.status == 201
    value = VALUES[number % len(VALUES)]
    answer = call_api(server, "PUT", f"/api/v1/items/{item_id}/vote", {"value": value}, token=token)
    if answer.status == 200:
        with done.lock:
            done.votes[voter, item_id] = value
    return answer.status == 200


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.05)


def test_sigkill_loses_no_acknowledged_vote_or_comment_and_clients_resync(tmp_path):
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    [demo] = prepare_database(url)
    server = ServerProcess(server_environment(url), log_path=tmp_path / "server.log")
    stop = threading.Event()
    done = Acknowledged()
    with server, Listener(reconnection=True) as listener:
        groups = ["Industry", "Government and policy", "Civil society and NGOs", "Other"]
        tokens = [join(server, demo, group) for group in groups]
        listener.connect(server, {"token": tokens[0]})
        listener.wait_for("state")
        writer = threading.Thread(target=keep_writing, args=(server, demo, tokens, done, stop))
        writer.start()
        try:
            wait_until(lambda: done.count() >= 10, 15, "ten acknowledged actions")
            before_crash = listener.mark()

            server.kill()
            wait_until(lambda: done.failures >= 1, 10, "a write failing while the server is down")
            server.start()

            listener.wait_for("disconnect", after=before_crash, timeout=10)
            listener.wait_for("connect", after=before_crash, timeout=15)
            state = listener.wait_for("state", after=before_crash, timeout=5)
            assert state["participant"]["id"]
            acknowledged_at_restart = done.count()
            wait_until(
                lambda: done.count() >= acknowledged_at_restart + 4, 15, "writes after restart"
            )
        finally:
            stop.set()
            writer.join(15)
        assert not writer.is_alive()

        results = {
            item_id: call_api(server, "GET", f"/api/v1/items/{item_id}/results", token=tokens[0])
            for item_id in demo.item_ids
        }
        comments = {
            comment["id"]: comment["body"]
            for item_id in demo.item_ids
            for comment in call_api(
                server, "GET", f"/api/v1/items/{item_id}/comments", token=tokens[0]
            ).body["comments"]
        }

    acknowledged_votes = Counter((item_id, value) for (_, item_id), value in done.votes.items())
    for (item_id, value), count in acknowledged_votes.items():
        assert results[item_id].body["counts"][value] >= count, (item_id, value)
    assert {number: comments.get(number) for number in done.comments} == done.comments
    # Beyond what was acknowledged, at most the one request the kill cut off.
    stored_votes = sum(answer.body["votes"] for answer in results.values())
    assert 0 <= stored_votes + len(comments) - done.count() <= 1
