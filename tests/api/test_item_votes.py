from datetime import timedelta

import pytest
import sqlalchemy as sa

from cocreate.consultations.models import Status
from cocreate.db import utcnow
from cocreate.extensions import db
from cocreate.participation.models import Vote, VoteValue
from tests.api.conftest import error_code, error_message, rows


def votes() -> list[tuple[int, VoteValue]]:
    return [tuple(row) for row in db.session.execute(sa.select(Vote.participant_id, Vote.value))]


def test_participant_votes_on_an_item(api, member, first_item):
    response = api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "agree"})
    assert response.status_code == 200
    assert response.get_json() == {"item_id": first_item.id, "value": "agree"}
    assert votes() == [(member.participant.id, VoteValue.AGREE)]


def test_changing_a_vote_keeps_one_vote(api, member, first_item):
    api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "agree"})
    response = api.put(
        f"/items/{first_item.id}/vote", token=member.token, json={"value": "strongly_disagree"}
    )
    assert response.get_json()["value"] == "strongly_disagree"
    assert votes() == [(member.participant.id, VoteValue.STRONGLY_DISAGREE)]


def test_withdrawing_a_vote_removes_it(api, member, first_item):
    api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "no_opinion"})
    response = api.delete(f"/items/{first_item.id}/vote", token=member.token)
    assert response.status_code == 204
    assert votes() == []


def test_withdrawing_without_a_vote_is_not_found(api, member, first_item):
    response = api.delete(f"/items/{first_item.id}/vote", token=member.token)
    assert response.status_code == 404
    assert "not voted" in error_message(response)


@pytest.mark.parametrize("value", ["yes", "AGREE", "", "agree "])
def test_vote_outside_the_scale_is_refused_and_keeps_the_vote(api, member, first_item, value):
    api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "agree"})
    response = api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": value})
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"
    assert "strongly_agree" in error_message(response)
    assert votes() == [(member.participant.id, VoteValue.AGREE)]


@pytest.mark.parametrize("body", [{"value": 1}, {"value": True}, {"value": None}, {}])
def test_vote_value_of_the_wrong_type_is_refused_naming_the_field(api, member, first_item, body):
    response = api.put(f"/items/{first_item.id}/vote", token=member.token, json=body)
    assert response.status_code == 422
    assert "'value'" in error_message(response)
    assert rows()["Vote"] == 0


def test_vote_body_that_is_not_json_is_a_bad_request(api, member, first_item):
    response = api.put(f"/items/{first_item.id}/vote", token=member.token, data="agree")
    assert response.status_code == 400
    assert rows()["Vote"] == 0


def test_vote_on_another_consultations_item_is_not_found(api, member, outsider, other_consultation):
    foreign_item = other_consultation.documents[0].items[0]
    response = api.put(
        f"/items/{foreign_item.id}/vote", token=member.token, json={"value": "agree"}
    )
    assert response.status_code == 404
    assert rows()["Vote"] == 0


def test_vote_on_an_unknown_item_is_not_found(api, member):
    response = api.put("/items/9999/vote", token=member.token, json={"value": "agree"})
    assert response.status_code == 404


def test_vote_needs_a_valid_token(api, member, first_item):
    assert api.put(f"/items/{first_item.id}/vote", json={"value": "agree"}).status_code == 401
    forged = api.put(f"/items/{first_item.id}/vote", token="forged", json={"value": "agree"})
    assert forged.status_code == 401
    assert rows()["Vote"] == 0


def test_vote_is_refused_once_the_consultation_is_closed(api, demo, member, first_item):
    demo.status = Status.CLOSED
    db.session.commit()
    response = api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "agree"})
    assert response.status_code == 409
    assert error_code(response) == "consultation_closed"
    assert rows()["Vote"] == 0


def test_vote_stays_after_the_closing_time_passes(api, demo, member, first_item):
    api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "agree"})
    demo.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    changed = api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "neutral"})
    withdrawn = api.delete(f"/items/{first_item.id}/vote", token=member.token)

    assert (changed.status_code, withdrawn.status_code) == (409, 409)
    assert votes() == [(member.participant.id, VoteValue.AGREE)]
