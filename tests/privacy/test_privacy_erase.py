"""A moderator erases one participant's personal data: the name goes everywhere, nobody can
act as them any more, and their votes and comments stay in the results, anonymised."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from cocreate.audit.models import AuditEntry
from cocreate.consultations.models import Status
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.errors import NotAllowed
from cocreate.exports.options import ExportOptions, Mode
from cocreate.exports.services import Channel, export
from cocreate.extensions import db
from cocreate.participation.models import Participant
from cocreate.participation.results import tally_items
from cocreate.privacy.services import erase_participant
from cocreate.publication.models import Publication
from cocreate.publication.services import publish
from tests.conftest import DEMO_JSON, Browser, join_as, row_count
from tests.privacy.conftest import ANA_NAME, participants_state


def erase_url(consultation, participant) -> str:
    return f"/manage/{consultation.id}/participants/{participant.id}/erase"


def erase_on_the_page(mod: Browser, consultation, participant):
    mod.get(f"/manage/{consultation.id}/participants")
    return mod.post(erase_url(consultation, participant))


def test_the_participants_page_lists_everyone_with_their_counts(demo, people, mod):
    page = mod.get(f"/manage/{demo.id}/participants")
    assert page.status_code == 200
    ana = people.ana.participant
    assert f'id="participant-{ana.id}"' in page.text
    assert ANA_NAME in page.text and "Bo Othername" in page.text
    assert "2 participants" in page.text
    assert f"the personal data of participant {ana.id}</span>" in page.text
    assert "muted" in page.text


def test_the_participants_page_finds_someone_by_number_or_name(demo, people, mod):
    ana, bo = people.ana.participant, people.bo.participant
    by_number = mod.get(f"/manage/{demo.id}/participants?q={ana.id}")
    assert f"participant-{ana.id}" in by_number.text
    assert f"participant-{bo.id}" not in by_number.text
    by_name = mod.get(f"/manage/{demo.id}/participants?q=othername")
    assert f"participant-{bo.id}" in by_name.text
    assert f"participant-{ana.id}" not in by_name.text
    assert "Nobody matches." in mod.get(f"/manage/{demo.id}/participants?q=%25").text


def test_erasing_removes_the_name_everywhere(demo, moderator, people, mod, first_item, api):
    ana = people.ana.participant
    assert ANA_NAME in mod.get(f"/manage/{demo.id}/moderation").text
    assert ANA_NAME in mod.get(f"/manage/{demo.id}/audit").text
    response = erase_on_the_page(mod, demo, ana)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#participant-{ana.id}")
    page = mod.get(response.headers["Location"])
    assert f"The personal data of participant {ana.id} is erased." in page.text
    assert ANA_NAME not in page.text
    db.session.refresh(ana)
    assert ana.display_name == "" and ana.erased_at is not None
    # Pages a moderator reads, the participants' pages, the API and the audit log.
    for url in (
        f"/manage/{demo.id}/moderation",
        f"/manage/{demo.id}/audit",
        f"/manage/{demo.id}",
        f"/manage/items/{first_item.id}/consolidate",
    ):
        shown = mod.get(url)
        assert shown.status_code == 200, url
        assert ANA_NAME not in shown.text, url
    bo_page = Browser(mod.client.application.test_client())
    bo_page.get(f"/return/{people.bo.return_code}")
    item_page = bo_page.get(f"/items/{first_item.id}")
    assert "Ana says: publish the audits." in item_page.text
    assert ANA_NAME not in item_page.text
    comments = api.get(f"/items/{first_item.id}/comments", token=people.bo.token).get_json()
    assert ANA_NAME not in json.dumps(comments)
    assert "Ana says: publish the audits." in json.dumps(comments)
    details = db.session.scalars(sa.select(AuditEntry.detail)).all()
    assert ANA_NAME not in json.dumps(details)


def test_erasing_keeps_the_votes_in_the_results(demo, moderator, people, first_item):
    before = tally_items(demo, [first_item.id], moderator=True)[first_item.id]
    erase_participant(people.ana.participant, moderator)
    after = tally_items(demo, [first_item.id], moderator=True)[first_item.id]
    assert after.overall == before.overall
    assert after.overall.votes == 2
    assert [g.as_json() for g in after.by_group] == [g.as_json() for g in before.by_group]


def test_the_erased_participant_can_no_longer_act(api, demo, moderator, people, ana_browser):
    ana = people.ana
    erase_participant(ana.participant, moderator)
    assert api.get("/me", token=ana.token).status_code == 401
    assert api.get("/me/data", token=ana.token).status_code == 401
    assert ana_browser.get(f"/return/{ana.return_code}").status_code == 404
    # The browser that joined as Ana is a stranger now: it is asked to join again.
    for url in (f"/c/{demo.id}", f"/c/{demo.id}/my-data"):
        response = ana_browser.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/join/{demo.join_code}")


def test_erasing_records_who_did_it_without_the_name(demo, moderator, people, mod):
    ana = people.ana.participant
    erase_on_the_page(mod, demo, ana)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "participant.erase")
    ).one()
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
        moderator.id,
        "participant",
        ana.id,
    )
    log = mod.get(f"/manage/{demo.id}/audit").text
    assert "Erased a participant" in log, log
    # The earlier mute entry named her; it no longer does.
    mute = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "participant.mute")
    ).one()
    assert "display_name" not in mute.detail


def test_erasing_twice_says_it_is_done_already_and_changes_nothing(demo, people, mod):
    ana = people.ana.participant
    erase_on_the_page(mod, demo, ana)
    before = participants_state()
    response = mod.post(erase_url(demo, ana))
    assert response.status_code == 302
    page = mod.get(response.headers["Location"])
    assert f"The personal data of participant {ana.id} is already erased." in page.text
    assert participants_state() == before


def test_a_participant_cannot_erase_anyone(demo, people, ana_browser):
    before = participants_state()
    ana_browser.get(f"/c/{demo.id}")
    response = ana_browser.post(erase_url(demo, people.bo.participant))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert participants_state() == before


def test_another_consultations_moderator_cannot_erase(demo, people, outsider_mod):
    before = participants_state()
    response = outsider_mod.post(erase_url(demo, people.ana.participant))
    assert response.status_code == 403
    assert outsider_mod.get(f"/manage/{demo.id}/participants").status_code == 403
    assert participants_state() == before


def test_a_participant_of_another_consultation_is_not_found_here(app, demo, people, mod):
    elsewhere = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    stranger = join_as(elsewhere, name="Stranger").participant
    before = participants_state()
    mod.get(f"/manage/{demo.id}/participants")
    assert mod.post(erase_url(demo, stranger)).status_code == 404
    assert participants_state() == before


def test_the_service_refuses_other_moderators(demo, people, other_moderator):
    before = participants_state()
    with pytest.raises(NotAllowed):
        erase_participant(people.ana.participant, other_moderator)
    assert participants_state() == before


def test_erasing_works_after_publication(demo, moderator, people, mod):
    demo.status = Status.CLOSED
    db.session.commit()
    publish(demo, moderator, confirm_unconsolidated=True)
    snapshot = db.session.scalars(sa.select(Publication.snapshot)).one()
    # The public snapshot never held names: nothing to rewrite.
    assert ANA_NAME not in json.dumps(snapshot)
    erase_on_the_page(mod, demo, people.ana.participant)
    db.session.refresh(people.ana.participant)
    assert people.ana.participant.erased_at is not None
    assert row_count(Publication) == 1
    public = mod.get(f"/final/{demo.id}")
    assert public.status_code == 200
    assert ANA_NAME not in public.text


def test_erased_participants_are_marked_on_the_list(demo, moderator, people, mod):
    ana = people.ana.participant
    erase_participant(ana, moderator)
    page = mod.get(f"/manage/{demo.id}/participants").text
    row = page[page.index(f'id="participant-{ana.id}"') :]
    row = row[: row.index("</tr>")]
    assert "erased" in row and "the personal data of participant" not in row
    assert "1 erased in this consultation" in page


def test_a_full_export_no_longer_names_the_erased_participant(demo, moderator, people):
    def full_json() -> str:
        options = ExportOptions(mode=Mode.FULL)
        _, stream = export(demo, moderator, "json", options, channel=Channel.PAGE)
        return b"".join(stream).decode()

    assert ANA_NAME in full_json()
    erase_participant(people.ana.participant, moderator)
    after = full_json()
    assert ANA_NAME not in after
    assert "Ana says: publish the audits." in after


def test_participants_page_needs_a_login(demo, client):
    response = client.get(f"/manage/{demo.id}/participants")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert row_count(Participant) == 0
