from datetime import timedelta

import sqlalchemy as sa

from cocreate.consultations.models import Status
from cocreate.db import utcnow
from cocreate.extensions import db
from cocreate.participation.models import Comment, Vote, VoteValue
from tests.conftest import Browser, join_as, row_count


def test_guest_votes_and_sees_the_tally_update_in_the_fragment(app, guest, first_item):
    response = guest.post(f"/items/{first_item.id}/vote", {"value": "agree"}, htmx=True)
    assert response.status_code == 200
    assert response.headers["Vary"].count("HX-Request")
    assert "<html" not in response.text  # a fragment, not a page
    assert "1 vote" in response.text and "100 % agree" in response.text
    assert "You voted:" in response.text


def test_changing_a_vote_keeps_one_vote_per_participant(app, guest, first_item):
    guest.post(f"/items/{first_item.id}/vote", {"value": "agree"})
    response = guest.post(f"/items/{first_item.id}/vote", {"value": "strongly_disagree"})
    assert response.status_code == 302
    votes = db.session.scalars(sa.select(Vote)).all()
    assert [v.value for v in votes] == [VoteValue.STRONGLY_DISAGREE]


def test_withdrawing_a_vote_removes_it(app, guest, first_item):
    guest.post(f"/items/{first_item.id}/vote", {"value": "agree"})
    response = guest.post(f"/items/{first_item.id}/vote/withdraw", htmx=True)
    assert response.status_code == 200
    assert "No votes yet" in response.text
    assert row_count(Vote) == 0


def test_vote_outside_the_scale_is_refused_and_nothing_changes(app, guest, first_item):
    response = guest.post(f"/items/{first_item.id}/vote", {"value": "love_it"}, htmx=True)
    assert response.status_code == 422
    assert "A vote is one of" in response.text
    assert row_count(Vote) == 0


def test_vote_on_unknown_item_is_404(app, guest):
    assert guest.post("/items/999999/vote", {"value": "agree"}).status_code == 404


def test_participant_cannot_act_in_a_consultation_they_did_not_join(app, guest, demo):
    from cocreate.drafts.importing import parse_draft
    from cocreate.drafts.services import import_draft
    from tests.conftest import DEMO_JSON

    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    other_item = other.documents[0].items[0]
    response = guest.post(f"/items/{other_item.id}/vote", {"value": "agree"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{other.join_code}")
    assert row_count(Vote) == 0


def test_closed_consultation_refuses_votes_and_comments(app, demo, guest, first_item):
    demo.status = Status.CLOSED
    db.session.commit()
    vote = guest.post(f"/items/{first_item.id}/vote", {"value": "agree"}, htmx=True)
    assert vote.status_code == 409
    assert "comments and votes are not accepted" in vote.text
    comment = guest.post(f"/items/{first_item.id}/comments", {"body": "Late"}, htmx=True)
    assert comment.status_code == 409
    assert row_count(Vote) == 0 and row_count(Comment) == 0
    page = guest.get(f"/items/{first_item.id}")
    assert "Voting is closed" in page.text


def test_consultation_closes_by_itself_at_its_closing_time(app, demo, guest, first_item):
    demo.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = guest.post(f"/items/{first_item.id}/vote", {"value": "agree"})
    assert response.status_code == 409
    assert row_count(Vote) == 0


def test_comment_is_shown_escaped_with_line_breaks_kept(app, guest, first_item):
    body = '<script>alert("x")</script>\nSecond line & more'
    response = guest.post(f"/items/{first_item.id}/comments", {"body": body}, htmx=True)
    assert response.status_code == 201
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;\nSecond line &amp; more" in (
        response.text
    )
    assert "<script>alert" not in response.text
    assert db.session.scalars(sa.select(Comment.body)).one() == body


def test_empty_and_oversized_comments_are_refused(app, guest, first_item):
    empty = guest.post(f"/items/{first_item.id}/comments", {"body": "   "}, htmx=True)
    assert empty.status_code == 422
    too_long = guest.post(f"/items/{first_item.id}/comments", {"body": "x" * 2001}, htmx=True)
    assert too_long.status_code == 422
    assert row_count(Comment) == 0
    exact = guest.post(f"/items/{first_item.id}/comments", {"body": "x" * 2000}, htmx=True)
    assert exact.status_code == 201


def test_replies_stay_one_level_deep(app, guest, first_item):
    guest.post(f"/items/{first_item.id}/comments", {"body": "Top"})
    top = db.session.scalars(sa.select(Comment)).one()
    guest.post(f"/items/{first_item.id}/comments", {"body": "Reply", "parent_id": top.id})
    reply = db.session.scalars(sa.select(Comment).where(Comment.body == "Reply")).one()
    guest.post(f"/items/{first_item.id}/comments", {"body": "Deeper", "parent_id": reply.id})
    deeper = db.session.scalars(sa.select(Comment).where(Comment.body == "Deeper")).one()
    assert reply.parent_id == top.id and deeper.parent_id == top.id
    page = guest.get(f"/items/{first_item.id}")
    assert page.text.index("Top") < page.text.index("Reply") < page.text.index("Deeper")


def test_reply_to_a_comment_on_another_item_is_refused(app, guest, demo):
    first, second = demo.documents[0].items[:2]
    guest.post(f"/items/{first.id}/comments", {"body": "On the first"})
    parent = db.session.scalars(sa.select(Comment)).one()
    response = guest.post(f"/items/{second.id}/comments", {"body": "x", "parent_id": parent.id})
    assert response.status_code == 404
    assert row_count(Comment) == 1


def test_small_groups_are_shown_as_fewer_than_five(app, demo, guest, first_item):
    for _ in range(4):
        joined = join_as(demo, group="Finance and investors")
        db.session.add(Vote(item=first_item, participant=joined.participant, value="agree"))
    for _ in range(5):
        joined = join_as(demo, group="Industry")
        db.session.add(Vote(item=first_item, participant=joined.participant, value="disagree"))
    db.session.commit()
    page = guest.get(f"/items/{first_item.id}").text
    finance_row = page.split("Finance and investors</th>")[1].split("</tr>")[0]
    industry_row = page.split("Industry</th>")[1].split("</tr>")[0]
    assert "fewer than 5" in finance_row
    assert "<td>5</td>" in industry_row and "0 %" in industry_row


def test_moderator_sees_small_group_figures(app, demo, moderator, web, first_item):
    joined = join_as(demo, group="Finance and investors")
    db.session.add(Vote(item=first_item, participant=joined.participant, value="agree"))
    db.session.commit()
    web.login("mod@example.org")
    page = web.get(f"/manage/{demo.id}").text
    assert "100 %" in page


def test_overview_lists_every_item_with_my_vote(app, demo, guest, first_item):
    guest.post(f"/items/{first_item.id}/vote", {"value": "neutral"})
    page = guest.get(f"/c/{demo.id}").text
    assert page.count('class="item-row"') == 23
    assert "Your vote: Neutral" in page
    assert "São Paulo" in page or "Santiago" in page


def test_votes_and_comments_are_rate_limited_per_participant(app, demo, guest, first_item):
    app.config["PARTICIPATION_RATE_LIMIT"] = "3/minute"
    for _ in range(3):
        assert guest.post(f"/items/{first_item.id}/vote", {"value": "agree"}).status_code == 302
    assert guest.post(f"/items/{first_item.id}/vote", {"value": "agree"}).status_code == 429
    other = Browser(app.test_client())
    other.join(demo)
    assert other.post(f"/items/{first_item.id}/vote", {"value": "agree"}).status_code == 302


def test_hidden_comments_and_replies_never_reach_participants(app, demo, guest, first_item):
    guest.post(f"/items/{first_item.id}/comments", {"body": "Visible thread"})
    top = db.session.scalars(sa.select(Comment)).one()
    guest.post(f"/items/{first_item.id}/comments", {"body": "Hidden reply", "parent_id": top.id})
    guest.post(f"/items/{first_item.id}/comments", {"body": "Hidden thread"})
    for body in ("Hidden reply", "Hidden thread"):
        db.session.scalars(sa.select(Comment).where(Comment.body == body)).one().hidden = True
    db.session.commit()
    # Another participant: the author still sees their own (tests/moderation).
    other = Browser(app.test_client())
    other.join(demo)
    page = other.get(f"/items/{first_item.id}").text
    assert "Visible thread" in page
    assert "Hidden reply" not in page and "Hidden thread" not in page
