"""A moderator consolidates the demo through the pages, from the moderation queue to the
published final version; the public reads it, and a participant sees what was done with
their comment."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from cocreate.amendments import services as amendments
from cocreate.amendments.models import Amendment
from cocreate.consultations.services import get_consultation
from cocreate.drafts.models import Item
from cocreate.extensions import db
from cocreate.participation import services as participation
from cocreate.participation.models import VoteValue

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SIZES = (PHONE["viewport"], DESKTOP["viewport"])

GUEST_COMMENT = "Once a year is too slow for buyers to react to what the reports show."
REASON = "Buyers need fresher figures."
DUPLICATE_KEPT = "Trace cobalt and lithium back to the mine too, not only the three named."
DUPLICATE_MERGED = "Please also trace cobalt and lithium back to the mine."
SMALL_SUPPLIERS = "Small suppliers cannot afford audits of every tier; they need support."
OFF_TOPIC = "Will there be vegetarian food at the next workshop?"
HIDE_NOTE = "About catering, not the roadmap"
ADDED_SENTENCE = "Small suppliers get practical help to carry out these checks."
ACCEPT_RATIONALE = "Six-monthly reports let buyers act on them in time."
GUEST_RATIONALE = "Reports are now due every six months."
BULK_RATIONALE = "Support for small suppliers is added; other minerals wait for the 2040 review."


def join(tab, demo, group: str, region: str) -> None:
    """Join through the pages, as a guest would."""
    tab.goto(f"/join/{demo.join_code}")
    tab.page.get_by_label("Stakeholder group").select_option(group)
    tab.page.get_by_label("Region (optional)").select_option(region)
    tab.page.get_by_label("I have read and accept the privacy notice").check()
    tab.page.get_by_role("button", name="Join", exact=True).click()
    expect(tab.page.get_by_role("heading", name="Your return code")).to_be_visible()


def guest_comments_and_proposes(tab, demo, amended_text: str) -> None:
    tab.goto(f"/items/{demo.first_item_id}")
    page = tab.page
    page.get_by_label("Your comment").fill(GUEST_COMMENT)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments .comment-body")).to_have_text([GUEST_COMMENT])
    amendments_section = page.locator("#amendments")
    amendments_section.get_by_text("Propose new wording").click()
    page.get_by_label("Your wording").fill(amended_text)
    page.get_by_label("Why this change? (optional)").fill(REASON)
    page.get_by_role("button", name="Propose this wording").click()
    expect(amendments_section.get_by_role("heading", name="Your proposal")).to_be_visible()
    expect(amendments_section.locator(".word-diff del")).to_have_text(re.compile(r"year"))
    expect(amendments_section.locator(".word-diff ins")).to_have_text(re.compile(r"six months"))
    tab.check("item-proposed")


def arrange_feedback(live_server, demo) -> dict:
    """Four more participants vote and comment on the first item; two vote on the guest's
    proposal. Returns what the moderator's pages are checked against."""
    with live_server.app.app_context():
        consultation = get_consultation(demo.consultation_id)
        item = db.session.get(Item, demo.first_item_id)
        (proposal,) = db.session.scalars(
            sa.select(Amendment).where(Amendment.item_id == item.id)
        ).all()
        people = [
            ("Industry", "Europe", VoteValue.AGREE, DUPLICATE_KEPT),
            ("Research and academia", "Africa", VoteValue.STRONGLY_AGREE, DUPLICATE_MERGED),
            ("Government and policy", "Asia", VoteValue.DISAGREE, SMALL_SUPPLIERS),
            ("Other", "North America", VoteValue.NEUTRAL, OFF_TOPIC),
        ]
        joined = []
        for group, region, vote, comment in people:
            participant = participation.join(
                consultation, stakeholder_group=group, region=region, accept_privacy=True
            ).participant
            participation.cast_vote(participant, item, vote)
            participation.post_comment(participant, item, comment)
            joined.append(participant)
        amendments.cast_vote(joined[0], proposal, VoteValue.AGREE)
        amendments.cast_vote(joined[1], proposal, VoteValue.STRONGLY_AGREE)
        facts = {
            "amendment_id": proposal.id,
            "ref": item.ref,
            "items": db.session.scalar(
                sa.select(sa.func.count()).where(Item.consultation_id == consultation.id)
            ),
        }
        db.session.remove()
    return facts


def log_in(tab, live_server) -> None:
    tab.goto("/login")
    tab.page.get_by_label("Email").fill(live_server.moderator_email)
    tab.page.get_by_label("Password").fill(live_server.moderator_password)
    tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.get_by_role("button", name="Log out")).to_be_visible()


def queue_row(page, text: str):
    return page.locator("article.mod-comment").filter(has_text=text)


def moderate_the_queue(tab) -> None:
    page = tab.page
    page.get_by_role("link", name="Moderation", exact=True).click()
    expect(page.get_by_role("heading", name="Moderation", level=1)).to_be_visible()
    expect(page.locator("article.mod-comment")).to_have_count(5)
    tab.check("queue")

    off_topic = queue_row(page, OFF_TOPIC)
    off_topic.get_by_label("Reason").select_option(label="Off-topic")
    off_topic.get_by_label("Note (needed for “other”)").fill(HIDE_NOTE)
    off_topic.get_by_role("button", name="Hide", exact=True).click()
    expect(off_topic.locator(".hidden-badge")).to_have_text(f"Hidden: Off-topic · {HIDE_NOTE}")
    expect(off_topic.get_by_role("button", name="Restore")).to_be_visible()

    kept_id = queue_row(page, DUPLICATE_KEPT).get_attribute("id").removeprefix("c-")
    queue_row(page, DUPLICATE_MERGED).get_by_label("Merge this").check()
    queue_row(page, DUPLICATE_KEPT).get_by_label("Merge into this").check()
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_text(f"1 comment merged into #{kept_id}.")).to_be_visible()
    expect(queue_row(page, DUPLICATE_MERGED).locator(".hidden-badge")).to_have_text(
        f"Merged into #{kept_id}"
    )
    expect(queue_row(page, OFF_TOPIC).locator(".hidden-badge")).to_have_text(
        f"Hidden: Off-topic · {HIDE_NOTE}"
    )
    expect(queue_row(page, DUPLICATE_KEPT).locator(".hidden-badge")).to_have_count(0)
    tab.check("queue-moderated")


def workspace_entry(page, text: str):
    return page.locator("li.ws-comment").filter(has_text=text)


def accept_the_proposal(tab, amendment_id: int) -> None:
    page = tab.page
    proposal = page.locator(f"#amendment-{amendment_id}")
    expect(proposal.locator(".amendment-tally")).to_contain_text("2 votes")
    decision = proposal.locator("details.amendment-decision").filter(has_text="Accept…")
    decision.get_by_text("Accept…").click()
    decision.get_by_label("Rationale (optional, shown to participants)").fill(ACCEPT_RATIONALE)
    decision.get_by_role("button", name="Accept as consolidated text").click()
    expect(page.get_by_text("Accepted: its wording is now the consolidated text.")).to_be_visible()
    expect(page.locator(".ws-status")).to_contain_text("version 1")
    expect(proposal.locator(".amendment-status")).to_have_text("Accepted")
    expect(proposal.locator(".amendment-disposition")).to_contain_text(ACCEPT_RATIONALE)
    expect(page.locator("#text")).to_have_value(re.compile(r"published every six months"))


def write_the_consolidated_text(tab) -> None:
    page = tab.page
    text = page.locator("#text")
    final = f"{text.input_value()} {ADDED_SENTENCE}"
    text.fill(final)
    page.get_by_label("What changed, in a few words (optional)").fill("Help for small suppliers")
    page.get_by_role("button", name="Save consolidated text").click()
    expect(page.get_by_text("Saved as version 2.")).to_be_visible()
    expect(page.locator(".ws-status")).to_contain_text("version 2")
    expect(page.locator("#text")).to_have_value(final)
    expect(page.locator(".ws-version-list li")).to_have_count(2)


def dispose_of_one(tab) -> None:
    """The guest's comment, with its own form (fetched when opened, saved in place)."""
    entry = workspace_entry(tab.page, GUEST_COMMENT)
    entry.get_by_text("Record a disposition").click()
    entry.get_by_label("Outcome").select_option(label="Taken up")
    entry.get_by_label("Rationale, shown to participants").fill(GUEST_RATIONALE)
    entry.get_by_role("button", name="Save disposition").click()
    expect(entry.locator("[data-disposition]")).to_have_text(f"Taken up: {GUEST_RATIONALE}")
    expect(entry.get_by_text("Change the disposition")).to_be_visible()


def select_in_consolidated_text(page, words: str) -> None:
    """Select ``words`` in the consolidated text, as a moderator would with the mouse."""
    page.locator("#text").evaluate(
        """(area, words) => {
            area.focus();
            const start = area.value.indexOf(words);
            area.setSelectionRange(start, start + words.length);
            area.dispatchEvent(new Event("select", {bubbles: true}));
        }""",
        words,
    )


def dispose_of_several(tab) -> None:
    """Two comments at once, pointing to the sentence they led to."""
    page = tab.page
    for text in (DUPLICATE_KEPT, SMALL_SUPPLIERS):
        workspace_entry(page, text).locator("input[data-pick]").check()
    bulk = page.locator("#bulk-dispositions")
    expect(bulk.locator("[data-selected-count]")).to_have_text("(2 selected)")
    bulk.get_by_label("Outcome").select_option(label="Partly taken up")
    bulk.get_by_label("Rationale, shown to participants").fill(BULK_RATIONALE)
    select_in_consolidated_text(page, ADDED_SENTENCE)
    bulk.get_by_role("button", name="Use the words selected in the consolidated text").click()
    passage = bulk.get_by_label("Passage of the consolidated text it led to (optional)")
    expect(passage).to_have_value(ADDED_SENTENCE)
    bulk.get_by_role("button", name="Record for the selected comments").click()
    expect(page.get_by_text("2 dispositions recorded.")).to_be_visible()
    for text in (DUPLICATE_KEPT, SMALL_SUPPLIERS):
        decided = workspace_entry(page, text).locator("[data-disposition]")
        expect(decided).to_contain_text(f"Partly taken up: {BULK_RATIONALE}")
        expect(decided.locator(".passage q")).to_have_text(ADDED_SENTENCE)


def consolidate(tab, facts: dict) -> None:
    page = tab.page
    page.get_by_role("link", name="Consolidation", exact=True).click()
    figures = page.locator(".progress-figure")
    expect(figures.first).to_contain_text(f"0 / {facts['items']}")
    tab.check("progress")
    page.locator(".progress-table").first.get_by_role("link").first.click()
    expect(page.locator("h1 .ref")).to_have_text(facts["ref"])
    expect(page.locator(".ws-status")).to_contain_text("Not consolidated yet")
    expect(page.locator(".ws-status")).to_contain_text("3 comments without disposition")
    tab.check("workspace", sizes=SIZES)

    accept_the_proposal(tab, facts["amendment_id"])
    tab.check("workspace-accepted")
    write_the_consolidated_text(tab)
    dispose_of_one(tab)
    dispose_of_several(tab)
    expect(page.locator(".ws-status")).to_contain_text("0 comments without disposition")
    merged = workspace_entry(page, DUPLICATE_MERGED)
    expect(merged.locator(".badge-warn")).to_contain_text("Merged into comment")
    tab.check("workspace-decided", sizes=SIZES)

    page.locator(".ws-header").get_by_role("link", name="Consolidation").click()
    expect(figures.first).to_contain_text(f"1 / {facts['items']}")
    expect(figures.nth(1)).to_have_text(re.compile(r"^\s*0\s+comments without disposition"))
    tab.check("progress-after")


def close_and_publish(tab, facts: dict) -> None:
    page = tab.page
    page.locator(".page-header .eyebrow a").click()
    lifecycle = page.locator("section.panel").filter(
        has=page.get_by_role("heading", name="Lifecycle")
    )
    lifecycle.get_by_role("button", name="Close", exact=True).click()
    expect(page.locator(".page-header .status")).to_have_text("closed")
    tab.check("overview-closed")
    lifecycle.get_by_role("link", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", name="Publish the final version")).to_be_visible()
    expect(page.locator("#unconsolidated li")).to_have_count(facts["items"] - 1)
    expect(page.locator("#unconsolidated li").filter(has_text=facts["ref"])).to_have_count(0)
    tab.check("publish")
    page.get_by_label("A note for readers (optional)").fill("Consolidated after the workshops.")
    page.get_by_label(re.compile(r"Publish the items listed above")).check()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Published: revision 1 is public now.")).to_be_visible()
    tab.check("published")


def the_public_reads_the_final_version(tab, demo, facts: dict) -> None:
    tab.goto(f"/final/{demo.consultation_id}")
    page = tab.page
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    item = page.locator(f'[id="item-{facts["ref"]}"]')
    final_text = item.locator(".final-text")
    expect(final_text).to_contain_text("published every six months")
    expect(final_text).to_contain_text(ADDED_SENTENCE)
    change = item.locator(".change-from-draft .word-diff")
    expect(change.locator("del")).to_have_text(["[removed: year]"])
    expect(change.locator("ins")).to_have_text(
        ["[added: six months]", f"[added: {ADDED_SENTENCE}]"]
    )
    responses = item.locator(".responses")
    for rationale in (ACCEPT_RATIONALE, GUEST_RATIONALE, BULK_RATIONALE):
        expect(responses).to_contain_text(rationale)
    guest_response = responses.locator(".response").filter(has_text=GUEST_COMMENT)
    expect(guest_response.locator(".did")).to_contain_text("Taken up")
    expect(responses).not_to_contain_text(OFF_TOPIC)
    expect(responses).not_to_contain_text(DUPLICATE_MERGED)
    moderation = page.locator("#moderation")
    expect(moderation).to_contain_text("Participants posted 5 comments.")
    expect(moderation).to_contain_text("The moderators hid 2 of them from the public")
    counts = moderation.locator(".hidden-counts li")
    expect(counts.filter(has_text="Off-topic")).to_have_text(re.compile(r"^\s*1\s+Off-topic"))
    expect(counts.filter(has_text="Duplicate")).to_have_text(re.compile(r"^\s*1\s+Duplicate"))
    tab.check("public", sizes=SIZES)


def the_guest_reads_what_was_done(tab) -> None:
    page = tab.page
    page.get_by_role("link", name="Your contributions: you said, we did").click()
    expect(page.get_by_role("heading", name="Your contributions: you said, we did")).to_be_visible()
    comment = page.locator("li.mine").filter(has_text=GUEST_COMMENT)
    expect(comment.locator(".did")).to_contain_text("We did Taken up")
    expect(comment.locator(".did")).to_contain_text(GUEST_RATIONALE)
    proposal = page.locator("li.mine").filter(has_text="You proposed")
    expect(proposal.locator(".mine-status")).to_contain_text("Accepted as the consolidated text")
    expect(proposal.locator(".did")).to_contain_text(ACCEPT_RATIONALE)
    tab.check("mine")


def test_moderator_consolidates_and_publishes_what_the_public_and_author_read(
    open_tab, live_server, live_demo
):
    with live_server.app.app_context():
        draft = db.session.get(Item, live_demo.first_item_id).text
        db.session.remove()
    assert "published every year" in draft
    amended = draft.replace("published every year", "published every six months")

    guest = open_tab("guest", **PHONE)
    join(guest, live_demo, "Civil society and NGOs", "Latin America")
    guest_comments_and_proposes(guest, live_demo, amended)
    facts = arrange_feedback(live_server, live_demo)

    moderator = open_tab("moderator", **DESKTOP)
    log_in(moderator, live_server)
    moderator.page.locator(f'a[href="/manage/{live_demo.consultation_id}"]').click()
    expect(moderator.page.locator(".code.big")).to_have_text(live_demo.join_code)
    moderator.check("overview")
    moderate_the_queue(moderator)
    moderator.page.locator(".page-header .eyebrow a").click()
    consolidate(moderator, facts)
    close_and_publish(moderator, facts)

    the_public_reads_the_final_version(open_tab("public", **DESKTOP), live_demo, facts)

    guest.goto(f"/c/{live_demo.consultation_id}")
    guest.check("consultation-published")
    the_guest_reads_what_was_done(guest)
