"""Participants vote on proposed wording, on the same scale as on items."""

from __future__ import annotations

import sqlalchemy as sa

from cocreate.amendments import services
from cocreate.amendments.models import AmendmentVote
from cocreate.consultations.models import ResultsVisibility, Status
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db
from cocreate.live.services import create_event, end_event, start_event
from cocreate.participation.models import VoteValue
from tests.amendments.conftest import guest_participant
from tests.conftest import DEMO_JSON, Browser, join_as, row_count


def vote_url(amendment):
    return f"/amendments/{amendment.id}/vote"


def votes():
    return [
        tuple(row)
        for row in db.session.execute(sa.select(AmendmentVote.participant_id, AmendmentVote.value))
    ]


def test_guest_votes_on_a_proposal_and_sees_its_tally(app, demo, guest, proposal):
    response = guest.post(vote_url(proposal), {"value": "agree"}, htmx=True)
    assert response.status_code == 200, response.text
    assert "<html" not in response.text and f'id="amendment-{proposal.id}"' in response.text
    assert "You voted:" in response.text and "1 vote" in response.text
    assert "100 % agree" in response.text
    # Screen readers hear the change through the item page's live region.
    assert '<p id="vote-announcer" hx-swap-oob="innerHTML">You voted on this wording: Agree.' in (
        response.text
    )
    assert votes() == [(guest_participant(demo).id, VoteValue.AGREE)]


def test_changing_a_vote_keeps_one_vote(app, demo, guest, proposal):
    guest.post(vote_url(proposal), {"value": "agree"})
    response = guest.post(vote_url(proposal), {"value": "strongly_disagree"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/items/{proposal.item_id}#amendment-{proposal.id}"
    )
    assert votes() == [(guest_participant(demo).id, VoteValue.STRONGLY_DISAGREE)]


def test_withdrawing_a_vote_removes_it(app, guest, proposal):
    guest.post(vote_url(proposal), {"value": "agree"})
    response = guest.post(vote_url(proposal) + "/withdraw", htmx=True)
    assert response.status_code == 200
    assert "No votes yet" in response.text
    assert row_count(AmendmentVote) == 0


def test_withdrawing_without_a_vote_is_refused(app, guest, proposal):
    response = guest.post(vote_url(proposal) + "/withdraw", htmx=True)
    assert response.status_code == 404
    assert "You have not voted" in response.text


def test_authors_may_vote_on_their_own_proposal(app, author, proposal):
    services.cast_vote(author.participant, proposal, "strongly_agree")
    assert votes() == [(author.participant.id, VoteValue.STRONGLY_AGREE)]


def test_vote_outside_the_scale_is_refused(app, guest, proposal):
    for value in ("love_it", ""):
        response = guest.post(vote_url(proposal), {"value": value}, htmx=True)
        assert response.status_code == 422
        assert "Choose one of the answers" in response.text or "A vote is one of" in response.text
    assert row_count(AmendmentVote) == 0


def test_vote_refused_without_htmx_returns_with_the_message(app, guest, proposal):
    response = guest.post(vote_url(proposal), {"value": "love_it"})
    assert response.status_code == 302
    page = guest.get(response.headers["Location"])
    assert "A vote is one of" in page.text
    assert row_count(AmendmentVote) == 0


def test_votes_on_a_decided_proposal_are_closed(app, guest, moderator, proposal):
    services.reject(moderator, proposal, rationale="No.")
    response = guest.post(vote_url(proposal), {"value": "agree"}, htmx=True)
    assert response.status_code == 409
    assert "voting on it is closed" in response.text
    assert row_count(AmendmentVote) == 0


def test_a_hidden_proposal_cannot_be_voted_on(app, guest, moderator, proposal):
    services.set_hidden(moderator, proposal, True)
    assert guest.post(vote_url(proposal), {"value": "agree"}).status_code == 404
    assert row_count(AmendmentVote) == 0


def test_closed_consultation_refuses_votes_on_proposals(app, demo, guest, proposal):
    demo.status = Status.CLOSED
    db.session.commit()
    response = guest.post(vote_url(proposal), {"value": "agree"}, htmx=True)
    assert response.status_code == 409
    assert row_count(AmendmentVote) == 0


def test_a_guest_of_another_consultation_cannot_vote(app, proposal):
    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    stranger = Browser(app.test_client())
    stranger.join(other)
    response = stranger.post(vote_url(proposal), {"value": "agree"})
    assert response.status_code == 302 and "/join/" in response.headers["Location"]
    assert row_count(AmendmentVote) == 0


def test_voting_on_an_unknown_proposal_is_404(app, guest):
    assert guest.post("/amendments/9999/vote", {"value": "agree"}).status_code == 404


def test_tally_waits_for_the_guests_vote_under_after_vote(app, demo, guest, voter, proposal):
    demo.results_visibility = ResultsVisibility.AFTER_VOTE
    db.session.commit()
    services.cast_vote(voter.participant, proposal, "agree")
    page = guest.get(f"/items/{proposal.item_id}")
    assert "Results are shown once you have voted." in page.text
    assert "1 vote" not in page.text.split('id="amendments"')[1].split("</section>")[0]
    response = guest.post(vote_url(proposal), {"value": "disagree"}, htmx=True)
    assert "2 votes" in response.text


def test_tally_waits_for_the_reveal_under_after_reveal(app, demo, guest, proposal):
    demo.results_visibility = ResultsVisibility.AFTER_REVEAL
    db.session.commit()
    response = guest.post(vote_url(proposal), {"value": "agree"}, htmx=True)
    assert "Results are shown when the moderator reveals them." in response.text
    assert "1 vote" not in response.text


def test_small_groups_are_suppressed_for_participants(app, demo, author, proposal):
    for _n in range(5):
        services.cast_vote(join_as(demo, "Other").participant, proposal, "agree")
    services.cast_vote(join_as(demo, "Industry").participant, proposal, "disagree")
    (view,) = services.amendments_for_participant(author.participant, proposal.item)
    groups = {g.name: g for g in view.results.by_group}
    assert groups["Industry"].suppressed and not groups["Other"].suppressed
    assert view.results.overall.votes == 6


def test_votes_cast_during_a_rehearsal_stay_out_of_a_proposals_results(
    app, demo, moderator, proposal, voter
):
    rehearsal = create_event(demo, moderator, title="Dry run", format="webinar", is_rehearsal=True)
    start_event(demo, moderator, rehearsal)
    services.cast_vote(voter.participant, proposal, "disagree")
    end_event(demo, moderator)
    real = join_as(demo, "Industry", name="Di")
    services.cast_vote(real.participant, proposal, "agree")

    results = services.tally_amendments(demo, [proposal.id], moderator=True)[proposal.id]

    assert results.overall.votes == 1
    assert results.overall.counts[VoteValue.AGREE] == 1
