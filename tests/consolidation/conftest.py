"""Fixtures for consolidation: moderators at the workspace, and an item with feedback."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cocreate.audit.models import AuditEntry
from cocreate.consolidation.models import Disposition, Outcome, TextVersion
from cocreate.consolidation.services import save_final_text
from cocreate.drafts.models import Item
from cocreate.extensions import db
from cocreate.moderation.models import HideReason, Tag
from cocreate.participation.models import Comment, Vote, VoteValue
from tests.conftest import Browser, join_as, row_count

GROUPS = ["Industry", "Government and policy", "Civil society and NGOs", "Research and academia"]
REGIONS = ["Europe", "Africa", "Asia", None]
STANCES = [
    VoteValue.STRONGLY_AGREE,
    VoteValue.AGREE,
    VoteValue.NEUTRAL,
    VoteValue.DISAGREE,
    VoteValue.STRONGLY_DISAGREE,
    VoteValue.NO_OPINION,
    None,  # did not vote
]


@pytest.fixture
def consolidator(web, demo):
    """The demo's moderator, logged in."""
    web.login("mod@example.org")
    return web


@pytest.fixture
def co_consolidator(app, demo, other_moderator):
    """A second moderator of the demo, in a browser of their own."""
    demo.moderators.append(other_moderator)
    db.session.commit()
    browser = Browser(app.test_client())
    browser.login("other@example.org")
    return browser


@pytest.fixture
def second_item(demo):
    return demo.documents[0].items[1]


@dataclass
class Activity:
    comments: list[Comment] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)


def add_feedback(demo, item, n, *, start=0, hidden_every=0) -> Activity:
    """``n`` top-level comments on ``item`` from as many participants across groups and
    regions, with votes of every stance, a reply each, tags, and every third one disposed."""
    activity = Activity()
    tags = [
        db.session.scalar(db.select(Tag).filter_by(consultation_id=demo.id, name=name))
        or Tag(consultation_id=demo.id, name=name)
        for name in ("cost", "recycling")
    ]
    activity.tags = tags
    for i in range(start, start + n):
        joined = join_as(demo, group=GROUPS[i % 4], region=REGIONS[i % 4], name=f"P{i}")
        author = joined.participant
        stance = STANCES[i % len(STANCES)]
        if stance is not None:
            db.session.add(Vote(item=item, participant=author, value=stance))
        comment = Comment(item=item, participant=author, body=f"Comment {i}", support_count=i % 5)
        comment.tags = [tags[i % 2]] if i % 3 else list(tags)
        if hidden_every and i % hidden_every == 0:
            comment.hidden, comment.hidden_reason = True, HideReason.OFF_TOPIC
        db.session.add(comment)
        db.session.add(Comment(item=item, participant=author, body=f"Reply {i}", parent=comment))
        db.session.flush()
        if i % 3 == 0:
            db.session.add(
                Disposition(
                    item_id=item.id,
                    comment_id=comment.id,
                    outcome=Outcome.TAKEN_UP,
                    rationale=f"Rationale {i}",
                )
            )
        activity.comments.append(comment)
    db.session.commit()
    return activity


def consolidation_state(item_ids=None) -> dict:
    """What consolidation can change, read fresh from the database."""
    db.session.expire_all()
    items = db.select(Item.id, Item.final_text, Item.final_version).order_by(Item.id)
    if item_ids is not None:
        items = items.where(Item.id.in_(item_ids))
    return {
        "items": db.session.execute(items).all(),
        "versions": db.session.execute(
            db.select(TextVersion.item_id, TextVersion.number, TextVersion.text).order_by(
                TextVersion.id
            )
        ).all(),
        "dispositions": db.session.execute(
            db.select(
                Disposition.comment_id,
                Disposition.amendment_id,
                Disposition.outcome,
                Disposition.rationale,
                Disposition.passage,
            ).order_by(Disposition.id)
        ).all(),
        "audit": row_count(AuditEntry),
    }


def consolidate(item, text: str, *, author=None, note: str = ""):
    """Save a consolidated text through the service, as a moderator of the item."""
    author = author or item.consultation.moderators[0]
    version = save_final_text(item, author, text, expected_version=item.final_version, note=note)
    db.session.refresh(item)
    return version
