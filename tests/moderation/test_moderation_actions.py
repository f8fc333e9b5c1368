"""The moderation services: each action changes what it says and records who did it; each
refusal says why and leaves the database exactly as it was."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cocreate.accounts.models import Role
from cocreate.accounts.services import create_user
from cocreate.audit.models import AuditEntry
from cocreate.errors import ConsultationClosed, InvalidInput, NotAllowed, NotFound
from cocreate.extensions import db
from cocreate.moderation import services
from cocreate.moderation.models import Flag, HideReason, Tag
from cocreate.participation.models import Comment, Support
from tests.conftest import join_as
from tests.moderation.conftest import audit_actions, comment, snapshot, supporters


def test_hiding_with_a_reason_records_the_reason_and_who_did_it(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    services.hide_comment(posted, moderator, "personal_data")
    stored = db.session.get(Comment, posted.id)
    assert stored.hidden and stored.hidden_reason is HideReason.PERSONAL_DATA
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.subject_type, entry.subject_id) == (
        "comment.hide",
        "comment",
        posted.id,
    )
    assert entry.actor_id == moderator.id and entry.detail["reason"] == "personal_data"


def test_other_needs_a_note_and_keeps_it(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="short note") as refused:
        services.hide_comment(posted, moderator, "other", "  ")
    assert refused.value.field == "note"
    assert snapshot() == before
    services.hide_comment(posted, moderator, HideReason.OTHER, "Advertises a product")
    assert db.session.get(Comment, posted.id).hidden_note == "Advertises a product"


def test_a_note_over_300_characters_is_refused(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="at most 300"):
        services.hide_comment(posted, moderator, "other", "x" * 301)
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["rude", "", None, "OFF_TOPIC"])
def test_a_reason_outside_the_list_is_refused(demo, moderator, ana, first_item, reason):
    posted = comment(ana, first_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="off_topic, duplicate, personal_data") as refused:
        services.hide_comment(posted, moderator, reason)
    assert refused.value.field == "reason"
    assert snapshot() == before


def test_the_reason_can_be_changed_later(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    services.set_hidden(posted, moderator, True)  # the live console's one click
    assert db.session.get(Comment, posted.id).hidden_reason is HideReason.OFF_TOPIC
    services.change_reason(db.session.get(Comment, posted.id), moderator, "spam")
    stored = db.session.get(Comment, posted.id)
    assert stored.hidden and stored.hidden_reason is HideReason.SPAM
    assert [a for a, *_ in audit_actions()] == ["comment.hide", "comment.reason"]
    assert db.session.scalars(sa.select(AuditEntry)).all()[-1].detail["previous"] == "off_topic"


def test_changing_the_reason_of_a_visible_comment_is_refused(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="not hidden"):
        services.change_reason(posted, moderator, "spam")
    assert snapshot() == before


def test_restoring_shows_the_comment_again_and_clears_the_reason(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    services.hide_comment(posted, moderator, "other", "Check the figures")
    services.restore_comment(db.session.get(Comment, posted.id), moderator)
    stored = db.session.get(Comment, posted.id)
    assert not stored.hidden and stored.hidden_reason is None and stored.hidden_note == ""
    assert [a for a, *_ in audit_actions()] == ["comment.hide", "comment.restore"]


def test_restoring_a_visible_comment_is_refused(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="not hidden"):
        services.restore_comment(posted, moderator)
    assert snapshot() == before


def test_pinning_and_unpinning_are_audited(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    services.set_pinned(posted, moderator, True)
    assert db.session.get(Comment, posted.id).pinned
    services.set_pinned(db.session.get(Comment, posted.id), moderator, False)
    assert not db.session.get(Comment, posted.id).pinned
    assert [a for a, *_ in audit_actions()] == ["comment.pin", "comment.unpin"]


def test_a_participant_or_another_consultations_moderator_may_not_moderate(
    demo, moderator, other_moderator, ana, ben, first_item
):
    posted = comment(ana, first_item)
    other = comment(ben, first_item, "Same idea.")
    before = snapshot()
    for actor in (other_moderator, None):
        for action in (
            lambda a: services.hide_comment(posted, a, "spam"),
            lambda a: services.set_hidden(posted, a, True),
            lambda a: services.set_pinned(posted, a, True),
            lambda a: services.mute_participant(ana, a),
            lambda a: services.merge_comments(posted, [other], a),
            lambda a: services.set_tags(posted, a, ["Cost"]),
            lambda a: services.answer_comment(posted, a, "Thanks"),
            lambda a: services.tags_of(demo, a),
            lambda a: services.moderation_queue(demo, a),
            lambda a: services.get_comment(posted.id, a),
        ):
            with pytest.raises(NotAllowed, match="Only this consultation's moderators"):
                action(actor)
    assert snapshot() == before


def test_an_administrator_moderates_every_consultation(demo, ana, first_item):
    admin = create_user("boss@example.org", "admin-password-1", role=Role.ADMIN)
    posted = comment(ana, first_item)
    services.hide_comment(posted, admin, "spam")
    assert db.session.get(Comment, posted.id).hidden


# -- pre-moderation ----------------------------------------------------------------------


def test_under_premoderation_a_comment_waits_hidden_until_approved(
    demo, moderator, ana, first_item
):
    demo.premoderation = True
    db.session.commit()
    posted = comment(ana, first_item, "Wait for me.")
    assert posted.hidden and posted.awaiting_approval
    services.approve_comment(posted, moderator)
    stored = db.session.get(Comment, posted.id)
    assert not stored.hidden and not stored.awaiting_approval and stored.hidden_reason is None
    assert [a for a, *_ in audit_actions()] == ["comment.approve"]


def test_rejecting_a_comment_awaiting_approval_hides_it_with_a_reason(
    demo, moderator, ana, first_item
):
    demo.premoderation = True
    db.session.commit()
    posted = comment(ana, first_item)
    services.reject_comment(posted, moderator, "abusive")
    stored = db.session.get(Comment, posted.id)
    assert stored.hidden and not stored.awaiting_approval
    assert stored.hidden_reason is HideReason.ABUSIVE
    assert [a for a, *_ in audit_actions()] == ["comment.reject"]


def test_approving_a_comment_that_does_not_wait_is_refused(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="not waiting for approval"):
        services.approve_comment(posted, moderator)
    with pytest.raises(InvalidInput, match="not waiting for approval"):
        services.reject_comment(posted, moderator, "spam")
    assert snapshot() == before


# -- word list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "marked"),
    [
        ("This is a SCAM, really.", True),
        ("scam", True),
        ("Scammers everywhere", False),  # whole words only
        ("Call me at my phone number please", True),  # a phrase, across spaces
        ("my phone  number", True),
        ("phone numbers", False),
        ("nothing to see", False),
    ],
)
def test_the_word_list_marks_comments_for_review(demo, ana, first_item, body, marked):
    demo.review_words = "scam\nphone number\n"
    db.session.commit()
    assert comment(ana, first_item, body).needs_review is marked


# -- muting ----------------------------------------------------------------------------------


def test_a_muted_participant_can_vote_but_not_comment_or_reply(
    demo, moderator, ana, ben, first_item
):
    from cocreate.participation.services import cast_vote

    thread = comment(ben, first_item)
    services.mute_participant(ana, moderator)
    assert ana.muted_at is not None
    before = snapshot()
    with pytest.raises(NotAllowed, match="muted you"):
        comment(ana, first_item)
    with pytest.raises(NotAllowed, match="muted you"):
        comment(ana, first_item, parent=thread)
    assert snapshot() == before
    assert cast_vote(ana, first_item, "agree").value.value == "agree"
    services.unmute_participant(ana, moderator)
    assert comment(ana, first_item).id
    assert [a for a, *_ in audit_actions()] == ["participant.mute", "participant.unmute"]


# -- merging ---------------------------------------------------------------------------------


def test_merging_carries_supports_and_replies_over_in_one_step(
    demo, moderator, ana, ben, first_item
):
    target = comment(ana, first_item, "More wind farms.")
    dup_one = comment(ben, first_item, "We need more wind farms.")
    carl = join_as(demo, "Industry", name="Carl").participant
    dup_two = comment(carl, first_item, "Wind, wind, wind.")
    both, only_dup = supporters(target, 1, demo)[0], supporters(dup_one, 1, demo)[0]
    support_from(both, dup_one)  # supports both: counted once
    support_from(ana, dup_two)  # the target's author: never supports her own comment
    support_from(ben, target)  # already supports the target
    reply = comment(carl, first_item, "Agreed.", parent=dup_one)
    services.merge_comments(target, [dup_one, dup_two], moderator)

    target = db.session.get(Comment, target.id)
    backers = set(
        db.session.scalars(sa.select(Support.participant_id).where(Support.comment_id == target.id))
    )
    assert backers == {both.id, only_dup.id, ben.id}
    assert target.support_count == 3
    assert db.session.get(Comment, reply.id).parent_id == target.id
    for source in (dup_one, dup_two):
        stored = db.session.get(Comment, source.id)
        assert stored.hidden and stored.hidden_reason is HideReason.DUPLICATE
        assert stored.merged_into_id == target.id
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert entry.action == "comment.merge" and entry.subject_id == target.id
    assert sorted(entry.detail["sources"]) == sorted([dup_one.id, dup_two.id])


def support_from(participant, target):
    from cocreate.participation.services import support_comment

    support_comment(participant, target.id)


def test_a_merge_that_fails_half_way_leaves_nothing_behind(
    demo, moderator, ana, ben, first_item, monkeypatch
):
    target = comment(ana, first_item)
    source = comment(ben, first_item)
    supporters(source, 2, demo)
    comment(ana, first_item, "A reply", parent=source)
    before = snapshot()

    def broken_record(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "record", broken_record)
    with pytest.raises(RuntimeError):
        services.merge_comments(target, [source], moderator)
    assert snapshot() == before


def test_a_merge_that_loses_a_race_with_another_moderators_merge_is_refused(
    demo, moderator, ana, ben, first_item
):
    target = comment(ana, first_item, "Mine")
    source = comment(ben, first_item, "Dup")
    theirs = comment(ben, first_item, "Theirs")
    supporters(source, 2, demo)
    target, source = db.session.get(Comment, target.id), db.session.get(Comment, source.id)
    assert source.merged_into_id is None  # what this moderator's page showed
    with db.engine.begin() as other_moderator:
        other_moderator.execute(
            sa.update(Comment)
            .where(Comment.id == source.id)
            .values(merged_into_id=theirs.id, hidden=True, hidden_reason=HideReason.DUPLICATE)
        )
    with pytest.raises(InvalidInput, match="already merged"):
        services.merge_comments(target, [source], moderator)
    db.session.expire_all()
    assert db.session.get(Comment, source.id).merged_into_id == theirs.id
    assert db.session.get(Comment, target.id).support_count == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_merging_a_comment_into_itself_is_refused(demo, moderator, ana, ben, first_item):
    target = comment(ana, first_item)
    other = comment(ben, first_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="into itself"):
        services.merge_comments(target, [other, target], moderator)
    assert snapshot() == before


def test_merging_across_items_is_refused(demo, moderator, ana, ben, first_item, second_item):
    target = comment(ana, first_item)
    elsewhere = comment(ben, second_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="only comments on the same item"):
        services.merge_comments(target, [elsewhere], moderator)
    assert snapshot() == before


def test_merging_what_is_already_merged_or_hidden_is_refused(demo, moderator, ana, ben, first_item):
    target = comment(ana, first_item)
    merged = comment(ben, first_item)
    services.merge_comments(target, [merged], moderator)
    hidden = comment(ben, first_item, "Hidden")
    services.hide_comment(hidden, moderator, "spam")
    fresh = comment(ben, first_item, "Fresh")
    reply = comment(ben, first_item, "Reply", parent=db.session.get(Comment, target.id))
    before = snapshot()
    cases = [
        (
            db.session.get(Comment, target.id),
            [db.session.get(Comment, merged.id)],
            "already merged",
        ),
        (db.session.get(Comment, merged.id), [fresh], "was itself merged"),
        (db.session.get(Comment, hidden.id), [fresh], "is hidden"),
        (db.session.get(Comment, target.id), [reply], "is a reply"),
        (reply, [fresh], "is a reply"),
        (db.session.get(Comment, target.id), [], "Choose the comments"),
    ]
    for target_comment, sources, message in cases:
        with pytest.raises(InvalidInput, match=message):
            services.merge_comments(target_comment, sources, moderator)
    assert snapshot() == before


def test_a_merged_comment_cannot_be_restored_or_given_another_reason(
    demo, moderator, ana, ben, first_item
):
    target = comment(ana, first_item)
    merged = comment(ben, first_item)
    services.merge_comments(target, [merged], moderator)
    merged = db.session.get(Comment, merged.id)
    before = snapshot()
    with pytest.raises(InvalidInput, match="merged into comment"):
        services.restore_comment(merged, moderator)
    with pytest.raises(InvalidInput, match="merged into comment"):
        services.change_reason(merged, moderator, "spam")
    assert snapshot() == before


# -- tags ------------------------------------------------------------------------------------


def test_tags_are_trimmed_matched_ignoring_case_and_created_when_new(
    demo, moderator, ana, ben, first_item
):
    first = comment(ana, first_item)
    services.set_tags(first, moderator, ["  Cost ", "grid", "COST", ""])
    assert [t.name for t in db.session.get(Comment, first.id).tags] == ["Cost", "grid"]
    second = comment(ben, first_item)
    services.set_tags(second, moderator, ["cost", "Jobs"])
    assert sorted(db.session.scalars(sa.select(Tag.name))) == ["Cost", "Jobs", "grid"]
    counts = {entry.tag.name: entry.comments for entry in services.tags_of(demo, moderator)}
    assert counts == {"Cost": 2, "grid": 1, "Jobs": 1}
    assert [a for a, *_ in audit_actions()] == ["comment.tags", "comment.tags"]


def test_too_many_or_too_long_tags_are_refused(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    before = snapshot()
    with pytest.raises(InvalidInput, match="at most 10 tags"):
        services.set_tags(posted, moderator, [f"t{n}" for n in range(11)])
    with pytest.raises(InvalidInput, match="at most 60 characters"):
        services.set_tags(posted, moderator, ["x" * 61])
    assert snapshot() == before


def test_renaming_and_deleting_a_tag(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    services.set_tags(posted, moderator, ["Cost", "Jobs"])
    cost, jobs = sorted(db.session.scalars(sa.select(Tag)), key=lambda t: t.name)
    before = snapshot()
    with pytest.raises(InvalidInput, match="already a tag"):
        services.rename_tag(cost, moderator, "jobs")
    assert snapshot() == before
    services.rename_tag(cost, moderator, "Costs")
    services.delete_tag(db.session.get(Tag, jobs.id), moderator)
    assert [t.name for t in db.session.get(Comment, posted.id).tags] == ["Costs"]
    assert [a for a, *_ in audit_actions()][-2:] == ["tag.rename", "tag.delete"]


def test_tags_belong_to_their_consultation(demo, moderator, ana, first_item):
    from cocreate.drafts.importing import parse_draft
    from cocreate.drafts.services import import_draft
    from tests.conftest import DEMO_JSON

    other = import_draft(
        parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator]
    )
    other_author = join_as(other, "Industry").participant
    services.set_tags(comment(ana, first_item), moderator, ["Cost"])
    services.set_tags(comment(other_author, other.documents[0].items[0]), moderator, ["cost"])
    assert [e.tag.name for e in services.tags_of(demo, moderator)] == ["Cost"]
    assert [e.tag.name for e in services.tags_of(other, moderator)] == ["cost"]


# -- answers ---------------------------------------------------------------------------------


def test_a_moderator_answers_a_comment(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    answer = services.answer_comment(posted, moderator, "  Thank you, see T1.2.  ")
    assert answer.body == "Thank you, see T1.2." and answer.author_id == moderator.id
    assert [a.body for a in db.session.get(Comment, posted.id).answers] == [answer.body]
    assert [a for a, *_ in audit_actions()] == ["comment.answer"]


def test_empty_or_long_answers_are_refused(demo, moderator, ana, first_item):
    posted = comment(ana, first_item)
    before = snapshot()
    for body in ("   ", "x" * 2001):
        with pytest.raises(InvalidInput):
            services.answer_comment(posted, moderator, body)
    assert snapshot() == before


# -- flags -----------------------------------------------------------------------------------


def test_flagging_counts_once_per_participant(demo, ana, ben, first_item):
    posted = comment(ana, first_item)
    services.flag_comment(ben, posted.id)
    services.flag_comment(ben, posted.id)
    carl = join_as(demo, "Industry").participant
    assert services.flag_comment(carl, posted.id).flag_count == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 2


def test_flagging_ones_own_hidden_or_anothers_consultation_comment_is_refused(
    demo, moderator, ana, ben, first_item
):
    own = comment(ana, first_item)
    hidden = comment(ben, first_item)
    services.hide_comment(hidden, moderator, "spam")
    from cocreate.drafts.importing import parse_draft
    from cocreate.drafts.services import import_draft
    from tests.conftest import DEMO_JSON

    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    foreign = comment(join_as(other, "Industry").participant, other.documents[0].items[0])
    before = snapshot()
    with pytest.raises(NotAllowed, match="your own comment"):
        services.flag_comment(ana, own.id)
    for comment_id in (hidden.id, foreign.id, 999999):
        with pytest.raises(NotFound):
            services.flag_comment(ana, comment_id)
    assert snapshot() == before


def test_flagging_is_refused_once_the_consultation_closed(demo, ana, ben, first_item):
    from cocreate.consultations.models import Status

    posted = comment(ana, first_item)
    demo.status = Status.CLOSED
    db.session.commit()
    before = snapshot()
    with pytest.raises(ConsultationClosed):
        services.flag_comment(ben, posted.id)
    assert snapshot() == before


def test_dismissing_flags_resets_them_and_is_audited(demo, moderator, ana, ben, first_item):
    posted = comment(ana, first_item)
    services.flag_comment(ben, posted.id)
    services.dismiss_flags(db.session.get(Comment, posted.id), moderator)
    stored = db.session.get(Comment, posted.id)
    assert stored.flag_count == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 0
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert entry.action == "comment.flags_dismissed" and entry.detail["flags"] == 1
    before = snapshot()
    with pytest.raises(InvalidInput, match="no flags"):
        services.dismiss_flags(stored, moderator)
    assert snapshot() == before
