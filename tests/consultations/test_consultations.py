import io
import json

import pytest
import sqlalchemy as sa

from cocreate.consultations.models import Consultation, Status
from cocreate.consultations.services import JOIN_CODE_ALPHABET, change_status
from cocreate.drafts.models import Item
from cocreate.errors import InvalidInput, NotAllowed
from cocreate.extensions import db
from tests.conftest import DEMO_JSON, row_count

DEMO_CSV = DEMO_JSON.with_suffix(".csv")


def test_join_codes_avoid_look_alike_characters(app, demo):
    assert len(demo.join_code) == 6
    assert set(demo.join_code) <= set(JOIN_CODE_ALPHABET)
    assert not set("0O1Il") & set(JOIN_CODE_ALPHABET)


def test_moderator_creates_a_draft_consultation(app, moderator, web):
    web.login("mod@example.org")
    response = web.post("/manage/new", {"title": "Battery metals", "language": "fr"})
    assert response.status_code == 302
    consultation = db.session.scalars(sa.select(Consultation)).one()
    assert consultation.status is Status.DRAFT
    assert [g.name for g in consultation.stakeholder_groups][0] == "Industry"
    assert len(consultation.stakeholder_groups) == 6
    assert consultation.moderators == [moderator]


def test_new_consultation_needs_a_title(app, moderator, web):
    web.login("mod@example.org")
    response = web.post("/manage/new", {"title": "", "language": "en"})
    assert response.status_code == 422
    assert row_count(Consultation) == 0


def test_lifecycle_moves_draft_open_closed_published(app, demo, moderator, web):
    demo.status = Status.DRAFT
    db.session.commit()
    web.login("mod@example.org")
    for status in ("open", "closed"):
        web.post(f"/manage/{demo.id}/status", {"status": status})
        db.session.refresh(demo)
        assert demo.status.value == status
    # Publishing has its own page (see tests/publication).
    web.post(f"/manage/{demo.id}/publish", {"confirm_unconsolidated": "y"})
    db.session.refresh(demo)
    assert demo.status is Status.PUBLISHED
    page = web.get(f"/manage/{demo.id}")
    assert "published" in page.text


def test_lifecycle_refuses_to_skip_steps(app, demo, moderator):
    with pytest.raises(InvalidInput):
        change_status(demo, moderator, Status.PUBLISHED)
    assert demo.status is Status.OPEN


def test_a_consultation_cannot_open_without_items(app, moderator, web):
    web.login("mod@example.org")
    web.post("/manage/new", {"title": "Empty", "language": "en"})
    consultation = db.session.scalars(sa.select(Consultation)).one()
    response = web.post(f"/manage/{consultation.id}/status", {"status": "open"})
    page = web.get(response.headers["Location"])
    assert "Add at least one target or good practice" in page.text
    db.session.refresh(consultation)
    assert consultation.status is Status.DRAFT


def test_regenerated_join_code_replaces_the_old_one(app, demo, moderator, web):
    old = demo.join_code
    web.login("mod@example.org")
    web.post(f"/manage/{demo.id}/join-code")
    db.session.refresh(demo)
    assert demo.join_code != old
    assert web.get(f"/join/{old}").status_code == 404
    assert web.get(f"/join/{demo.join_code}").status_code == 200


def test_moderator_locks_and_unlocks_joining(app, demo, moderator, web):
    web.login("mod@example.org")
    web.post(f"/manage/{demo.id}/joining", {"locked": "1"})
    db.session.refresh(demo)
    assert demo.joining_locked
    web.post(f"/manage/{demo.id}/joining", {"locked": "0"})
    db.session.refresh(demo)
    assert not demo.joining_locked


def test_settings_update_groups_regions_and_closing_time(app, demo, moderator, web):
    web.login("mod@example.org")
    web.get(f"/manage/{demo.id}/settings")
    response = web.post(
        f"/manage/{demo.id}/settings",
        {
            "title": "New title",
            "summary": "S",
            "language": "pt-BR",
            "closes_at": "2031-01-02T10:30",
            "privacy_notice": "We keep little.",
            "stakeholder_groups": "Industry\nCommunities\n",
            "regions": "Andes\nSahel",
        },
    )
    assert response.status_code == 302, response.text
    db.session.refresh(demo)
    assert demo.title == "New title" and demo.language == "pt-BR"
    assert [g.name for g in demo.stakeholder_groups] == ["Industry", "Communities"]
    assert [r.name for r in demo.regions] == ["Andes", "Sahel"]
    assert demo.closes_at.isoformat() == "2031-01-02T10:30:00+00:00"


def test_settings_refuse_duplicate_groups_and_change_nothing(app, demo, moderator, web):
    web.login("mod@example.org")
    web.get(f"/manage/{demo.id}/settings")
    response = web.post(
        f"/manage/{demo.id}/settings",
        {"title": "Changed", "language": "en", "stakeholder_groups": "Industry\nindustry"},
    )
    assert response.status_code == 422
    assert "listed twice" in response.text
    db.session.refresh(demo)
    assert demo.title.startswith("Responsible sourcing")
    assert len(demo.stakeholder_groups) == 6


def test_a_group_that_participants_chose_cannot_be_removed(app, demo, moderator, web, guest):
    web.login("mod@example.org")
    web.get(f"/manage/{demo.id}/settings")
    response = web.post(
        f"/manage/{demo.id}/settings",
        {"title": demo.title, "language": "en", "stakeholder_groups": "Other"},
    )
    assert response.status_code == 422
    assert "already chosen Industry" in response.text


def test_moderator_adds_another_moderator(app, demo, moderator, other_moderator, web):
    web.login("mod@example.org")
    web.post(f"/manage/{demo.id}/moderators", {"email": "other@example.org"})
    db.session.refresh(demo)
    assert other_moderator in demo.moderators


def test_other_consultations_moderator_is_refused_everywhere(app, demo, other_moderator, web):
    web.login("other@example.org")
    assert web.get(f"/manage/{demo.id}").status_code == 403
    assert web.get(f"/manage/{demo.id}/settings").status_code == 403
    assert web.post(f"/manage/{demo.id}/status", {"status": "closed"}).status_code == 403
    assert web.post(f"/manage/{demo.id}/join-code").status_code == 403
    assert (
        web.post(f"/manage/{demo.id}/moderators", {"email": "other@example.org"}).status_code == 403
    )
    db.session.refresh(demo)
    assert demo.status is Status.OPEN and other_moderator not in demo.moderators
    assert "Responsible sourcing" not in web.get("/manage/").text


def test_guest_on_a_moderator_page_is_sent_to_login(app, demo, client):
    response = client.get(f"/manage/{demo.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_participant_cannot_use_moderator_actions(app, demo, guest):
    response = guest.post(f"/manage/{demo.id}/status", {"status": "closed"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.refresh(demo)
    assert demo.status is Status.OPEN


def test_administrators_moderate_consultations_imported_without_moderator(app, admin, web):
    result = app.test_cli_runner().invoke(args=["import-draft", str(DEMO_JSON), "--json"])
    consultation_id = json.loads(result.output)["id"]
    web.login("admin@example.org")
    assert web.get(f"/manage/{consultation_id}").status_code == 200


def test_moderator_imports_a_draft_from_the_browser(app, moderator, web):
    web.login("mod@example.org")
    web.get("/manage/")
    response = web.post(
        "/manage/import",
        {"file": (io.BytesIO(DEMO_CSV.read_bytes()), "renewable-energy-draft.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    consultation = db.session.scalars(sa.select(Consultation)).one()
    assert consultation.status is Status.OPEN
    assert row_count(Item) == 23


def test_a_broken_upload_is_refused_whole_with_the_place_of_the_problem(app, moderator, web):
    draft = json.loads(DEMO_JSON.read_text())
    draft["documents"][0]["sections"][2]["targets"][1]["milestone_year"] = "2030s"
    web.login("mod@example.org")
    web.get("/manage/")
    response = web.post(
        "/manage/import",
        {"file": (io.BytesIO(json.dumps(draft).encode()), "draft.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert (
        "documents[0].sections[2].targets[1].milestone_year: expected a year such as 2030, "
        "got &#34;2030s&#34;"
    ) in response.text
    assert row_count(Consultation) == 0 and row_count(Item) == 0


def test_cli_import_prints_id_and_join_code(app):
    result = app.test_cli_runner().invoke(args=["import-draft", str(DEMO_JSON), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    consultation = db.session.get(Consultation, report["id"])
    assert consultation.join_code == report["join_code"]
    assert consultation.status is Status.OPEN
    assert consultation.moderators == []


def test_cli_import_of_the_csv_keeps_texts_exactly(app):
    result = app.test_cli_runner().invoke(args=["import-draft", str(DEMO_CSV)])
    assert result.exit_code == 0, result.output
    assert "join code" in result.output
    original = DEMO_CSV.read_text(encoding="utf-8")
    items = db.session.scalars(sa.select(Item)).all()
    assert all(item.text in original for item in items)
    assert any("€" in indicator for item in items for indicator in item.indicators)


def test_cli_refuses_a_broken_file_with_nonzero_exit_and_imports_nothing(app, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "cocreate-draft/1",\n  "consultation": {"title": "x"},,\n}')
    result = app.test_cli_runner().invoke(args=["import-draft", str(broken)])
    assert result.exit_code != 0
    assert "line 2, column" in result.output
    assert row_count(Consultation) == 0


def test_cli_refuses_an_unknown_moderator(app):
    result = app.test_cli_runner().invoke(
        args=["import-draft", str(DEMO_JSON), "--moderator", "nobody@example.org"]
    )
    assert result.exit_code != 0
    assert "No account has the address nobody@example.org" in result.output
    assert row_count(Consultation) == 0


def test_cli_import_puts_the_named_moderator_in_charge(app, moderator):
    result = app.test_cli_runner().invoke(
        args=["import-draft", str(DEMO_JSON), "--moderator", "mod@example.org", "--json"]
    )
    consultation = db.session.get(Consultation, json.loads(result.output)["id"])
    assert consultation.moderators == [moderator]


def test_seed_demo_loads_once_and_prints_a_fresh_password_each_time(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert row_count(Consultation) == 1
    password = first.output.split("moderator@example.org / ")[1].split()[0]
    assert password not in second.output
    code = db.session.scalars(sa.select(Consultation.join_code)).one()
    assert code in first.output


def test_not_allowed_is_raised_by_services_for_strangers(app, demo, other_moderator):
    with pytest.raises(NotAllowed):
        change_status(demo, other_moderator, Status.CLOSED)
