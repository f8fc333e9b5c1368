"""Scale-out as deployed: two gunicorn gevent-websocket processes share PostgreSQL and a
Redis message queue, so a vote sent to one reaches a socket connected to the other."""

from __future__ import annotations

import os

import pytest
import redis
from servers import (
    Listener,
    ServerProcess,
    call_api,
    drop_database,
    join,
    prepare_database,
    server_environment,
    start_all,
    unique_channel,
)

POSTGRES_URL = os.environ.get("COCREATE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("COCREATE_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (POSTGRES_URL and REDIS_URL),
        reason="set COCREATE_TEST_DATABASE_URL (PostgreSQL) and COCREATE_TEST_REDIS_URL "
        "to run two server processes against them",
    ),
]


@pytest.fixture
def channel():
    """This test's Socket.IO channel, which also prefixes every Redis key the servers write
    (presence, rate limits); those keys, and only those, are deleted afterwards."""
    name = unique_channel("scale-out")
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"*{name}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def demo():
    """The schema and the demo in the shared test database, left empty afterwards."""
    try:
        [demo] = prepare_database(POSTGRES_URL)
        yield demo
    finally:
        drop_database(POSTGRES_URL)


@pytest.fixture
def two_servers(demo, channel, tmp_path):
    # One environment for both: processes behind one address share SECRET_KEY and stores.
    environment = server_environment(POSTGRES_URL, redis_url=REDIS_URL, channel=channel)
    servers = [
        ServerProcess(dict(environment), log_path=tmp_path / f"server-{number}.log")
        for number in (1, 2)
    ]
    try:
        start_all(servers)
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_vote_sent_to_one_process_reaches_a_socket_on_the_other(demo, two_servers):
    first, second = two_servers
    token = join(first, demo)
    item_id = demo.item_ids[0]
    with Listener() as listener:
        listener.connect(second, {"token": token})
        assert listener.client.transport() == "websocket"
        state = listener.wait_for("state")
        assert state["consultation"]["id"] == demo.consultation_id
        since = listener.mark()

        vote = call_api(
            first, "PUT", f"/api/v1/items/{item_id}/vote", {"value": "agree"}, token=token
        )

        assert vote.status == 200, vote
        tally = listener.wait_for("tally", lambda t: t["item_id"] == item_id, after=since)
        assert tally["results"]["votes"] == 1
        assert tally["results"]["counts"]["agree"] == 1


def test_both_processes_count_the_same_participants(demo, two_servers):
    """Presence lives in Redis: each process reports sockets held by the other one too."""
    first, second = two_servers
    with Listener() as on_first, Listener() as on_second:
        on_first.connect(first, {"token": join(first, demo)})
        on_first.wait_for("state")
        since = on_first.mark()
        on_second.connect(second, {"token": join(second, demo)})

        assert on_second.wait_for("state")["presence"]["count"] == 2
        assert on_first.wait_for("presence", lambda p: p["count"] == 2, after=since)
