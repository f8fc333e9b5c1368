"""Fixtures for moderation: the demo's moderator at the queue, participants with comments,
and a snapshot of everything moderation may change, to show a refusal changed nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cocreate.audit.models import AuditEntry
from cocreate.extensions import db
from cocreate.moderation.models import Flag, ModeratorAnswer, Tag, comment_tag
from cocreate.participation.models import Comment, Participant, Support
from cocreate.participation.services import post_comment, support_comment
from tests.conftest import Browser, join_as


@pytest.fixture
def mod(web, moderator, demo):
    """The demo's moderator, logged in."""
    web.login("mod@example.org")
    return web


@pytest.fixture
def outsider_mod(app, demo, other_moderator):
    """A moderator of another consultation only, logged in."""
    browser = Browser(app.test_client())
    browser.login("other@example.org")
    return browser


@pytest.fixture
def ana(demo):
    return join_as(demo, "Industry", "Europe", name="Ana").participant


@pytest.fixture
def ben(demo):
    return join_as(demo, "Other", name="Ben").participant


@pytest.fixture
def second_item(demo):
    return demo.documents[0].items[1]


def comment(participant, item, body="A comment.", parent=None):
    return post_comment(participant, item, body, parent.id if parent else None)


def supporters(target, count, demo, group="Other"):
    """``count`` new participants who support ``target``; returns them."""
    people = [join_as(demo, group, name=f"Fan {n}").participant for n in range(count)]
    for person in people:
        support_comment(person, target.id)
    return people


def snapshot() -> dict:
    """Everything moderation changes, as plain values."""
    db.session.expire_all()
    comments = db.session.execute(
        sa.select(
            Comment.id,
            Comment.parent_id,
            Comment.hidden,
            Comment.hidden_reason,
            Comment.hidden_note,
            Comment.awaiting_approval,
            Comment.merged_into_id,
            Comment.needs_review,
            Comment.flag_count,
            Comment.pinned,
            Comment.support_count,
        ).order_by(Comment.id)
    ).all()
    return {
        "comments": [tuple(row) for row in comments],
        "supports": sorted(
            db.session.execute(sa.select(Support.comment_id, Support.participant_id)).all()
        ),
        "flags": sorted(db.session.execute(sa.select(Flag.comment_id, Flag.participant_id)).all()),
        "tags": sorted(db.session.execute(sa.select(Tag.id, Tag.name)).all()),
        "comment_tags": sorted(db.session.execute(sa.select(comment_tag)).all()),
        "answers": db.session.scalar(sa.select(sa.func.count()).select_from(ModeratorAnswer)),
        "muted": sorted(db.session.execute(sa.select(Participant.id, Participant.muted_at)).all()),
        "audit": db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
    }


def audit_actions() -> list[tuple[str, str, int | None]]:
    return [
        (entry.action, entry.subject_type, entry.subject_id)
        for entry in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    ]
