"""Real server processes for tests and benchmarks, started as deployed: gunicorn with the
geventwebsocket worker (cocreate/gunicorn_conf.py) in production mode.

    [demo] = prepare_database(url)                     # schema + demo consultation
    with ServerProcess(server_environment(url, redis_url=...)) as server:
        server.url                                     # http://127.0.0.1:<free port>
        server.kill(); server.start()                  # SIGKILL, then again on that port
    drop_database(url)                                 # PostgreSQL: leave it empty

Every wait is bounded; ``stop()`` (and leaving the ``with``) ends the whole process group.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = PROJECT_ROOT / "cocreate" / "gunicorn_conf.py"
DEMO_JSON = PROJECT_ROOT / "cocreate" / "demo" / "renewable-energy-draft.json"
# Settings of the test process that must not leak into a server's environment.
INHERITED_SETTINGS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "COCREATE_", "FLASK_")


class ServerError(RuntimeError):
    """A server process did not start, or a set-up script failed."""


@dataclass(frozen=True)
class Demo:
    consultation_id: int
    join_code: str
    item_ids: list[int]


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unique_channel(label: str = "live") -> str:
    """A Socket.IO channel and Redis key prefix of this run's own; ``.ci/run`` deletes keys
    holding its ``COCREATE_TEST_REDIS_PREFIX`` even if a test dies before cleaning up."""
    run = os.environ.get("COCREATE_TEST_REDIS_PREFIX", "cocreate-test")
    return f"{run}-{label}-{secrets.token_hex(4)}"


def clean_environment() -> dict[str, str]:
    """This process's environment without its app settings."""
    return {
        name: value for name, value in os.environ.items() if not name.startswith(INHERITED_SETTINGS)
    }


def server_environment(
    database_url: str,
    *,
    redis_url: str | None = None,
    channel: str | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a production server: gevent, a fresh secret key, these stores.

    ``extra`` adds or overrides variables (e.g. ``COCREATE_JOIN_RATE_LIMIT``).
    """
    environment = clean_environment()
    environment.update(
        COCREATE_ENV="production",
        COCREATE_ASYNC_MODE="gevent",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        COCREATE_SOCKETIO_CHANNEL=channel or unique_channel(),
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        environment["REDIS_URL"] = redis_url
    environment.update(extra or {})
    return environment


@dataclass
class ServerProcess:
    """One gunicorn process (master and its gevent worker) on ``port``."""

    environment: dict[str, str]
    port: int = field(default_factory=free_port)
    # gunicorn's output; without a path, a temporary file that ``stop()`` deletes.
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    temporary_log: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start gunicorn and return once the app answers; raises ServerError otherwise."""
        start_all([self], timeout)
        return self

    def launch(self) -> None:
        if self.running:
            raise ServerError(f"the server on port {self.port} already runs")
        if self.log_path is None:
            handle, name = tempfile.mkstemp(prefix=f"cocreate-{self.port}-", suffix=".log")
            os.close(handle)
            self.log_path, self.temporary_log = Path(name), True
        command = [
            *[sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)],
            *["--bind", f"127.0.0.1:{self.port}"],
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: master and worker end together
            )

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise ServerError(f"the server on port {self.port} exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/openapi.json", timeout=2):  # noqa: S310
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise ServerError(f"the server on port {self.port} did not answer:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """gunicorn's quick shutdown (SIGINT), then SIGKILL if it is not over in ``timeout``.
        (SIGTERM would wait a second longer for sockets to finish.)"""
        self.signal_group(signal.SIGINT)
        try:
            if self.process is not None:
                self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        if self.temporary_log and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path, self.temporary_log = None, False

    def kill(self) -> None:
        """SIGKILL to master and worker at once, as a crash or an OOM kill would."""
        self.signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def signal_group(self, signum: int) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        try:
            os.killpg(self.process.pid, signum)  # the group this object started
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> ServerProcess:
        return self if self.running else self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def start_all(servers: list[ServerProcess], timeout: float = 30.0) -> None:
    """Start several servers side by side; if one fails, stop them all and raise."""
    try:
        for server in servers:
            server.launch()
        deadline = time.monotonic() + timeout
        for server in servers:
            server.wait_until_ready(max(deadline - time.monotonic(), 0.1))
    except BaseException:
        for server in servers:
            server.stop()
        raise


# Set-up scripts run in an interpreter of their own: create_app binds module-level
# extensions (Socket.IO, the limiter), which must not be rebound inside the test process.
PREPARE = """
import json, sys
from cocreate import create_app
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db

url, demo_path, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app({"COCREATE_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
demos = []
with app.app_context():
    db.drop_all()
    if copies:
        db.create_all()
    with open(demo_path, "rb") as source:
        spec = parse_draft(source.read(), "demo.json")
    for _ in range(copies):
        consultation = import_draft(spec)
        items = [item.id for document in consultation.documents for item in document.items]
        demos.append({"consultation_id": consultation.id,
                      "join_code": consultation.join_code, "item_ids": items})
    db.engine.dispose()
print(json.dumps(demos))
"""


def run_set_up(database_url: str, copies: int) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-c", PREPARE, database_url, str(DEMO_JSON), str(copies)],
        cwd=PROJECT_ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise ServerError(f"setting up {database_url} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepare_database(database_url: str, copies: int = 1) -> list[Demo]:
    """Drop what is there, create every table and import ``copies`` demo consultations
    (open, voting open on every item, no moderator)."""
    return [Demo(**demo) for demo in run_set_up(database_url, copies)]


def drop_database(database_url: str) -> None:
    """Drop every table ``prepare_database`` made: the database is left empty."""
    run_set_up(database_url, 0)


# Talking to a running server: the JSON API, and a Socket.IO client that keeps what it gets.


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def call_api(
    server: ServerProcess,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One JSON API request (10 s at most); error statuses are answers, not exceptions."""
    headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data, headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status, content = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, content = error.code, error.read()
    return Answer(status, json.loads(content) if content else None)


def join(server: ServerProcess, demo: Demo, group: str = "Industry") -> str:
    """Join the demo through the API; returns the participant's token."""
    answer = call_api(
        server,
        "POST",
        "/api/v1/join",
        {"code": demo.join_code, "stakeholder_group": group, "accept_privacy": True},
    )
    assert answer.status == 201, answer
    return answer.body["token"]


class Listener:
    """A python-socketio client that records every event, for waits with a deadline.

    ``mark()`` then ``wait_for(event, after=mark)`` waits for what arrives after a moment.
    """

    def __init__(self, *, reconnection: bool = False) -> None:
        self.client = socketio.Client(
            reconnection=reconnection,
            reconnection_delay=0.2,
            reconnection_delay_max=1,
            randomization_factor=0,
            handle_sigint=False,
        )
        self.received: list[tuple[str, Any]] = []
        self.changed = threading.Condition()
        self.client.on("*", self.record)
        self.client.on("connect", lambda: self.record("connect", None))
        self.client.on("disconnect", lambda *reason: self.record("disconnect", reason))
        # A refusal's reason (the server's ConnectionRefusedError message).
        self.client.on("connect_error", lambda data=None: self.record("connect_error", data))

    def record(self, event: str, payload: Any = None) -> None:
        with self.changed:
            self.received.append((event, payload))
            self.changed.notify_all()

    def connect(
        self,
        server: ServerProcess,
        auth: dict | None,
        *,
        transports: tuple[str, ...] = ("websocket",),
        headers: dict[str, str] | None = None,
    ) -> Listener:
        """Connect or raise ``socketio.exceptions.ConnectionError`` (refused, 10 s)."""
        self.client.connect(
            server.url,
            headers=headers or {},
            auth=auth,
            transports=list(transports),
            wait_timeout=10,
        )
        return self

    def mark(self) -> int:
        with self.changed:
            return len(self.received)

    def wait_for(
        self,
        event: str,
        accept: Callable[[Any], bool] = lambda payload: True,
        *,
        after: int = 0,
        timeout: float = 5.0,
    ) -> Any:
        """The first ``event`` since ``after`` that ``accept`` takes; AssertionError if none
        comes within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for name, payload in self.received[after:]:
                    if name == event and accept(payload):
                        return payload
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [name for name, _ in self.received[after:]]
                    raise AssertionError(f"no {event!r} within {timeout} s; got {seen}")
                self.changed.wait(remaining)

    def close(self) -> None:
        self.client.reconnection = False
        self.client.disconnect()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
