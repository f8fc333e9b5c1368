"""Amendment fixtures: a guest on the page, proposals arranged through the service, and a
snapshot of everything a decision touches, to show that a refusal changed nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cocreate.amendments import services
from cocreate.amendments.models import Amendment, AmendmentVote
from cocreate.audit.models import AuditEntry
from cocreate.consolidation.models import Disposition, TextVersion
from cocreate.drafts.models import Item
from cocreate.extensions import db
from cocreate.participation.models import Participant
from tests.api.conftest import ContractClient
from tests.conftest import join_as, row_count

NEW_WORDING = "Every company placing wind turbines on the EU market publishes its supply chain."


@pytest.fixture
def api(app, client):
    return ContractClient(app, client)


@pytest.fixture
def author(demo):
    """The participant who proposes, in the Industry group, from Europe."""
    return join_as(demo, "Industry", "Europe", name="Ana")


@pytest.fixture
def voter(demo):
    return join_as(demo, "Civil society and NGOs", name="Bo")


@pytest.fixture
def proposal(author, first_item) -> Amendment:
    return services.propose(author.participant, first_item, NEW_WORDING, "Shorter and clearer.")


def guest_participant(demo) -> Participant:
    """The participant the ``guest`` browser joined as: the one without a name (the
    fixtures here name theirs)."""
    return db.session.scalars(
        sa.select(Participant).where(
            Participant.consultation_id == demo.id, Participant.display_name == ""
        )
    ).one()


def state(item: Item) -> dict:
    """What deciding on an amendment may change."""
    db.session.expire_all()
    item = db.session.get(Item, item.id)
    return {
        "statuses": dict(db.session.execute(sa.select(Amendment.id, Amendment.status)).all()),
        "hidden": dict(db.session.execute(sa.select(Amendment.id, Amendment.hidden)).all()),
        "final_text": item.final_text,
        "final_version": item.final_version,
        "versions": row_count(TextVersion),
        "dispositions": row_count(Disposition),
        "audit": row_count(AuditEntry),
        "amendments": row_count(Amendment),
        "votes": row_count(AmendmentVote),
    }
