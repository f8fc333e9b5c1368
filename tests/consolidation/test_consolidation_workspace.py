"""Moderators consolidate an item: the draft beside the text they write, the feedback below."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from cocreate.amendments.models import Amendment
from cocreate.consolidation.models import TextVersion
from cocreate.drafts.models import Item
from cocreate.extensions import db
from cocreate.live.models import LiveEvent
from cocreate.moderation.models import HideReason
from cocreate.participation.models import Comment, Vote, VoteValue
from tests.conftest import join_as
from tests.consolidation.conftest import add_feedback, consolidate, consolidation_state


def workspace(item) -> str:
    return f"/manage/items/{item.id}/consolidate"


def textarea(page: str) -> str:
    match = re.search(r'<textarea[^>]*id="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no consolidated text on the page"
    return html.unescape(match.group(1)).strip()


def hidden_version(page: str) -> str:
    return re.search(r'name="expected_version"[^>]*value="(\d+)"', page).group(1)


def headings(page: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", h))).strip()
        for h in re.findall(r'<h3 id="group-[^"]+">(.*?)</h3>', page)
    ]


def test_workspace_shows_the_draft_beside_a_textarea_prefilled_with_it(consolidator, first_item):
    page = consolidator.get(workspace(first_item))

    assert page.status_code == 200
    assert "Draft text" in page.text and "Consolidated text" in page.text
    assert textarea(page.text) == first_item.text
    assert hidden_version(page.text) == "0"
    assert "Not consolidated yet" in page.text
    assert "No version saved yet" in page.text


def test_saving_makes_a_version_with_author_time_and_note(consolidator, first_item):
    response = consolidator.post(
        workspace(first_item),
        {"text": "Consolidated wording.\r\nSecond line.", "expected_version": "0", "note": "v1"},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{workspace(first_item)}#consolidated")
    item = db.session.get(Item, first_item.id)
    assert (item.final_text, item.final_version) == ("Consolidated wording.\nSecond line.", 1)
    version = db.session.scalar(sa.select(TextVersion))
    assert (version.number, version.author.email, version.note) == (1, "mod@example.org", "v1")
    page = consolidator.get(workspace(first_item)).text
    assert "Saved as version 1." in page
    assert textarea(page) == "Consolidated wording.\nSecond line."
    assert hidden_version(page) == "1"
    assert "Version 1</a>" in page and "mod@example.org" in page
    assert f"/manage/items/{first_item.id}/versions?from=0&amp;to=1" in page


def test_a_second_save_builds_on_the_first(consolidator, first_item):
    consolidate(first_item, "First wording.")

    response = consolidator.post(
        workspace(first_item), {"text": "Second wording.", "expected_version": "1"}
    )

    assert response.status_code == 302
    assert [v.text for v in db.session.scalars(sa.select(TextVersion).order_by("number"))] == [
        "First wording.",
        "Second wording.",
    ]


def test_oversized_text_is_refused_with_the_input_kept_and_nothing_saved(
    consolidator, demo, first_item
):
    before = consolidation_state()
    too_long = "word " * 1200

    response = consolidator.post(workspace(first_item), {"text": too_long, "expected_version": "0"})

    assert response.status_code == 422
    assert "Too long: 5999 characters, at most 5000." in response.text
    assert textarea(response.text) == too_long.strip()
    assert consolidation_state() == before


def test_empty_text_or_missing_version_is_refused_and_nothing_saved(consolidator, first_item):
    before = consolidation_state()

    empty = consolidator.post(workspace(first_item), {"text": "  ", "expected_version": "0"})
    unversioned = consolidator.post(workspace(first_item), {"text": "Wording."})

    assert empty.status_code == 422 and "This must not be empty." in empty.text
    assert unversioned.status_code == 422 and "This field is required." in unversioned.text
    assert textarea(unversioned.text) == "Wording."
    assert consolidation_state() == before


def test_comments_are_grouped_by_the_authors_own_vote_on_the_item(consolidator, demo, first_item):
    add_feedback(demo, first_item, 7)  # one author of each stance, and one who did not vote

    page = consolidator.get(workspace(first_item)).text

    assert headings(page) == [
        "Strongly agree (1)",
        "Agree (1)",
        "Neutral (1)",
        "Disagree (1)",
        "Strongly disagree (1)",
        "No opinion (1)",
        "Did not vote on this item (1)",
    ]
    disagree = page.index('id="group-disagree"')
    assert page.index("Comment 3", disagree) < page.index('id="group-strongly_disagree"')
    assert "Vote: Disagree" in page and "Vote: did not vote" in page


def test_the_authors_vote_on_another_item_is_not_their_stance(consolidator, demo, first_item):
    joined = join_as(demo, group="Industry")
    other_item = demo.documents[0].items[1]
    db.session.add(Vote(item=other_item, participant=joined.participant, value="agree"))
    db.session.add(Comment(item=first_item, participant=joined.participant, body="Mine"))
    db.session.commit()

    page = consolidator.get(workspace(first_item)).text

    assert headings(page) == ["Did not vote on this item (1)"]


def test_comments_grouped_by_tag_list_a_comment_under_each_of_its_tags(
    consolidator, demo, first_item
):
    activity = add_feedback(demo, first_item, 3)  # comment 0 has both tags
    activity.comments[2].tags = []
    db.session.commit()

    page = consolidator.get(workspace(first_item) + "?by=tag").text

    assert headings(page) == ["cost (1)", "recycling (2)", "No tag (1)"]
    both = activity.comments[0].id
    assert f'id="comment-{both}-tag-{activity.tags[0].id}"' in page
    assert f'id="comment-{both}-tag-{activity.tags[1].id}"' in page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted(ids) == sorted(set(ids))
    assert 'aria-current="true">tag</a>' in page


def test_each_comment_shows_supports_group_region_replies_and_its_disposition(
    consolidator, demo, first_item
):
    add_feedback(demo, first_item, 2)  # comment 0 has a disposition, comment 1 none

    page = consolidator.get(workspace(first_item)).text

    first, second = page.index(">Comment 0<"), page.index(">Comment 1<")
    entry = page[page.rindex("<li", 0, first) : page.index("</details>", first)]
    assert "P0" in entry and "Industry" in entry and "Europe" in entry
    assert "Supports: 0" in entry and "Reply 0" in entry
    assert "Taken up</strong>: Rationale 0" in entry
    assert "No disposition yet" in page[second : page.index("</details>", second)]
    assert "Government and policy" in page and "Africa" in page
    assert "(2, 1 without disposition)" in page


def test_hidden_comments_are_shown_to_moderators_marked_with_why(consolidator, demo, first_item):
    activity = add_feedback(demo, first_item, 3)
    spam, waiting, merged = activity.comments
    spam.hidden, spam.hidden_reason, spam.hidden_note = True, HideReason.SPAM, "link farm"
    waiting.hidden, waiting.awaiting_approval = True, True
    merged.hidden, merged.hidden_reason, merged.merged_into_id = True, HideReason.DUPLICATE, spam.id
    merged.replies[0].hidden = True
    db.session.commit()

    page = consolidator.get(workspace(first_item)).text

    assert page.count('class="ws-comment is-hidden') == 3
    assert "Hidden: Spam (link farm)" in page
    assert "Awaiting approval" in page
    assert f"Merged into comment #{spam.id}" in page
    assert '<li class="ws-reply is-hidden">' in page
    assert "(3, 0 without disposition)" in page  # hidden comments need no disposition


def test_rehearsal_comments_are_left_out(consolidator, demo, first_item):
    rehearsal = LiveEvent(
        consultation_id=demo.id, title="Dry run", format="workshop", is_rehearsal=True
    )
    db.session.add(rehearsal)
    db.session.flush()
    joined = join_as(demo)
    db.session.add(
        Comment(item=first_item, participant=joined.participant, body="Test", event_id=rehearsal.id)
    )
    db.session.commit()

    page = consolidator.get(workspace(first_item)).text

    assert "No comments on this item." in page


def test_results_show_every_group_region_and_event_even_small_ones(consolidator, demo, first_item):
    workshop = LiveEvent(consultation_id=demo.id, title="Lisbon workshop", format="workshop")
    rehearsal = LiveEvent(
        consultation_id=demo.id, title="Dry run", format="workshop", is_rehearsal=True
    )
    db.session.add_all([workshop, rehearsal])
    db.session.flush()
    for group, region, event in [
        ("Industry", "Europe", workshop.id),
        ("Industry", "Africa", None),
        ("Other", None, rehearsal.id),
    ]:
        joined = join_as(demo, group=group, region=region)
        vote = Vote(item=first_item, participant=joined.participant, value=VoteValue.AGREE)
        vote.event_id = event
        db.session.add(vote)
    db.session.commit()

    page = consolidator.get(workspace(first_item)).text

    results = page[page.index('id="results-heading"') : page.index('id="versions-heading"')]
    assert "2 votes · 100 % agree" in results  # the rehearsal's vote is left out
    industry = results.index("Industry")
    assert "2 votes" in results[industry : industry + 300]  # not "fewer than 5"
    assert "fewer than 5" not in results
    assert "Europe" in results and "Africa" in results
    assert "Lisbon workshop" in results and "Outside live events" in results
    assert "Dry run" not in results


def test_the_consensus_signal_is_written_out_with_figures_per_group(consolidator, demo, first_item):
    for group, values in [("Industry", ["agree"] * 5), ("Other", ["disagree"] * 5)]:
        for value in values:
            joined = join_as(demo, group=group)
            db.session.add(Vote(item=first_item, participant=joined.participant, value=value))
    db.session.commit()

    page = consolidator.get(workspace(first_item)).text

    assert "Groups diverge" in page
    assert "Industry agree most (100 %), Other least (0 %): 100 points apart." in page
    assert "100 % agree, 5 votes for or against" in page
    assert "not counted: 0 of 5 votes needed" in page
    assert "How the signal is decided" in page


def test_the_amendments_panel_is_part_of_the_workspace(consolidator, demo, first_item):
    joined = join_as(demo)
    db.session.add(
        Amendment(
            item=first_item,
            participant=joined.participant,
            base_text=first_item.text,
            text=first_item.text + " Every year.",
        )
    )
    db.session.commit()

    page = consolidator.get(workspace(first_item)).text

    assert 'id="amendments-panel"' in page
    assert "Every year." in page


def test_every_id_is_unique_and_every_control_labelled(consolidator, demo, first_item):
    add_feedback(demo, first_item, 8, hidden_every=4)
    consolidate(first_item, "Wording.")

    for url in (workspace(first_item), workspace(first_item) + "?by=tag"):
        page = consolidator.get(url).text
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert sorted(ids) == sorted(set(ids)), url
        for control_id in re.findall(r'<(?:input|textarea|select)[^>]*\sid="([^"]+)"', page):
            if control_id in {"csrf_token", "expected_version", "item_id", "by"}:
                continue  # hidden
            labelled = f'for="{control_id}"' in page
            wrapped = re.search(rf'<label[^>]*>\s*<input[^>]*id="{re.escape(control_id)}"', page)
            assert labelled or wrapped, control_id


def test_unknown_item_is_404(consolidator):
    assert consolidator.get("/manage/items/999999/consolidate").status_code == 404
    assert consolidator.get("/manage/items/999999/versions").status_code == 404
