"""The projector: join code and QR code, the focused item with its results and best
comments, what the visibility setting hides, and the pushes a screen receives."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from html import unescape

import pytest
import segno

from cocreate.consultations.models import ResultsVisibility
from cocreate.extensions import db, socketio
from cocreate.live import services as live
from cocreate.live.qr import qr_svg
from cocreate.participation.models import Comment, Vote
from tests.conftest import count_queries, join_as

JOIN_URL = "http://cocreate.test/join/{code}"
MODERATOR_ONLY = {"hidden", "participant_id", "event_id"}
NOTE_SOON = '<p class="tally-note">Results will be shown soon</p>'


@pytest.fixture
def mod(web, moderator):
    web.login("mod@example.org")
    return web


def projector(browser, consultation) -> str:
    response = browser.get(f"/manage/{consultation.id}/projector")
    assert response.status_code == 200, response.text
    return response.text


def focus(consultation, item):
    live.focus_item(consultation, consultation.moderators[0], item.id)


def votes(consultation, item, group, values):
    for value in values:
        participant = join_as(consultation, group=group).participant
        db.session.add(Vote(item=item, participant=participant, value=value))
    db.session.commit()


def comment_on(consultation, item, body, **fields):
    participant = join_as(consultation, group="Research and academia").participant
    comment = Comment(item=item, participant=participant, body=body, **fields)
    db.session.add(comment)
    db.session.commit()
    return comment


def embedded_comments(html: str) -> list[dict]:
    return json.loads(unescape(re.search(r"data-comments='([^']*)'", html).group(1)))


def shown_comment_bodies(html: str) -> list[str]:
    listed = html.split("<template data-comment-template>")[0]
    return re.findall(r'<p class="screen-comment-body" data-field="body">([^<]*)</p>', listed)


def test_the_projector_shows_how_to_join_before_anything_is_focused(demo, mod):
    html = projector(mod, demo)
    url = JOIN_URL.format(code=demo.join_code)
    assert f'<p class="screen-code">{demo.join_code}</p>' in html
    assert "cocreate.test<wbr>/join<wbr>/" + demo.join_code in html
    assert str(qr_svg(url)) in html
    assert "Welcome" in html and demo.title in html
    assert re.search(r"data-focus-block hidden", html)


def test_the_qr_code_encodes_the_join_link_without_style_attributes(demo):
    url = JOIN_URL.format(code=demo.join_code)
    svg = str(qr_svg(url))
    assert svg.startswith("<svg") and 'viewBox="' in svg and "style" not in svg
    assert svg == segno.make(url, error="m").svg_inline(
        scale=1, omitsize=True, dark="#000", light="#fff", svgclass="qr-code"
    )


def test_the_projector_needs_no_inline_script_or_style(demo, first_item, mod):
    focus(demo, first_item)
    html = projector(mod, demo)
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_the_focused_item_shows_with_result_bars_per_group(demo, first_item, mod):
    votes(demo, first_item, "Industry", ["agree"] * 3 + ["strongly_agree", "disagree", "neutral"])
    votes(demo, first_item, "Other", ["disagree", "disagree"])
    focus(demo, first_item)
    html = projector(mod, demo)
    assert first_item.ref in html and first_item.title in html and first_item.text in html
    overall = re.search(r'<li class="tally-row tally-overall">.*?</li>', html, re.S).group(0)
    assert "50 % agree" in overall and "8 votes" in overall
    industry = re.search(r"Industry</span>.*?</li>", html, re.S).group(0)
    assert "67 % agree" in industry and "6 votes" in industry
    assert industry.count('class="seg seg-') == 4  # agree, strongly agree, neutral, disagree
    other = re.search(r"<span class=\"tally-label\">Other</span>.*?</li>", html, re.S).group(0)
    assert "fewer than 5" in other and "seg seg-" not in other
    assert "is-suppressed" in html


@pytest.mark.parametrize(
    "visibility", [ResultsVisibility.AFTER_VOTE, ResultsVisibility.AFTER_REVEAL]
)
def test_results_wait_for_the_reveal_when_the_setting_says_so(demo, first_item, mod, visibility):
    votes(demo, first_item, "Industry", ["agree"] * 5)
    demo.results_visibility = visibility
    db.session.commit()
    focus(demo, first_item)
    html = projector(mod, demo)
    assert NOTE_SOON in html and "tally-row" not in html
    live.set_results_revealed(demo, demo.moderators[0], True, first_item.id)
    html = projector(mod, demo)
    assert NOTE_SOON not in html and "100 % agree" in html


def test_the_best_comments_come_pinned_first_then_by_supports(demo, first_item, mod):
    focus(demo, first_item)
    low = comment_on(demo, first_item, "Few supports", support_count=1)
    high = comment_on(demo, first_item, "Many supports", support_count=9)
    pinned = comment_on(demo, first_item, "Pinned by the moderator", pinned=True)
    comment_on(demo, first_item, "Hidden one", hidden=True, support_count=50)
    comment_on(demo, first_item, "A reply", parent=high, support_count=40)
    for i in range(4):
        comment_on(demo, first_item, f"Filler {i}", support_count=0)
    html = projector(mod, demo)
    shown = shown_comment_bodies(html)
    assert shown[:3] == [pinned.body, high.body, low.body]
    assert len(shown) == 5
    pool = embedded_comments(html)
    assert [c["body"] for c in pool[:3]] == [pinned.body, high.body, low.body]
    assert all(c["body"] not in ("Hidden one", "A reply") for c in pool)
    assert not any(MODERATOR_ONLY & c.keys() for c in pool)


def test_the_projector_counts_participants_and_shows_the_countdown(app, demo, mod, guest):
    with app.app_context():
        sock = socketio.test_client(
            app, flask_test_client=guest.client, auth={"consultation_id": demo.id}
        )
    assert sock.is_connected()
    live.start_timer(demo, demo.moderators[0], 125)
    html = projector(mod, demo)
    assert "1 participant<" in html
    assert re.search(r"data-timer-value[^>]*>2:0[45]<", html)


def test_a_live_rehearsal_is_marked_on_the_screen(demo, mod):
    moderator = demo.moderators[0]
    event = live.create_event(demo, moderator, title="Dry run", format="forum", is_rehearsal=True)
    assert re.search(r"data-rehearsal hidden>", projector(mod, demo))
    live.start_event(demo, moderator, event)
    assert re.search(r"data-rehearsal>REHEARSAL<", projector(mod, demo))


def test_another_consultations_moderator_is_refused(demo, other_moderator, web):
    web.login("other@example.org")
    assert web.get(f"/manage/{demo.id}/projector").status_code == 403
    assert web.get(f"/manage/{demo.id}/projector/comments?item_id=1").status_code == 403


def test_a_guest_is_sent_to_log_in(demo, web, guest):
    for browser in (web, guest):
        response = browser.get(f"/manage/{demo.id}/projector")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_projector_whose_focus_changed_fetches_the_new_items_comments(demo, first_item, mod):
    comment_on(demo, first_item, "Second best", support_count=2)
    comment_on(demo, first_item, "Best", support_count=5)
    comment_on(demo, first_item, "Not for the screen", hidden=True)
    response = mod.get(f"/manage/{demo.id}/projector/comments?item_id={first_item.id}")
    assert response.status_code == 200
    assert response.json["item_id"] == first_item.id
    assert [c["body"] for c in response.json["comments"]] == ["Best", "Second best"]
    assert not any(MODERATOR_ONLY & c.keys() for c in response.json["comments"])


@pytest.mark.parametrize(
    ("query", "status"), [("", 422), ("?item_id=abc", 422), ("?item_id=999", 404)]
)
def test_fetching_comments_refuses_unknown_items(demo, mod, query, status):
    response = mod.get(f"/manage/{demo.id}/projector/comments{query}")
    assert response.status_code == status and response.json["error"]


def pushes(sock) -> dict[str, list]:
    received = defaultdict(list)
    for message in sock.get_received():
        received[message["name"]].append(message["args"][0] if message["args"] else None)
    return received


def projector_socket(app, browser, consultation_id):
    with app.app_context():
        return socketio.test_client(
            app,
            flask_test_client=browser.client,
            auth={"consultation_id": consultation_id, "role": "projector"},
        )


def test_a_projector_socket_gets_the_state_then_public_pushes(app, demo, first_item, mod, guest):
    votes(demo, first_item, "Industry", ["agree"] * 2)
    focus(demo, first_item)
    sock = projector_socket(app, mod, demo.id)
    assert sock.is_connected()
    [state] = pushes(sock)["state"]
    assert state["role"] == "projector" and state["focus"]["id"] == first_item.id
    assert state["results"][str(first_item.id)]["votes"] == 2
    assert state["results"][str(first_item.id)]["by_group"]["Industry"] == {"suppressed": True}
    assert set(state["presence"]) == {"count"}
    guest.post(f"/items/{first_item.id}/vote", {"value": "disagree"}, htmx=True)
    guest.post(f"/items/{first_item.id}/comments", {"body": "From the floor"}, htmx=True)
    received = pushes(sock)
    assert received["tally"][-1]["results"]["votes"] == 3
    [comment] = received["comment"]
    assert comment["body"] == "From the floor" and not MODERATOR_ONLY & comment.keys()
    mod.post(f"/manage/comments/{comment['id']}/hidden", {"hidden": "1"}, htmx=True)
    received = pushes(sock)
    assert received["comment_hidden"] == [{"id": comment["id"], "item_id": first_item.id}]
    assert "comment_updated" not in received


def test_a_projector_socket_gets_no_results_until_revealed_when_the_setting_says_so(
    app, demo, first_item, mod, guest
):
    demo.results_visibility = ResultsVisibility.AFTER_REVEAL
    db.session.commit()
    focus(demo, first_item)
    item_id, consultation_id = first_item.id, demo.id
    sock = projector_socket(app, mod, consultation_id)
    [state] = pushes(sock)["state"]
    assert state["results"] == {}
    guest.post(f"/items/{item_id}/vote", {"value": "agree"}, htmx=True)
    assert pushes(sock)["tally"] == []
    mod.post(f"/manage/{consultation_id}/reveal", {"revealed": "1", "item_id": item_id}, htmx=True)
    received = pushes(sock)
    assert received["reveal"] and received["tally"][-1]["results"]["votes"] == 1


def test_settings_choose_when_participants_see_results(demo, mod):
    html = mod.get(f"/manage/{demo.id}/settings").text
    assert re.search(r'<input checked [^>]*value="immediate"', html)
    form = {
        "title": demo.title,
        "language": "en",
        "stakeholder_groups": "\n".join(g.name for g in demo.stakeholder_groups),
        "regions": "\n".join(r.name for r in demo.regions),
        "results_visibility": "after_reveal",
    }
    assert mod.post(f"/manage/{demo.id}/settings", form).status_code == 302
    db.session.refresh(demo)
    assert demo.results_visibility is ResultsVisibility.AFTER_REVEAL
    response = mod.post(f"/manage/{demo.id}/settings", {**form, "results_visibility": "never"})
    assert response.status_code == 422
    db.session.refresh(demo)
    assert demo.results_visibility is ResultsVisibility.AFTER_REVEAL


def test_the_projector_queries_do_not_grow_with_comments_or_votes(demo, first_item, mod):
    focus(demo, first_item)
    votes(demo, first_item, "Industry", ["agree"] * 3)
    for i in range(3):
        comment_on(demo, first_item, f"C{i}", support_count=i)
    with count_queries() as few:
        projector(mod, demo)
    votes(demo, first_item, "Other", ["disagree"] * 20)
    for i in range(30):
        comment_on(demo, first_item, f"More {i}", support_count=i % 7, pinned=i == 3)
    with count_queries() as many:
        projector(mod, demo)
    assert len(many) == len(few)
    assert len(few) <= 14, len(few)
