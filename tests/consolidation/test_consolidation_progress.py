"""Where consolidation stands across a consultation, and pages that stay quick."""

from __future__ import annotations

import re

from cocreate.amendments.models import Amendment, AmendmentStatus
from cocreate.extensions import db
from cocreate.participation.models import Vote
from tests.conftest import count_queries, join_as
from tests.consolidation.conftest import add_feedback, consolidate


def progress(consultation) -> str:
    return f"/manage/{consultation.id}/consolidation"


def row_of(page: str, ref: str) -> str:
    start = page.index(f'<td class="ref">{ref}</td>')
    return re.sub(r"\s+", " ", page[start : page.index("</tr>", start)])


def add_amendments(demo, item, statuses):
    author = join_as(demo).participant
    for status in statuses:
        db.session.add(
            Amendment(
                item=item, participant=author, base_text=item.text, text="Other.", status=status
            )
        )
    db.session.commit()


def test_progress_counts_consolidated_items_and_what_still_needs_a_decision(
    consolidator, co_consolidator, demo, first_item, second_item, other_moderator
):
    add_feedback(demo, first_item, 6)  # 2 of 6 with a disposition
    add_feedback(demo, second_item, 3, start=6, hidden_every=2)  # 6 and 8 hidden, 6 disposed
    consolidate(first_item, "Final wording.", author=other_moderator)
    add_amendments(demo, second_item, [AmendmentStatus.PROPOSED, AmendmentStatus.REJECTED])

    page = consolidator.get(progress(demo)).text

    total = sum(len(d.items) for d in demo.documents)
    assert f"1 / {total}" in page
    assert '<span class="figure">5</span>' in page  # 4 + 1 comments without disposition
    assert '<span class="figure">1</span> <span>proposed wording to decide</span>' in re.sub(
        r"\s+", " ", page
    )
    first = row_of(page, first_item.ref)
    assert "yes" in first and "v1 · other@example.org" in first
    assert f'href="/manage/items/{first_item.id}/consolidate"' in first
    assert "<span>6</span>" in first and "<strong>4</strong>" in first
    second = row_of(page, second_item.ref)
    assert "no" in second and "–" in second
    assert "<span>1</span></td>" in second  # one visible comment
    assert "Not enough votes" in second


def test_progress_shows_each_items_consensus_signal(consolidator, demo, first_item):
    for group, value in [("Industry", "agree"), ("Other", "agree")]:
        for _i in range(5):
            joined = join_as(demo, group=group)
            db.session.add(Vote(item=first_item, participant=joined.participant, value=value))
    db.session.commit()

    page = consolidator.get(progress(demo)).text

    assert "Groups agree" in row_of(page, first_item.ref)


def queries_for(browser, url: str) -> int:
    with count_queries() as statements:
        assert browser.get(url).status_code == 200
    return len(statements)


def test_progress_page_queries_do_not_grow_with_items_comments_or_versions(
    consolidator, demo, first_item, second_item
):
    add_feedback(demo, first_item, 3)
    few = queries_for(consolidator, progress(demo))

    add_feedback(demo, second_item, 20, start=3)
    consolidate(first_item, "One.")
    consolidate(second_item, "Two.")
    add_amendments(demo, second_item, [AmendmentStatus.PROPOSED] * 3)
    many = queries_for(consolidator, progress(demo))

    assert many == few <= 12, (few, many)


def test_workspace_queries_do_not_grow_with_comments(consolidator, demo, first_item):
    """Tags, replies, dispositions, votes, amendments and versions: a fixed number of queries."""
    add_feedback(demo, first_item, 3, hidden_every=2)
    add_amendments(demo, first_item, [AmendmentStatus.PROPOSED])
    consolidate(first_item, "Wording.")
    url = f"/manage/items/{first_item.id}/consolidate"
    few = queries_for(consolidator, url)
    by_tag_few = queries_for(consolidator, url + "?by=tag")

    add_feedback(demo, first_item, 57, start=3, hidden_every=5)
    add_amendments(demo, first_item, [AmendmentStatus.PROPOSED, AmendmentStatus.REJECTED] * 5)
    consolidate(first_item, "Wording, again.")
    many = queries_for(consolidator, url)
    by_tag_many = queries_for(consolidator, url + "?by=tag")

    assert "Comment 59" in consolidator.get(url).text
    assert many == few <= 22, (few, many)
    assert by_tag_many == by_tag_few == few
