"""Time and peak memory of every export format for a large consultation.

    .venv/bin/python bench/export.py
    .venv/bin/python bench/export.py --participants 500 --comments 10000 --votes 50000
    .venv/bin/python bench/export.py --formats csv,xlsx --mode shared \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_export

Builds the demo consultation in a temporary SQLite file (or in the empty database that
``--database-url`` names; its tables are dropped at the end) with ``--participants``
(5,000) participants across every stakeholder group and region, ``--votes`` (500,000)
votes (as many extra items as it takes: a participant votes once per item), ``--comments``
(100,000) comments (a third of them replies; some tagged, disposed, hidden, awaiting
approval, multi-line, in Chinese or Arabic, or looking like formulas), ``--amendments``
(1,000) amendments with 10 votes each, a workshop and a rehearsal. Rows go in with bulk
INSERTs, in batches.

Each format (``--formats``, every registered one by default) is then exported in
``--mode`` (full, the larger) by a fresh Python process of its own, so that peaks are
separate, writing to a temporary file, with at most ``--memory-limit-mb`` (4,096) of
address space and ``--timeout`` (900) seconds:

- ``seconds``: wall time from the call to the last byte; ``first_byte_s``: until the
  first chunk, i.e. when a download would start;
- ``peak_mb``: the process's peak resident memory (``getrusage`` maxrss), which includes
  the interpreter and the app's imports (``base_mb``, measured just before the export),
  so it is the memory the export needs in a real worker;
- ``python_peak_mb``: the peak of Python allocations during the export (``tracemalloc``),
  from a second run of the same export (tracemalloc slows allocation, so that run is not
  timed).

The last line printed is one JSON object: ``{"seconds": {fmt: s}, "peak_mb": {fmt: MB},
...}``.
"""

from __future__ import annotations

import sys

if "--child" in sys.argv and "--gevent" in sys.argv:
    # As the production server does, before anything imports sockets or threads.
    from gevent import monkey

    monkey.patch_all()

import argparse
import json
import random
import resource
import secrets
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cocreate import create_app  # noqa: E402
from cocreate.accounts.models import Role  # noqa: E402
from cocreate.accounts.services import create_user  # noqa: E402
from cocreate.amendments.models import Amendment, AmendmentStatus, AmendmentVote  # noqa: E402
from cocreate.consolidation.models import Disposition, Outcome  # noqa: E402
from cocreate.consultations.models import Consultation  # noqa: E402
from cocreate.drafts.importing import parse_draft  # noqa: E402
from cocreate.drafts.models import Item, ItemKind  # noqa: E402
from cocreate.drafts.services import import_draft  # noqa: E402
from cocreate.extensions import db  # noqa: E402
from cocreate.live.models import EventFormat, LiveEvent  # noqa: E402
from cocreate.moderation.models import HideReason, Tag, comment_tag  # noqa: E402
from cocreate.participation.models import Comment, Participant, Vote, VoteValue  # noqa: E402

DEMO = ROOT / "cocreate" / "demo" / "renewable-energy-draft.json"
BATCH = 10_000
TAGS = ["cost", "recycling", "traceability", "jobs", "water", "timeline", "data", "finance"]
WORDS = (
    "copper recycled supply chain mine audit water community grid solar wind target "
    "indicator price small firms data transparency report region import export standard"
).split()
ODD_TEXTS = [
    "应当公开供应链审计报告，并由独立机构核查。",
    "يجب نشر تقارير التدقيق سنويا.",
    "First point.\nSecond point.\n\nA last one.",
    "=SUM(A1:A9)",
    "-40 % by 2030",
    "@everyone read this",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _word in range(n)).capitalize() + "."


def insert(model, rows) -> None:
    """Bulk INSERT in batches; ``rows`` may be a generator."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(sa.insert(model), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(model), batch)


def next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def build(app, args) -> int:
    """The consultation and its activity; returns its id."""
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        moderator = create_user(
            "bench-mod@example.org", "bench-moderator-pw-1", role=Role.MODERATOR
        )
        consultation = import_draft(
            parse_draft(DEMO.read_bytes(), DEMO.name), moderators=[moderator]
        )
        cid = consultation.id
        document = consultation.documents[0]
        items = [item.id for d in consultation.documents for item in d.items]
        # A participant votes once per item: add items until the votes fit.
        needed = -(-args.votes // args.participants) - len(items)
        first = next_id(Item)
        insert(
            Item,
            (
                {
                    "id": first + i,
                    "consultation_id": cid,
                    "document_id": document.id,
                    "kind": ItemKind.TARGET,
                    "ref": f"BENCH-{i + 1}",
                    "ref_key": f"bench-{i + 1}",
                    "title": f"Extra target {i + 1}",
                    "text": sentence(rng, 40),
                    "milestone_year": 2030 + i % 20,
                    "position": 1000 + i,
                }
                for i in range(max(0, needed))
            ),
        )
        items += [first + i for i in range(max(0, needed))]
        groups = [g.id for g in consultation.stakeholder_groups]
        regions = [r.id for r in consultation.regions] + [None]
        workshop = LiveEvent(consultation_id=cid, title="Workshop", format=EventFormat.WORKSHOP)
        rehearsal = LiveEvent(
            consultation_id=cid, title="Rehearsal", format=EventFormat.WEBINAR, is_rehearsal=True
        )
        tags = [Tag(consultation_id=cid, name=name) for name in TAGS]
        db.session.add_all([workshop, rehearsal, *tags])
        db.session.flush()

        def event(i: int) -> int | None:
            return workshop.id if i % 10 == 3 else rehearsal.id if i % 100 == 7 else None

        first = next_id(Participant)
        people = [first + i for i in range(args.participants)]
        insert(
            Participant,
            (
                {
                    "id": person,
                    "consultation_id": cid,
                    "display_name": f"Participant {i}" if i % 3 else "",
                    "stakeholder_group_id": groups[i % len(groups)],
                    "region_id": regions[rng.randrange(len(regions))],
                    "token_digest": secrets.token_hex(32),
                    "return_code_digest": secrets.token_hex(32),
                    "accepted_privacy_at": now,
                    "created_at": now,
                }
                for i, person in enumerate(people)
            ),
        )
        values = list(VoteValue)
        insert(
            Vote,
            (
                {
                    "item_id": items[k // args.participants],
                    "participant_id": people[k % args.participants],
                    "value": values[rng.randrange(len(values))],
                    "event_id": event(k),
                    "created_at": now,
                    "updated_at": now - timedelta(seconds=k),
                }
                for k in range(args.votes)
            ),
        )
        first = next_id(Comment)
        comments = [first + i for i in range(args.comments)]

        def comment(i: int) -> dict:
            reply = i % 3 == 2
            return {
                "id": comments[i],
                "item_id": items[(i // 3) % len(items)],
                "participant_id": people[rng.randrange(len(people))],
                "parent_id": comments[i - 1] if reply else None,
                "body": ODD_TEXTS[i % len(ODD_TEXTS)] if i % 50 == 1 else sentence(rng, 8 + i % 50),
                "hidden": i % 25 == 4 or i % 97 == 5,
                "hidden_reason": HideReason.OFF_TOPIC if i % 25 == 4 else None,
                "awaiting_approval": i % 97 == 5,
                "support_count": i % 13,
                "event_id": event(i),
                "created_at": now + timedelta(milliseconds=i),
            }

        insert(Comment, (comment(i) for i in range(args.comments)))
        insert(
            comment_tag,
            (
                {"comment_id": comments[i], "tag_id": tags[i % len(tags)].id}
                for i in range(0, args.comments, 4)
            ),
        )
        insert(
            Disposition,
            (
                {
                    "item_id": items[(i // 3) % len(items)],
                    "comment_id": comments[i],
                    "outcome": list(Outcome)[i % len(Outcome)],
                    "rationale": sentence(rng, 12),
                    "decided_at": now,
                }
                for i in range(0, args.comments, 10)
            ),
        )
        first = next_id(Amendment)
        insert(
            Amendment,
            (
                {
                    "id": first + i,
                    "item_id": items[i % len(items)],
                    "participant_id": people[rng.randrange(len(people))],
                    "base_text": "The draft.",
                    "text": sentence(rng, 30),
                    "reason": sentence(rng, 15),
                    "status": AmendmentStatus.PROPOSED if i % 4 else AmendmentStatus.REJECTED,
                    "hidden": i % 50 == 3,
                    "created_at": now,
                }
                for i in range(args.amendments)
            ),
        )
        insert(
            AmendmentVote,
            (
                {
                    "amendment_id": first + i,
                    "participant_id": people[(i * 10 + j) % len(people)],
                    "value": values[(i + j) % len(values)],
                    "updated_at": now,
                }
                for i in range(args.amendments)
                for j in range(10)
            ),
        )
        db.session.commit()
        # Planner statistics, as a database in service has them (autovacuum, or SQLite's
        # `PRAGMA optimize`), rather than the guesses made for tables filled a moment ago.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))
        return cid


# ---------------------------------------------------------------- one format, in a child


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(args) -> None:
    """Export one format and print one JSON object (runs in a child process)."""
    import tracemalloc

    from cocreate.exports.options import parse_options
    from cocreate.exports.services import Channel, export

    config = {"COCREATE_ENV": "testing", "SQLALCHEMY_DATABASE_URI": args.database_url}
    if args.gevent:
        config["SOCKETIO_ASYNC_MODE"] = "gevent"
    app = create_app(config)
    with app.app_context(), tempfile.TemporaryFile() as out:
        consultation = db.session.get(Consultation, args.consultation_id)
        options = parse_options(consultation, mode=args.mode)
        loop = LoopWatch() if args.gevent else None
        base = max_rss_mb()
        if args.tracemalloc:
            tracemalloc.start()
        started = time.perf_counter()
        _format, stream = export(
            consultation, None, args.child, options, channel=Channel.COMMAND_LINE
        )
        first_byte = None
        size = 0
        for chunk in stream:
            if first_byte is None:
                first_byte = time.perf_counter() - started
            out.write(chunk)
            size += len(chunk)
        seconds = time.perf_counter() - started
        python_peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
        pause = loop.stop() if loop else None
    print(
        json.dumps(
            {
                "loop_pause_ms": round(pause * 1000) if pause is not None else None,
                "seconds": round(seconds, 2),
                "first_byte_s": round(first_byte or seconds, 2),
                "peak_mb": round(max_rss_mb(), 1),
                "base_mb": round(base, 1),
                "python_peak_mb": round(python_peak, 1) if python_peak is not None else None,
                "mb": round(size / 2**20, 1),
            }
        )
    )


class LoopWatch:
    """Under gevent: a greenlet that wakes every ``TICK`` seconds, as the live sessions'
    sockets and timers would, and keeps the longest it had to wait beyond that: how long
    the export held the event loop at most."""

    TICK = 0.005

    def __init__(self) -> None:
        import gevent

        self.longest = 0.0
        self.greenlet = gevent.spawn(self.watch)
        gevent.sleep(0.02)

    def watch(self) -> None:
        import gevent

        while True:
            before = time.perf_counter()
            gevent.sleep(self.TICK)
            self.longest = max(self.longest, time.perf_counter() - before - self.TICK)

    def stop(self) -> float:
        self.greenlet.kill()
        return self.longest


def child(args, fmt: str, cid: int, url: str, *, trace: bool) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        fmt,
        "--consultation-id",
        str(cid),
        "--database-url",
        url,
        "--mode",
        args.mode,
    ]
    if trace:
        command.append("--tracemalloc")
    if args.gevent:
        command.append("--gevent")
    limit = args.memory_limit_mb * 2**20

    def cap_memory() -> None:  # in the child: a runaway format fails instead of the machine
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        done = subprocess.run(  # noqa: S603  (our own script, our own arguments)
            command,
            capture_output=True,
            text=True,
            timeout=args.timeout,
            check=False,
            preexec_fn=cap_memory,  # this process runs no threads
        )
    except subprocess.TimeoutExpired:
        return {"error": f"over {args.timeout} s"}
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        return {"error": f"exit {done.returncode}: {last[:200]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=5_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--votes", type=int, default=500_000)
    parser.add_argument("--amendments", type=int, default=1_000)
    parser.add_argument("--mode", default="full", choices=["shared", "full"])
    parser.add_argument("--formats", help="comma-separated; every registered format by default")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per format")
    parser.add_argument(
        "--memory-limit-mb",
        type=int,
        default=4096,
        help="address-space limit of each export process (a runaway format fails)",
    )
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--database-url", help="an empty database to use instead of a temporary SQLite file"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--consultation-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--gevent",
        action="store_true",
        help="export in a gevent-patched process, as the server does, and report the "
        "longest the export held its event loop (loop_pause_ms)",
    )
    args = parser.parse_args()
    if args.child:
        run_one(args)
        return

    from cocreate.exports.formats import formats
    from cocreate.exports.services import format_named  # registers every format

    names = args.formats.split(",") if args.formats else sorted(formats())
    for name in names:
        format_named(name)
    with tempfile.TemporaryDirectory(prefix="bench-export-") as workdir:
        url = args.database_url or f"sqlite:///{Path(workdir) / 'export.db'}"
        app = create_app({"COCREATE_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
        started = time.perf_counter()
        cid = build(app, args)
        print(
            f"built {args.participants:,} participants, {args.comments:,} comments, "
            f"{args.votes:,} votes, {args.amendments:,} amendments "
            f"in {time.perf_counter() - started:.0f} s ({url.split(':', 1)[0]}, {args.mode} mode)",
            flush=True,
        )
        results = {}
        try:
            print(
                f"{'format':<8}{'seconds':>9}{'1st byte':>10}{'peak MB':>9}{'base MB':>9}"
                f"{'Python MB':>11}{'file MB':>9}{'loop pause ms':>15}",
                flush=True,
            )
            for name in names:
                timed = child(args, name, cid, url, trace=False)
                if "error" not in timed:
                    traced = child(args, name, cid, url, trace=True)
                    timed["python_peak_mb"] = traced.get("python_peak_mb")
                results[name] = timed
                if "error" in timed:
                    print(f"{name:<8}{timed['error']}", flush=True)
                    continue
                print(
                    f"{name:<8}{timed['seconds']:>9}{timed['first_byte_s']:>10}"
                    f"{timed['peak_mb']:>9}{timed['base_mb']:>9}"
                    f"{timed['python_peak_mb']!s:>11}{timed['mb']:>9}"
                    f"{timed['loop_pause_ms'] if args.gevent else '-'!s:>15}",
                    flush=True,
                )
        finally:
            with app.app_context():
                db.drop_all()
                db.engine.dispose()
    ok = {name: r for name, r in results.items() if "error" not in r}
    print(
        json.dumps(
            {
                "seconds": {name: r["seconds"] for name, r in ok.items()},
                "peak_mb": {name: r["peak_mb"] for name, r in ok.items()},
                "first_byte_s": {name: r["first_byte_s"] for name, r in ok.items()},
                "python_peak_mb": {name: r["python_peak_mb"] for name, r in ok.items()},
                "loop_pause_ms": {name: r["loop_pause_ms"] for name, r in ok.items()},
                "errors": {name: r["error"] for name, r in results.items() if "error" in r},
                "participants": args.participants,
                "comments": args.comments,
                "votes": args.votes,
                "amendments": args.amendments,
                "mode": args.mode,
                "database": url.split(":", 1)[0],
            }
        )
    )


if __name__ == "__main__":
    main()
