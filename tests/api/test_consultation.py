from datetime import timedelta

from cocreate.consultations.models import Status
from cocreate.db import utcnow
from cocreate.extensions import db
from tests.api.conftest import count_queries, error_code, error_message

DEMO_TARGET_REFS = [
    *(f"RES-1.{n}" for n in range(1, 5)),
    *(f"RES-2.{n}" for n in range(1, 5)),
    *(f"RES-3.{n}" for n in range(1, 5)),
    *(f"RES-4.{n}" for n in range(1, 4)),
    *(f"RES-5.{n}" for n in range(1, 4)),
]


def test_participant_reads_the_consultation_with_items_in_order(api, demo, member):
    response = api.get(f"/consultations/{demo.id}", token=member.token)

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == demo.id
    assert body["status"] == "open"
    assert body["closes_at"] is None
    assert body["language"] == "en"
    assert body["stakeholder_groups"][0] == "Industry"
    assert len(body["stakeholder_groups"]) == 6
    assert body["regions"][:2] == ["Europe", "Africa"]
    roadmap, guideline = body["documents"]
    assert (roadmap["kind"], guideline["kind"]) == ("roadmap", "guideline")
    assert [item["ref"] for item in roadmap["items"]] == DEMO_TARGET_REFS
    assert [item["ref"] for item in guideline["items"]] == [f"GP-{n}" for n in range(1, 6)]
    assert len(roadmap["sections"]) == 5 and guideline["sections"] == []


def test_targets_carry_a_milestone_year_and_section_and_practices_do_not(api, demo, member):
    roadmap, guideline = api.get(f"/consultations/{demo.id}", token=member.token).get_json()[
        "documents"
    ]
    section_ids = {section["id"] for section in roadmap["sections"]}
    first_target = roadmap["items"][0]
    assert first_target["kind"] == "target"
    assert first_target["milestone_year"] == 2030
    assert first_target["section_id"] == roadmap["sections"][0]["id"]
    assert first_target["indicators"] and first_target["responsible_actors"]
    assert all(item["section_id"] in section_ids for item in roadmap["items"])
    assert {item["milestone_year"] for item in roadmap["items"]} <= {2030, 2040, 2050}
    for practice in guideline["items"]:
        assert practice["kind"] == "practice"
        assert practice["milestone_year"] is None
        assert practice["section_id"] is None
        assert practice["criteria"]


def test_status_is_the_one_in_force(api, demo, member):
    closed_at = utcnow() - timedelta(minutes=1)
    demo.closes_at = closed_at
    db.session.commit()
    body = api.get(f"/consultations/{demo.id}", token=member.token).get_json()
    assert body["status"] == "closed"
    assert body["closes_at"] == closed_at.isoformat()


def test_closed_consultation_stays_readable(api, demo, member):
    demo.status = Status.CLOSED
    db.session.commit()
    response = api.get(f"/consultations/{demo.id}", token=member.token)
    assert response.status_code == 200
    assert response.get_json()["status"] == "closed"


def test_consultation_is_read_in_a_fixed_number_of_queries(api, demo, member):
    path = f"/consultations/{demo.id}"
    with count_queries() as statements:
        response = api.get(path, token=member.token)
    assert response.status_code == 200
    # participant, consultation, documents, sections, items, groups, regions: not one per item
    assert len(statements) == 7, statements


def test_consultation_needs_a_token(api, demo):
    response = api.get(f"/consultations/{demo.id}")
    assert response.status_code == 401
    assert error_code(response) == "unauthenticated"
    assert "Bearer" in error_message(response)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_forged_token_is_unauthenticated(api, demo, member):
    response = api.get(f"/consultations/{demo.id}", token=member.token[:-4] + "AAAA")
    assert response.status_code == 401
    assert error_code(response) == "unauthenticated"


def test_token_sent_with_another_scheme_is_unauthenticated(api, demo, member):
    response = api.get(
        f"/consultations/{demo.id}", headers={"Authorization": f"Token {member.token}"}
    )
    assert response.status_code == 401


def test_participant_of_another_consultation_may_not_read_it(api, demo, outsider):
    response = api.get(f"/consultations/{demo.id}", token=outsider.token)
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    assert "another consultation" in error_message(response)


def test_unknown_consultation_is_not_found(api, demo, member):
    response = api.get("/consultations/9999", token=member.token)
    assert response.status_code == 404


def test_me_needs_a_token(api, demo):
    assert api.get("/me").status_code == 401
