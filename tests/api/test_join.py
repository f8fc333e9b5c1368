from datetime import timedelta

import pytest

from cocreate.consultations.models import Status
from cocreate.db import utcnow
from cocreate.extensions import db
from cocreate.participation.models import Participant
from cocreate.participation.services import digest
from tests.api.conftest import error_code, error_message, rows


def join_body(consultation, **overrides) -> dict:
    return {
        "code": consultation.join_code,
        "stakeholder_group": "Civil society and NGOs",
        "region": "Africa",
        "display_name": "Amina",
        "accept_privacy": True,
        **overrides,
    }


def test_joining_returns_a_working_token_the_participant_and_the_consultation(api, demo):
    response = api.post("/join", json=join_body(demo))

    assert response.status_code == 201
    joined = response.get_json()
    participant = db.session.get(Participant, joined["participant"]["id"])
    assert participant.token_digest == digest(joined["token"])
    assert participant.return_code_digest == digest(joined["return_code"].replace("-", ""))
    assert joined["participant"] == {
        "id": participant.id,
        "display_name": "Amina",
        "stakeholder_group": "Civil society and NGOs",
        "region": "Africa",
        "consultation_id": demo.id,
    }
    assert joined["consultation"]["id"] == demo.id
    assert joined["consultation"]["title"] == demo.title
    assert joined["consultation"]["status"] == "open"
    assert response.headers["Cache-Control"] == "no-store"
    me = api.get("/me", token=joined["token"])
    assert me.get_json() == joined["participant"]


def test_join_code_is_read_as_typed_by_hand(api, demo):
    code = demo.join_code.lower()
    response = api.post("/join", json=join_body(demo, code=f" {code[:3]}-{code[3:]} "))
    assert response.status_code == 201


def test_region_and_display_name_may_be_left_out(api, demo):
    body = join_body(demo)
    del body["region"], body["display_name"]
    response = api.post("/join", json=body)
    assert response.status_code == 201
    assert response.get_json()["participant"]["region"] is None
    assert response.get_json()["participant"]["display_name"] == ""


def test_wrong_join_code_is_not_found(api, demo):
    response = api.post("/join", json=join_body(demo, code="ZZZZZZ"))
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert "ZZZZZZ" in error_message(response)
    assert rows()["Participant"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"accept_privacy": False}, "accept_privacy"),
        ({"accept_privacy": None}, "accept_privacy"),
        ({"stakeholder_group": "Pirates"}, "stakeholder_group"),
        ({"stakeholder_group": None}, "stakeholder_group"),
        ({"region": "Atlantis"}, "region"),
        ({"display_name": "x" * 81}, "display_name"),
    ],
)
def test_invalid_join_is_refused_and_adds_nobody(api, demo, change, field):
    response = api.post("/join", json=join_body(demo, **change))
    assert response.status_code == 422, field
    assert error_code(response) == "invalid_input"
    assert rows()["Participant"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": 123456}, "code"),
        ({"code": None}, "code"),
        ({"accept_privacy": "yes"}, "accept_privacy"),
        ({"stakeholder_group": ["Industry"]}, "stakeholder_group"),
        ({"region": 1}, "region"),
        ({"display_name": {"first": "Amina"}}, "display_name"),
    ],
)
def test_field_of_the_wrong_type_is_refused_naming_the_field(api, demo, change, field):
    response = api.post("/join", json=join_body(demo, **change))
    assert response.status_code == 422
    assert f"'{field}'" in error_message(response)
    assert rows()["Participant"] == 0


def test_locked_consultation_refuses_to_join(api, demo):
    demo.joining_locked = True
    db.session.commit()
    response = api.post("/join", json=join_body(demo))
    assert response.status_code == 409
    assert error_code(response) == "consultation_closed"
    assert rows()["Participant"] == 0


def test_closed_consultation_refuses_to_join(api, demo):
    demo.status = Status.CLOSED
    db.session.commit()
    response = api.post("/join", json=join_body(demo))
    assert response.status_code == 409
    assert rows()["Participant"] == 0


def test_consultation_past_its_closing_time_refuses_to_join(api, demo):
    demo.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = api.post("/join", json=join_body(demo))
    assert response.status_code == 409
    assert rows()["Participant"] == 0


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": "code=ABC", "content_type": "application/x-www-form-urlencoded"},
        {"data": "{not json", "content_type": "application/json"},
        {"json": ["not", "an", "object"]},
        {"json": "a string"},
        {},
    ],
    ids=["form", "broken-json", "array", "string", "no-body"],
)
def test_body_that_is_not_a_json_object_is_a_bad_request(api, demo, request_kwargs):
    response = api.post("/join", **request_kwargs)
    assert response.status_code == 400
    assert error_code(response) == "bad_request"
    assert "JSON object" in error_message(response)
    assert rows()["Participant"] == 0
