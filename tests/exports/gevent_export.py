"""Run by ``test_exports_under_gevent.py`` in a process of its own, monkey-patched as the
production server is: export the demo (with ``VOTES`` extra votes) in one format while
another greenlet, standing for the live sessions, wakes every few milliseconds. Prints one
JSON object: how often it woke during the export, and the export's size.

    python tests/exports/gevent_export.py DATABASE_URL FORMAT VOTES
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cocreate import create_app  # noqa: E402
from cocreate.accounts.models import Role  # noqa: E402
from cocreate.accounts.services import create_user  # noqa: E402
from cocreate.drafts.importing import parse_draft  # noqa: E402
from cocreate.drafts.services import import_draft  # noqa: E402
from cocreate.exports.options import ExportOptions  # noqa: E402
from cocreate.exports.services import format_named  # noqa: E402
from cocreate.extensions import db  # noqa: E402
from cocreate.participation.models import Participant, Vote, VoteValue  # noqa: E402

DEMO = Path(__file__).resolve().parents[2] / "cocreate" / "demo" / "renewable-energy-draft.json"


def arrange(votes: int) -> object:
    moderator = create_user("mod@example.org", "a-long-password-1", role=Role.MODERATOR)
    consultation = import_draft(parse_draft(DEMO.read_bytes(), DEMO.name), moderators=[moderator])
    items = [item.id for document in consultation.documents for item in document.items]
    group = consultation.stakeholder_groups[0].id
    people = -(-votes // len(items))
    db.session.add_all(
        Participant(
            consultation_id=consultation.id,
            stakeholder_group_id=group,
            token_digest=secrets.token_hex(32),
            return_code_digest=secrets.token_hex(32),
        )
        for _ in range(people)
    )
    db.session.flush()
    ids = db.session.scalars(db.select(Participant.id)).all()
    db.session.execute(
        db.insert(Vote),
        [
            {"item_id": item, "participant_id": person, "value": VoteValue.AGREE}
            for person in ids
            for item in items
        ][:votes],
    )
    db.session.commit()
    return consultation


def main() -> None:
    url, fmt, votes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = create_app(
        {"COCREATE_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "SOCKETIO_ASYNC_MODE": "gevent"}
    )
    with app.app_context():
        db.create_all()
        consultation = arrange(votes)
        woke = 0

        def live_sessions() -> None:
            nonlocal woke
            while True:
                gevent.sleep(0.002)
                woke += 1

        ticker = gevent.spawn(live_sessions)
        gevent.sleep(0.02)
        before = woke
        size = sum(len(chunk) for chunk in format_named(fmt).write(consultation, ExportOptions()))
        during = woke - before
        ticker.kill()
    print(json.dumps({"woke": during, "bytes": size}))


if __name__ == "__main__":
    main()
