"""The amendments part of the JSON API, checked against the OpenAPI contract."""

from __future__ import annotations

import pytest

from cocreate.amendments import services
from cocreate.amendments.models import Amendment, AmendmentVote
from cocreate.consultations.models import ResultsVisibility, Status
from cocreate.db import utcnow
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db
from tests.amendments.conftest import NEW_WORDING
from tests.api.conftest import error_code, error_message
from tests.conftest import DEMO_JSON, join_as, row_count


def test_participant_proposes_wording(api, author, first_item):
    response = api.post(
        f"/items/{first_item.id}/amendments",
        token=author.token,
        json={"text": NEW_WORDING, "reason": "Shorter."},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["text"] == NEW_WORDING and body["base_text"] == first_item.text
    assert body["status"] == "proposed" and body["mine"] is True and body["my_vote"] is None
    assert body["author"] == {"display_name": "Ana", "stakeholder_group": "Industry"}
    assert {piece["kind"] for piece in body["diff"]} >= {"removed", "added"}
    assert "".join(p["text"] for p in body["diff"] if p["kind"] != "removed") == NEW_WORDING
    assert row_count(Amendment) == 1


def test_a_retried_proposal_is_stored_once(api, author, first_item):
    first = api.post(
        f"/items/{first_item.id}/amendments", token=author.token, json={"text": NEW_WORDING}
    )
    again = api.post(
        f"/items/{first_item.id}/amendments", token=author.token, json={"text": NEW_WORDING}
    )
    assert again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert row_count(Amendment) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 422),
        ({"text": "x" * 5001}, 422),
        ({"text": NEW_WORDING, "reason": "r" * 1001}, 422),
        ({"text": 3}, 422),
        ({}, 422),
    ],
)
def test_bad_proposals_are_refused(api, author, first_item, body, status):
    response = api.post(f"/items/{first_item.id}/amendments", token=author.token, json=body)
    assert response.status_code == status
    assert error_code(response) == "invalid_input"
    assert row_count(Amendment) == 0


def test_unchanged_wording_is_refused(api, author, first_item):
    response = api.post(
        f"/items/{first_item.id}/amendments", token=author.token, json={"text": first_item.text}
    )
    assert response.status_code == 422
    assert "same as the draft" in error_message(response)
    assert row_count(Amendment) == 0


def test_a_body_that_is_not_json_is_a_bad_request(api, author, first_item):
    response = api.post(f"/items/{first_item.id}/amendments", token=author.token, data="x")
    assert response.status_code == 400
    assert row_count(Amendment) == 0


def test_a_muted_participant_cannot_propose(api, author, first_item):
    author.participant.muted_at = utcnow()
    db.session.commit()
    response = api.post(
        f"/items/{first_item.id}/amendments", token=author.token, json={"text": NEW_WORDING}
    )
    assert response.status_code == 403
    assert row_count(Amendment) == 0


def test_a_closed_consultation_refuses_proposals_and_votes(api, demo, author, proposal):
    demo.status = Status.CLOSED
    db.session.commit()
    response = api.post(
        f"/items/{proposal.item_id}/amendments", token=author.token, json={"text": "Other."}
    )
    assert response.status_code == 409
    vote = api.put(f"/amendments/{proposal.id}/vote", token=author.token, json={"value": "agree"})
    assert vote.status_code == 409
    assert row_count(Amendment) == 1 and row_count(AmendmentVote) == 0


def test_without_a_token_nothing_is_proposed(api, first_item, proposal):
    response = api.post(f"/items/{first_item.id}/amendments", json={"text": NEW_WORDING})
    assert response.status_code == 401
    assert api.get(f"/items/{first_item.id}/amendments").status_code == 401
    assert api.put(f"/amendments/{proposal.id}/vote", json={"value": "agree"}).status_code == 401
    assert row_count(Amendment) == 1 and row_count(AmendmentVote) == 0


def test_another_consultations_item_and_proposal_are_not_found(api, author, proposal):
    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    outsider = join_as(other, "Industry")
    foreign_item = other.documents[0].items[0]
    response = api.post(
        f"/items/{foreign_item.id}/amendments", token=author.token, json={"text": NEW_WORDING}
    )
    assert response.status_code == 404
    assert api.get(f"/items/{proposal.item_id}/amendments", token=outsider.token).status_code == 404
    vote = api.put(f"/amendments/{proposal.id}/vote", token=outsider.token, json={"value": "agree"})
    assert vote.status_code == 404
    assert row_count(Amendment) == 1 and row_count(AmendmentVote) == 0


def test_listing_shows_votes_and_results(api, demo, author, voter, proposal):
    api.put(f"/amendments/{proposal.id}/vote", token=voter.token, json={"value": "agree"})
    response = api.get(f"/items/{proposal.item_id}/amendments", token=voter.token)
    assert response.status_code == 200
    (listed,) = response.get_json()["amendments"]
    assert listed["id"] == proposal.id and listed["mine"] is False
    assert listed["my_vote"] == "agree"
    assert listed["results"]["votes"] == 1
    assert listed["results"]["by_group"]["Civil society and NGOs"] == {"suppressed": True}


def test_results_stay_hidden_until_the_participant_votes_under_after_vote(
    api, demo, author, voter, proposal
):
    demo.results_visibility = ResultsVisibility.AFTER_VOTE
    db.session.commit()
    services.cast_vote(author.participant, proposal, "agree")
    (listed,) = api.get(f"/items/{proposal.item_id}/amendments", token=voter.token).get_json()[
        "amendments"
    ]
    assert listed["results"] is None


def test_hidden_proposals_are_listed_only_to_their_author(api, moderator, author, voter, proposal):
    services.set_hidden(moderator, proposal, True)
    mine = api.get(f"/items/{proposal.item_id}/amendments", token=author.token).get_json()
    assert [a["hidden"] for a in mine["amendments"]] == [True]
    theirs = api.get(f"/items/{proposal.item_id}/amendments", token=voter.token).get_json()
    assert theirs["amendments"] == []
    vote = api.put(f"/amendments/{proposal.id}/vote", token=voter.token, json={"value": "agree"})
    assert vote.status_code == 404


def test_voting_changing_and_withdrawing(api, voter, proposal):
    path = f"/amendments/{proposal.id}/vote"
    first = api.put(path, token=voter.token, json={"value": "agree"})
    assert first.status_code == 200
    assert first.get_json() == {"amendment_id": proposal.id, "value": "agree"}
    second = api.put(path, token=voter.token, json={"value": "strongly_disagree"})
    assert second.get_json()["value"] == "strongly_disagree"
    assert row_count(AmendmentVote) == 1
    assert api.delete(path, token=voter.token).status_code == 204
    assert row_count(AmendmentVote) == 0
    again = api.delete(path, token=voter.token)
    assert again.status_code == 404 and "not voted" in error_message(again)


@pytest.mark.parametrize("value", ["yes", "", 1, None])
def test_a_vote_outside_the_scale_is_refused(api, voter, proposal, value):
    response = api.put(f"/amendments/{proposal.id}/vote", token=voter.token, json={"value": value})
    assert response.status_code == 422
    assert row_count(AmendmentVote) == 0


def test_a_decided_proposal_takes_no_more_votes(api, moderator, voter, proposal):
    services.reject(moderator, proposal, rationale="No.")
    response = api.put(
        f"/amendments/{proposal.id}/vote", token=voter.token, json={"value": "agree"}
    )
    assert response.status_code == 409
    assert row_count(AmendmentVote) == 0


def test_voting_on_an_unknown_proposal_is_not_found(api, voter):
    response = api.put("/amendments/9999/vote", token=voter.token, json={"value": "agree"})
    assert response.status_code == 404
