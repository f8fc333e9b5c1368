"""Server time and queries of the consolidation workspace of an item with many comments.

    .venv/bin/python bench/workspace.py
    .venv/bin/python bench/workspace.py --comments 2000 --repeat 50
    .venv/bin/python bench/workspace.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_workspace

Builds the demo consultation in a temporary SQLite file (or in the empty database that
``--database-url`` names; its tables are dropped at the end) with ``--participants``
(1,000) participants across every stakeholder group and region, all voting on one item;
``--comments`` (500) top-level comments on it from random participants, one reply to every
other comment, every comment tagged with one or two of 8 tags, a third of them with a
disposition, a few hidden; and ``--amendments`` (20) proposals of new wording with votes.
A moderator logs in with the Flask test client and GETs the item's workspace ``--repeat``
(30) times after two warm-up requests. The same runs for another item of the consultation
with no comment, votes or amendments: the baseline, and ``ratio`` is the item's median
over the baseline's.

Server time is the wall time of the request through the WSGI app, in the same process; the
CPU time of the same thread is given too, as it varies less on a busy machine (it leaves out
the time PostgreSQL's own process spends). Queries are the SQL statements one request runs.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cocreate import create_app  # noqa: E402
from cocreate.accounts.models import Role  # noqa: E402
from cocreate.accounts.services import create_user  # noqa: E402
from cocreate.amendments.models import Amendment, AmendmentStatus, AmendmentVote  # noqa: E402
from cocreate.consolidation.models import Disposition, Outcome  # noqa: E402
from cocreate.drafts.importing import parse_draft  # noqa: E402
from cocreate.drafts.services import import_draft  # noqa: E402
from cocreate.extensions import db  # noqa: E402
from cocreate.moderation.models import HideReason, Tag  # noqa: E402
from cocreate.participation.models import Comment, Participant, Vote, VoteValue  # noqa: E402

DEMO = ROOT / "cocreate" / "demo" / "renewable-energy-draft.json"
EMAIL, PASSWORD = "bench-mod@example.org", "bench-moderator-pw-1"
TAGS = ["cost", "recycling", "traceability", "jobs", "water", "timeline", "data", "finance"]
SCORED = [v for v in VoteValue if v is not VoteValue.NO_OPINION]
WORDS = (
    "copper recycled supply chain mine audit water community grid solar wind target "
    "indicator price small firms data transparency report region import export standard"
).split()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _word in range(n)).capitalize() + "."


def participants(consultation, n: int, rng: random.Random) -> list[Participant]:
    """``n`` participants spread over every group and region, inserted in one go."""
    groups, regions = consultation.stakeholder_groups, [*consultation.regions, None]
    people = [
        Participant(
            consultation_id=consultation.id,
            display_name=f"Participant {i}" if i % 3 else "",
            stakeholder_group_id=groups[i % len(groups)].id,
            region_id=(region.id if (region := regions[rng.randrange(len(regions))]) else None),
            token_digest=secrets.token_hex(32),
            return_code_digest=secrets.token_hex(32),
        )
        for i in range(n)
    ]
    db.session.add_all(people)
    db.session.flush()
    return people


def feedback(consultation, item, people, *, comments: int, amendments: int, rng) -> None:
    """Votes, comments, replies, tags, dispositions and amendments on ``item``."""
    # Groups lean differently, so that the consensus signal has something to say.
    for person in people:
        lean = person.stakeholder_group_id % 3
        value = rng.choice(SCORED[lean : lean + 3]) if rng.random() > 0.08 else None
        db.session.add(
            Vote(item_id=item.id, participant_id=person.id, value=value or VoteValue.NO_OPINION)
        )
    tags = [Tag(consultation_id=consultation.id, name=name) for name in TAGS]
    db.session.add_all(tags)
    tops = []
    for i in range(comments):
        comment = Comment(
            item_id=item.id,
            participant_id=rng.choice(people).id,
            body=sentence(rng, rng.randint(8, 60)),
            support_count=rng.randint(0, 30),
            pinned=i < 2,
        )
        comment.tags = rng.sample(tags, rng.randint(1, 2))
        if i % 25 == 7:
            comment.hidden, comment.hidden_reason = True, HideReason.OFF_TOPIC
        tops.append(comment)
    db.session.add_all(tops)
    db.session.flush()
    db.session.add_all(
        Comment(
            item_id=item.id,
            participant_id=rng.choice(people).id,
            parent_id=comment.id,
            body=sentence(rng, rng.randint(5, 30)),
        )
        for comment in tops[::2]
    )
    db.session.add_all(
        Disposition(
            item_id=item.id,
            comment_id=comment.id,
            outcome=rng.choice(list(Outcome)),
            rationale=sentence(rng, 12),
        )
        for comment in tops[::3]
    )
    proposals = [
        Amendment(
            item_id=item.id,
            participant_id=rng.choice(people).id,
            base_text=item.text,
            text=item.text.replace(" ", " responsibly ", 1) + " " + sentence(rng, 10),
            reason=sentence(rng, 15),
            status=AmendmentStatus.PROPOSED if i % 4 else AmendmentStatus.REJECTED,
        )
        for i in range(amendments)
    ]
    db.session.add_all(proposals)
    db.session.flush()
    db.session.add_all(
        AmendmentVote(amendment_id=proposal.id, participant_id=person.id, value=rng.choice(SCORED))
        for proposal in proposals
        for person in rng.sample(people, min(len(people), 30))
    )


def build(app, args) -> tuple[int, int]:
    """The consultation, its activity and a moderator; returns the two item ids."""
    rng = random.Random(args.seed)
    with app.app_context():
        db.drop_all()
        db.create_all()
        moderator = create_user(EMAIL, PASSWORD, role=Role.MODERATOR)
        consultation = import_draft(
            parse_draft(DEMO.read_bytes(), DEMO.name), moderators=[moderator]
        )
        item, baseline = consultation.documents[0].items[:2]
        people = participants(consultation, args.participants, rng)
        feedback(
            consultation, item, people, comments=args.comments, amendments=args.amendments, rng=rng
        )
        db.session.commit()
        return item.id, baseline.id


def log_in(client) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"could not log in: {response.status_code}")


def measure(app, client, url: str, repeat: int) -> dict:
    """Each request runs in an app context of its own, as in production: nothing is cached
    between requests in the session."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    timings, cpu, queries = [], [], set()
    for round_ in range(repeat + 2):  # two warm-up requests
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        elapsed_cpu = (time.thread_time() - started_cpu) * 1000
        sa.event.remove(engine, "before_cursor_execute", count)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: {response.status_code}")
        if round_ >= 2:
            timings.append(elapsed)
            cpu.append(elapsed_cpu)
            queries.add(len(statements))
    return {
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "queries": max(queries),
        "bytes": len(response.data),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=500)
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--amendments", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--database-url", help="an empty database to use instead of a temporary SQLite file"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-workspace-") as workdir:
        url = args.database_url or f"sqlite:///{Path(workdir) / 'workspace.db'}"
        app = create_app(
            {
                "COCREATE_ENV": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        started = time.perf_counter()
        item_id, baseline_id = build(app, args)
        print(
            f"built {args.participants} participants, {args.comments} comments, "
            f"{args.amendments} amendments in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        try:
            client = app.test_client()
            log_in(client)
            item = measure(app, client, f"/manage/items/{item_id}/consolidate", args.repeat)
            base = measure(app, client, f"/manage/items/{baseline_id}/consolidate", args.repeat)
        finally:
            with app.app_context():
                db.drop_all()
                db.engine.dispose()
    figures = {
        "comments": args.comments,
        "participants": args.participants,
        "amendments": args.amendments,
        "repeat": args.repeat,
        "database": url.split(":", 1)[0],
        "median_ms": item["median_ms"],
        "p95_ms": item["p95_ms"],
        "cpu_median_ms": item["cpu_median_ms"],
        "queries": item["queries"],
        "page_kb": round(item["bytes"] / 1024),
        "baseline_median_ms": base["median_ms"],
        "baseline_p95_ms": base["p95_ms"],
        "baseline_cpu_median_ms": base["cpu_median_ms"],
        "baseline_queries": base["queries"],
        "ratio": round(item["median_ms"] / base["median_ms"], 2),
    }
    print(
        f"workspace, {args.comments} comments: median {item['median_ms']} ms, "
        f"p95 {item['p95_ms']} ms (CPU {item['cpu_median_ms']} ms), {item['queries']} queries, "
        f"{figures['page_kb']} KiB"
    )
    print(
        f"baseline, no comments: median {base['median_ms']} ms, p95 {base['p95_ms']} ms, "
        f"{base['queries']} queries; ratio {figures['ratio']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
