"""Data-protection fixtures: two participants who did everything there is to do, and a
snapshot of what erasure may change, to show that a refusal changed nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from cocreate.amendments import services as amendments
from cocreate.amendments.models import Amendment
from cocreate.audit.models import AuditEntry
from cocreate.extensions import db
from cocreate.moderation import services as moderation
from cocreate.moderation.models import HideReason
from cocreate.participation import services as participation
from cocreate.participation.models import Comment, Participant
from cocreate.participation.services import Joined
from tests.api.conftest import ContractClient
from tests.conftest import Browser, join_as

ANA_NAME = "Ana Secretname"
BO_NAME = "Bo Othername"


@pytest.fixture
def api(app, client):
    return ContractClient(app, client)


@dataclass
class People:
    """Ana (Industry, Europe) and Bo (Government and policy, Africa), with everything each
    can leave behind; Ana's merged comment went into one of Bo's."""

    ana: Joined
    bo: Joined
    ana_comment: Comment
    ana_reply: Comment
    ana_hidden: Comment  # hidden by the moderators: it holds a phone number
    ana_merged: Comment  # merged into ``bo_comment``
    ana_amendment: Amendment
    bo_comment: Comment
    bo_amendment: Amendment


@pytest.fixture
def people(demo, moderator) -> People:
    first, second = demo.documents[0].items[:2]
    ana = join_as(demo, "Industry", "Europe", name=ANA_NAME)
    bo = join_as(demo, "Government and policy", "Africa", name=BO_NAME)
    a, b = ana.participant, bo.participant
    participation.cast_vote(a, first, "agree")
    participation.cast_vote(a, second, "strongly_disagree")
    participation.cast_vote(b, first, "disagree")
    bo_comment = participation.post_comment(b, first, "Bo says: audits cost too much.")
    ana_comment = participation.post_comment(a, first, "Ana says: publish the audits.")
    ana_reply = participation.post_comment(a, first, "Ana replies: costs fall.", bo_comment.id)
    ana_hidden = participation.post_comment(a, second, "Call Ana on 555-0100.")
    moderation.hide_comment(ana_hidden, moderator, HideReason.PERSONAL_DATA)
    ana_merged = participation.post_comment(a, first, "Ana again: audits!")
    moderation.merge_comments(ana_comment, [ana_merged], moderator)
    participation.support_comment(a, bo_comment.id)
    moderation.flag_comment(a, bo_comment.id)
    participation.support_comment(b, ana_comment.id)
    ana_amendment = amendments.propose(a, first, first.text + " Audited yearly.", "Trust.")
    bo_amendment = amendments.propose(b, first, "Bo's wording of the target.", "Cheaper.")
    amendments.cast_vote(a, bo_amendment, "agree")
    amendments.cast_vote(b, ana_amendment, "disagree")
    moderation.mute_participant(a, moderator)
    return People(
        ana,
        bo,
        ana_comment,
        ana_reply,
        ana_hidden,
        ana_merged,
        ana_amendment,
        bo_comment,
        bo_amendment,
    )


@pytest.fixture
def ana_browser(app, people) -> Browser:
    """Ana's browser, restored with her return code."""
    browser = Browser(app.test_client())
    assert browser.get(f"/return/{people.ana.return_code}").status_code == 302
    return browser


@pytest.fixture
def mod(web, moderator, demo) -> Browser:
    web.login("mod@example.org")
    return web


@pytest.fixture
def outsider_mod(app, demo, other_moderator) -> Browser:
    browser = Browser(app.test_client())
    browser.login("other@example.org")
    return browser


def participants_state() -> list[tuple]:
    """Every participant's personal data and secrets, and the audit log, as plain values."""
    db.session.expire_all()
    return [
        *db.session.execute(
            sa.select(
                Participant.id,
                Participant.display_name,
                Participant.token_digest,
                Participant.return_code_digest,
                Participant.erased_at,
            ).order_by(Participant.id)
        ).all(),
        *db.session.execute(
            sa.select(AuditEntry.id, AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id)
        ).all(),
    ]
