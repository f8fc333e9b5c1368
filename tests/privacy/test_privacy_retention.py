"""A consultation states how long personal data is kept after it closes, and
``flask erase-expired`` erases what has outlived it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cocreate.audit.models import AuditEntry
from cocreate.consultations.models import Consultation, Status
from cocreate.consultations.services import change_status, update_settings
from cocreate.db import utcnow
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.errors import InvalidInput
from cocreate.extensions import db
from cocreate.participation.models import Participant
from cocreate.participation.results import tally_items
from cocreate.privacy.retention import closing_moment, erasure_due_at
from cocreate.privacy.services import erase_expired, retention_due
from cocreate.publication.services import publish
from tests.conftest import DEMO_JSON, join_as
from tests.privacy.conftest import ANA_NAME, participants_state


def second_consultation(moderator) -> Consultation:
    return import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator])


def names(consultation) -> list[str]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Participant.display_name)
        .where(Participant.consultation_id == consultation.id)
        .order_by(Participant.id)
    ).all()


# ---------------------------------------------------------------- when it closed


def test_an_open_consultation_has_not_closed(demo):
    assert closing_moment(demo, utcnow()) is None


def test_a_consultation_closed_by_its_closing_time_closed_then(demo):
    demo.closes_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert closing_moment(demo, utcnow()) == demo.closes_at


def test_a_consultation_a_moderator_closed_closed_at_that_change(demo, moderator):
    demo.closes_at = utcnow() + timedelta(days=10)  # closed early: the change counts
    change_status(demo, moderator, Status.CLOSED)
    change = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "consultation.status")
    ).one()
    assert closing_moment(demo, utcnow() + timedelta(days=20)) == change.created_at


def test_reopening_starts_over_and_the_last_closing_counts(demo, moderator):
    change_status(demo, moderator, Status.CLOSED)
    change_status(demo, moderator, Status.OPEN)
    assert closing_moment(demo, utcnow()) is None
    change_status(demo, moderator, Status.CLOSED)
    last = db.session.scalars(
        sa.select(AuditEntry.created_at)
        .where(AuditEntry.action == "consultation.status")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert closing_moment(demo, utcnow()) == last


def test_publishing_does_not_restart_the_period(demo, moderator):
    change_status(demo, moderator, Status.CLOSED)
    closed = closing_moment(demo, utcnow())
    publish(demo, moderator, confirm_unconsolidated=True)
    assert closing_moment(demo, utcnow() + timedelta(days=1)) == closed


def test_a_consultation_published_after_closing_by_itself_closed_at_its_closing_time(
    demo, moderator
):
    demo.closes_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    publish(demo, moderator, confirm_unconsolidated=True)
    assert demo.status is Status.PUBLISHED
    assert closing_moment(demo, utcnow()) == demo.closes_at


def test_without_a_retention_period_nothing_is_due(demo, moderator):
    change_status(demo, moderator, Status.CLOSED)
    assert erasure_due_at(demo, utcnow()) is None
    demo.retention_days = 30
    db.session.commit()
    assert erasure_due_at(demo, utcnow()) == closing_moment(demo, utcnow()) + timedelta(days=30)


# ---------------------------------------------------------------- erase-expired


@pytest.fixture
def expired(demo, moderator, people):
    """The demo, closed by a moderator, kept 30 days; people.ana and people.bo took part."""
    demo.retention_days = 30
    db.session.commit()
    change_status(demo, moderator, Status.CLOSED)
    return demo


def test_erase_expired_erases_only_after_the_period(expired, people):
    assert erase_expired(utcnow() + timedelta(days=29)) == 0
    assert ANA_NAME in names(expired)
    later = utcnow() + timedelta(days=31)
    assert erase_expired(later) == 2
    assert names(expired) == ["", ""]
    db.session.refresh(people.ana.participant)
    assert people.ana.participant.erased_at == later


def test_erase_expired_keeps_the_votes_and_records_what_it_did(expired, moderator):
    item = expired.documents[0].items[0]
    before = tally_items(expired, [item.id], moderator=True)[item.id].overall
    erase_expired(utcnow() + timedelta(days=31))
    assert tally_items(expired, [item.id], moderator=True)[item.id].overall == before
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "participant.erase_expired")
    ).one()
    assert entry.actor_id is None
    assert entry.detail == {"count": 2, "retention_days": 30}


def test_erase_expired_runs_again_without_erasing_more(expired):
    later = utcnow() + timedelta(days=31)
    assert erase_expired(later) == 2
    before = participants_state()
    assert erase_expired(later + timedelta(days=1)) == 0
    assert participants_state() == before
    assert retention_due(later) == []


def test_erase_expired_leaves_other_consultations_alone(expired, moderator):
    still_open = second_consultation(moderator)
    still_open.retention_days = 1
    without_period = second_consultation(moderator)
    db.session.commit()
    join_as(still_open, name="Olga Open")
    join_as(without_period, name="Nora Noperiod")
    change_status(without_period, moderator, Status.CLOSED)
    assert erase_expired(utcnow() + timedelta(days=31)) == 2
    assert names(still_open) == ["Olga Open"]
    assert names(without_period) == ["Nora Noperiod"]


def test_participants_joined_after_erasure_are_erased_by_the_next_run(expired, moderator):
    later = utcnow() + timedelta(days=31)
    erase_expired(later)
    late = Participant(
        consultation_id=expired.id,
        display_name="Late Comer",
        stakeholder_group=expired.stakeholder_groups[0],
        token_digest="0" * 64,
        return_code_digest="1" * 64,
    )
    db.session.add(late)
    db.session.commit()
    assert erase_expired(later) == 1


# ---------------------------------------------------------------- the command


@pytest.fixture
def long_closed(demo, people):
    """The demo, closed by its closing time 40 days ago, kept 30 days."""
    demo.closes_at = utcnow() - timedelta(days=40)
    demo.retention_days = 30
    db.session.commit()
    return demo


def test_the_dry_run_lists_what_would_be_erased_and_changes_nothing(app, long_closed):
    before = participants_state()
    result = app.test_cli_runner().invoke(args=["erase-expired", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"Consultation {long_closed.id}" in result.output
    assert "2 participant(s) to erase" in result.output
    assert "Dry run: 2 participant(s) would be erased; nothing was changed." in result.output
    assert participants_state() == before


def test_the_command_erases_and_says_how_many(app, long_closed):
    result = app.test_cli_runner().invoke(args=["erase-expired"])
    assert result.exit_code == 0, result.output
    assert "Erased the personal data of 2 participant(s)." in result.output
    assert names(long_closed) == ["", ""]
    again = app.test_cli_runner().invoke(args=["erase-expired"])
    assert "Erased the personal data of 0 participant(s)." in again.output


# ---------------------------------------------------------------- the setting


def settings(demo, retention: str) -> dict:
    return {
        "title": demo.title,
        "language": "en",
        "stakeholder_groups": "\n".join(g.name for g in demo.stakeholder_groups),
        "retention_days": retention,
    }


@pytest.fixture
def mod_at_settings(mod, demo):
    mod.get(f"/manage/{demo.id}/settings")
    return mod


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Give a number of days from 1 to 3650."),
        ("3651", "Give a number of days from 1 to 3650."),
        ("-5", "Give a number of days from 1 to 3650."),
        ("thirty", "Not a valid integer value."),
        ("1.5", "Not a valid integer value."),
    ],
)
def test_a_retention_period_out_of_range_is_refused_and_nothing_changes(
    demo, mod_at_settings, value, message
):
    demo.retention_days = 90
    db.session.commit()
    response = mod_at_settings.post(f"/manage/{demo.id}/settings", settings(demo, value))
    assert response.status_code == 422
    assert message in response.text
    db.session.refresh(demo)
    assert demo.retention_days == 90


def test_the_retention_period_is_saved_shown_and_cleared(demo, mod_at_settings):
    response = mod_at_settings.post(f"/manage/{demo.id}/settings", settings(demo, "30"))
    assert response.status_code == 302, response.text
    db.session.refresh(demo)
    assert demo.retention_days == 30
    page = mod_at_settings.get(f"/manage/{demo.id}/settings")
    assert 'name="retention_days"' in page.text and 'value="30"' in page.text
    response = mod_at_settings.post(f"/manage/{demo.id}/settings", settings(demo, ""))
    assert response.status_code == 302
    db.session.refresh(demo)
    assert demo.retention_days is None


def test_the_service_refuses_a_period_out_of_range(demo, moderator):
    with pytest.raises(InvalidInput) as refused:
        update_settings(
            demo,
            moderator,
            title=demo.title,
            summary="",
            language="en",
            closes_at=None,
            privacy_notice="",
            stakeholder_groups=[g.name for g in demo.stakeholder_groups],
            regions=[],
            retention_days=0,
        )
    assert refused.value.field == "retention_days"
    db.session.rollback()
    assert db.session.get(Consultation, demo.id).retention_days is None


def test_the_join_page_states_how_long_personal_data_is_kept(demo, client):
    assert "Personal data is kept" not in client.get(f"/join/{demo.join_code}").text
    demo.retention_days = 180
    db.session.commit()
    page = client.get(f"/join/{demo.join_code}").text
    assert "Personal data is kept for 180 days after the consultation closes" in page


def test_the_participants_page_says_when_erasure_is_due(expired, mod):
    page = mod.get(f"/manage/{expired.id}/participants").text
    assert "Personal data is kept for 30 days after the consultation closes" in page
    assert "Erasure is due on" in page
