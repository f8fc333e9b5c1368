"""Moderators record what was done with each comment: several at once, or one by one."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from cocreate.amendments.models import Amendment
from cocreate.audit.models import AuditEntry
from cocreate.consolidation.models import Disposition, Outcome
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db
from cocreate.participation.models import Comment
from tests.conftest import DEMO_JSON, join_as
from tests.consolidation.conftest import add_feedback, consolidate, consolidation_state

FINAL = "Every company reports its supply chain every year, small firms included."


@pytest.fixture
def comments(demo, first_item):
    """Four comments without disposition (add_feedback gives every third one a disposition)."""
    activity = add_feedback(demo, first_item, 6)
    consolidate(first_item, FINAL)
    return [c for i, c in enumerate(activity.comments) if i % 3]


def dispositions_url(consultation) -> str:
    return f"/manage/{consultation.id}/dispositions"


def recorded(comment_id: int) -> Disposition | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Disposition).where(Disposition.comment_id == comment_id))


def test_one_disposition_is_recorded_for_several_selected_comments(
    consolidator, demo, first_item, comments
):
    chosen = comments[:3]

    response = consolidator.post(
        dispositions_url(demo),
        {
            "comment_ids": [str(c.id) for c in chosen],
            "outcome": "partly_taken_up",
            "rationale": "Reporting now covers small firms.",
            "passage": "small firms included",
            "item_id": str(first_item.id),
            "by": "tag",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/manage/items/{first_item.id}/consolidate?by=tag"
    )
    for comment in chosen:
        disposition = recorded(comment.id)
        assert disposition.outcome is Outcome.PARTLY_TAKEN_UP
        assert disposition.rationale == "Reporting now covers small firms."
        assert disposition.passage == "small firms included"
        assert disposition.decided_by.email == "mod@example.org"
    assert recorded(comments[3].id) is None
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "disposition.record")
    )
    assert entry.detail["comment_ids"] == sorted(c.id for c in chosen)
    page = consolidator.get(response.headers["Location"]).text
    assert "3 dispositions recorded." in page
    assert page.count("Partly taken up</strong>: Reporting now covers small firms.") >= 3
    assert "<q>small firms included</q>" in page


def test_recording_again_changes_the_disposition_without_a_second_one(consolidator, demo, comments):
    data = {"comment_ids": [str(comments[0].id)], "rationale": "Why."}
    consolidator.post(dispositions_url(demo), data | {"outcome": "taken_up"})
    consolidator.post(dispositions_url(demo), data | {"outcome": "out_of_scope"})

    rows = db.session.scalars(
        sa.select(Disposition).where(Disposition.comment_id == comments[0].id)
    ).all()
    assert [row.outcome for row in rows] == [Outcome.OUT_OF_SCOPE]


def test_a_single_comment_disposition_by_htmx_returns_its_entry(
    consolidator, demo, first_item, comments
):
    comment = comments[0]

    response = consolidator.post(
        dispositions_url(demo),
        {
            "comment_ids": str(comment.id),
            "outcome": "not_taken_up",
            "rationale": "Outside the roadmap's reach.",
            "item_id": str(first_item.id),
            "by": "stance",
            "group": "agree",
        },
        htmx=True,
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith(
        f'<li class="ws-comment is-decided" id="comment-{comment.id}-agree"'
    )
    assert "Not taken up</strong>: Outside the roadmap&#39;s reach." in response.text
    assert "Change the disposition" in response.text
    assert recorded(comment.id).outcome is Outcome.NOT_TAKEN_UP


def test_a_refused_single_disposition_comes_back_open_with_the_input_kept(
    consolidator, demo, comments
):
    before = consolidation_state()

    response = consolidator.post(
        dispositions_url(demo),
        {"comment_ids": str(comments[0].id), "outcome": "maybe", "rationale": "Keep me"},
        htmx=True,
    )

    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "An outcome is one of: taken_up, partly_taken_up, not_taken_up, out_of_scope." in text
    assert '<details class="ws-dispose" open>' in response.text
    assert ">Keep me</textarea>" in response.text
    assert consolidation_state() == before


def test_the_form_of_one_comment_is_fetched_when_opened_with_its_disposition(
    consolidator, demo, first_item
):
    activity = add_feedback(demo, first_item, 1)  # comment 0 has "Rationale 0"
    comment = activity.comments[0]
    url = f"/manage/{demo.id}/dispositions/form?comment={comment.id}&group=agree"

    fragment = consolidator.get(url, headers={"HX-Request": "true"})
    plain = consolidator.get(url)

    assert fragment.status_code == 200
    assert f'id="comment-{comment.id}-agree-outcome"' in fragment.text
    assert '<option value="taken_up" selected>' in fragment.text
    assert ">Rationale 0</textarea>" in fragment.text
    assert plain.status_code == 302
    assert plain.headers["Location"].endswith(f"/manage/items/{first_item.id}/consolidate#comments")


def test_unknown_outcome_is_refused_with_the_selection_kept_and_nothing_recorded(
    consolidator, demo, first_item, comments
):
    before = consolidation_state()

    response = consolidator.post(
        dispositions_url(demo),
        {
            "comment_ids": [str(c.id) for c in comments[:2]],
            "outcome": "ignored",
            "rationale": "x",
            "item_id": str(first_item.id),
        },
    )

    assert response.status_code == 422
    assert "An outcome is one of:" in response.text
    for comment in comments[:2]:
        assert (
            f'value="{comment.id}" form="bulk-dispositions" id="comment-{comment.id}-'
            in response.text
        )
    assert response.text.count(" data-pick checked") == 2
    assert consolidation_state() == before


def test_a_passage_not_in_the_consolidated_text_is_refused(
    consolidator, demo, first_item, comments
):
    before = consolidation_state()

    response = consolidator.post(
        dispositions_url(demo),
        {
            "comment_ids": [str(comments[0].id)],
            "outcome": "taken_up",
            "passage": "words nobody wrote",
            "item_id": str(first_item.id),
        },
    )

    assert response.status_code == 422
    assert "The passage must be words copied from RES-1.1" in html.unescape(response.text)
    assert consolidation_state() == before


def test_a_passage_is_refused_before_the_first_save(consolidator, demo, first_item):
    activity = add_feedback(demo, first_item, 2)
    before = consolidation_state()

    response = consolidator.post(
        dispositions_url(demo),
        {"comment_ids": [str(activity.comments[1].id)], "outcome": "taken_up", "passage": "Every"},
        htmx=True,
    )

    assert response.status_code == 422
    assert consolidation_state() == before


def test_oversized_rationale_or_no_selection_is_refused(consolidator, demo, first_item, comments):
    before = consolidation_state()
    base = {"outcome": "taken_up", "item_id": str(first_item.id)}

    long = consolidator.post(
        dispositions_url(demo),
        base | {"comment_ids": [str(comments[0].id)], "rationale": "x" * 2001},
    )
    none = consolidator.post(dispositions_url(demo), base)
    garbled = consolidator.post(dispositions_url(demo), base | {"comment_ids": ["1 OR 1=1"]})

    assert long.status_code == 422 and "Too long: 2001 characters, at most 2000." in long.text
    assert none.status_code == 422 and "Select at least one comment or amendment." in none.text
    assert garbled.status_code == 422
    assert consolidation_state() == before


def test_comments_of_another_consultation_are_refused_and_nothing_is_recorded(
    consolidator, demo, moderator, first_item, comments
):
    other = import_draft(
        parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator]
    )
    stranger = join_as(other).participant
    foreign = Comment(item=other.documents[0].items[0], participant=stranger, body="Elsewhere")
    db.session.add(foreign)
    db.session.commit()
    before = consolidation_state()

    mixed = consolidator.post(
        dispositions_url(demo),
        {
            "comment_ids": [str(comments[0].id), str(foreign.id)],
            "outcome": "taken_up",
            "item_id": str(first_item.id),
        },
    )
    alone = consolidator.post(
        dispositions_url(demo),
        {"comment_ids": str(foreign.id), "outcome": "bogus"},
        htmx=True,
    )
    form = consolidator.get(
        f"/manage/{demo.id}/dispositions/form?comment={foreign.id}", headers={"HX-Request": "true"}
    )

    assert mixed.status_code == 404
    assert "nothing was recorded" in mixed.text
    assert alone.status_code == 404 and "Elsewhere" not in alone.text
    assert form.status_code == 404 and "Elsewhere" not in form.text
    assert consolidation_state() == before


def test_an_amendment_can_be_given_a_disposition_too(consolidator, demo, first_item):
    author = join_as(demo).participant
    amendment = Amendment(
        item=first_item, participant=author, base_text=first_item.text, text="New wording."
    )
    db.session.add(amendment)
    db.session.commit()

    response = consolidator.post(
        dispositions_url(demo),
        {"amendment_ids": str(amendment.id), "outcome": "not_taken_up", "rationale": "Too vague."},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/{demo.id}/consolidation")
    disposition = db.session.scalar(
        sa.select(Disposition).where(Disposition.amendment_id == amendment.id)
    )
    assert (disposition.outcome, disposition.rationale) == (Outcome.NOT_TAKEN_UP, "Too vague.")


def test_a_workspace_of_another_consultation_to_return_to_is_refused_first(
    consolidator, demo, moderator, comments
):
    other = import_draft(
        parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator]
    )
    before = consolidation_state()

    response = consolidator.post(
        dispositions_url(demo),
        {
            "comment_ids": str(comments[0].id),
            "outcome": "taken_up",
            "item_id": str(other.documents[0].items[0].id),
        },
    )

    assert response.status_code == 404
    assert consolidation_state() == before
