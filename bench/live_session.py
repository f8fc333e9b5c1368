"""A live session under load: N participants on Socket.IO while votes and comments flow.

    .venv/bin/python bench/live_session.py --participants 1000 --rate 100 --seconds 20
    .venv/bin/python bench/live_session.py --participants 2000 --rate 100 --seconds 20 \
        --processes 2

Starts the app as deployed (``gunicorn -c cocreate/gunicorn_conf.py``, one gevent-websocket
worker per process): one process on SQLite, or P processes on P ports sharing a PostgreSQL
database and a Redis message queue of the run's own. Joins N participants through the API,
connects each with a lean Socket.IO client (bench/leanclient.py, in one or more generator
processes) and has a driver vote and comment on one item at ``--rate`` actions a second
from random participants (every ``--comment-every``th action a comment).

For every action it takes the moment the HTTP response arrived, and for every connected
participant the first push reflecting it: for a comment the "comment" with its id, for a
vote the first "tally" of the item that arrived after the response and counts at least as
many voters as had been acknowledged by then (see ``Actions``). An action's latency is the
time until the last participant had it; p50/p95/p99 are over actions (an action some
participant never got counts as infinitely late). The same fan-out then runs on a bare
python-socketio server (bench/bare_server.py) with the same clients, rate, pacing and
payload sizes, and ``bare_ratio`` is the app's p95 over the bare server's.

The last line printed is one JSON object with the figures. Every process started here is
stopped on exit, Ctrl-C or error, and the run's database and Redis keys are removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import leanclient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "cocreate" / "demo" / "renewable-energy-draft.json"
HOST = "127.0.0.1"
POSTGRES = {"host": HOST, "port": 5432, "user": "postgres"}
REDIS = f"redis://{HOST}:6379"
VOTE_VALUES = ["strongly_agree", "agree", "neutral", "disagree", "strongly_disagree"]
UNLIMITED = "1000000/minute"
SETTLE_SECONDS = 2.0
DRAIN_TIMEOUT = 30.0
MAX_INFLIGHT = 500
JOIN_CONCURRENCY = 32


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return math.nan
    return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))]


def histogram_percentile(histogram: Counter, q: float) -> float:
    total = sum(histogram.values())
    if not total:
        return math.nan
    rank = math.ceil(q / 100 * total)
    seen = 0
    for millisecond in sorted(histogram):
        seen += histogram[millisecond]
        if seen >= rank:
            return millisecond / 1000
    return math.inf


# Processes, files, database: everything the run makes, and how to undo it.


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path
    worker_pid: int | None = None

    def pid(self) -> int:
        return self.worker_pid or self.process.pid


@dataclass
class Run:
    workdir: Path
    keep_logs: bool = False
    servers: list[Server] = field(default_factory=list)
    generators: list = field(default_factory=list)
    database: str | None = None
    redis_db: int | None = None
    channel: str | None = None

    def start_server(self, argv: list[str], env: dict, port: int, name: str) -> Server:
        log = self.workdir / f"{name}-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                argv,
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us, and we stop the whole group
                preexec_fn=die_with_parent,
            )
        server = Server(port, process, log)
        self.servers.append(server)
        return server

    def stop_servers(self) -> None:
        for server in self.servers:
            signal_group(server.process, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for server in self.servers:
            try:
                server.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                signal_group(server.process, signal.SIGKILL)
                server.process.wait(5)
        self.servers = []

    def cleanup(self) -> None:
        for generator in self.generators:
            generator.stop()
        self.generators = []
        self.stop_servers()
        if self.database:
            drop_database(self.database)
            self.database = None
        if self.redis_db is not None:
            forget_redis_keys(self.redis_db, self.channel)
            self.redis_db = None
        if self.keep_logs:
            for path in self.workdir.glob("*.db*"):
                path.unlink()
            print(f"server logs kept in {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def die_with_parent() -> None:
    """In the child before exec: even if this script is killed with SIGKILL, Linux sends
    the server SIGTERM (PR_SET_PDEATHSIG), and gunicorn's worker follows its master."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def signal_group(process: subprocess.Popen, sig: int) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(**POSTGRES, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(**POSTGRES, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_redis_db() -> int:
    """A Redis database number nobody uses now (the high ones first)."""
    import redis

    for number in range(15, 1, -1):
        if redis.Redis.from_url(f"{REDIS}/{number}").dbsize() == 0:
            return number
    raise RuntimeError("no empty Redis database between 2 and 15")


def forget_redis_keys(number: int, channel: str | None) -> None:
    """Our presence keys and rate-limit counters; nothing else in that database."""
    import redis

    client = redis.Redis.from_url(f"{REDIS}/{number}")
    for pattern in (f"{channel}:*", "LIMITS*"):
        keys = list(client.scan_iter(pattern, count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


class GeneratorProcess:
    """A process of lean listeners, driven through a pipe."""

    def __init__(self, context) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=leanclient.serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def send(self, command: str, arg=None) -> None:
        self.conn.send((command, arg))

    def receive(self, timeout: float = 600):
        if not self.conn.poll(timeout):
            raise TimeoutError("a generator process did not answer")
        return self.conn.recv()

    def stop(self) -> None:
        if self.process.is_alive():
            try:
                self.send("exit")
            except (BrokenPipeError, OSError):
                pass
            self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


def ask_all(generators: list[GeneratorProcess], command: str, args=None) -> list:
    """Send a command to every generator (with its own argument if ``args`` is a list),
    then collect the answers."""
    for index, generator in enumerate(generators):
        generator.send(command, args[index] if isinstance(args, list) else args)
    return [generator.receive() for generator in generators]


# Server side.


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_since(pid: int, before: float) -> float:
    try:
        return proc_cpu_seconds(pid) - before
    except OSError:  # it ended meanwhile
        return 0.0


def services_cpu_since(before: dict[int, float], now: list[int]) -> float:
    """CPU of the services since ``before``; processes that started meanwhile (PostgreSQL
    forks a backend per new connection) count in full."""
    total = sum(cpu_since(pid, cpu) for pid, cpu in before.items())
    return total + sum(cpu_since(pid, 0.0) for pid in now if pid not in before)


def service_pids(run: Run) -> list[int]:
    """The PostgreSQL backends connected to the run's database, and the Redis server."""
    import psycopg
    import redis

    with psycopg.connect(**POSTGRES, dbname="postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (run.database,)
        ).fetchall()
    redis_pid = redis.Redis.from_url(REDIS).info("server")["process_id"]
    return [pid for (pid,) in rows] + [redis_pid]


def machine_busy_seconds() -> float:
    """CPU time all processes of this machine spent, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def only_child(pid: int, timeout: float = 30) -> int:
    """The gunicorn worker under its master."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def wait_until_up(server: Server, path: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{server.port}{path}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server on {server.port} exited:\n{tail(server.log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - localhost
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {server.port} did not answer {path}:\n{tail(server.log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def app_environment(run: Run, processes: int) -> dict:
    env = {
        **os.environ,
        "COCREATE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "COCREATE_ASYNC_MODE": "gevent",
        # One address (ours) joins thousands of participants: lift the per-address limits.
        "COCREATE_JOIN_RATE_LIMIT": UNLIMITED,
        "COCREATE_WRONG_JOIN_CODE_RATE_LIMIT": UNLIMITED,
        "COCREATE_LOGIN_RATE_LIMIT": UNLIMITED,
        "PYTHONUNBUFFERED": "1",
    }
    if processes == 1:
        env["DATABASE_URL"] = f"sqlite:///{run.workdir / 'bench.db'}"
        env.pop("REDIS_URL", None)
    else:
        run.database = f"cocreate_bench_{os.getpid()}_{secrets.token_hex(3)}"
        create_database(run.database)
        run.redis_db = free_redis_db()
        run.channel = f"cocreate-bench-{secrets.token_hex(4)}"
        env["DATABASE_URL"] = f"postgresql+psycopg://postgres@{HOST}:5432/{run.database}"
        env["REDIS_URL"] = f"{REDIS}/{run.redis_db}"
        env["COCREATE_SOCKETIO_CHANNEL"] = run.channel
    return env


def flask_command(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "--app", "cocreate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def start_app(run: Run, args, env: dict) -> list[Server]:
    """The production serving command (README, ``make serve``), once per port."""
    per_process = math.ceil(args.participants / args.processes)
    env = {**env, "COCREATE_WORKER_CONNECTIONS": str(max(10_000, 2 * per_process + 200))}
    servers = []
    for index in range(args.processes):
        port = args.ports[index]
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(args.gunicorn_config),
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
        ]
        servers.append(run.start_server(argv, env, port, "app"))
    for server in servers:
        wait_until_up(server, "/api/v1/openapi.json")
        server.worker_pid = only_child(server.process.pid)
    return servers


def start_bare(run: Run, args, payloads: dict) -> Server:
    payload_file = run.workdir / "payloads.json"
    payload_file.write_text(json.dumps(payloads))
    port = args.ports[-1]
    argv = [
        sys.executable,
        str(ROOT / "bench" / "bare_server.py"),
        "--port",
        str(port),
        "--payloads",
        str(payload_file),
    ]
    server = run.start_server(argv, dict(os.environ), port, "bare")
    wait_until_up(server, "/health")
    return server


# Participants and actions.


@dataclass
class Participant:
    token: str
    port: int


async def join_participants(ports: list[int], code: str, count: int) -> list[Participant]:
    draft = json.loads(DEMO.read_text())["consultation"]
    groups, regions = draft["stakeholder_groups"], draft["regions"]
    gate = asyncio.Semaphore(JOIN_CONCURRENCY)
    rng = random.Random(4)

    async def join(session: aiohttp.ClientSession, index: int) -> Participant:
        port = ports[index % len(ports)]
        body = {
            "code": code,
            "stakeholder_group": rng.choice(groups),
            "region": rng.choice(regions),
            "display_name": f"Bench {index}",
            "accept_privacy": True,
        }
        async with gate:
            for attempt in range(5):
                async with session.post(f"http://{HOST}:{port}/api/v1/join", json=body) as response:
                    if response.status == 201:
                        return Participant((await response.json())["token"], port)
                    text = await response.text()
                await asyncio.sleep(0.2 * (attempt + 1))
            raise RuntimeError(f"join failed with {response.status}: {text[:200]}")

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        return list(await asyncio.gather(*(join(session, i) for i in range(count))))


async def focus_item(participant: Participant, consultation_id: int) -> int:
    url = f"http://{HOST}:{participant.port}/api/v1/consultations/{consultation_id}"
    headers = {"Authorization": f"Bearer {participant.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=headers) as response:
            body = await response.json()
    return body["documents"][0]["items"][0]["id"]


class Actions:
    """What the driver sends, and which tally counts a vote (the same rule on both servers).

    A tally reports how many participants voted on the item; every voter acknowledged
    before a vote's response is in any tally computed after that response. So a vote's
    update is the first tally to arrive after its response that counts at least as many
    voters as were acknowledged by then. A tally computed a moment before the vote's commit
    but delivered after its response can pass for it (worth at most one fan-out); the bare
    server counts voters the same way, so both sides are measured alike.
    """

    def __init__(self) -> None:
        self.voters: set[int] = set()

    def vote_threshold(self, who: int) -> int:
        self.voters.add(who)
        return len(self.voters)


class AppActions(Actions):
    """Votes and comments through the JSON API, as a participant's phone sends them."""

    def __init__(self, participants: list[Participant], item_id: int) -> None:
        super().__init__()
        self.participants = participants
        self.item_id = item_id

    def request(self, kind: str, who: int, number: int):
        participant = self.participants[who]
        headers = {"Authorization": f"Bearer {participant.token}"}
        base = f"http://{HOST}:{participant.port}/api/v1/items/{self.item_id}"
        if kind == "vote":
            return "PUT", f"{base}/vote", {"value": random.choice(VOTE_VALUES)}, headers
        headers["Idempotency-Key"] = f"bench-{number}-{secrets.token_hex(4)}"
        text = f"Comment {number}: the 2030 milestone needs a recycling quota as well."
        return "POST", f"{base}/comments", {"body": text}, headers


class BareActions(Actions):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.base = f"http://{HOST}:{port}"

    def request(self, kind: str, who: int, number: int):
        return "POST", f"{self.base}/{kind}?who={who}", None, None


@dataclass
class Driven:
    votes: list = field(default_factory=list)  # (answered, threshold, sent)
    comments: list = field(default_factory=list)  # (answered, comment id, sent)
    outcomes: Counter = field(default_factory=Counter)
    http_seconds: list = field(default_factory=list)
    started: float = 0.0
    last_answer: float = 0.0
    sent: int = 0


async def drive(actions, participants: int, rate: float, seconds: float, comment_every: int):
    """Send actions at a steady rate (open loop: a slow server does not slow the schedule)
    and note when each was answered."""
    driven = Driven()
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=200)
    inflight: set[asyncio.Task] = set()
    rng = random.Random(7)

    async def act(session: aiohttp.ClientSession, number: int) -> None:
        is_comment = comment_every and number % comment_every == comment_every - 1
        kind = "comment" if is_comment else "vote"
        who = rng.randrange(participants)
        method, url, body, headers = actions.request(kind, who, number)
        sent = time.monotonic()
        try:
            async with session.request(method, url, json=body, headers=headers) as response:
                status = response.status
                answer = await response.json() if status in (200, 201) else None
        except (TimeoutError, aiohttp.ClientError) as error:
            driven.outcomes[type(error).__name__] += 1
            return
        answered = time.monotonic()
        driven.last_answer = max(driven.last_answer, answered)
        driven.http_seconds.append(answered - sent)
        if answer is None:
            driven.outcomes[f"HTTP {status}"] += 1
        elif kind == "vote":
            driven.votes.append((answered, actions.vote_threshold(who), sent))
            driven.outcomes["vote"] += 1
        else:
            driven.comments.append((answered, answer["id"], sent))
            driven.outcomes["comment"] += 1

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        driven.started = time.monotonic()
        total = int(rate * seconds)
        for number in range(total):
            due = driven.started + number / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(inflight) >= MAX_INFLIGHT:
                driven.outcomes["skipped (too many in flight)"] += 1
                continue
            task = asyncio.create_task(act(session, number))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            driven.sent += 1
        if inflight:
            await asyncio.wait(inflight, timeout=40)
    driven.votes.sort()
    driven.comments.sort()
    return driven


# One measurement: connect, drive, drain, collect.


@dataclass
class Measurement:
    name: str
    participants: int
    connected: int = 0
    connect_failed: int = 0
    connect_errors: list = field(default_factory=list)
    connect_seconds: float = 0.0
    dropped: int = 0
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    server_cpu_pct: float = 0.0
    driver_cpu_pct: float = 0.0
    services_cpu_pct: float = 0.0
    others_cpu_pct: float = 0.0
    generator_cpu_pct: list = field(default_factory=list)
    generator_lag_p95_ms: float = 0.0
    generator_lag_max_ms: float = 0.0
    drained_seconds: float = 0.0
    sent: int = 0
    acked: int = 0
    outcomes: dict = field(default_factory=dict)
    sustained_per_s: float = 0.0
    http_p95_ms: float = 0.0
    per_action: list = field(default_factory=list)
    per_action_from_request: list = field(default_factory=list)
    incomplete_actions: int = 0
    undelivered: int = 0
    histogram: Counter = field(default_factory=Counter)
    tallies_per_s: float = 0.0
    sample_tally: str | None = None
    sample_comment: str | None = None

    def action_ms(self, q: float) -> float:
        return percentile(self.per_action, q) * 1000

    def from_request_ms(self, q: float) -> float:
        return percentile(self.per_action_from_request, q) * 1000

    def delivery_ms(self, q: float) -> float:
        return histogram_percentile(self.histogram, q) * 1000

    @property
    def mb_per_participant(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / 1024 / max(1, self.connected)

    @property
    def generator_limited(self) -> bool:
        return max(self.generator_cpu_pct, default=0) >= 90 or self.generator_lag_p95_ms >= 50


def measure(
    name, generators, clients, item_id, actions, server_pids, args, services=list
) -> Measurement:
    """Connect the clients, drive the actions, wait for the last deliveries, and work out
    the figures; the clients are disconnected again at the end. ``services()`` lists the
    database and Redis processes serving the run, whose CPU is counted apart."""
    result = Measurement(name, len(clients))
    shares = [clients[i :: len(generators)] for i in range(len(generators))]
    rss_before = sum(proc_rss_kib(pid) for pid in server_pids)
    answers = ask_all(generators, "connect", [{"clients": s, "item_id": item_id} for s in shares])
    result.connected = sum(a["connected"] for a in answers)
    result.connect_failed = sum(a["failed"] for a in answers)
    result.connect_errors = [e for a in answers for e in a["errors"]]
    result.connect_seconds = max(a["seconds"] for a in answers)
    time.sleep(SETTLE_SECONDS)
    result.rss_before_kib = rss_before
    result.rss_after_kib = sum(proc_rss_kib(pid) for pid in server_pids)

    own_pids = [os.getpid()] + [g.process.pid for g in generators]
    cpu_before = sum(proc_cpu_seconds(pid) for pid in server_pids)
    own_before = sum(proc_cpu_seconds(pid) for pid in own_pids)
    driver_before = proc_cpu_seconds(os.getpid())
    machine_before = machine_busy_seconds()
    services_before = {pid: proc_cpu_seconds(pid) for pid in services()}
    ask_all(generators, "start")
    driven = asyncio.run(drive(actions, len(clients), args.rate, args.seconds, args.comment_every))
    ask_all(generators, "mark")
    window = time.monotonic() - driven.started
    server_cpu = sum(proc_cpu_seconds(pid) for pid in server_pids) - cpu_before
    own_cpu = sum(proc_cpu_seconds(pid) for pid in own_pids) - own_before
    machine_cpu = machine_busy_seconds() - machine_before
    services_cpu = services_cpu_since(services_before, services())
    result.server_cpu_pct = 100 * server_cpu / window
    result.services_cpu_pct = 100 * services_cpu / window
    result.driver_cpu_pct = 100 * (proc_cpu_seconds(os.getpid()) - driver_before) / window
    others = machine_cpu - server_cpu - own_cpu - services_cpu
    result.others_cpu_pct = 100 * max(0.0, others) / window

    last = {"votes": driven.votes[-5:], "comments": driven.comments}
    drain_started = time.monotonic()
    while time.monotonic() - drain_started < DRAIN_TIMEOUT:
        pending = sum(ask_all(generators, "pending", last))
        if not pending:
            break
        time.sleep(0.25)
    result.drained_seconds = time.monotonic() - drain_started

    answers = ask_all(generators, "results", {"votes": driven.votes, "comments": driven.comments})
    actions_count = len(driven.votes) + len(driven.comments)
    worst = [max(a["worst"][i] for a in answers) for i in range(actions_count)]
    missing = [sum(a["missing"][i] for a in answers) for i in range(actions_count)]
    pairs = zip(worst, missing, strict=True)
    result.per_action = sorted(w if m == 0 else math.inf for w, m in pairs)
    # The same, counted from the moment the request left (a participant's tap).
    waits = [answered - sent for answered, _, sent in driven.votes + driven.comments]
    pairs = zip(worst, missing, waits, strict=True)
    result.per_action_from_request = sorted(w + s if m == 0 else math.inf for w, m, s in pairs)
    result.incomplete_actions = sum(1 for m in missing if m)
    result.undelivered = sum(missing)
    for answer in answers:
        result.histogram.update({int(k): v for k, v in answer["histogram"].items()})
    result.dropped = sum(a["dropped"] for a in answers)
    listeners = sum(a["listeners"] for a in answers)
    result.tallies_per_s = sum(a["tallies"] for a in answers) / max(1, listeners) / window
    result.generator_cpu_pct = [100 * a["cpu_s"] / a["wall_s"] for a in answers]
    result.generator_lag_p95_ms = 1000 * max(a["lag_p95_s"] for a in answers)
    result.generator_lag_max_ms = 1000 * max(a["lag_max_s"] for a in answers)
    result.sample_tally = next((a["sample_tally"] for a in answers if a["sample_tally"]), None)
    result.sample_comment = next(
        (a["sample_comment"] for a in answers if a["sample_comment"]), None
    )

    result.sent = driven.sent
    result.acked = len(driven.votes) + len(driven.comments)
    result.outcomes = dict(driven.outcomes)
    span = max(args.seconds, driven.last_answer - driven.started)
    result.sustained_per_s = result.acked / span
    result.http_p95_ms = percentile(sorted(driven.http_seconds), 95) * 1000
    ask_all(generators, "close")
    return result


# Output.


def fmt(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf"
    return f"{value:,.{digits}f}"


def print_table(args, measurements: list[Measurement]) -> None:
    rows = [
        ("clients connected / failed", lambda m: f"{m.connected} / {m.connect_failed}"),
        ("seconds to connect them all", lambda m: fmt(m.connect_seconds, 1)),
        ("clients dropped", lambda m: str(m.dropped)),
        ("actions sent / acknowledged", lambda m: f"{m.sent} / {m.acked}"),
        ("sustained actions/s", lambda m: fmt(m.sustained_per_s, 1)),
        ("HTTP response p95 ms", lambda m: fmt(m.http_p95_ms, 1)),
        ("tallies/s per client", lambda m: fmt(m.tallies_per_s, 1)),
        ("all received p50 ms", lambda m: fmt(m.action_ms(50))),
        ("all received p95 ms", lambda m: fmt(m.action_ms(95))),
        ("all received p99 ms", lambda m: fmt(m.action_ms(99))),
        ("from request: all rec. p95 ms", lambda m: fmt(m.from_request_ms(95))),
        ("per delivery p50 ms", lambda m: fmt(m.delivery_ms(50))),
        ("per delivery p95 ms", lambda m: fmt(m.delivery_ms(95))),
        ("per delivery p99 ms", lambda m: fmt(m.delivery_ms(99))),
        ("actions not delivered to all", lambda m: str(m.incomplete_actions)),
        ("deliveries missing", lambda m: str(m.undelivered)),
        ("drain after last action s", lambda m: fmt(m.drained_seconds, 1)),
        ("server CPU % of a core", lambda m: fmt(m.server_cpu_pct)),
        (
            "server RSS before/after MB",
            lambda m: f"{m.rss_before_kib / 1024:.0f} / {m.rss_after_kib / 1024:.0f}",
        ),
        ("server KiB per participant", lambda m: fmt(m.mb_per_participant * 1024)),
        ("driver CPU % of a core", lambda m: fmt(m.driver_cpu_pct)),
        ("PostgreSQL + Redis CPU %", lambda m: fmt(m.services_cpu_pct)),
        ("rest of the machine CPU %", lambda m: fmt(m.others_cpu_pct)),
        ("generator CPU % (each)", lambda m: " ".join(fmt(c) for c in m.generator_cpu_pct)),
        (
            "generator loop lag p95/max ms",
            lambda m: f"{fmt(m.generator_lag_p95_ms)} / {fmt(m.generator_lag_max_ms)}",
        ),
        ("listeners limited/late?", lambda m: "YES" if m.generator_limited else "no"),
    ]
    print()
    comments = f"every {args.comment_every}th a comment" if args.comment_every else "no comments"
    print(
        f"live session: {args.participants} participants, {args.rate:g} actions/s "
        f"({comments}), {args.seconds:g} s, {args.processes} server process(es), "
        f"{args.generators} listener process(es)"
    )
    width = max(len(label) for label, _ in rows) + 2
    print("".ljust(width) + "".join(m.name.rjust(16) for m in measurements))
    for label, value in rows:
        print(label.ljust(width) + "".join(value(m).rjust(16) for m in measurements))
    for m in measurements:
        if m.others_cpu_pct >= 25:
            print(
                f"{m.name}: the rest of the machine (other programs, kernel networking, "
                f"short-lived database backends) used {m.others_cpu_pct:.0f} % of a core"
            )
        if m.outcomes:
            print(f"{m.name} outcomes: {m.outcomes}")
        if m.connect_errors:
            print(f"{m.name} connect errors: {m.connect_errors}")


def finite(value: float, digits: int = 1):
    return round(value, digits) if math.isfinite(value) else None


def summary(args, app: Measurement, bare: Measurement | None) -> dict:
    ratio = None
    if bare is not None and bare.action_ms(95) > 0:
        ratio = app.action_ms(95) / bare.action_ms(95)
    return {
        "participants": args.participants,
        "p50_ms": finite(app.action_ms(50)),
        "p95_ms": finite(app.action_ms(95)),
        "p99_ms": finite(app.action_ms(99)),
        "actions_per_s": round(app.sustained_per_s, 1),
        "mb_per_participant": round(app.mb_per_participant, 4),
        "bare_ratio": finite(ratio, 2) if ratio is not None else None,
        "bare_p95_ms": finite(bare.action_ms(95)) if bare else None,
        "from_request_p95_ms": finite(app.from_request_ms(95)),
        "bare_from_request_p95_ms": finite(bare.from_request_ms(95)) if bare else None,
        "delivery_p50_ms": finite(app.delivery_ms(50)),
        "delivery_p95_ms": finite(app.delivery_ms(95)),
        "delivery_p99_ms": finite(app.delivery_ms(99)),
        "rate": args.rate,
        "seconds": args.seconds,
        "processes": args.processes,
        "generators": args.generators,
        "sent": app.sent,
        "acked": app.acked,
        "connected": app.connected,
        "connect_s": round(app.connect_seconds, 1),
        "dropped": app.dropped + app.connect_failed,
        "undelivered": app.undelivered,
        "tallies_per_s": round(app.tallies_per_s, 1),
        "server_cpu_pct": round(app.server_cpu_pct),
        "services_cpu_pct": round(app.services_cpu_pct),
        "generator_cpu_pct": round(sum(app.generator_cpu_pct)),
        "generator_limited": app.generator_limited,
        "listener_lag_p95_ms": round(app.generator_lag_p95_ms),
        "others_cpu_pct": round(app.others_cpu_pct),
        "bare_others_cpu_pct": round(bare.others_cpu_pct) if bare else None,
        "bare_generator_limited": bare.generator_limited if bare else None,
    }


def payloads_from(measurement: Measurement, item_id: int) -> dict:
    """What the app pushed, for the bare server to push alike."""
    payloads = {"tally": {"item_id": item_id, "results": {"votes": 0}}}
    if measurement.sample_tally:
        payloads["tally"] = json.loads(measurement.sample_tally[2:])[1]
    if measurement.sample_comment:
        payloads["comment"] = json.loads(measurement.sample_comment[2:])[1]
    return payloads


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (the kernel picks them)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True, help="actions a second, in all")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=1, help="server processes")
    parser.add_argument(
        "--generators", type=int, default=0, help="listener processes (default: 1 per 1,000)"
    )
    parser.add_argument(
        "--comment-every", type=int, default=20, help="every Kth action is a comment (0: none)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="first of P+1 ports to use (default: free ones)"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare server run")
    parser.add_argument(
        "--gunicorn-config",
        type=Path,
        default=ROOT / "cocreate" / "gunicorn_conf.py",
        help="serve with another gunicorn settings file (to try deployment settings)",
    )
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the server logs (path printed at the end)"
    )
    args = parser.parse_args(argv)
    if args.participants < 1 or args.rate <= 0 or not 0 < args.seconds <= 600:
        parser.error("need participants >= 1, rate > 0 and 0 < seconds <= 600")
    if not 1 <= args.processes <= 8:
        parser.error("--processes is 1 to 8")
    args.ports = (
        list(range(args.port, args.port + args.processes + 1))
        if args.port
        else free_ports(args.processes + 1)
    )
    if not args.generators:
        args.generators = min(4, max(1, math.ceil(args.participants / 1000)))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run = Run(Path(tempfile.mkdtemp(prefix="cocreate-bench-")), keep_logs=args.keep_logs)
    context = multiprocessing.get_context("spawn")
    try:
        env = app_environment(run, args.processes)
        flask_command(env, "db", "upgrade")
        imported = json.loads(flask_command(env, "import-draft", str(DEMO), "--json"))
        servers = start_app(run, args, env)
        ports = [server.port for server in servers]
        print(f"app up on ports {ports}; joining {args.participants} participants", flush=True)
        started = time.monotonic()
        participants = asyncio.run(
            join_participants(ports, imported["join_code"], args.participants)
        )
        print(f"joined in {time.monotonic() - started:.1f} s", flush=True)
        item_id = asyncio.run(focus_item(participants[0], imported["id"]))
        run.generators = [GeneratorProcess(context) for _ in range(args.generators)]
        clients = [(p.port, {"token": p.token}) for p in participants]
        app = measure(
            "app",
            run.generators,
            clients,
            item_id,
            AppActions(participants, item_id),
            [server.pid() for server in servers],
            args,
            services=(lambda: service_pids(run)) if run.database else list,
        )
        run.stop_servers()
        bare = None
        if not args.no_bare:
            server = start_bare(run, args, payloads_from(app, item_id))
            bare_clients = [(server.port, {"token": "-"}) for _ in participants]
            bare = measure(
                "bare",
                run.generators,
                bare_clients,
                item_id,
                BareActions(server.port),
                [server.pid()],
                args,
            )
        print_table(args, [m for m in (app, bare) if m is not None])
        print(json.dumps(summary(args, app, bare)), flush=True)
    finally:
        run.cleanup()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted; every process this run started is stopped", file=sys.stderr)
        sys.exit(130)
