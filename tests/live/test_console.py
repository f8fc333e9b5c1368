"""The moderator console: what it shows before any socket connects, who may see it, and
that it costs the same few queries however many comments there are."""

from __future__ import annotations

import re

import pytest

from cocreate.extensions import db, socketio
from cocreate.live import services as live
from cocreate.participation.models import Comment, Vote
from tests.conftest import count_queries, join_as


@pytest.fixture
def mod(web, moderator):
    web.login("mod@example.org")
    return web


def console(browser, consultation):
    response = browser.get(f"/manage/{consultation.id}/live")
    assert response.status_code == 200, response.text
    return response.text


def agenda_row(html: str, item) -> str:
    match = re.search(rf'<tr class="agenda-row[^"]*" data-item-id="{item.id}".*?</tr>', html, re.S)
    assert match, f"no agenda row for {item.ref}"
    return match.group(0)


def stream_entry(html: str, comment) -> str:
    match = re.search(
        rf'<li class="stream-comment[^"]*" data-comment-id="{comment.id}".*?</li>', html, re.S
    )
    assert match, f"comment {comment.id} is not in the stream"
    return match.group(0)


def vote(consultation, item, value, group="Industry", region=None):
    participant = join_as(consultation, group=group, region=region).participant
    db.session.add(Vote(item=item, participant=participant, value=value))
    db.session.commit()
    return participant


def comment_on(consultation, item, body, group="Industry", **fields):
    participant = join_as(consultation, group=group, name=f"{group} person").participant
    comment = Comment(item=item, participant=participant, body=body, **fields)
    db.session.add(comment)
    db.session.commit()
    return comment


def test_the_console_shows_the_join_code_and_every_item_with_its_controls(demo, mod):
    html = console(mod, demo)
    assert demo.join_code in html
    items = [item for document in demo.documents for item in document.items]
    for item in items:
        row = agenda_row(html, item)
        assert item.ref in row and ">Focus<" in row
        assert ">Close voting<" in row and ">Reveal<" in row
    for label in ("Close voting on all", "Open voting on all", "Reveal all", "No event live"):
        assert label in html
    assert 'name="title"' in html and 'name="is_rehearsal"' in html  # the new event form
    assert f'href="/manage/{demo.id}/projector"' in html
    assert "No comments yet." in html


def test_the_console_needs_no_inline_script_or_style(demo, mod):
    html = console(mod, demo)
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_the_console_shows_votes_comments_and_the_state_of_each_item(demo, mod):
    first, second, third = demo.documents[0].items[:3]
    for value in ("agree", "agree", "strongly_agree", "disagree"):
        vote(demo, first, value)
    vote(demo, first, "no_opinion")
    older = comment_on(demo, first, "Older <b>bold</b> words", group="Other")
    hidden = comment_on(demo, first, "Rude words", hidden=True)
    pinned = comment_on(demo, second, "Pinned praise", pinned=True, support_count=4)
    reply = comment_on(demo, first, "A reply", parent=older)
    moderator = mod_user(demo)
    live.focus_item(demo, moderator, first.id)
    live.set_voting_open(demo, moderator, False, second.id)
    live.set_results_revealed(demo, moderator, True, third.id)
    live.start_timer(demo, moderator, 90)
    html = console(mod, demo)

    row = agenda_row(html, first)
    assert 'data-field="votes">5<' in row and 'data-field="agree">75 %<' in row
    assert 'data-field="comments">2<' in row  # the hidden one is not counted
    assert "is-focused" in row and ">Unfocus<" in row and 'aria-pressed="true"' in row
    row = agenda_row(html, second)
    assert "voting-closed" in row and ">Open voting<" in row
    assert 'name="open" value="1"' in row
    row = agenda_row(html, third)
    assert "is-revealed" in row and ">Hide results<" in row

    assert "On screen now" in html and first.title in html
    assert re.search(r"data-timer-value[^>]*>1:(30|29)<", html)

    # Newest first, hidden ones included for moderators, with one-click actions.
    positions = [html.index(f'data-comment-id="{c.id}"') for c in (reply, pinned, hidden, older)]
    assert positions == sorted(positions)
    assert ">Restore<" in stream_entry(html, hidden) and "is-hidden" in stream_entry(html, hidden)
    assert ">Unpin<" in stream_entry(html, pinned)
    assert 'data-field="supports">4<' in stream_entry(html, pinned)
    assert first.ref in stream_entry(html, older) and ">Other<" in stream_entry(html, older)
    assert "&lt;b&gt;bold&lt;/b&gt;" in stream_entry(html, older)
    assert 'data-badge="reply">' in stream_entry(html, reply)


def mod_user(demo):
    return demo.moderators[0]


def test_a_live_rehearsal_is_shown_plainly_and_counts_only_its_own_votes(demo, first_item, mod):
    vote(demo, first_item, "agree")
    comment_on(demo, first_item, "Before the rehearsal")
    moderator = mod_user(demo)
    rehearsal = live.create_event(
        demo, moderator, title="Dry run", format="webinar", is_rehearsal=True
    )
    live.start_event(demo, moderator, rehearsal)
    html = console(mod, demo)
    assert "REHEARSAL" in html and "Dry run" in html
    row = agenda_row(html, first_item)
    assert 'data-field="votes">0<' in row and 'data-field="comments">0<' in row
    assert "Before the rehearsal" not in html
    live.end_event(demo, moderator)
    html = console(mod, demo)
    assert "REHEARSAL" not in html and "No event live" in html
    assert 'data-field="votes">1<' in agenda_row(html, first_item)


def test_the_events_list_offers_start_only_when_no_event_is_live(demo, mod):
    moderator = mod_user(demo)
    first = live.create_event(demo, moderator, title="Santiago", format="workshop")
    live.create_event(demo, moderator, title="Johannesburg", format="forum")
    html = console(mod, demo)
    assert html.count(">Start<") == 2 + 1  # two events, plus the countdown's Start
    live.start_event(demo, moderator, first)
    html = console(mod, demo)
    assert html.count(">Start<") == 1 and "Live now" in html and ">LIVE<" in html
    assert "End event" in html


def test_the_console_counts_connected_participants_by_group_and_region(app, demo, mod, guest):
    with app.app_context():
        sock = socketio.test_client(
            app, flask_test_client=guest.client, auth={"consultation_id": demo.id}
        )
    assert sock.is_connected()
    html = console(mod, demo)
    assert re.search(r"data-presence-total>1<", html)
    assert re.search(
        r'data-name="Industry"><span>Industry</span> <span class="count" data-count>1<', html
    )
    assert re.search(
        r'data-name="Europe"><span>Europe</span> <span class="count" data-count>1<', html
    )
    assert re.search(
        r'data-name="Other"><span>Other</span> <span class="count" data-count>0<', html
    )


def test_another_consultations_moderator_is_refused(demo, other_moderator, web):
    web.login("other@example.org")
    assert web.get(f"/manage/{demo.id}/live").status_code == 403


def test_a_guest_is_sent_to_log_in(demo, web, guest):
    for browser in (web, guest):
        response = browser.get(f"/manage/{demo.id}/live")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_overview_links_to_the_console_and_the_projector(demo, mod):
    html = mod.get(f"/manage/{demo.id}").text
    assert f'href="/manage/{demo.id}/live"' in html
    assert f'href="/manage/{demo.id}/projector"' in html


def add_activity(consultation, items, n):
    for i in range(n):
        participant = join_as(consultation, group=["Industry", "Other"][i % 2]).participant
        for item in items:
            db.session.add(Vote(item=item, participant=participant, value="agree"))
            top = Comment(item=item, participant=participant, body=f"Comment {i}", pinned=i == 0)
            db.session.add(top)
            db.session.add(Comment(item=item, participant=participant, body="re", parent=top))
    db.session.commit()


def console_queries(browser, consultation) -> int:
    with count_queries() as statements:
        console(browser, consultation)
    return len(statements)


def test_the_console_queries_do_not_grow_with_comments_votes_or_events(demo, mod):
    moderator = mod_user(demo)
    items = demo.documents[0].items[:2]
    add_activity(demo, items, 2)
    event = live.create_event(demo, moderator, title="One", format="workshop", region="Asia")
    live.start_event(demo, moderator, event)
    few = console_queries(mod, demo)
    add_activity(demo, demo.documents[1].items + items, 12)
    for title, region in (("Two", "Africa"), ("Three", "Europe")):
        live.create_event(demo, moderator, title=title, format="forum", region=region)
    many = console_queries(mod, demo)
    assert many == few
    assert few <= 20, few
