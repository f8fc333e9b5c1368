"""Participants propose new wording for an item."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cocreate.amendments import services
from cocreate.amendments.models import Amendment, AmendmentStatus
from cocreate.consultations.models import Status
from cocreate.db import utcnow
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.errors import InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.live.services import create_event, start_event
from tests.amendments.conftest import NEW_WORDING, guest_participant
from tests.conftest import DEMO_JSON, row_count


def propose_url(item):
    return f"/items/{item.id}/amendments"


def test_guest_proposes_wording_and_sees_it_with_the_diff(app, demo, guest, first_item):
    response = guest.post(
        propose_url(first_item), {"text": NEW_WORDING, "reason": "Shorter."}, htmx=True
    )
    assert response.status_code == 201, response.text
    assert "<html" not in response.text and 'id="amendments"' in response.text
    assert "Your proposal" in response.text and "Shorter." in response.text
    assert "<del>" in response.text and "<ins>" in response.text
    assert 'hx-swap-oob="innerHTML">Thank you: your wording is proposed' in response.text
    amendment = db.session.scalar(sa.select(Amendment))
    assert amendment.text == NEW_WORDING
    assert amendment.base_text == first_item.text
    assert amendment.reason == "Shorter."
    assert amendment.status is AmendmentStatus.PROPOSED
    assert amendment.participant_id == guest_participant(demo).id
    assert amendment.event_id is None


def test_without_htmx_the_guest_returns_to_the_item_page(app, guest, first_item):
    response = guest.post(propose_url(first_item), {"text": NEW_WORDING})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/items/{first_item.id}#amendments")
    page = guest.get(f"/items/{first_item.id}")
    assert "your wording is proposed" in page.text
    assert row_count(Amendment) == 1


def test_a_proposal_made_during_a_live_event_is_tagged_with_it(
    app, demo, moderator, guest, first_item
):
    event = create_event(demo, moderator, title="Workshop Lyon", format="workshop")
    start_event(demo, moderator, event)
    guest.post(propose_url(first_item), {"text": NEW_WORDING})
    assert db.session.scalar(sa.select(Amendment.event_id)) == event.id


def test_proposing_the_same_wording_twice_stores_it_once(app, guest, first_item):
    for _attempt in range(2):
        response = guest.post(propose_url(first_item), {"text": NEW_WORDING, "reason": "x"})
        assert response.status_code == 302
    assert row_count(Amendment) == 1


def test_wording_equal_to_the_draft_is_refused(app, guest, first_item):
    text = "  " + first_item.text.replace(" ", "  ") + "\n"
    response = guest.post(propose_url(first_item), {"text": text}, htmx=True)
    assert response.status_code == 422
    assert "same as the draft" in response.text
    assert '<details class="propose" open>' in response.text  # the form stays open
    assert row_count(Amendment) == 0


def test_empty_or_too_long_wording_is_refused(app, guest, first_item):
    for text, message in [("   ", "Write your wording"), ("x" * 5001, "5000")]:
        response = guest.post(propose_url(first_item), {"text": text}, htmx=True)
        assert response.status_code == 422
        assert message in response.text
    assert row_count(Amendment) == 0


def test_too_long_reason_is_refused(app, guest, first_item):
    response = guest.post(propose_url(first_item), {"text": NEW_WORDING, "reason": "r" * 1001})
    assert response.status_code == 422
    assert "1000" in response.text
    assert row_count(Amendment) == 0


def test_a_refused_proposal_without_htmx_shows_the_item_page_with_the_error(app, guest, first_item):
    response = guest.post(propose_url(first_item), {"text": first_item.text})
    assert response.status_code == 422
    assert "<html" in response.text and "same as the draft" in response.text
    assert row_count(Amendment) == 0


def test_closed_consultation_refuses_proposals(app, demo, guest, first_item):
    demo.status = Status.CLOSED
    db.session.commit()
    response = guest.post(propose_url(first_item), {"text": NEW_WORDING}, htmx=True)
    assert response.status_code == 409
    assert "not accepted" in response.text
    assert row_count(Amendment) == 0
    page = guest.get(f"/items/{first_item.id}")
    assert "Propose new wording" not in page.text


def test_a_muted_participant_cannot_propose(app, demo, guest, first_item):
    guest_participant(demo).muted_at = utcnow()
    db.session.commit()
    response = guest.post(propose_url(first_item), {"text": NEW_WORDING}, htmx=True)
    assert response.status_code == 403
    assert "muted" in response.text
    assert row_count(Amendment) == 0
    page = guest.get(f"/items/{first_item.id}")
    assert "you can still vote, but not propose wording" in page.text


def test_a_guest_cannot_propose_in_a_consultation_they_did_not_join(app, guest):
    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    other_item = other.documents[0].items[0]
    response = guest.post(propose_url(other_item), {"text": NEW_WORDING})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{other.join_code}")
    assert row_count(Amendment) == 0


def test_proposing_on_an_unknown_item_is_404(app, guest):
    assert guest.post("/items/99999/amendments", {"text": NEW_WORDING}).status_code == 404


def test_the_service_refuses_an_item_of_another_consultation(app, author):
    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    with pytest.raises(NotFound):
        services.propose(author.participant, other.documents[0].items[0], NEW_WORDING)
    assert row_count(Amendment) == 0


def test_open_proposals_per_participant_and_item_are_capped(app, author, first_item):
    for n in range(services.OPEN_PER_PARTICIPANT_AND_ITEM):
        services.propose(author.participant, first_item, f"Wording number {n}.")
    with pytest.raises(InvalidInput, match="waiting"):
        services.propose(author.participant, first_item, "One more wording.")
    assert row_count(Amendment) == services.OPEN_PER_PARTICIPANT_AND_ITEM


def test_proposals_are_rate_limited_like_comments(app, guest, first_item):
    app.config["PARTICIPATION_RATE_LIMIT"] = "2 per minute"
    statuses = [
        guest.post(propose_url(first_item), {"text": f"Wording {n}."}).status_code for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert row_count(Amendment) == 2
