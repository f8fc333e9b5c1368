"""Moderators accept, merge, reject, hide and restore proposed wording."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import render_template

from cocreate.amendments import services
from cocreate.amendments.models import Amendment, AmendmentStatus
from cocreate.audit.models import AuditEntry
from cocreate.consolidation.models import Disposition, Outcome, TextVersion
from cocreate.consolidation.services import save_final_text
from cocreate.consultations.models import Status
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.errors import EditConflict
from cocreate.extensions import db
from tests.amendments.conftest import NEW_WORDING, state
from tests.conftest import DEMO_JSON, Browser, count_queries, join_as


def url(amendment, action):
    return f"/manage/amendments/{amendment.id}/{action}"


def disposition_of(amendment) -> Disposition | None:
    return db.session.scalar(sa.select(Disposition).where(Disposition.amendment_id == amendment.id))


@pytest.fixture
def mod(web, moderator):
    web.login("mod@example.org")
    return web


def test_accepting_makes_the_wording_the_consolidated_text(mod, proposal, first_item):
    response = mod.post(
        url(proposal, "accept"),
        {"expected_version": "0", "rationale": "Clearer, and the group agreed."},
        htmx=True,
    )
    # The whole workspace reloads, so that its editor shows the new text and version.
    assert response.status_code == 200, response.text
    workspace = f"/manage/items/{first_item.id}/consolidate"
    assert response.headers["HX-Redirect"].endswith(workspace)
    page = mod.get(workspace)
    assert "Accepted: its wording is now the consolidated text." in page.text
    db.session.refresh(first_item)
    assert first_item.final_text == NEW_WORDING
    assert first_item.final_version == 1
    assert proposal.status is AmendmentStatus.ACCEPTED
    disposition = disposition_of(proposal)
    assert disposition.outcome is Outcome.TAKEN_UP
    assert disposition.rationale == "Clearer, and the group agreed."
    version = db.session.scalar(sa.select(TextVersion))
    assert version.number == 1 and version.note == f"Accepted proposal #{proposal.id}"
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["item.consolidate", "amendment.accept"]


def test_accepting_without_htmx_goes_back_to_the_workspace(mod, proposal, first_item):
    response = mod.post(url(proposal, "accept"), {"expected_version": "0"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/manage/items/{first_item.id}/consolidate#amendment-{proposal.id}"
    )
    assert proposal.status is AmendmentStatus.ACCEPTED


def test_accepting_on_a_stale_version_changes_nothing(mod, moderator, proposal, first_item):
    save_final_text(first_item, moderator, "Another moderator's text.", expected_version=0)
    before = state(first_item)
    response = mod.post(url(proposal, "accept"), {"expected_version": "0"}, htmx=True)
    assert response.status_code == 409
    assert "Another moderator saved this text" in response.text
    after = state(first_item)
    assert after == before
    assert after["final_text"] == "Another moderator's text."
    assert after["statuses"][proposal.id] is AmendmentStatus.PROPOSED
    assert disposition_of(proposal) is None


def test_accept_is_one_transaction_even_when_the_last_step_fails(
    app, moderator, proposal, first_item, monkeypatch
):
    """A failure after the text was written (here: the audit record) undoes the text too."""
    before = state(first_item)

    def broken_record(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "record", broken_record)
    with pytest.raises(RuntimeError):
        services.accept(moderator, proposal, expected_version=0)
    db.session.rollback()
    assert state(first_item) == before


def test_merging_saves_the_combined_text_and_marks_it_partly_taken_up(mod, proposal, first_item):
    combined = first_item.text + " Results are published every year."
    response = mod.post(
        url(proposal, "merge"),
        {"expected_version": "0", "text": combined, "rationale": "Kept the reporting part."},
        htmx=True,
    )
    assert response.status_code == 200, response.text
    db.session.refresh(first_item)
    assert first_item.final_text == combined
    assert proposal.status is AmendmentStatus.MERGED
    assert disposition_of(proposal).outcome is Outcome.PARTLY_TAKEN_UP


def test_merging_with_an_empty_text_changes_nothing(mod, proposal, first_item):
    before = state(first_item)
    response = mod.post(url(proposal, "merge"), {"expected_version": "0", "text": "   "}, htmx=True)
    assert response.status_code == 422
    assert state(first_item) == before


def test_rejecting_records_the_reason(mod, proposal, first_item):
    response = mod.post(url(proposal, "reject"), {"rationale": "Out of the EU's remit."}, htmx=True)
    assert response.status_code == 200
    assert proposal.status is AmendmentStatus.REJECTED
    disposition = disposition_of(proposal)
    assert disposition.outcome is Outcome.NOT_TAKEN_UP
    assert disposition.rationale == "Out of the EU's remit."
    db.session.refresh(first_item)
    assert first_item.final_text is None
    assert "Out of the EU&#39;s remit." in response.text


def test_rejecting_without_a_reason_is_refused(mod, proposal, first_item):
    before = state(first_item)
    response = mod.post(url(proposal, "reject"), {"rationale": " "}, htmx=True)
    assert response.status_code == 422
    assert state(first_item) == before


def test_a_rejected_proposal_can_still_be_accepted(mod, proposal, first_item):
    """Moderators change their mind after the discussion: the decision is replaced."""
    mod.post(url(proposal, "reject"), {"rationale": "Too long."}, htmx=True)
    response = mod.post(
        url(proposal, "accept"), {"expected_version": "0", "rationale": "Reconsidered."}, htmx=True
    )
    assert response.status_code == 200
    assert proposal.status is AmendmentStatus.ACCEPTED
    dispositions = db.session.scalars(sa.select(Disposition)).all()
    assert [(d.outcome, d.rationale) for d in dispositions] == [(Outcome.TAKEN_UP, "Reconsidered.")]


def test_an_accepted_proposal_cannot_be_decided_again(mod, proposal, first_item):
    """Its words are in the text: rejecting it now would make the record contradict the text."""
    mod.post(url(proposal, "accept"), {"expected_version": "0"}, htmx=True)
    before = state(first_item)
    for action, data in [
        ("reject", {"rationale": "Oops"}),
        ("accept", {"expected_version": "1"}),
        ("merge", {"expected_version": "1", "text": "Other"}),
        ("hide", {}),
    ]:
        response = mod.post(url(proposal, action), data, htmx=True)
        assert response.status_code == 422, action
        assert "already part of the consolidated text" in response.text or (
            "cannot be hidden" in response.text
        )
    assert state(first_item) == before


def test_hiding_and_restoring_an_abusive_proposal(mod, proposal, first_item, voter):
    response = mod.post(url(proposal, "hide"), htmx=True)
    assert response.status_code == 200
    assert proposal.hidden
    assert "Hidden" in response.text and "Restore for participants" in response.text
    assert services.amendments_for_participant(voter.participant, first_item) == []
    response = mod.post(url(proposal, "restore"), htmx=True)
    assert response.status_code == 200
    assert not proposal.hidden
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["amendment.hide", "amendment.restore"]


def test_a_hidden_proposal_cannot_be_accepted_until_restored(mod, proposal, first_item):
    mod.post(url(proposal, "hide"), htmx=True)
    before = state(first_item)
    response = mod.post(url(proposal, "accept"), {"expected_version": "0"}, htmx=True)
    assert response.status_code == 422
    assert "restore it before" in response.text
    assert state(first_item) == before


def test_a_moderator_of_another_consultation_cannot_decide(
    web, other_moderator, proposal, first_item
):
    other = import_draft(
        parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[other_moderator]
    )
    assert other.id != first_item.consultation_id
    web.login("other@example.org")
    before = state(first_item)
    for action, data in [
        ("accept", {"expected_version": "0"}),
        ("merge", {"expected_version": "0", "text": "x"}),
        ("reject", {"rationale": "no"}),
        ("hide", {}),
        ("restore", {}),
    ]:
        assert web.post(url(proposal, action), data).status_code == 403, action
    assert state(first_item) == before


def test_participants_and_guests_cannot_decide(app, demo, guest, proposal, first_item):
    before = state(first_item)
    for action in ("accept", "merge", "reject", "hide", "restore"):
        response = guest.post(url(proposal, action), {"expected_version": "0", "rationale": "x"})
        assert response.status_code == 302, action
        assert "/login" in response.headers["Location"]
    anonymous = Browser(app.test_client())
    assert anonymous.post(url(proposal, "accept"), {"expected_version": "0"}).status_code == 302
    assert state(first_item) == before


def test_deciding_an_unknown_proposal_is_404(mod):
    response = mod.post("/manage/amendments/9999/accept", {"expected_version": "0"})
    assert response.status_code == 404


def test_a_published_consultation_is_not_decided_any_more(mod, demo, proposal, first_item):
    demo.status = Status.PUBLISHED
    db.session.commit()
    before = state(first_item)
    response = mod.post(url(proposal, "reject"), {"rationale": "Late"}, htmx=True)
    assert response.status_code == 409
    assert state(first_item) == before


def test_accept_form_without_a_version_is_refused(mod, proposal, first_item):
    before = state(first_item)
    response = mod.post(url(proposal, "accept"), {}, htmx=True)
    assert response.status_code == 422
    assert state(first_item) == before


def test_service_refuses_a_stale_accept_with_edit_conflict(moderator, proposal, first_item):
    save_final_text(first_item, moderator, "Newer.", expected_version=0)
    with pytest.raises(EditConflict):
        services.accept(moderator, proposal, expected_version=0)
    assert proposal.status is AmendmentStatus.PROPOSED


def test_moderation_context_shows_everything_in_constant_queries(app, demo, moderator, first_item):
    def add(n):
        for i in range(n):
            joined = join_as(demo, ["Industry", "Other"][i % 2], region="Europe")
            amendment = services.propose(joined.participant, first_item, f"Wording {i}.", "why")
            services.cast_vote(joined.participant, amendment, "agree")
        return amendment

    def rendered():
        with count_queries() as statements, app.test_request_context():
            html = render_template(
                "amendments/_moderate.html", **services.moderation_context(first_item)
            )
        return html, len(statements)

    last = add(2)
    services.reject(moderator, last, rationale="Not now.")
    services.set_hidden(moderator, last, True)
    few_html, few = rendered()
    add(20)
    many_html, many = rendered()
    assert many == few, (few, many)
    # Cold session: the item, its consultation and groups (the workspace has them), then
    # the amendments with authors, the tallies, the dispositions with who decided.
    assert few <= 6, few
    assert many_html.count('<article id="amendment-') == 22
    assert "Not now." in few_html and "Hidden" in few_html and "Europe" in few_html
    assert "<del>" in few_html and "<ins>" in few_html
    context = services.moderation_context(first_item)
    assert context["amendment_final_version"] == 0
    assert context["amendment_open_count"] == 21
    # Moderators see small groups: one Industry voter is not "fewer than 5".
    assert "fewer than 5" not in few_html


def test_two_moderators_deciding_the_same_proposal_do_not_both_win(moderator, proposal, first_item):
    """The first moderator's page still shows it undecided when the other has rejected it."""
    before = state(first_item)
    assert proposal.status is AmendmentStatus.PROPOSED  # loaded, as on the first page
    with db.engine.begin() as other_moderator:
        other_moderator.execute(
            sa.update(Amendment)
            .where(Amendment.id == proposal.id)
            .values(status=AmendmentStatus.REJECTED)
        )
    with pytest.raises(EditConflict, match="Another moderator decided"):
        services.accept(moderator, proposal, expected_version=0)
    after = state(first_item)
    assert after == {**before, "statuses": {proposal.id: AmendmentStatus.REJECTED}}
    assert after["final_text"] is None and after["versions"] == 0


def test_a_proposal_on_an_earlier_draft_says_so(app, mod, proposal, first_item, guest):
    first_item.text = first_item.text + " Edited after the proposal."
    db.session.commit()
    with app.test_request_context():
        panel = render_template(
            "amendments/_moderate.html", **services.moderation_context(first_item)
        )
    assert "Written on an earlier draft text" in panel
    page = guest.get(f"/items/{first_item.id}")
    assert "Written on an earlier version of the draft" in page.text
