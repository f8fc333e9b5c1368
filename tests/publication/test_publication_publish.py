"""Publishing the final version and correcting it: who may, when, and what it writes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cocreate.audit.models import AuditEntry
from cocreate.consultations.models import Status
from cocreate.consultations.services import change_status
from cocreate.errors import ConsultationClosed, EditConflict, InvalidInput, NotAllowed
from cocreate.extensions import db
from cocreate.participation.services import post_comment
from cocreate.publication import services
from cocreate.publication.models import Publication
from cocreate.publication.services import UnconsolidatedItems, publish, publish_correction
from tests.conftest import join_as
from tests.publication.conftest import (
    close,
    consolidate,
    consolidate_all,
    items_of,
    publication_state,
)


def test_publishing_an_open_consultation_is_refused_until_it_is_closed(app, demo, moderator):
    before = publication_state(demo)
    with pytest.raises(ConsultationClosed, match="close it first"):
        publish(demo, moderator, confirm_unconsolidated=True)
    assert publication_state(demo) == before
    assert before["status"] is Status.OPEN


def test_publishing_a_draft_consultation_is_refused(app, demo, moderator):
    demo.status = Status.DRAFT
    db.session.commit()
    before = publication_state(demo)
    with pytest.raises(ConsultationClosed, match="draft: close it first"):
        publish(demo, moderator, confirm_unconsolidated=True)
    assert publication_state(demo) == before


def test_the_publish_page_tells_the_moderator_to_close_first(app, demo, moderator, web):
    web.login("mod@example.org")
    page = web.get(f"/manage/{demo.id}/publish")
    assert page.status_code == 200
    assert "Close the consultation first" in page.text
    before = publication_state(demo)
    response = web.post(f"/manage/{demo.id}/publish", {"confirm_unconsolidated": "y"})
    assert response.status_code == 409
    assert "close it first" in response.text
    assert publication_state(demo) == before


def test_unconsolidated_items_are_refused_without_confirmation_listing_their_refs(
    app, closed, moderator
):
    items = items_of(closed)
    consolidate(items[0], moderator, "A consolidated text.")
    before = publication_state(closed)
    with pytest.raises(UnconsolidatedItems) as refused:
        publish(closed, moderator)
    refs = [item.ref for item in items[1:]]
    assert refused.value.refs == refs
    assert ", ".join(refs) in refused.value.message
    assert items[0].ref not in refused.value.refs
    assert publication_state(closed) == before
    assert before["status"] is Status.CLOSED


def test_the_publish_page_lists_unconsolidated_items_and_needs_the_tick(
    app, closed, moderator, web
):
    web.login("mod@example.org")
    page = web.get(f"/manage/{closed.id}/publish")
    assert "23 items have no consolidated text" in page.text
    assert "RES-1.1" in page.text and "GP-5" in page.text
    assert 'name="confirm_unconsolidated"' in page.text
    before = publication_state(closed)
    response = web.post(f"/manage/{closed.id}/publish", {"note": "Final."})
    assert response.status_code == 422
    assert "These items have no consolidated text yet: RES-1.1, RES-1.2" in response.text
    assert publication_state(closed) == before


def test_confirmed_publication_marks_unconsolidated_items_not_revised(app, closed, moderator, web):
    first = items_of(closed)[0]
    consolidate(first, moderator, "A consolidated text.")
    web.login("mod@example.org")
    response = web.post(
        f"/manage/{closed.id}/publish", {"note": "Our answer.", "confirm_unconsolidated": "y"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/final/{closed.id}")
    db.session.refresh(closed)
    assert closed.status is Status.PUBLISHED
    publication = db.session.scalars(sa.select(Publication)).one()
    assert (publication.revision, publication.note) == (1, "Our answer.")
    items = services.snapshot_items(publication.snapshot)
    assert items[0]["revised"] is True and items[0]["final_text"] == "A consolidated text."
    assert items[1]["revised"] is False and items[1]["final_text"] == items[1]["draft_text"]
    page = web.get(response.headers["Location"])
    assert page.text.count("not revised") == 22


def test_a_fully_consolidated_consultation_publishes_without_confirmation(app, closed, moderator):
    consolidate_all(closed, moderator)
    publication = publish(closed, moderator)
    assert publication.revision == 1
    assert closed.status is Status.PUBLISHED


def test_an_open_consultation_past_its_closing_time_can_be_published(app, demo, moderator):
    from datetime import timedelta

    from cocreate.db import utcnow

    demo.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    consolidate_all(demo, moderator)
    assert publish(demo, moderator).revision == 1


def test_publishing_twice_is_refused_and_points_to_corrections(app, closed, moderator):
    consolidate_all(closed, moderator)
    publish(closed, moderator)
    before = publication_state(closed)
    with pytest.raises(ConsultationClosed, match="publish a correction"):
        publish(closed, moderator)
    assert publication_state(closed) == before


def test_publishing_freezes_the_consultation(app, demo, moderator, first_item):
    guest = join_as(demo, "Industry")
    closed = close(demo)
    consolidate_all(closed, moderator)
    publish(closed, moderator)
    with pytest.raises(ConsultationClosed):
        post_comment(guest.participant, first_item, "Too late?")


def test_publish_writes_an_audit_entry_in_the_same_transaction(app, closed, moderator):
    consolidate_all(closed, moderator)
    publish(closed, moderator, note="Done.")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "consultation.publish")
    ).one()
    assert entry.actor_id == moderator.id
    assert (entry.subject_type, entry.subject_id) == ("consultation", closed.id)
    assert entry.detail == {"revision": 1, "previous": "closed", "not_revised": []}


def test_other_consultations_moderators_cannot_publish(app, closed, other_moderator, web):
    before = publication_state(closed)
    with pytest.raises(NotAllowed):
        publish(closed, other_moderator, confirm_unconsolidated=True)
    web.login("other@example.org")
    assert web.get(f"/manage/{closed.id}/publish").status_code == 403
    response = web.post(f"/manage/{closed.id}/publish", {"confirm_unconsolidated": "y"})
    assert response.status_code == 403
    response = web.post(f"/manage/{closed.id}/publish/correction", {"note": "x"})
    assert response.status_code == 403
    assert publication_state(closed) == before


def test_participants_cannot_reach_the_publish_page(app, demo, guest):
    closed = close(demo)
    before = publication_state(closed)
    for url, data in (
        (f"/manage/{closed.id}/publish", {"confirm_unconsolidated": "y"}),
        (f"/manage/{closed.id}/publish/correction", {"note": "x"}),
    ):
        response = guest.post(url, data)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert guest.get(f"/manage/{closed.id}/publish").status_code == 302
    assert publication_state(closed) == before


# ---------------------------------------------------------------- the lifecycle


def test_the_lifecycle_no_longer_publishes_without_the_publish_page(app, closed, moderator, web):
    before = publication_state(closed)
    with pytest.raises(InvalidInput, match="Publish” page"):
        change_status(closed, moderator, Status.PUBLISHED)
    web.login("mod@example.org")
    response = web.post(f"/manage/{closed.id}/status", {"status": "published"})
    page = web.get(response.headers["Location"])
    assert "Publish from the “Publish” page" in page.text
    assert publication_state(closed) == before


def test_lifecycle_changes_are_recorded_in_the_audit_log(app, demo, moderator):
    change_status(demo, moderator, Status.CLOSED)
    change_status(demo, moderator, Status.OPEN)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "consultation.status")
    ).all()
    assert [(e.detail["previous"], e.detail["new"]) for e in entries] == [
        ("open", "closed"),
        ("closed", "open"),
    ]
    assert {e.actor_id for e in entries} == {moderator.id}


def test_the_overview_links_publishing_to_its_page(app, closed, moderator, web):
    web.login("mod@example.org")
    page = web.get(f"/manage/{closed.id}")
    assert f'href="/manage/{closed.id}/publish"' in page.text
    assert 'value="published"' not in page.text
    assert f'href="/manage/{closed.id}/audit"' in page.text
    assert f'href="/final/{closed.id}"' not in page.text


# ---------------------------------------------------------------- corrections


@pytest.fixture
def published(closed, moderator):
    consolidate_all(closed, moderator)
    publish(closed, moderator, note="First.")
    return closed


def test_a_correction_needs_a_note(app, published, moderator):
    consolidate(items_of(published)[0], moderator, "Corrected.")
    before = publication_state(published)
    with pytest.raises(InvalidInput) as refused:
        publish_correction(published, moderator, "  ")
    assert refused.value.field == "note"
    assert publication_state(published) == before


def test_a_correction_with_nothing_changed_is_refused(app, published, moderator, web):
    before = publication_state(published)
    with pytest.raises(InvalidInput, match="Nothing changed since revision 1"):
        publish_correction(published, moderator, "Nothing really.")
    web.login("mod@example.org")
    response = web.post(f"/manage/{published.id}/publish/correction", {"note": "Nothing."})
    assert response.status_code == 422
    assert "Nothing changed since revision 1" in response.text
    assert publication_state(published) == before


def test_a_correction_before_publication_is_refused(app, closed, moderator):
    before = publication_state(closed)
    with pytest.raises(ConsultationClosed, match="not published yet"):
        publish_correction(closed, moderator, "Early.")
    assert publication_state(closed) == before


def test_a_correction_publishes_the_next_revision_with_the_changed_items(
    app, published, moderator, web
):
    first, second = items_of(published)[:2]
    consolidate(second, moderator, "A corrected second target.")
    web.login("mod@example.org")
    page = web.get(f"/manage/{published.id}/publish")
    assert "Changed since revision 1:" in page.text and second.ref in page.text
    response = web.post(
        f"/manage/{published.id}/publish/correction", {"note": "Fixed a typo in RES-1.2."}
    )
    assert response.status_code == 302
    latest = db.session.scalars(
        sa.select(Publication).order_by(Publication.revision.desc())
    ).first()
    assert latest.revision == 2
    assert latest.note == "Fixed a typo in RES-1.2."
    assert latest.snapshot["changed_items"] == [second.ref]
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "consultation.correct")
    ).one()
    assert entry.detail["revision"] == 2 and entry.detail["changed_items"] == [second.ref]


def test_edits_after_publication_stay_private_until_a_correction(app, published, moderator, web):
    item = items_of(published)[0]
    consolidate(item, moderator, "Secret new wording, not yet published.")
    page = web.get(f"/final/{published.id}")
    assert "Secret new wording" not in page.text


def test_a_correction_refused_for_another_moderator(app, published, other_moderator, moderator):
    consolidate(items_of(published)[0], moderator, "Corrected.")
    before = publication_state(published)
    with pytest.raises(NotAllowed):
        publish_correction(published, other_moderator, "Mine.")
    assert publication_state(published) == before


def test_two_simultaneous_corrections_conflict_and_the_second_changes_nothing(
    app, published, moderator, monkeypatch
):
    consolidate(items_of(published)[0], moderator, "Corrected once.")
    stale = services.latest_publication(published.id)
    publish_correction(published, moderator, "First correction.")
    consolidate(items_of(published)[0], moderator, "Corrected twice.")
    # The second moderator read revision 1 as the latest before the first one committed.
    monkeypatch.setattr(services, "latest_publication", lambda consultation_id: stale)
    before = publication_state(published)
    with pytest.raises(EditConflict):
        publish_correction(published, moderator, "Second correction.")
    assert publication_state(published) == before
