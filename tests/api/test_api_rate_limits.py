from tests.api.conftest import error_code, rows
from tests.conftest import join_as


def test_too_many_wrong_join_codes_are_refused_with_json(app, api, demo):
    app.config["WRONG_JOIN_CODE_RATE_LIMIT"] = "2/minute"
    body = {"code": "ZZZZZZ", "stakeholder_group": "Industry", "accept_privacy": True}
    assert [api.post("/join", json=body).status_code for _ in range(2)] == [404, 404]

    response = api.post("/join", json={**body, "code": demo.join_code})

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert "Retry-After" in response.headers
    assert rows()["Participant"] == 0


def test_right_join_codes_do_not_use_up_the_wrong_code_allowance(app, api, demo):
    app.config["WRONG_JOIN_CODE_RATE_LIMIT"] = "2/minute"
    body = {"code": demo.join_code, "stakeholder_group": "Industry", "accept_privacy": True}
    assert {api.post("/join", json=body).status_code for _ in range(4)} == {201}


def test_too_many_votes_in_a_minute_are_refused_with_json(app, api, demo, member, first_item):
    app.config["PARTICIPATION_RATE_LIMIT"] = "2/minute"
    path = f"/items/{first_item.id}/vote"
    for value in ["agree", "neutral"]:
        assert api.put(path, token=member.token, json={"value": value}).status_code == 200

    response = api.put(path, token=member.token, json={"value": "disagree"})

    assert response.status_code == 429
    assert error_code(response) == "rate_limited"
    assert (
        api.get(f"/items/{first_item.id}/results", token=member.token).get_json()["counts"][
            "neutral"
        ]
        == 1
    )


def test_participants_are_limited_one_by_one_not_by_address(app, api, demo, member, first_item):
    app.config["PARTICIPATION_RATE_LIMIT"] = "1/minute"
    neighbour = join_as(demo, "Other")
    path = f"/items/{first_item.id}/comments"
    assert api.post(path, token=member.token, json={"body": "One."}).status_code == 201
    assert api.post(path, token=member.token, json={"body": "Two."}).status_code == 429
    assert api.post(path, token=neighbour.token, json={"body": "Mine."}).status_code == 201
