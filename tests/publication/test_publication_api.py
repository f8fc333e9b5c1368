"""GET /api/v1/me/comments: "you said, we did" for apps, checked against the contract."""

from __future__ import annotations

from cocreate.publication.services import publish
from tests.api.conftest import error_code
from tests.conftest import count_queries
from tests.publication.conftest import PASSAGE, RATIONALE, close


def by_id(entries: list[dict]) -> dict[int, dict]:
    return {entry["id"]: entry for entry in entries}


def test_my_comments_need_a_token(app, api):
    response = api.get("/me/comments")
    assert response.status_code == 401
    assert error_code(response) == "unauthenticated"
    assert api.get("/me/comments", token="not-a-token").status_code == 401


def test_before_publication_statuses_are_given_without_responses(app, api, feedback):
    body = api.get("/me/comments", token=feedback.ana.token).get_json()
    assert body["published"] is False and body["revision"] is None
    comments = by_id(body["comments"])
    assert set(comments) == {
        feedback.taken_up.id,
        feedback.off_topic.id,
        feedback.duplicate.id,
        feedback.awaiting.id,
    }
    assert comments[feedback.taken_up.id]["status"] == "shown"
    assert comments[feedback.off_topic.id]["status"] == "hidden"
    assert comments[feedback.off_topic.id]["hidden_reason"] == "off_topic"
    assert comments[feedback.awaiting.id]["status"] == "awaiting_approval"
    merged = comments[feedback.duplicate.id]
    assert merged["status"] == "merged"
    assert merged["merged_into"]["id"] == feedback.taken_up.id
    assert all(comment["response"] is None for comment in body["comments"])
    assert body["amendments"][0]["decision"] == "merged"


def test_after_publication_responses_come_from_the_published_revision(
    app, api, demo, moderator, feedback
):
    close(demo)
    publish(demo, moderator, confirm_unconsolidated=True)
    body = api.get("/me/comments", token=feedback.ana.token).get_json()
    assert body["published"] is True and body["revision"] == 1
    comments = by_id(body["comments"])
    assert comments[feedback.taken_up.id]["response"] == {
        "outcome": "taken_up",
        "rationale": RATIONALE,
        "passage": PASSAGE,
    }
    merged = comments[feedback.duplicate.id]
    assert merged["response"] is None
    assert merged["merged_into"]["response"]["outcome"] == "taken_up"
    # A disposition recorded on a hidden comment is never published.
    assert comments[feedback.off_topic.id]["response"] is None
    amendment = body["amendments"][0]
    assert amendment["response"]["outcome"] == "partly_taken_up"


def test_my_comments_are_only_mine(app, api, feedback, demo):
    from tests.conftest import join_as

    newcomer = join_as(demo, "Other")
    body = api.get("/me/comments", token=newcomer.token).get_json()
    assert body == {
        "consultation_id": demo.id,
        "published": False,
        "revision": None,
        "published_at": None,
        "comments": [],
        "amendments": [],
    }


def test_my_comments_run_a_constant_number_of_queries(app, api, feedback, demo, moderator):
    from cocreate.extensions import db
    from cocreate.participation.models import Comment

    close(demo)
    publish(demo, moderator, confirm_unconsolidated=True)

    def queries() -> int:
        with count_queries() as statements:
            assert api.get("/me/comments", token=feedback.ana.token).status_code == 200
        return len(statements)

    few = queries()
    for i in range(10):
        db.session.add(
            Comment(item=feedback.item, participant=feedback.ana.participant, body=f"More {i}")
        )
    db.session.commit()
    assert queries() == few
