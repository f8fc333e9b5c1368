"""Pages must not run a query per comment, vote or participant."""

from cocreate.extensions import db
from cocreate.participation.models import Comment, Vote
from tests.conftest import count_queries, join_as


def add_activity(demo, item, n):
    for i in range(n):
        joined = join_as(demo, group=["Industry", "Other"][i % 2], name=f"P{i}")
        db.session.add(Vote(item=item, participant=joined.participant, value="agree"))
        top = Comment(item=item, participant=joined.participant, body=f"Comment {i}")
        db.session.add(top)
        db.session.add(Comment(item=item, participant=joined.participant, body="re", parent=top))
    db.session.commit()


def queries_for(guest, url):
    with count_queries() as statements:
        assert guest.get(url).status_code == 200
    return len(statements)


def test_item_page_queries_do_not_grow_with_comments(app, demo, guest, first_item):
    add_activity(demo, first_item, 3)
    few = queries_for(guest, f"/items/{first_item.id}")
    add_activity(demo, first_item, 30)
    many = queries_for(guest, f"/items/{first_item.id}")
    assert many == few
    # 17 + the item's proposed wording (tests/amendments pins more) + moderators' answers to
    # comments and replies, the guest's flags and their own hidden comments (tests/moderation)
    assert few <= 22, few


def test_overview_queries_do_not_grow_with_items_or_votes(app, demo, guest, first_item):
    add_activity(demo, first_item, 3)
    few = queries_for(guest, f"/c/{demo.id}")
    for item in demo.documents[1].items:
        add_activity(demo, item, 4)
    many = queries_for(guest, f"/c/{demo.id}")
    assert many == few
    assert few <= 12, few


def test_moderator_overview_queries_are_constant(app, demo, moderator, web, first_item):
    web.login("mod@example.org")
    add_activity(demo, first_item, 3)
    few = queries_for(web, f"/manage/{demo.id}")
    add_activity(demo, first_item, 20)
    many = queries_for(web, f"/manage/{demo.id}")
    assert many == few
