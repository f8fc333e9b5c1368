"""The "Proposed wording" section of the participant's item page."""

from __future__ import annotations

import html

from cocreate.amendments import services
from cocreate.consolidation.diffing import readable_diff
from cocreate.live.services import create_event, end_event, start_event
from tests.amendments.conftest import NEW_WORDING, guest_participant
from tests.conftest import count_queries, join_as


def section(page) -> str:
    return page.text.split('id="amendments"')[1].split("</section>")[0]


def test_the_item_page_shows_each_proposal_as_a_readable_diff(app, guest, proposal, first_item):
    text = section(guest.get(f"/items/{first_item.id}"))
    assert "Proposal by Ana" in text and "Industry" in text
    assert "Shorter and clearer." in text
    # Removed words struck through, added ones inserted, both named for screen readers.
    assert '<del><span class="visually-hidden">[removed: </span>' in text
    assert '<ins><span class="visually-hidden">[added: </span>' in text
    assert "publishes" in text
    assert "Proposed" in text and "No votes yet." in text


def test_the_propose_form_is_prefilled_with_the_draft(app, guest, first_item):
    text = section(guest.get(f"/items/{first_item.id}"))
    assert '<details class="propose">' in text
    assert html.escape(first_item.text, quote=False) in text
    assert "No one has proposed new wording yet." in text


def test_the_status_badge_tells_what_the_moderators_decided(
    app, demo, guest, moderator, author, first_item
):
    accepted = services.propose(author.participant, first_item, "Accepted wording.")
    rejected = services.propose(author.participant, first_item, "Rejected wording.")
    merged = services.propose(author.participant, first_item, "Merged wording.")
    services.reject(moderator, rejected, rationale="No.")
    services.accept(moderator, accepted, expected_version=0)
    services.merge(moderator, merged, text="Combined wording.", expected_version=1)
    text = section(guest.get(f"/items/{first_item.id}"))
    for label in ("Accepted", "Merged", "Not taken up"):
        assert f">{label}</span>" in text
    # Decided proposals are not voted on any more.
    assert "How far do you agree with this wording?" not in text


def test_a_hidden_proposal_is_gone_for_others_and_marked_for_its_author(
    app, demo, guest, moderator, first_item
):
    mine = services.propose(guest_participant(demo), first_item, NEW_WORDING)
    other = join_as(demo, "Other", name="Cy")
    theirs = services.propose(other.participant, first_item, "Someone else's abusive text.")
    services.set_hidden(moderator, mine, True)
    services.set_hidden(moderator, theirs, True)
    text = section(guest.get(f"/items/{first_item.id}"))
    assert "Your proposal" in text
    assert "The moderators hid your proposal" in text
    assert "abusive text" not in text


def test_proposals_of_a_rehearsal_stay_out_of_the_real_page(
    app, demo, moderator, guest, first_item
):
    rehearsal = create_event(demo, moderator, title="Dry run", format="webinar", is_rehearsal=True)
    start_event(demo, moderator, rehearsal)
    other = join_as(demo, "Other", name="Cy")
    services.propose(other.participant, first_item, "Rehearsal-wording.")
    assert "Rehearsal-wording." in section(guest.get(f"/items/{first_item.id}"))
    end_event(demo, moderator)
    assert "Rehearsal-wording." not in section(guest.get(f"/items/{first_item.id}"))


def test_item_page_queries_do_not_grow_with_proposals(app, demo, guest, first_item):
    def add(n):
        for i in range(n):
            joined = join_as(demo, ["Industry", "Other"][i % 2], name=f"P{i}")
            amendment = services.propose(joined.participant, first_item, f"Wording {i}.", "why")
            services.cast_vote(joined.participant, amendment, "agree")
            services.cast_vote(guest_participant(demo), amendment, "neutral")

    def queries():
        with count_queries() as statements:
            page = guest.get(f"/items/{first_item.id}")
            assert page.status_code == 200
        return len(statements), page

    add(3)
    few, _page = queries()
    add(30)
    many, page = queries()
    assert many == few
    # The item page's 17, plus the proposals with their authors, their tallies, own votes.
    assert few <= 20, few
    assert section(page).count("<article") == 33


def test_a_rewrite_reads_as_whole_phrases_not_a_comb_of_words():
    old = "We want clean and fair energy for all now."
    new = "We want cheap and fair power for everyone today."
    pieces = readable_diff(old, new)
    assert [(p.kind, p.text) for p in pieces] == [
        ("same", "We want "),
        ("removed", "clean"),
        ("added", "cheap"),
        ("same", " and fair "),
        ("removed", "energy for all now."),
        ("added", "power for everyone today."),
    ]
    assert "".join(p.text for p in pieces if p.kind != "added") == old
    assert "".join(p.text for p in pieces if p.kind != "removed") == new
