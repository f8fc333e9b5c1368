"""You said, we did: each participant's own comments, their status, and what was done."""

from __future__ import annotations

import re

import pytest

from cocreate.extensions import db
from cocreate.participation.identity import SESSION_KEY
from cocreate.publication.services import contributions_of, publish, publish_correction
from tests.conftest import count_queries
from tests.publication.conftest import RATIONALE, close, consolidate

NOT_YET = "The moderators have not published their response yet"


@pytest.fixture
def ana_browser(app, feedback):
    """A browser that is Ana, as if she had joined on it."""
    client = app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = {str(feedback.item.consultation_id): feedback.ana.participant.id}
    return client


def entry_of(page: str, kind: str, subject_id: int) -> str:
    match = re.search(rf'<li class="mine panel" id="{kind}-{subject_id}">.*?</li>', page, re.S)
    assert match, f"{kind} {subject_id} is not on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


def publish_demo(demo, moderator):
    close(demo)
    publish(demo, moderator, confirm_unconsolidated=True)


def test_before_publication_each_comment_shows_its_status_and_no_response(
    app, demo, feedback, ana_browser
):
    page = ana_browser.get(f"/c/{demo.id}/mine").text
    assert NOT_YET in page
    assert "Shown to everyone." in entry_of(page, "comment", feedback.taken_up.id)
    assert "Hidden by the moderators: Off-topic." in entry_of(
        page, "comment", feedback.off_topic.id
    )
    assert "Waiting for the moderators to approve it" in entry_of(
        page, "comment", feedback.awaiting.id
    )
    merged = entry_of(page, "comment", feedback.duplicate.id)
    assert "Merged into a similar comment" in merged
    assert "Reports mean nothing &lt;b&gt;without&lt;/b&gt; an independent check." in merged
    # Dispositions recorded but not yet published stay private.
    assert RATIONALE not in page


def test_after_publication_the_published_disposition_is_shown(
    app, demo, moderator, feedback, ana_browser
):
    publish_demo(demo, moderator)
    page = ana_browser.get(f"/c/{demo.id}/mine").text
    assert NOT_YET not in page
    taken_up = entry_of(page, "comment", feedback.taken_up.id)
    assert "We did Taken up" in taken_up
    assert RATIONALE in taken_up and "checked by an independent auditor" in taken_up
    merged = entry_of(page, "comment", feedback.duplicate.id)
    assert "We did Taken up" in merged and RATIONALE in merged
    assert "the one to the comment yours was merged into" in merged
    hidden = entry_of(page, "comment", feedback.off_topic.id)
    assert "Hidden comments get no published response." in hidden
    assert "Off topic." not in hidden  # recorded on a hidden comment: never published
    amendment = entry_of(page, "amendment", feedback.amendment.id)
    assert "Partly taken up" in amendment and "We kept the yearly rhythm." in amendment
    assert "Worked into the consolidated text" in amendment


def test_the_response_comes_from_the_latest_revision(app, demo, moderator, feedback):
    from cocreate.consolidation.services import record_dispositions

    publish_demo(demo, moderator)
    record_dispositions(
        demo,
        moderator,
        outcome="partly_taken_up",
        rationale="On second thought, partly.",
        comment_ids=[feedback.taken_up.id],
    )
    entry = next(
        e
        for e in contributions_of(feedback.ana.participant).comments
        if e.id == feedback.taken_up.id
    )
    assert entry.response.outcome == "taken_up"  # not public until a correction
    consolidate(feedback.item, moderator, feedback.item.final_text + " Amended.")
    publish_correction(demo, moderator, "Reviewed a disposition.")
    db.session.expire_all()
    entry = next(
        e
        for e in contributions_of(feedback.ana.participant).comments
        if e.id == feedback.taken_up.id
    )
    assert (entry.response.outcome, entry.response.rationale) == (
        "partly_taken_up",
        "On second thought, partly.",
    )


def test_participants_see_only_their_own_comments(app, demo, feedback, ana_browser):
    page = ana_browser.get(f"/c/{demo.id}/mine").text
    assert feedback.spam.body not in page
    assert feedback.rehearsal.body not in page
    own = contributions_of(feedback.other_participant)
    assert {entry.id for entry in own.comments} == {feedback.spam.id, feedback.rehearsal.id}


def test_a_browser_that_did_not_join_is_sent_to_the_join_page(app, demo, client):
    response = client.get(f"/c/{demo.id}/mine")
    assert response.status_code == 302
    assert f"/join/{demo.join_code}" in response.headers["Location"]


def test_the_participant_page_links_to_your_contributions(app, demo, guest):
    page = guest.get(f"/c/{demo.id}").text
    assert f'href="/c/{demo.id}/mine"' in page


def test_the_page_runs_a_constant_number_of_queries(app, demo, moderator, feedback, ana_browser):
    from cocreate.participation.models import Comment

    publish_demo(demo, moderator)

    def queries() -> int:
        with count_queries() as statements:
            assert ana_browser.get(f"/c/{demo.id}/mine").status_code == 200
        return len(statements)

    few = queries()
    for i in range(10):
        db.session.add(
            Comment(item=feedback.item, participant=feedback.ana.participant, body=f"More {i}")
        )
    db.session.commit()
    assert queries() == few
