"""The right of access: a participant downloads everything the consultation keeps about
them, on the "Your data" page and through the API, and nothing about anyone else."""

from __future__ import annotations

import json

from cocreate.consolidation.services import record_dispositions, save_final_text
from cocreate.consultations.models import Status
from cocreate.extensions import db
from cocreate.moderation.services import merge_comments, unmute_participant
from cocreate.participation.services import post_comment
from cocreate.publication.services import publish
from tests.conftest import Browser
from tests.privacy.conftest import ANA_NAME, BO_NAME


def download(browser: Browser, consultation) -> dict:
    response = browser.get(f"/c/{consultation.id}/my-data")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="cocreate-my-data-{consultation.id}.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.get_data(as_text=True))


def test_the_download_holds_exactly_my_contributions(demo, people, ana_browser):
    data = download(ana_browser, demo)
    ana = people.ana.participant
    assert data["format"] == "cocreate-my-data/1"
    assert data["participant"] == {
        "number": ana.id,
        "display_name": ANA_NAME,
        "stakeholder_group": "Industry",
        "region": "Europe",
        "joined_at": ana.created_at.isoformat(),
        "accepted_privacy_at": ana.accepted_privacy_at.isoformat(),
        "muted_at": ana.muted_at.isoformat(),
    }
    assert [(v["item_ref"], v["value"]) for v in data["votes"]] == [
        (demo.documents[0].items[0].ref, "agree"),
        (demo.documents[0].items[1].ref, "strongly_disagree"),
    ]
    comments = {c["id"]: c for c in data["comments"]}
    assert set(comments) == {
        people.ana_comment.id,
        people.ana_reply.id,
        people.ana_hidden.id,
        people.ana_merged.id,
    }
    assert comments[people.ana_reply.id]["parent_id"] == people.bo_comment.id
    assert comments[people.ana_hidden.id]["status"] == "hidden"
    assert comments[people.ana_hidden.id]["hidden_reason"] == "personal_data"
    assert comments[people.ana_hidden.id]["body"] == "Call Ana on 555-0100."
    assert comments[people.ana_merged.id]["merged_into"] == {
        "id": people.ana_comment.id,
        "response": None,
    }
    assert [a["id"] for a in data["amendments"]] == [people.ana_amendment.id]
    assert [v["amendment_id"] for v in data["amendment_votes"]] == [people.bo_amendment.id]
    assert [s["comment_id"] for s in data["supports"]] == [people.bo_comment.id]
    assert [f["comment_id"] for f in data["flags"]] == [people.bo_comment.id]
    text = json.dumps(data, ensure_ascii=False)
    for theirs in (BO_NAME, "Bo says", "Bo's wording", "Cheaper."):
        assert theirs not in text


def test_a_comment_merged_into_someone_elses_gives_its_id_not_its_text(
    demo, moderator, people, ana_browser
):
    unmute_participant(people.ana.participant, moderator)
    again = post_comment(people.ana.participant, demo.documents[0].items[0], "Ana: costs!")
    merge_comments(people.bo_comment, [again], moderator)
    entry = next(c for c in download(ana_browser, demo)["comments"] if c["id"] == again.id)
    assert entry["merged_into"] == {"id": people.bo_comment.id, "response": None}
    assert "Bo says" not in json.dumps(download(ana_browser, demo))


def test_published_responses_come_with_my_contributions(demo, moderator, people, ana_browser):
    item = demo.documents[0].items[0]
    save_final_text(item, moderator, item.text + " Audited.", expected_version=item.final_version)
    record_dispositions(
        demo,
        moderator,
        outcome="taken_up",
        rationale="Audits added.",
        comment_ids=[people.ana_comment.id],
    )
    demo.status = Status.CLOSED
    db.session.commit()
    publish(demo, moderator, confirm_unconsolidated=True)
    data = download(ana_browser, demo)
    assert data["published"]["revision"] == 1
    entry = next(c for c in data["comments"] if c["id"] == people.ana_comment.id)
    assert entry["response"] == {"outcome": "taken_up", "rationale": "Audits added.", "passage": ""}
    merged = next(c for c in data["comments"] if c["id"] == people.ana_merged.id)
    assert merged["merged_into"]["response"]["outcome"] == "taken_up"


def test_the_your_data_page_shows_what_is_kept_and_offers_the_download(demo, people, ana_browser):
    demo.retention_days = 90
    db.session.commit()
    page = ana_browser.get(f"/c/{demo.id}/privacy")
    assert page.status_code == 200
    assert "Your data" in page.text
    assert ANA_NAME in page.text and "Industry" in page.text and "Europe" in page.text
    assert f'class="participant-number">{people.ana.participant.id}<' in page.text
    assert "2 votes" in page.text
    assert "4 comments and replies" in page.text
    assert "Personal data is kept for 90 days after the consultation closes" in page.text
    assert f"/c/{demo.id}/my-data" in page.text
    assert BO_NAME not in page.text


def test_the_consultation_page_links_to_your_data(demo, people, ana_browser):
    page = ana_browser.get(f"/c/{demo.id}")
    assert f'href="/c/{demo.id}/privacy"' in page.text


def test_someone_who_has_not_joined_is_sent_to_the_join_page(demo, web):
    for url in (f"/c/{demo.id}/my-data", f"/c/{demo.id}/privacy"):
        response = web.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/join/{demo.join_code}")


def test_the_api_gives_the_same_data_for_my_token(api, demo, people, ana_browser):
    response = api.get("/me/data", token=people.ana.token)
    assert response.status_code == 200
    data = response.get_json()
    page = download(ana_browser, demo)
    data.pop("exported_at"), page.pop("exported_at")
    assert data == page


def test_the_api_gives_bo_only_bos_data(api, people):
    data = api.get("/me/data", token=people.bo.token).get_json()
    assert data["participant"]["display_name"] == BO_NAME
    assert {c["id"] for c in data["comments"]} == {people.bo_comment.id}
    assert ANA_NAME not in json.dumps(data) and "Ana says" not in json.dumps(data)


def test_the_api_needs_a_participant_token(api, people):
    assert api.get("/me/data").status_code == 401
    assert api.get("/me/data", token="not-a-token").status_code == 401
