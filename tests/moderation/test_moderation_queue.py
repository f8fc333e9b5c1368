"""The moderation queue page: what it lists, in which order, its filters and pages, its
per-comment actions (htmx and plain forms), merging, who may use it, and its query count."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cocreate.audit.models import AuditEntry
from cocreate.db import utcnow
from cocreate.extensions import db
from cocreate.live import notify
from cocreate.moderation import services
from cocreate.moderation.models import HideReason, Tag
from cocreate.participation.models import Comment, Participant
from tests.conftest import Browser, count_queries, join_as
from tests.moderation.conftest import audit_actions, comment, snapshot, supporters


def queue_url(consultation, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/manage/{consultation.id}/moderation" + (f"?{query}" if query else "")


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article id="c-(\d+)"', html)]


@pytest.fixture
def changed(monkeypatch):
    """The comments live screens were told about."""
    told: list[int] = []
    monkeypatch.setattr(notify, "comment_changed", lambda c: told.append(c.id))
    return told


def test_the_queue_shows_each_comment_with_its_item_author_counts_tags_and_state(
    demo, moderator, mod, ana, ben, first_item, second_item
):
    flagged = comment(ana, first_item, "Flag me.")
    services.flag_comment(ben, flagged.id)
    supporters(flagged, 2, demo)
    services.set_tags(flagged, moderator, ["Cost", "Grid"])
    services.answer_comment(flagged, moderator, "We read this.")
    services.set_pinned(flagged, moderator, True)
    hidden = comment(ben, second_item, "Hide me.")
    services.hide_comment(hidden, moderator, "other", "Off the record")
    target, duplicate = comment(ben, first_item, "Keep me."), comment(ana, first_item, "Dup.")
    services.merge_comments(target, [duplicate], moderator)
    reply = comment(ben, first_item, "A reply.", parent=db.session.get(Comment, target.id))
    services.mute_participant(ben, moderator)
    demo.premoderation, demo.review_words = True, "scam"
    db.session.commit()
    waiting = comment(join_as(demo, "Industry", name="Cleo").participant, second_item, "A scam!")

    page = mod.get(queue_url(demo))
    assert page.status_code == 200
    html = page.text
    assert set(row_ids(html)) == {
        flagged.id,
        hidden.id,
        target.id,
        duplicate.id,
        reply.id,
        waiting.id,
    }
    assert first_item.ref in html and second_item.ref in html
    assert "Ana" in html and "Europe" in html and "Industry" in html and "Cleo" in html
    for shown in (
        "Flagged 1 time",
        "2 supports",
        "Cost",
        "Grid",
        "We read this.",
        "Pinned",
        "Hidden: Other · Off the record",
        f"Merged into #{target.id}",
        f"reply to #{target.id}",
        "Author muted",
        "Awaiting approval",
        "Needs review",
    ):
        assert shown in html, shown
    assert "Comments 1–6 of 6" in html


def test_flagged_comments_come_first_then_awaiting_then_marked_then_newest(
    demo, moderator, mod, ana, ben, first_item
):
    demo.review_words = "nuclear"
    db.session.commit()
    oldest = comment(ana, first_item, "Oldest.")
    one_flag = comment(ana, first_item, "One flag.")
    two_flags = comment(ana, first_item, "Two flags.")
    marked = comment(ana, first_item, "Nuclear now.")
    demo.premoderation = True
    db.session.commit()
    awaiting = comment(ben, first_item, "Approve me.")
    demo.premoderation = False
    db.session.commit()
    newest = comment(ben, first_item, "Newest.")
    hidden_flagged = comment(ben, first_item, "Flagged, then hidden.")
    for flagger in (join_as(demo, "Other").participant for _n in range(2)):
        services.flag_comment(flagger, two_flags.id)
        services.flag_comment(flagger, hidden_flagged.id)
    services.flag_comment(ben, one_flag.id)
    services.hide_comment(db.session.get(Comment, hidden_flagged.id), moderator, "spam")

    order = row_ids(mod.get(queue_url(demo)).text)
    # A hidden comment has been dealt with: its flags no longer bring it to the top.
    assert order == [
        two_flags.id,
        one_flag.id,
        awaiting.id,
        marked.id,
        hidden_flagged.id,
        newest.id,
        oldest.id,
    ]


def test_filters_show_flagged_awaiting_marked_hidden_per_item_and_per_tag(
    demo, moderator, mod, ana, ben, first_item, second_item
):
    demo.review_words = "scam"
    db.session.commit()
    flagged = comment(ana, first_item)
    services.flag_comment(ben, flagged.id)
    marked = comment(ana, second_item, "scam")
    hidden = comment(ben, first_item)
    services.hide_comment(hidden, moderator, "spam")
    demo.premoderation = True
    db.session.commit()
    awaiting = comment(ben, second_item)
    services.set_tags(db.session.get(Comment, marked.id), moderator, ["Fraud"])
    tag = db.session.scalars(sa.select(Tag)).one()

    def shown(**args):
        return set(row_ids(mod.get(queue_url(demo, **args)).text))

    assert shown(show="flagged") == {flagged.id}
    assert shown(show="awaiting") == {awaiting.id}
    assert shown(show="review") == {marked.id}
    assert shown(show="hidden") == {hidden.id}
    assert shown(item=second_item.id) == {marked.id, awaiting.id}
    assert shown(show="hidden", item=first_item.id) == {hidden.id}
    assert shown(tag=tag.id) == {marked.id}
    assert shown(show="nonsense") == {flagged.id, marked.id, hidden.id, awaiting.id}
    tabs = mod.get(queue_url(demo)).text
    assert re.search(r"Flagged <span class=\"mod-count\">1</span>", tabs)
    assert re.search(r"Hidden <span class=\"mod-count\">1</span>", tabs)
    assert mod.get(queue_url(demo, item="x")).status_code == 400


def add_comments(item, participant, n):
    db.session.add_all(
        Comment(item=item, participant=participant, body=f"Bulk {i}", created_at=utcnow())
        for i in range(n)
    )
    db.session.commit()


def test_the_queue_pages_by_100(demo, mod, ana, first_item):
    add_comments(first_item, ana, 105)
    first = mod.get(queue_url(demo)).text
    assert len(row_ids(first)) == 100 and "Page 1 of 2" in first
    assert "Comments 1–100 of 105" in first
    second = mod.get(queue_url(demo, page=2)).text
    assert len(row_ids(second)) == 5 and "Comments 101–105 of 105" in second
    assert not set(row_ids(first)) & set(row_ids(second))
    assert len(row_ids(mod.get(queue_url(demo, page=99)).text)) == 5  # the last page


def queue_queries(mod, demo) -> int:
    with count_queries() as statements:
        assert mod.get(queue_url(demo)).status_code == 200
    return len(statements)


def test_the_queue_runs_the_same_queries_for_few_or_many_comments(
    demo, moderator, mod, first_item, second_item
):
    def activity(n):
        for i in range(n):
            author = join_as(demo, ["Industry", "Other"][i % 2], region="Europe").participant
            for item in (first_item, second_item):
                posted = comment(author, item, f"Comment {i}")
                comment(author, item, "A reply", parent=posted)
                services.set_tags(posted, moderator, [f"Theme {i % 3}", "All"])
                services.answer_comment(posted, moderator, "Noted.")
        services.mute_participant(author, moderator)

    activity(2)
    few = queue_queries(mod, demo)
    activity(12)
    many = queue_queries(mod, demo)
    assert many == few
    # the login and the consultation with its moderators (4); the page of comments, counted,
    # with their items, authors, groups, regions, tags and answers (8); the filter counts;
    # documents, sections and items for the item filter (3); tags with their counts
    assert few <= 17, few


def test_a_guest_or_another_consultations_moderator_cannot_open_the_queue(
    app, demo, outsider_mod, ana, first_item
):
    assert Browser(app.test_client()).get(queue_url(demo)).status_code == 302  # to the login
    guest = Browser(app.test_client())
    guest.join(demo)
    response = guest.get(queue_url(demo))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert outsider_mod.get(queue_url(demo)).status_code == 403
    assert outsider_mod.get("/manage/999/moderation").status_code == 404


# -- per-comment actions ---------------------------------------------------------------------


def action_url(comment_id, action, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/manage/moderation/comments/{comment_id}/{action}" + (f"?{query}" if query else "")


def test_hiding_with_htmx_answers_with_the_row_and_tells_live_screens(
    demo, mod, ana, first_item, changed
):
    posted = comment(ana, first_item)
    mod.get(queue_url(demo))
    response = mod.post(action_url(posted.id, "hide"), {"reason": "abusive"}, htmx=True)
    assert response.status_code == 200
    assert "<html" not in response.text and f'id="c-{posted.id}"' in response.text
    assert "Hidden: Abusive" in response.text and "Restore" in response.text
    stored = db.session.get(Comment, posted.id)
    assert stored.hidden and stored.hidden_reason is HideReason.ABUSIVE
    assert changed == [posted.id]
    assert audit_actions() == [("comment.hide", "comment", posted.id)]


def test_a_refused_hide_shows_why_in_the_row_and_changes_nothing(
    demo, mod, ana, first_item, changed
):
    posted = comment(ana, first_item)
    before = snapshot()
    response = mod.post(action_url(posted.id, "hide"), {"reason": "other", "note": ""}, htmx=True)
    assert response.status_code == 422
    assert f'id="c-{posted.id}"' in response.text and "short note" in response.text
    response = mod.post(action_url(posted.id, "hide"), {"reason": "boring"}, htmx=True)
    assert response.status_code == 422 and "A reason for hiding is one of" in response.text
    assert snapshot() == before and changed == []


def test_without_javascript_an_action_redirects_back_to_the_same_view_of_the_queue(
    demo, mod, ana, first_item, changed
):
    posted = comment(ana, first_item)
    response = mod.post(
        action_url(posted.id, "hide", show="flagged", item=first_item.id, evil="x"),
        {"reason": "spam"},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert f"/manage/{demo.id}/moderation?" in location and "show=flagged" in location
    assert f"item={first_item.id}" in location and "evil" not in location
    assert location.endswith(f"#c-{posted.id}")
    refused = mod.post(action_url(posted.id, "restore"), {})
    assert refused.status_code == 302
    assert db.session.get(Comment, posted.id).hidden is False
    bad = mod.post(action_url(posted.id, "hide"), {"reason": "other"})
    assert bad.status_code == 302
    assert "short note" in mod.get(bad.headers["Location"]).text
    assert not db.session.get(Comment, posted.id).hidden


def test_restore_approve_pin_and_dismiss_from_the_queue(
    demo, moderator, mod, ana, ben, first_item, changed
):
    posted = comment(ana, first_item)
    services.hide_comment(posted, moderator, "spam")
    response = mod.post(action_url(posted.id, "restore"), htmx=True)
    assert response.status_code == 200 and "Hidden:" not in response.text
    assert not db.session.get(Comment, posted.id).hidden

    demo.premoderation = True
    db.session.commit()
    waiting = comment(ben, first_item, "Approve me")
    response = mod.post(action_url(waiting.id, "approve"), htmx=True)
    assert response.status_code == 200 and "Awaiting approval" not in response.text
    assert not db.session.get(Comment, waiting.id).hidden

    response = mod.post(action_url(posted.id, "pin"), {"pinned": "1"}, htmx=True)
    assert response.status_code == 200 and "Unpin" in response.text
    assert db.session.get(Comment, posted.id).pinned
    assert mod.post(action_url(posted.id, "pin"), {"pinned": "yes"}, htmx=True).status_code == 422

    services.flag_comment(ben, posted.id)
    response = mod.post(action_url(posted.id, "dismiss-flags"), htmx=True)
    assert response.status_code == 200 and "Flagged" not in response.text
    assert db.session.get(Comment, posted.id).flag_count == 0
    assert changed == [posted.id, waiting.id, posted.id]
    assert [a for a, *_ in audit_actions()] == [
        "comment.hide",
        "comment.restore",
        "comment.approve",
        "comment.pin",
        "comment.flags_dismissed",
    ]


def test_rejecting_from_the_queue_hides_with_the_chosen_reason(demo, mod, ana, first_item, changed):
    demo.premoderation = True
    db.session.commit()
    waiting = comment(ana, first_item)
    assert "Reject" in mod.get(queue_url(demo)).text
    response = mod.post(action_url(waiting.id, "hide"), {"reason": "off_topic"}, htmx=True)
    assert response.status_code == 200 and "Hidden: Off-topic" in response.text
    stored = db.session.get(Comment, waiting.id)
    assert stored.hidden and not stored.awaiting_approval
    assert audit_actions() == [("comment.reject", "comment", waiting.id)]


def test_muting_tagging_and_answering_from_the_queue(demo, mod, ana, first_item):
    posted = comment(ana, first_item)
    response = mod.post(action_url(posted.id, "mute-author"), {"muted": "1"}, htmx=True)
    assert response.status_code == 200 and "Author muted" in response.text
    assert db.session.get(Participant, ana.id).muted_at is not None
    response = mod.post(action_url(posted.id, "tags"), {"tags": "Cost, grid , cost"}, htmx=True)
    assert response.status_code == 200
    assert [t.name for t in db.session.get(Comment, posted.id).tags] == ["Cost", "grid"]
    response = mod.post(action_url(posted.id, "answer"), {"answer": "See T1.3."}, htmx=True)
    assert response.status_code == 200 and "See T1.3." in response.text
    too_long = mod.post(action_url(posted.id, "answer"), {"answer": "x" * 2001}, htmx=True)
    assert too_long.status_code == 422 and "at most 2000" in too_long.text
    response = mod.post(action_url(posted.id, "mute-author"), {"muted": "0"}, htmx=True)
    assert "Author muted" not in response.text
    assert [a for a, *_ in audit_actions()] == [
        "participant.mute",
        "comment.tags",
        "comment.answer",
        "participant.unmute",
    ]


def test_tags_are_renamed_and_deleted_from_the_queue(demo, moderator, mod, ana, first_item):
    posted = comment(ana, first_item)
    services.set_tags(posted, moderator, ["Cost", "Jobs"])
    cost, jobs = sorted(db.session.scalars(sa.select(Tag)), key=lambda t: t.name)
    page = mod.get(queue_url(demo)).text
    assert "2 tags" in page
    response = mod.post(f"/manage/moderation/tags/{cost.id}/rename", {"name": "Costs"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#tags")
    response = mod.post(f"/manage/moderation/tags/{jobs.id}/delete")
    assert response.status_code == 302
    assert [t.name for t in db.session.scalars(sa.select(Tag))] == ["Costs"]
    clash = mod.post(f"/manage/moderation/tags/{cost.id}/rename", {"name": ""})
    assert "A tag needs a name" in mod.get(clash.headers["Location"]).text


def test_another_consultations_moderator_can_act_on_nothing(
    demo, moderator, outsider_mod, ana, ben, first_item
):
    posted = comment(ana, first_item)
    other = comment(ben, first_item)
    services.set_tags(posted, moderator, ["Cost"])
    tag = db.session.scalars(sa.select(Tag)).one()
    before = snapshot()
    outsider_mod.get("/manage/")
    for action, data in (
        ("hide", {"reason": "spam"}),
        ("restore", {}),
        ("approve", {}),
        ("pin", {"pinned": "1"}),
        ("mute-author", {"muted": "1"}),
        ("tags", {"tags": "x"}),
        ("answer", {"answer": "x"}),
        ("dismiss-flags", {}),
    ):
        assert outsider_mod.post(action_url(posted.id, action), data).status_code == 403
        response = outsider_mod.post(action_url(posted.id, action), data, htmx=True)
        assert response.status_code == 403 and "<html" not in response.text
    merge = outsider_mod.post(
        f"/manage/{demo.id}/moderation/merge", {"target": posted.id, "sources": other.id}
    )
    assert merge.status_code == 403
    assert outsider_mod.post(f"/manage/moderation/tags/{tag.id}/delete").status_code == 403
    assert (
        outsider_mod.post(f"/manage/moderation/tags/{tag.id}/rename", {"name": "Y"}).status_code
        == 403
    )
    assert snapshot() == before


def test_a_participant_cannot_use_the_moderation_actions(app, demo, ana, first_item):
    posted = comment(ana, first_item)
    guest = Browser(app.test_client())
    guest.join(demo)
    before = snapshot()
    response = guest.post(action_url(posted.id, "hide"), {"reason": "spam"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert snapshot() == before


def test_an_unknown_comment_is_not_found(demo, mod):
    mod.get(queue_url(demo))
    assert mod.post(action_url(999, "hide"), {"reason": "spam"}).status_code == 404
    assert mod.post(action_url(999, "hide"), {"reason": "spam"}, htmx=True).status_code == 404


# -- merging from the queue ------------------------------------------------------------------


def test_merging_checked_comments_into_the_chosen_one(demo, mod, ana, ben, first_item, changed):
    target = comment(ana, first_item, "Keep")
    one, two = comment(ben, first_item, "Dup one"), comment(ben, first_item, "Dup two")
    supporters(one, 2, demo)
    page = mod.get(queue_url(demo)).text
    assert 'form="merge-form"' in page
    response = mod.post(
        f"/manage/{demo.id}/moderation/merge?show=all",
        {"target": str(target.id), "sources": [str(one.id), str(two.id)]},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#c-{target.id}")
    assert "2 comments merged into" in mod.get(response.headers["Location"]).text
    assert db.session.get(Comment, target.id).support_count == 2
    assert {db.session.get(Comment, c.id).merged_into_id for c in (one, two)} == {target.id}
    assert sorted(changed) == sorted([one.id, two.id, target.id])
    assert db.session.scalars(sa.select(AuditEntry.action)).all() == ["comment.merge"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"sources": "{one}"}, "Choose the comment to merge into"),
        ({"target": "{target}"}, "Choose the comments to merge"),
        ({"target": "{target}", "sources": "{target}"}, "into itself"),
        ({"target": "{target}", "sources": "{elsewhere}"}, "same item"),
        ({"target": "{target}", "sources": "{foreign}"}, "not one of this consultation"),
        ({"target": "{target}", "sources": "abc"}, "Expected a number"),
    ],
)
def test_a_refused_merge_says_why_and_changes_nothing(
    demo, moderator, mod, ana, ben, first_item, second_item, form, message, changed
):
    from cocreate.drafts.importing import parse_draft
    from cocreate.drafts.services import import_draft
    from tests.conftest import DEMO_JSON

    other = import_draft(
        parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator]
    )
    ids = {
        "target": comment(ana, first_item).id,
        "one": comment(ben, first_item).id,
        "elsewhere": comment(ben, second_item).id,
        "foreign": comment(join_as(other, "Industry").participant, other.documents[0].items[0]).id,
    }
    before = snapshot()
    mod.get(queue_url(demo))
    data = {key: value.format(**ids) for key, value in form.items()}
    response = mod.post(f"/manage/{demo.id}/moderation/merge", data)
    assert response.status_code == 302
    assert message in mod.get(response.headers["Location"]).text
    assert snapshot() == before and changed == []
