"""The participant's live page and the item block its script fetches when the focus moves."""

from __future__ import annotations

import re

from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db
from cocreate.live.services import create_event
from tests.conftest import DEMO_JSON, count_queries


def moderate(web, path, **data):
    response = web.post(path, data, htmx=True)
    assert response.status_code == 204, response.text
    return response


def start_event(web, demo, moderator, **options):
    options.setdefault("format", "workshop")
    event = create_event(
        demo, moderator, title=options.pop("title", "Santiago workshop"), **options
    )
    moderate(web, f"/manage/{demo.id}/events/{event.id}/start")
    return event


def test_live_page_waits_for_the_moderator_without_a_focus(app, demo, guest):
    response = guest.get(f"/c/{demo.id}/live")
    assert response.status_code == 200
    page = response.text
    assert "Waiting for the moderator" in page
    assert 'id="vote"' not in page
    assert "No live session right now." in page
    assert "js/live-participant.js" in page and "vendor/socket.io.min.js" in page
    assert f'href="/c/{demo.id}"' in page  # browse all items


def test_live_page_shows_the_focused_item_with_its_vote_panel_and_comments(
    app, demo, guest, moderator, web, first_item
):
    web.login("mod@example.org")
    start_event(web, demo, moderator)
    moderate(web, f"/manage/{demo.id}/focus", item_id=first_item.id)
    guest.post(f"/items/{first_item.id}/comments", {"body": "First thought"})

    page = guest.get(f"/c/{demo.id}/live").text
    assert first_item.ref in page and first_item.title in page
    assert 'id="vote"' in page and f'hx-post="/items/{first_item.id}/vote"' in page
    assert "First thought" in page
    assert "Santiago workshop" in page
    assert re.search(r"<section[^>]*data-waiting[^>]*hidden", page)
    assert re.search(r"data-rehearsal hidden", page)
    assert "1 participant connected" not in page  # nobody has a socket open


def test_live_page_marks_a_rehearsal(app, demo, guest, moderator, web):
    web.login("mod@example.org")
    start_event(web, demo, moderator, title="Dry run", is_rehearsal=True)
    page = guest.get(f"/c/{demo.id}/live").text
    assert "Dry run" in page
    assert not re.search(r"data-rehearsal hidden", page)


def test_live_page_needs_joining_first(app, demo, client):
    response = client.get(f"/c/{demo.id}/live")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/join/{demo.join_code}")


def test_live_page_shows_voting_closed_on_the_focused_item(
    app, demo, guest, moderator, web, first_item
):
    web.login("mod@example.org")
    moderate(web, f"/manage/{demo.id}/focus", item_id=first_item.id)
    moderate(web, f"/manage/{demo.id}/voting", open="0", item_id=first_item.id)
    page = guest.get(f"/c/{demo.id}/live").text
    assert re.search(r'<fieldset class="scale" disabled>', page)
    assert not re.search(r"data-phase-closed hidden", page)


def test_item_block_is_a_fragment_for_htmx(app, demo, guest, first_item):
    response = guest.get(f"/c/{demo.id}/live/item/{first_item.id}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'data-item-id="{first_item.id}"' in response.text
    assert 'id="vote"' in response.text and 'id="comments"' in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_item_block_without_htmx_sends_to_the_item_page(app, demo, guest, first_item):
    response = guest.get(f"/c/{demo.id}/live/item/{first_item.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/items/{first_item.id}")


def test_item_block_of_another_consultation_is_404(app, demo, guest):
    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    other_item = other.documents[0].items[0]
    htmx = {"HX-Request": "true"}
    assert guest.get(f"/c/{other.id}/live/item/{other_item.id}", headers=htmx).status_code in (
        302,  # not joined there: sent to that consultation's join page
        404,
    )
    assert guest.get(f"/c/{demo.id}/live/item/{other_item.id}", headers=htmx).status_code in (
        302,
        404,
    )
    assert guest.get(f"/c/{demo.id}/live/item/999999", headers=htmx).status_code == 404


def test_item_block_shows_the_results_only_as_the_setting_allows(app, demo, guest, first_item):
    from cocreate.consultations.models import ResultsVisibility

    demo.results_visibility = ResultsVisibility.AFTER_REVEAL
    db.session.commit()
    guest.post(f"/items/{first_item.id}/vote", {"value": "agree"})
    block = guest.get(
        f"/c/{demo.id}/live/item/{first_item.id}", headers={"HX-Request": "true"}
    ).text
    assert "Results are shown when the moderator reveals them." in block
    assert 'class="results"' not in block.split("<template")[0]


def test_consultation_page_links_the_live_session_only_while_one_is_live(
    app, demo, guest, moderator, web
):
    assert "Follow the live session" not in guest.get(f"/c/{demo.id}").text
    web.login("mod@example.org")
    start_event(web, demo, moderator)
    page = guest.get(f"/c/{demo.id}").text
    assert "Follow the live session" in page
    assert f'href="/c/{demo.id}/live"' in page
    assert 'id="live-follow"' in page
    moderate(web, f"/manage/{demo.id}/events/end")
    assert "Follow the live session" not in guest.get(f"/c/{demo.id}").text


def test_item_page_carries_the_follow_banner_while_an_event_is_live(
    app, demo, guest, moderator, web, first_item
):
    assert 'id="live-follow"' not in guest.get(f"/items/{first_item.id}").text
    web.login("mod@example.org")
    start_event(web, demo, moderator)
    page = guest.get(f"/items/{first_item.id}").text
    assert re.search(rf'id="live-follow"[^>]*data-item-id="{first_item.id}"', page, re.S)
    assert "js/live-participant.js" in page


def test_live_page_queries_do_not_grow_with_comments(app, demo, guest, moderator, web):
    from tests.participation.test_query_counts import add_activity

    item = demo.documents[0].items[0]
    web.login("mod@example.org")
    start_event(web, demo, moderator)
    moderate(web, f"/manage/{demo.id}/focus", item_id=item.id)
    add_activity(demo, item, 3)
    with count_queries() as few:
        assert guest.get(f"/c/{demo.id}/live").status_code == 200
    add_activity(demo, item, 20)
    with count_queries() as many:
        assert guest.get(f"/c/{demo.id}/live").status_code == 200
    assert len(many) == len(few)
