"""Publication fixtures: a closed demo, feedback of every kind arranged with the models and
the consolidation services, and a snapshot of what publishing touches."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from cocreate.amendments.models import Amendment, AmendmentStatus
from cocreate.audit.models import AuditEntry
from cocreate.consolidation.services import record_dispositions, save_final_text
from cocreate.consultations.models import Consultation, Status
from cocreate.drafts.models import Item
from cocreate.extensions import db
from cocreate.live.models import EventFormat, LiveEvent
from cocreate.moderation.models import HideReason
from cocreate.participation.models import Comment, Participant, Vote
from cocreate.publication.models import Publication
from tests.api.conftest import ContractClient
from tests.conftest import join_as

FINAL_TEXT = (
    "Every company placing wind turbines, solar modules or their main components on the EU "
    "market carries out risk-based supply chain due diligence in line with the OECD guidance, "
    "tracing copper, silicon metal and rare earths back to the mine. The results are "
    "published every year, checked by an independent auditor."
)
PASSAGE = "checked by an independent auditor"
RATIONALE = "Several groups asked for independent checks; we added an auditor."


@pytest.fixture
def api(app, client):
    return ContractClient(app, client)


def items_of(consultation: Consultation) -> list[Item]:
    return [item for document in consultation.documents for item in document.items]


def consolidate(item: Item, moderator, text: str) -> None:
    save_final_text(item, moderator, text, expected_version=item.final_version)


def consolidate_all(consultation: Consultation, moderator) -> None:
    for item in items_of(consultation):
        consolidate(item, moderator, item.text + " (Consolidated.)")


def close(consultation: Consultation) -> Consultation:
    consultation.status = Status.CLOSED
    db.session.commit()
    return consultation


@pytest.fixture
def closed(demo) -> Consultation:
    return close(demo)


@dataclass
class Feedback:
    """Comments in every state on the first item, by Ana (Industry, Europe) and others."""

    item: Item
    ana: object  # Joined: .participant, .token
    taken_up: Comment  # visible, disposed "taken up" with a passage
    off_topic: Comment  # hidden as off-topic
    duplicate: Comment  # merged into ``taken_up``
    awaiting: Comment  # never approved under pre-moderation
    spam: Comment  # someone else's, hidden as spam
    rehearsal: Comment  # posted during a rehearsal: in no figure
    amendment: Amendment  # disposed "partly taken up"
    other_participant: Participant


def comment(item, joined, body, **state) -> Comment:
    posted = Comment(item=item, participant=joined.participant, body=body, **state)
    db.session.add(posted)
    return posted


@pytest.fixture
def feedback(demo, moderator, first_item) -> Feedback:
    ana = join_as(demo, "Industry", "Europe", name="Ana Secretname")
    bo = join_as(demo, "Government and policy", "Africa", name="Bo Hiddenname")
    workshop = LiveEvent(
        consultation_id=demo.id, title="Lisbon workshop", format=EventFormat.WORKSHOP
    )
    rehearsal = LiveEvent(
        consultation_id=demo.id, title="Dry run", format=EventFormat.WEBINAR, is_rehearsal=True
    )
    db.session.add_all([workshop, rehearsal])
    db.session.flush()
    taken_up = comment(
        first_item,
        ana,
        "Reports mean nothing <b>without</b> an independent check.",
        event_id=workshop.id,
    )
    db.session.flush()
    off_topic = comment(
        first_item,
        ana,
        "What about the football results?",
        hidden=True,
        hidden_reason=HideReason.OFF_TOPIC,
    )
    duplicate = comment(
        first_item,
        ana,
        "Please add independent audits.",
        hidden=True,
        hidden_reason=HideReason.DUPLICATE,
        merged_into_id=taken_up.id,
    )
    awaiting = comment(
        first_item, ana, "Waiting for approval.", hidden=True, awaiting_approval=True
    )
    spam = comment(first_item, bo, "Buy cheap copper!", hidden=True, hidden_reason=HideReason.SPAM)
    rehearsal_comment = comment(first_item, bo, "Testing, testing.", event_id=rehearsal.id)
    amendment = Amendment(
        item=first_item,
        participant=ana.participant,
        base_text=first_item.text,
        text="By 2030 every company publishes an audited report.",
        reason="Audits matter.",
        status=AmendmentStatus.MERGED,
    )
    db.session.add(amendment)
    # Industry has 6 voters (shown); Government has 1 (suppressed as fewer than 5).
    voters = [ana] + [join_as(demo, "Industry", "Asia") for _ in range(5)]
    for joined in voters:
        db.session.add(Vote(item=first_item, participant=joined.participant, value="agree"))
    db.session.add(Vote(item=first_item, participant=bo.participant, value="disagree"))
    db.session.add(
        Vote(
            item=first_item,
            participant=join_as(demo, "Other").participant,
            value="agree",
            event_id=rehearsal.id,
        )
    )
    db.session.commit()
    consolidate(first_item, moderator, FINAL_TEXT)
    record_dispositions(
        demo,
        moderator,
        outcome="taken_up",
        rationale=RATIONALE,
        passage=PASSAGE,
        comment_ids=[taken_up.id],
    )
    record_dispositions(
        demo,
        moderator,
        outcome="partly_taken_up",
        rationale="We kept the yearly rhythm.",
        amendment_ids=[amendment.id],
    )
    # A disposition recorded on a hidden comment stays out of the public page.
    record_dispositions(
        demo,
        moderator,
        outcome="out_of_scope",
        rationale="Off topic.",
        comment_ids=[off_topic.id],
    )
    return Feedback(
        item=first_item,
        ana=ana,
        taken_up=taken_up,
        off_topic=off_topic,
        duplicate=duplicate,
        awaiting=awaiting,
        spam=spam,
        rehearsal=rehearsal_comment,
        amendment=amendment,
        other_participant=bo.participant,
    )


def publication_state(consultation: Consultation) -> dict:
    """What publishing may change, to show that a refusal changed nothing."""
    db.session.expire_all()
    return {
        "status": db.session.get(Consultation, consultation.id).status,
        "publications": db.session.execute(
            sa.select(Publication.revision, Publication.note).order_by(Publication.revision)
        ).all(),
        "audit": db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.action.like("consultation.%"))
        ).all(),
    }
