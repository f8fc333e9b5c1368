"""With REDIS_URL set, rate limits live in Redis, so every app process counts together."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import redis

REDIS_URL = os.environ.get("COCREATE_TEST_REDIS_URL")
PROJECT_ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not REDIS_URL, reason="set COCREATE_TEST_REDIS_URL=redis://host:port/db to run Redis tests"
    ),
]

# One app process (think: one gunicorn worker) posting wrong join codes. The limiter is a
# module-level extension holding one storage, so two apps in one interpreter would share
# it whatever the configuration: separate interpreters make "shared" mean "shared in Redis".
APP_PROCESS = """
import json, sys
from cocreate import create_app
from cocreate.extensions import db

settings, address, attempts = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
app = create_app(settings)
with app.app_context():
    db.create_all()
client = app.test_client()
statuses = [
    client.post("/join", data={"code": "ZZZZZZ"}, environ_base={"REMOTE_ADDR": address}).status_code
    for _ in range(attempts)
]
print(json.dumps({"statuses": statuses, "storage": app.config["RATELIMIT_STORAGE_URI"]}))
"""


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client):
    """A prefix no other run shares; its keys, and only those, are deleted afterwards."""
    run = os.environ.get("COCREATE_TEST_REDIS_PREFIX", "cocreate-test")  # set by .ci/run
    prefix = f"{run}-{secrets.token_hex(6)}"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"*{prefix}*", count=500))
    if keys:
        redis_client.delete(*keys)


def run_app_process(settings: dict, address: str, attempts: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", APP_PROCESS, json.dumps(settings), address, str(attempts)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_wrong_join_code_limit_is_shared_between_app_processes(tmp_path, redis_client, key_prefix):
    settings = {
        "COCREATE_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'redis.db'}",
        # Only REDIS_URL, as in production: the factory derives the limiter storage from it.
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": key_prefix,
        "WRONG_JOIN_CODE_RATE_LIMIT": "3/minute",
        "WTF_CSRF_ENABLED": False,
    }
    address = "198.51.100.7"  # the same venue address reaching two workers

    first = run_app_process(settings, address, attempts=4)
    assert first["storage"] == REDIS_URL
    assert first["statuses"] == [404, 404, 404, 429]
    assert list(redis_client.scan_iter(match=f"*{key_prefix}*")), "no rate-limit key in Redis"

    second = run_app_process(settings, address, attempts=1)
    assert second["statuses"] == [429]

    elsewhere = run_app_process(settings, "198.51.100.8", attempts=1)
    assert elsewhere["statuses"] == [404]
