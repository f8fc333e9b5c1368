import sqlalchemy as sa

from cocreate.consultations.models import Status
from cocreate.extensions import db
from cocreate.participation.models import Participant
from tests.conftest import Browser, row_count


def test_participant_joins_with_code_typed_on_the_join_page(app, demo, web):
    web.get("/join")
    response = web.post("/join", {"code": demo.join_code.lower()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{demo.join_code}")
    response = web.join(demo, group="Civil society and NGOs", region="Africa", name="Amina")
    assert response.status_code == 302
    welcome = web.get(response.headers["Location"])
    assert "Civil society and NGOs" in welcome.text
    assert "Your return code" in welcome.text
    participant = db.session.scalars(sa.select(Participant)).one()
    assert participant.display_name == "Amina"
    assert participant.region.name == "Africa"


def test_returning_participant_is_recognised_on_the_same_browser(app, demo, guest):
    response = guest.get(f"/join/{demo.join_code}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/c/{demo.id}")
    assert row_count(Participant) == 1


def test_wrong_join_code_is_explained(app, demo, web):
    web.get("/join")
    response = web.post("/join", {"code": "ZZZZZZ"})
    assert response.status_code == 404
    assert "No consultation has the code ZZZZZZ" in response.text


def test_wrong_join_codes_are_rate_limited_per_address(app, demo, web):
    app.config["WRONG_JOIN_CODE_RATE_LIMIT"] = "3/minute"
    web.get("/join")
    for _ in range(3):
        assert web.post("/join", {"code": "ZZZZZZ"}).status_code == 404
    response = web.post("/join", {"code": demo.join_code})
    assert response.status_code == 429
    assert "Too many attempts" in response.text


def test_many_people_behind_one_address_can_join(app, demo):
    for n in range(40):
        assert Browser(app.test_client()).join(demo).status_code == 302, n
    assert row_count(Participant) == 40


def test_join_needs_group_and_privacy_consent(app, demo, web):
    web.get(f"/join/{demo.join_code}")
    response = web.post(f"/join/{demo.join_code}", {"stakeholder_group": "", "region": ""})
    assert response.status_code == 422
    assert "Please accept the privacy notice" in response.text
    assert "This field is required" in response.text
    assert row_count(Participant) == 0


def test_join_refuses_a_group_that_the_consultation_does_not_have(app, demo, web):
    web.get(f"/join/{demo.join_code}")
    response = web.post(
        f"/join/{demo.join_code}", {"stakeholder_group": "Pirates", "accept_privacy": "y"}
    )
    assert response.status_code == 422
    assert "Choose one of this consultation&#39;s stakeholder groups" in response.text
    assert row_count(Participant) == 0


def test_join_refuses_an_overlong_display_name(app, demo, web):
    response = web.join(demo, name="x" * 81)
    assert response.status_code == 422
    assert row_count(Participant) == 0


def test_locked_consultation_refuses_new_participants(app, demo, web):
    demo.joining_locked = True
    db.session.commit()
    page = web.get(f"/join/{demo.join_code}")
    assert "Joining this consultation is locked" in page.text
    response = web.join(demo)
    assert response.status_code == 409
    assert row_count(Participant) == 0


def test_closed_consultation_refuses_new_participants(app, demo, web):
    demo.status = Status.CLOSED
    db.session.commit()
    response = web.join(demo)
    assert response.status_code == 409
    assert row_count(Participant) == 0


def test_join_form_without_csrf_token_is_refused(app, demo, client):
    response = client.post(
        f"/join/{demo.join_code}", data={"stakeholder_group": "Industry", "accept_privacy": "y"}
    )
    assert response.status_code == 400
    assert "did not come from this site" in response.text
    assert row_count(Participant) == 0


def test_return_code_restores_the_participant_on_another_device(app, demo, guest, first_item):
    guest.post(f"/items/{first_item.id}/vote", {"value": "agree"})
    welcome = guest.get(f"/c/{demo.id}/welcome").text
    code = welcome.split('class="code" aria-label="Return code">')[1].split("<")[0].strip()

    phone = Browser(app.test_client())
    phone.get("/return")
    response = phone.post("/return", {"code": code.lower().replace("-", " ")})
    assert response.status_code == 302
    page = phone.get(f"/items/{first_item.id}")
    assert "You voted:" in page.text and "Agree" in page.text
    assert row_count(Participant) == 1


def test_return_link_restores_the_participant(app, demo, guest):
    code = guest.get(f"/c/{demo.id}/welcome").text.split('aria-label="Return code">')[1][:11]
    laptop = Browser(app.test_client())
    response = laptop.get(f"/return/{code}")
    assert response.status_code == 302
    assert laptop.get(f"/c/{demo.id}").status_code == 200


def test_unknown_return_code_is_explained(app, demo, web):
    web.get("/return")
    response = web.post("/return", {"code": "ABCDE-FGHJK"})
    assert response.status_code == 404
    assert "That return code is not known" in response.text


def test_guest_who_has_not_joined_is_sent_to_the_join_page(app, demo, client, first_item):
    response = client.get(f"/items/{first_item.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{demo.join_code}")
