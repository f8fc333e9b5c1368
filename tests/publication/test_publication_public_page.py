"""The public final version: texts, changes and reasons, figures, moderation, revisions."""

from __future__ import annotations

import re

import pytest

from cocreate.extensions import db
from cocreate.live.models import EventFormat, LiveEvent
from cocreate.participation.models import Comment, Vote
from cocreate.publication import services
from cocreate.publication.services import build_snapshot, publish, publish_correction
from tests.conftest import count_queries, join_as
from tests.publication.conftest import (
    FINAL_TEXT,
    PASSAGE,
    RATIONALE,
    close,
    consolidate,
    consolidate_all,
    items_of,
)


@pytest.fixture
def published(demo, moderator, feedback):
    close(demo)
    publish(demo, moderator, note="Our response.", confirm_unconsolidated=True)
    return demo


TOP_PARTS = ("document", "figures", "moderation", "revisions")


def section_of(page: str, anchor: str) -> str:
    """The HTML of one top-level part of the public page, by its id, up to the next one."""
    start = page.index(f'id="{anchor}"')
    ends = [
        page.find(marker, start + 1)
        for marker in (*(f'<section class="final-{part}"' for part in TOP_PARTS), "</main>")
        if page.find(marker, start + 1) != -1
    ]
    return page[start : min(ends)]


def test_the_public_page_is_not_found_until_published(app, demo, moderator, client):
    assert client.get(f"/final/{demo.id}").status_code == 404
    close(demo)
    response = client.get(f"/final/{demo.id}")
    assert response.status_code == 404
    assert "has not published its final version yet" in response.text
    assert client.get("/final/9999").status_code == 404


def test_anyone_reads_the_final_text_without_logging_in(app, published, client, feedback):
    page = client.get(f"/final/{published.id}")
    assert page.status_code == 200
    assert FINAL_TEXT in page.text
    assert "Revision 1" in page.text
    assert "Our response." in page.text


def test_the_public_page_shows_what_changed_from_the_draft(app, published, client):
    page = client.get(f"/final/{published.id}").text
    item = section_of(page, "document-1")
    assert (
        '<del><span class="visually-hidden">[removed: </span>year in a format that allows '
        'companies to be compared.<span class="visually-hidden">]</span></del>'
        '<ins><span class="visually-hidden">[added: </span>year, checked by an independent '
        'auditor.<span class="visually-hidden">]</span></ins>'
    ) in item


def test_the_public_page_says_why_you_said_we_did(app, published, client, feedback):
    page = client.get(f"/final/{published.id}").text
    assert RATIONALE in page
    assert f"<q>{PASSAGE}</q>" in page
    assert "Taken up" in page and "Partly taken up" in page
    assert "We kept the yearly rhythm." in page
    # Escaped, and authors only by group and region.
    assert "Reports mean nothing &lt;b&gt;without&lt;/b&gt; an independent check." in page
    assert "<b>without</b>" not in page
    assert "Industry, Europe" in page
    assert "Ana Secretname" not in page and "Bo Hiddenname" not in page


def test_hidden_comments_are_never_quoted_even_with_a_disposition(app, published, client, feedback):
    page = client.get(f"/final/{published.id}").text
    for hidden in (feedback.off_topic, feedback.duplicate, feedback.awaiting, feedback.spam):
        assert hidden.body not in page
    assert "Off topic." not in page  # the rationale recorded on the hidden comment


def test_the_public_page_counts_hidden_comments_per_kind_of_reason(
    app, published, client, feedback
):
    moderation = section_of(client.get(f"/final/{published.id}").text, "moderation")
    text = " ".join(re.sub(r"<[^>]+>", " ", moderation).split())
    # Five comments outside the rehearsal: one shown, four hidden.
    assert "Participants posted 5 comments." in text
    assert "The moderators hid 4 of them from the public:" in text
    assert "1 Off-topic" in text
    assert "1 Duplicate" in text  # the merged one
    assert "1 Spam" in text
    assert "1 Not approved (pre-moderation)" in text
    assert "0 Abusive" in text


def test_participation_figures_per_group_region_and_event_leave_rehearsals_out(
    app, published, client, feedback
):
    figures = published_snapshot(published)["participation"]
    assert figures["total"] == {
        "name": "All participants",
        "participants": 7,
        "voters": 7,
        "comments": 5,
    }
    industry = next(row for row in figures["by_group"] if row["name"] == "Industry")
    assert (industry["participants"], industry["voters"], industry["comments"]) == (6, 6, 4)
    other = next(row for row in figures["by_group"] if row["name"] == "Other")
    assert other["participants"] == 0  # voted only during the rehearsal
    regions = {row["name"]: row["participants"] for row in figures["by_region"]}
    assert regions["Europe"] == 1 and regions["Asia"] == 5 and regions["Africa"] == 1
    assert [(e["name"], e["participants"], e["comments"]) for e in figures["by_event"]] == [
        ("Lisbon workshop", 1, 1)
    ]
    page = section_of(client.get(f"/final/{published.id}").text, "participation")
    assert "By stakeholder group" in page and "By region" in page
    assert "Lisbon workshop" in page and "Dry run" not in page


def test_results_suppress_groups_with_fewer_than_five_voters(app, published, client):
    item = services.snapshot_items(published_snapshot(published))[0]
    groups = {row["name"]: row for row in item["results"]["by_group"]}
    assert groups["Industry"]["votes"] == 6
    assert groups["Government and policy"] == {"name": "Government and policy", "suppressed": True}
    assert item["results"]["overall"]["votes"] == 7  # the rehearsal vote is left out
    page = client.get(f"/final/{published.id}").text
    assert "fewer than 5 voters" in page


def test_a_correction_shows_in_the_revision_history_and_the_earlier_revision_stays(
    app, published, moderator, client, feedback
):
    consolidate(feedback.item, moderator, FINAL_TEXT + " Reviewed in 2035.")
    publish_correction(published, moderator, "Added the 2035 review.")
    latest = client.get(f"/final/{published.id}").text
    assert "Reviewed in 2035." in latest
    history = section_of(latest, "revisions")
    assert "Revision 2" in history and "Revision 1" in history
    assert "Added the 2035 review." in history
    assert f"#item-{feedback.item.ref}" in history
    earlier = client.get(f"/final/{published.id}?revision=1").text
    assert "Reviewed in 2035." not in earlier
    assert FINAL_TEXT in earlier
    assert "You are reading revision 1, an earlier version." in earlier
    assert client.get(f"/final/{published.id}?revision=7").status_code == 404


def test_moderators_see_the_audit_and_public_links_once_published(app, published, moderator, web):
    web.login("mod@example.org")
    page = web.get(f"/manage/{published.id}").text
    assert f'href="/final/{published.id}"' in page


def published_snapshot(consultation) -> dict:
    return services.latest_publication(consultation.id).snapshot


# ---------------------------------------------------------------- query counts


def add_feedback(consultation, moderator, n: int) -> None:
    """n more participants with a vote, a disposed comment and a hidden one on each item."""
    events = [
        LiveEvent(consultation_id=consultation.id, title=f"Event {i}", format=EventFormat.FORUM)
        for i in range(2)
    ]
    db.session.add_all(events)
    db.session.flush()
    comments = []
    for i in range(n):
        joined = join_as(consultation, ["Industry", "Other"][i % 2], ["Europe", "Asia"][i % 2])
        for item in items_of(consultation):
            db.session.add(Vote(item=item, participant=joined.participant, value="agree"))
            comments.append(
                Comment(
                    item=item,
                    participant=joined.participant,
                    body=f"Comment {i}",
                    event_id=events[i % 2].id,
                )
            )
            db.session.add(
                Comment(item=item, participant=joined.participant, body="x", hidden=True)
            )
    db.session.add_all(comments)
    db.session.commit()
    from cocreate.consolidation.services import record_dispositions

    record_dispositions(
        consultation,
        moderator,
        outcome="not_taken_up",
        rationale="No.",
        comment_ids=[c.id for c in comments],
    )


def snapshot_queries(consultation) -> int:
    with count_queries() as statements:
        build_snapshot(consultation)
    return len(statements)


def test_the_snapshot_is_built_in_a_constant_number_of_queries(app, demo, moderator):
    consolidate_all(demo, moderator)
    add_feedback(demo, moderator, 2)
    few = snapshot_queries(demo)
    add_feedback(demo, moderator, 8)
    many = snapshot_queries(demo)
    assert many == few
    assert few <= 16, few


def test_the_public_page_runs_a_constant_number_of_queries(app, demo, moderator, client):
    consolidate_all(demo, moderator)
    add_feedback(demo, moderator, 2)
    close(demo)
    publish(demo, moderator)
    with count_queries() as statements:
        assert client.get(f"/final/{demo.id}").status_code == 200
    assert len(statements) <= 4, statements
