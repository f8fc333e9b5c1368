"""What participants notice of moderation: their own hidden comments and why, answers under
comments, flags, pre-moderation, the word list, muting (pages and API), and the settings
and live console that switch these on."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cocreate.consultations.models import Status
from cocreate.extensions import db
from cocreate.moderation import services
from cocreate.moderation.models import Flag, HideReason
from cocreate.participation.models import Comment, Vote
from tests.api.conftest import ContractClient
from tests.conftest import Browser, join_as
from tests.moderation.conftest import comment, snapshot


@pytest.fixture
def api(app, client):
    return ContractClient(app, client)


@pytest.fixture
def author(app, demo):
    """A participant who joined through the page, as Ana."""
    browser = Browser(app.test_client())
    assert browser.join(demo, name="Ana").status_code == 302
    return browser


@pytest.fixture
def reader(app, demo):
    browser = Browser(app.test_client())
    assert browser.join(demo, group="Other", name="Rita").status_code == 302
    return browser


def only_comment() -> Comment:
    return db.session.scalars(sa.select(Comment).order_by(Comment.id.desc())).first()


def item_page(browser, item) -> str:
    response = browser.get(f"/items/{item.id}")
    assert response.status_code == 200
    return response.text


def test_the_author_sees_their_hidden_comment_and_why_others_do_not_see_it(
    demo, moderator, author, reader, first_item
):
    author.post(f"/items/{first_item.id}/comments", {"body": "My phone is 555-0100."})
    services.hide_comment(only_comment(), moderator, HideReason.PERSONAL_DATA)
    mine = item_page(author, first_item)
    assert "Your comments not shown to others" in mine
    assert "My phone is 555-0100." in mine
    assert "Hidden by the moderators: Personal data." in mine
    theirs = item_page(reader, first_item)
    assert "555-0100" not in theirs and "Your comments not shown to others" not in theirs


def test_the_author_of_a_reply_to_a_hidden_comment_is_told_why_it_vanished(
    demo, moderator, author, ana, first_item
):
    thread = comment(ana, first_item, "Thread.")
    author.post(f"/items/{first_item.id}/comments", {"body": "My reply.", "parent_id": thread.id})
    services.hide_comment(db.session.get(Comment, thread.id), moderator, "spam")
    page = item_page(author, first_item)
    assert "My reply." in page
    assert "The comment you replied to is hidden" in page


def test_the_author_sees_the_note_of_other(demo, moderator, author, first_item):
    author.post(f"/items/{first_item.id}/comments", {"body": "Buy my panels."})
    services.hide_comment(only_comment(), moderator, "other", "Advertising is not allowed here.")
    page = item_page(author, first_item)
    assert "Hidden by the moderators: Other." in page
    assert "Advertising is not allowed here." in page


def test_the_author_of_a_merged_comment_is_told_where_it_went(demo, moderator, author, first_item):
    kept = comment(join_as(demo, "Other", name="Kim").participant, first_item, "Kept wording.")
    author.post(f"/items/{first_item.id}/comments", {"body": "Same as Kim."})
    services.merge_comments(kept, [only_comment()], moderator)
    page = item_page(author, first_item)
    assert "Same as Kim." in page and "Merged with a similar comment" in page
    assert f'href="#comment-{kept.id}"' in page


def test_moderator_answers_show_under_the_comment_signed_moderators(
    demo, moderator, reader, ana, first_item
):
    posted = comment(ana, first_item, "Why cobalt?")
    services.answer_comment(posted, moderator, "Because of the batteries.")
    page = item_page(reader, first_item)
    assert "<strong>Moderators:</strong> Because of the batteries." in page
    assert moderator.email not in page


def test_answers_come_with_comments_in_the_api(api, demo, moderator, ana, first_item):
    reader = join_as(demo, "Other")
    posted = comment(ana, first_item, "Why cobalt?")
    reply = comment(ana, first_item, "And lithium?", parent=posted)
    services.answer_comment(posted, moderator, "Batteries.")
    services.answer_comment(reply, moderator, "Also batteries.")
    thread = api.get(f"/items/{first_item.id}/comments", token=reader.token).get_json()
    [listed] = thread["comments"]
    assert [a["body"] for a in listed["answers"]] == ["Batteries."]
    assert [a["body"] for a in listed["replies"][0]["answers"]] == ["Also batteries."]


# -- flags -----------------------------------------------------------------------------------


def test_a_participant_flags_anothers_comment_once(demo, author, reader, first_item):
    author.post(f"/items/{first_item.id}/comments", {"body": "Flag me."})
    posted = only_comment()
    assert f"/comments/{posted.id}/flag" not in item_page(author, first_item)
    page = item_page(reader, first_item)
    assert f"/comments/{posted.id}/flag" in page
    response = reader.post(f"/comments/{posted.id}/flag", htmx=True)
    assert response.status_code == 200 and "You flagged this" in response.text
    reader.post(f"/comments/{posted.id}/flag", htmx=True)
    assert db.session.get(Comment, posted.id).flag_count == 1
    assert "You flagged this" in item_page(reader, first_item)


def test_flagging_ones_own_comment_is_refused_on_the_page(demo, author, first_item):
    author.post(f"/items/{first_item.id}/comments", {"body": "Mine."})
    posted = only_comment()
    before = snapshot()
    response = author.post(f"/comments/{posted.id}/flag", htmx=True)
    assert response.status_code == 403 and "your own comment" in response.text
    assert author.post(f"/comments/{posted.id}/flag").status_code == 302
    assert snapshot() == before


def test_flags_are_rate_limited_like_supports(app, demo, reader, ana, first_item):
    app.config["PARTICIPATION_RATE_LIMIT"] = "2/minute"
    comments = [comment(ana, first_item, f"C{n}") for n in range(3)]
    assert reader.post(f"/comments/{comments[0].id}/flag").status_code == 302
    assert reader.post(f"/comments/{comments[1].id}/flag").status_code == 302
    assert reader.post(f"/comments/{comments[2].id}/flag").status_code == 429
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 2


def test_flagging_through_the_api(api, demo, ana, first_item):
    reader = join_as(demo, "Other")
    posted = comment(ana, first_item)
    response = api.post(f"/comments/{posted.id}/flag", token=reader.token)
    assert response.status_code == 200 and response.get_json()["id"] == posted.id
    assert api.post(f"/comments/{posted.id}/flag", token=reader.token).status_code == 200
    assert db.session.get(Comment, posted.id).flag_count == 1
    own = comment(reader.participant, first_item)
    late = join_as(demo, "Other")
    before = snapshot()
    assert api.post(f"/comments/{own.id}/flag", token=reader.token).status_code == 403
    assert api.post("/comments/99999/flag", token=reader.token).status_code == 404
    assert api.post(f"/comments/{posted.id}/flag").status_code == 401
    demo.status = Status.CLOSED
    db.session.commit()
    assert api.post(f"/comments/{posted.id}/flag", token=late.token).status_code == 409
    assert snapshot() == before


# -- pre-moderation and the word list --------------------------------------------------------


def test_premoderation_shows_a_comment_only_once_approved(
    demo, moderator, author, reader, first_item
):
    demo.premoderation = True
    db.session.commit()
    response = author.post(
        f"/items/{first_item.id}/comments", {"body": "Please approve."}, htmx=True
    )
    assert response.status_code == 201
    assert "Waiting for a moderator to approve it." in response.text
    posted = only_comment()
    assert posted.hidden and posted.awaiting_approval
    assert "Please approve." not in item_page(reader, first_item)
    services.approve_comment(posted, moderator)
    assert "Please approve." in item_page(reader, first_item)
    assert "Your comments not shown to others" not in item_page(author, first_item)


def test_premoderation_through_the_api_stores_the_comment_hidden(api, demo, first_item):
    demo.premoderation = True
    db.session.commit()
    member = join_as(demo, "Industry")
    response = api.post(
        f"/items/{first_item.id}/comments", token=member.token, json={"body": "Via the API."}
    )
    assert response.status_code == 201
    assert db.session.get(Comment, response.get_json()["id"]).awaiting_approval
    listed = api.get(f"/items/{first_item.id}/comments", token=join_as(demo, "Other").token)
    assert listed.get_json()["comments"] == []


def test_settings_switch_premoderation_and_the_word_list_on(demo, mod, author, first_item):
    mod.get(f"/manage/{demo.id}/settings")
    page = mod.get(f"/manage/{demo.id}/settings").text
    assert "Pre-moderation" in page and "Words that mark a comment for review" in page
    response = mod.post(
        f"/manage/{demo.id}/settings",
        settings_form(demo, premoderation="y", review_words="  Scam \n\nphone number\nscam\n"),
    )
    assert response.status_code == 302, response.text
    db.session.refresh(demo)
    assert demo.premoderation and demo.review_words == "Scam\nphone number"
    author.post(f"/items/{first_item.id}/comments", {"body": "This is a scam"})
    posted = only_comment()
    assert posted.needs_review and posted.awaiting_approval


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("\n".join(f"word{n}" for n in range(201)), "at most 200 words"),
        ("x" * 61, "at most 60 characters"),
    ],
)
def test_a_word_list_too_long_is_refused_and_nothing_changes(demo, mod, words, message):
    mod.get(f"/manage/{demo.id}/settings")
    response = mod.post(
        f"/manage/{demo.id}/settings",
        settings_form(demo, title="Changed", premoderation="y", review_words=words),
    )
    assert response.status_code == 422 and message in response.text
    db.session.refresh(demo)
    assert not demo.premoderation and demo.review_words == "" and demo.title != "Changed"


def settings_form(demo, **changes) -> dict:
    form = {
        "title": demo.title,
        "language": "en",
        "stakeholder_groups": "\n".join(g.name for g in demo.stakeholder_groups),
        "regions": "\n".join(r.name for r in demo.regions),
        "results_visibility": demo.results_visibility.value,
    }
    return {**form, **changes}


# -- muting ----------------------------------------------------------------------------------


def test_a_muted_participant_is_told_so_on_the_page_and_can_still_vote(
    demo, moderator, author, first_item
):
    author.post(f"/items/{first_item.id}/comments", {"body": "Before."})
    services.mute_participant(only_comment().participant, moderator)
    page = item_page(author, first_item)
    assert "muted you" in page and "Post comment" not in page and "Post reply" not in page
    before = snapshot()
    response = author.post(f"/items/{first_item.id}/comments", {"body": "After."}, htmx=True)
    assert response.status_code == 403 and "muted you" in response.text
    response = author.post(f"/items/{first_item.id}/comments", {"body": "After."})
    assert response.status_code == 403 and "muted you" in response.text
    response = author.post(
        f"/items/{first_item.id}/comments", {"body": "A reply.", "parent_id": only_comment().id}
    )
    assert response.status_code == 403
    assert snapshot() == before
    assert author.post(f"/items/{first_item.id}/vote", {"value": "agree"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 1


def test_a_muted_participant_is_refused_by_the_api(api, demo, moderator, first_item):
    member = join_as(demo, "Industry")
    services.mute_participant(member.participant, moderator)
    before = snapshot()
    response = api.post(
        f"/items/{first_item.id}/comments", token=member.token, json={"body": "Hello"}
    )
    assert response.status_code == 403
    assert "muted you" in response.get_json()["error"]["message"]
    assert snapshot() == before
    vote = api.put(f"/items/{first_item.id}/vote", token=member.token, json={"value": "agree"})
    assert vote.status_code == 200


# -- the live console ------------------------------------------------------------------------


def test_the_live_consoles_one_click_hide_uses_off_topic(demo, mod, ana, first_item):
    posted = comment(ana, first_item)
    mod.get(f"/manage/{demo.id}/live")
    response = mod.post(f"/manage/comments/{posted.id}/hidden", {"hidden": "1"}, htmx=True)
    assert response.status_code == 204
    stored = db.session.get(Comment, posted.id)
    assert stored.hidden and stored.hidden_reason is HideReason.OFF_TOPIC


def test_the_live_console_cannot_restore_a_merged_comment(demo, moderator, mod, ana, first_item):
    kept, merged = comment(ana, first_item), comment(ana, first_item, "Dup")
    services.merge_comments(kept, [merged], moderator)
    mod.get(f"/manage/{demo.id}/live")
    before = snapshot()
    response = mod.post(f"/manage/comments/{merged.id}/hidden", {"hidden": "0"}, htmx=True)
    assert response.status_code == 422 and "merged into comment" in response.text
    assert snapshot() == before
