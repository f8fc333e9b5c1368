"""The moderator's live actions: each changes the database, pushes the right event to the
moderators' and the participants' sockets, answers htmx with 204 (a form with a redirect),
refuses bad input without changing anything, and refuses other consultations' moderators."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cocreate.consultations.models import ResultsVisibility
from cocreate.db import utcnow
from cocreate.drafts.models import Item
from cocreate.extensions import db, socketio
from cocreate.live.models import LiveEvent, LiveState
from cocreate.participation.models import Comment
from cocreate.participation.results import tally_items
from cocreate.participation.services import cast_vote
from tests.conftest import Browser, join_as, row_count

MODERATOR_ONLY = {"hidden", "participant_id", "event_id"}


def connect(app, client, consultation_id, role):
    """A socket sharing ``client``'s cookies; its own app context keeps the test's session."""
    with app.app_context():
        return socketio.test_client(
            app,
            flask_test_client=client,
            auth={"consultation_id": consultation_id, "role": role},
        )


def pushes(sock) -> dict[str, list]:
    """What the socket received since the last call, by event name."""
    received = defaultdict(list)
    for message in sock.get_received():
        received[message["name"]].append(message["args"][0] if message["args"] else None)
    return received


@pytest.fixture
def mod(web, moderator):
    web.login("mod@example.org")
    return web


@pytest.fixture
def sockets(app, demo, mod, guest):
    """A moderator's socket and a participant's, past their first "state"."""
    moderator_socket = connect(app, mod.client, demo.id, "moderator")
    participant_socket = connect(app, guest.client, demo.id, "participant")
    assert moderator_socket.is_connected() and participant_socket.is_connected()
    pushes(moderator_socket)
    pushes(participant_socket)
    return moderator_socket, participant_socket


def live_state(consultation) -> LiveState | None:
    return db.session.get(LiveState, consultation.id)


def url(consultation, action):
    return f"/manage/{consultation.id}/{action}"


def a_comment(demo, item, body="A comment", group="Industry") -> Comment:
    participant = join_as(demo, group=group).participant
    comment = Comment(item=item, participant=participant, body=body)
    db.session.add(comment)
    db.session.commit()
    return comment


# Focus


def test_focus_puts_the_item_on_every_screen_and_answers_htmx_with_204(
    demo, first_item, mod, sockets
):
    moderator_socket, participant_socket = sockets
    response = mod.post(url(demo, "focus"), {"item_id": first_item.id}, htmx=True)
    assert response.status_code == 204
    assert live_state(demo).focus_item_id == first_item.id
    for sock in sockets:
        received = pushes(sock)
        assert received["focus"][-1]["item"]["id"] == first_item.id
        assert received["focus"][-1]["item"]["ref"] == first_item.ref
        assert received["tally"][-1]["item_id"] == first_item.id


def test_focus_from_a_plain_form_redirects_to_the_console(demo, first_item, mod):
    response = mod.post(url(demo, "focus"), {"item_id": first_item.id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/{demo.id}/live")
    assert live_state(demo).focus_item_id == first_item.id


def test_an_empty_focus_takes_the_item_off_the_screens(demo, first_item, mod, sockets):
    mod.post(url(demo, "focus"), {"item_id": first_item.id}, htmx=True)
    [pushes(sock) for sock in sockets]
    assert mod.post(url(demo, "focus"), {"item_id": ""}, htmx=True).status_code == 204
    assert live_state(demo).focus_item_id is None
    for sock in sockets:
        assert pushes(sock)["focus"] == [{"item": None}]


@pytest.mark.parametrize(
    ("item_id", "status"), [("abc", 422), ("12345678901", 422), ("99999", 404)]
)
def test_focus_refuses_an_unknown_item_and_changes_nothing(
    demo, first_item, mod, sockets, item_id, status
):
    mod.post(url(demo, "focus"), {"item_id": first_item.id}, htmx=True)
    [pushes(sock) for sock in sockets]
    response = mod.post(url(demo, "focus"), {"item_id": item_id}, htmx=True)
    assert response.status_code == status
    assert 'role="alert"' in response.text
    assert live_state(demo).focus_item_id == first_item.id
    assert not any(pushes(sock) for sock in sockets)


def test_focus_refuses_an_item_of_another_consultation(app, demo, mod, moderator):
    from cocreate.consultations.services import create_consultation
    from cocreate.drafts.models import Document, DocumentKind, ItemKind

    other = create_consultation(moderator, title="Other", summary="", language="en")
    document = Document(consultation=other, kind=DocumentKind.ROADMAP, title="D")
    item = Item(consultation=other, document=document, kind=ItemKind.TARGET, title="T", text="x")
    item.set_ref("X-1")
    db.session.add_all([document, item])
    db.session.commit()
    assert mod.post(url(demo, "focus"), {"item_id": item.id}, htmx=True).status_code == 404
    assert live_state(demo) is None or live_state(demo).focus_item_id is None


# Voting phases


def test_closing_voting_on_one_item_closes_only_that_item(demo, first_item, mod, sockets):
    response = mod.post(url(demo, "voting"), {"open": "0", "item_id": first_item.id}, htmx=True)
    assert response.status_code == 204
    open_items = db.session.scalars(
        sa.select(Item.id).where(Item.consultation_id == demo.id, Item.voting_open)
    ).all()
    assert first_item.id not in open_items
    assert len(open_items) == len(demo_items(demo)) - 1
    for sock in sockets:
        assert pushes(sock)["phase"] == [{"item_ids": [first_item.id], "voting_open": False}]


def test_closing_then_opening_voting_on_all_items(demo, mod, sockets):
    assert mod.post(url(demo, "voting"), {"open": "0"}, htmx=True).status_code == 204
    assert not any(item.voting_open for item in demo_items(demo))
    for sock in sockets:
        [phase] = pushes(sock)["phase"]
        assert phase["voting_open"] is False
        assert sorted(phase["item_ids"]) == sorted(i.id for i in demo_items(demo))
    assert mod.post(url(demo, "voting"), {"open": "1"}).status_code == 302
    assert all(item.voting_open for item in demo_items(demo))


def test_a_participant_cannot_vote_on_a_closed_item(demo, first_item, mod, guest):
    mod.post(url(demo, "voting"), {"open": "0", "item_id": first_item.id}, htmx=True)
    response = guest.post(f"/items/{first_item.id}/vote", {"value": "agree"}, htmx=True)
    assert response.status_code == 409


@pytest.mark.parametrize("flag", ["2", "yes", ""])
def test_voting_refuses_a_flag_other_than_0_or_1(demo, mod, sockets, flag):
    response = mod.post(url(demo, "voting"), {"open": flag}, htmx=True)
    assert response.status_code == 422
    assert all(item.voting_open for item in demo_items(demo))
    assert not any(pushes(sock) for sock in sockets)


def demo_items(demo) -> list[Item]:
    return list(db.session.scalars(sa.select(Item).where(Item.consultation_id == demo.id)))


# Revealing results


def test_revealing_one_item_marks_it_and_pushes_reveal(demo, first_item, mod, sockets):
    response = mod.post(url(demo, "reveal"), {"revealed": "1", "item_id": first_item.id}, htmx=True)
    assert response.status_code == 204
    assert [i.id for i in demo_items(demo) if i.results_revealed] == [first_item.id]
    for sock in sockets:
        received = pushes(sock)
        assert received["reveal"] == [{"item_ids": [first_item.id], "revealed": True}]
        assert received["tally"][-1]["item_id"] == first_item.id


def test_results_reach_participants_only_once_revealed_when_the_setting_says_so(
    app, demo, first_item, mod, guest
):
    demo.results_visibility = ResultsVisibility.AFTER_REVEAL
    db.session.commit()
    item_id = first_item.id
    participant_socket = connect(app, guest.client, demo.id, "participant")
    pushes(participant_socket)
    guest.post(f"/items/{item_id}/vote", {"value": "agree"}, htmx=True)
    assert pushes(participant_socket)["tally"] == []
    mod.post(url(demo, "reveal"), {"revealed": "1", "item_id": item_id}, htmx=True)
    received = pushes(participant_socket)
    assert received["reveal"] and received["tally"][-1]["results"]["votes"] == 1


def test_reveal_all_then_hide_all(demo, mod, sockets):
    assert mod.post(url(demo, "reveal"), {"revealed": "1"}, htmx=True).status_code == 204
    assert all(item.results_revealed for item in demo_items(demo))
    assert mod.post(url(demo, "reveal"), {"revealed": "0"}, htmx=True).status_code == 204
    assert not any(item.results_revealed for item in demo_items(demo))
    for sock in sockets:
        assert [r["revealed"] for r in pushes(sock)["reveal"]] == [True, False]


def test_reveal_refuses_a_bad_flag(demo, mod, sockets):
    assert mod.post(url(demo, "reveal"), {"revealed": "true"}, htmx=True).status_code == 422
    assert not any(item.results_revealed for item in demo_items(demo))
    assert not any(pushes(sock) for sock in sockets)


# The countdown


@pytest.mark.parametrize(("given", "seconds"), [("90", 90), ("1:30", 90), ("10:05", 605)])
def test_a_timer_starts_from_seconds_or_minutes_and_seconds(demo, mod, sockets, given, seconds):
    before = utcnow()
    assert mod.post(url(demo, "timer"), {"seconds": given}, htmx=True).status_code == 204
    state = live_state(demo)
    assert state.timer_seconds == seconds
    assert before + timedelta(seconds=seconds) <= state.timer_ends_at
    assert state.timer_ends_at <= utcnow() + timedelta(seconds=seconds)
    for sock in sockets:
        [timer] = pushes(sock)["timer"]
        assert timer["seconds"] == seconds and timer["ends_at"] and timer["server_time"]


@pytest.mark.parametrize("given", ["abc", "0", "99999", "-5", "1:xx", "1.5"])
def test_a_timer_refuses_bad_times_and_keeps_the_running_one(demo, mod, sockets, given):
    mod.post(url(demo, "timer"), {"seconds": "60"}, htmx=True)
    [pushes(sock) for sock in sockets]
    ends_at = live_state(demo).timer_ends_at
    response = mod.post(url(demo, "timer"), {"seconds": given}, htmx=True)
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    state = live_state(demo)
    assert state.timer_seconds == 60 and state.timer_ends_at == ends_at
    assert not any(pushes(sock) for sock in sockets)


def test_a_bad_time_from_a_plain_form_comes_back_as_a_message(demo, mod):
    response = mod.post(url(demo, "timer"), {"seconds": "abc"}, follow_redirects=True)
    assert "Give the time as seconds or minutes:seconds." in response.text
    assert live_state(demo) is None or live_state(demo).timer_ends_at is None


def test_an_empty_time_stops_the_timer(demo, mod, sockets):
    mod.post(url(demo, "timer"), {"seconds": "60"}, htmx=True)
    [pushes(sock) for sock in sockets]
    assert mod.post(url(demo, "timer"), {"seconds": ""}, htmx=True).status_code == 204
    assert live_state(demo).timer_ends_at is None
    for sock in sockets:
        assert pushes(sock)["timer"][0]["ends_at"] is None


# Events


EVENT = {
    "title": "Santiago workshop",
    "format": "workshop",
    "held_on": "2031-03-04",
    "place": "Santiago de Chile",
    "region": "Latin America",
}


def test_creating_an_event_stores_it_and_reloads_the_console(demo, mod):
    response = mod.post(url(demo, "events"), {**EVENT, "is_rehearsal": "y"}, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Refresh"] == "true"
    event = db.session.scalars(sa.select(LiveEvent)).one()
    assert (event.title, event.format.value, event.held_on.isoformat()) == (
        "Santiago workshop",
        "workshop",
        "2031-03-04",
    )
    assert event.place == "Santiago de Chile" and event.region.name == "Latin America"
    assert event.is_rehearsal and event.started_at is None


def test_creating_an_event_from_a_plain_form_redirects_with_a_message(demo, mod):
    response = mod.post(url(demo, "events"), {**EVENT, "place": ""}, follow_redirects=True)
    assert "Event created." in response.text
    event = db.session.scalars(sa.select(LiveEvent)).one()
    assert event.place == "online" and not event.is_rehearsal


@pytest.mark.parametrize(
    "change",
    [{"title": ""}, {"title": "x" * 201}, {"format": "party"}, {"held_on": "next week"}],
)
def test_creating_an_event_refuses_bad_input_and_stores_nothing(demo, mod, change):
    response = mod.post(url(demo, "events"), {**EVENT, **change}, htmx=True)
    assert response.status_code == 422
    assert row_count(LiveEvent) == 0


def test_creating_an_event_refuses_a_region_of_another_consultation(demo, mod):
    response = mod.post(url(demo, "events"), {**EVENT, "region": "Atlantis"}, htmx=True)
    assert response.status_code == 422
    assert "regions" in response.text
    assert row_count(LiveEvent) == 0


def new_event(mod, demo, title, **extra) -> int:
    mod.post(url(demo, "events"), {**EVENT, "title": title, **extra}, htmx=True)
    return db.session.scalars(sa.select(LiveEvent.id).where(LiveEvent.title == title)).one()


def test_starting_an_event_makes_it_live_and_tells_every_screen(demo, mod, sockets):
    event_id = new_event(mod, demo, "Webinar")
    response = mod.post(url(demo, f"events/{event_id}/start"), htmx=True)
    assert response.status_code == 204
    assert live_state(demo).live_event_id == event_id
    assert db.session.get(LiveEvent, event_id).started_at is not None
    for sock in sockets:
        [event] = pushes(sock)["event"]
        assert event["event"]["id"] == event_id and event["event"]["title"] == "Webinar"


def test_starting_a_second_event_while_one_is_live_is_refused_with_a_message(demo, mod, sockets):
    first = new_event(mod, demo, "First")
    second = new_event(mod, demo, "Second")
    mod.post(url(demo, f"events/{first}/start"), htmx=True)
    [pushes(sock) for sock in sockets]
    response = mod.post(url(demo, f"events/{second}/start"), htmx=True)
    assert response.status_code == 422
    assert "Another event is live. End it before starting this one." in response.text
    assert live_state(demo).live_event_id == first
    assert db.session.get(LiveEvent, second).started_at is None
    assert not any(pushes(sock) for sock in sockets)
    page = mod.post(url(demo, f"events/{second}/start"), follow_redirects=True)
    assert "Another event is live. End it before starting this one." in page.text


def test_ending_the_event_clears_it_and_its_timer(demo, mod, sockets):
    event_id = new_event(mod, demo, "Forum", format="forum")
    mod.post(url(demo, f"events/{event_id}/start"), htmx=True)
    mod.post(url(demo, "timer"), {"seconds": "120"}, htmx=True)
    [pushes(sock) for sock in sockets]
    response = mod.post(url(demo, "events/end"))
    assert response.status_code == 302
    state = live_state(demo)
    assert state.live_event_id is None and state.timer_ends_at is None
    assert db.session.get(LiveEvent, event_id).ended_at is not None
    for sock in sockets:
        received = pushes(sock)
        assert received["event"] == [{"event": None}]
        assert received["timer"][0]["ends_at"] is None


def test_an_ended_event_cannot_start_again(demo, mod):
    event_id = new_event(mod, demo, "Once")
    mod.post(url(demo, f"events/{event_id}/start"), htmx=True)
    mod.post(url(demo, "events/end"), htmx=True)
    response = mod.post(url(demo, f"events/{event_id}/start"), htmx=True)
    assert response.status_code == 422
    assert live_state(demo).live_event_id is None


def test_starting_an_unknown_event_is_not_found(demo, mod):
    assert mod.post(url(demo, "events/999/start"), htmx=True).status_code == 404


def test_votes_during_a_rehearsal_do_not_count_once_it_ends(demo, first_item, mod, guest):
    item_id = first_item.id
    guest.post(f"/items/{item_id}/vote", {"value": "agree"}, htmx=True)
    rehearsal = new_event(mod, demo, "Dry run", is_rehearsal="y")
    mod.post(url(demo, f"events/{rehearsal}/start"), htmx=True)
    for group in ("Industry", "Other"):
        voter = join_as(demo, group=group).participant
        cast_vote(voter, db.session.get(Item, item_id), "disagree")
    during = tally_items(demo, [item_id], moderator=True, event_id=rehearsal)[item_id]
    assert during.overall.votes == 2
    mod.post(url(demo, "events/end"), htmx=True)
    after = tally_items(demo, [item_id], moderator=True)[item_id]
    assert after.overall.votes == 1
    assert after.overall.agree_share == 1.0


# Hiding and pinning comments


def test_hiding_a_comment_tells_moderators_all_and_participants_only_which(
    demo, first_item, mod, sockets
):
    moderator_socket, participant_socket = sockets
    comment = a_comment(demo, first_item)
    response = mod.post(f"/manage/comments/{comment.id}/hidden", {"hidden": "1"}, htmx=True)
    assert response.status_code == 204
    assert db.session.get(Comment, comment.id).hidden
    [updated] = pushes(moderator_socket)["comment_updated"]
    assert updated["hidden"] is True and updated["participant_id"] == comment.participant_id
    received = pushes(participant_socket)
    assert received["comment_hidden"] == [{"id": comment.id, "item_id": first_item.id}]
    assert "comment_updated" not in received


def test_restoring_a_comment_shows_it_again_without_moderation_fields(
    demo, first_item, mod, sockets
):
    moderator_socket, participant_socket = sockets
    comment = a_comment(demo, first_item, body="Back again")
    mod.post(f"/manage/comments/{comment.id}/hidden", {"hidden": "1"}, htmx=True)
    [pushes(sock) for sock in sockets]
    response = mod.post(f"/manage/comments/{comment.id}/hidden", {"hidden": "0"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/{demo.id}/live")
    assert not db.session.get(Comment, comment.id).hidden
    [public] = pushes(participant_socket)["comment_updated"]
    assert public["body"] == "Back again" and not MODERATOR_ONLY & public.keys()
    assert pushes(moderator_socket)["comment_updated"][0]["hidden"] is False


def test_pinning_a_comment_pins_it_for_everyone(demo, first_item, mod, sockets):
    moderator_socket, participant_socket = sockets
    comment = a_comment(demo, first_item)
    assert (
        mod.post(f"/manage/comments/{comment.id}/pinned", {"pinned": "1"}, htmx=True).status_code
        == 204
    )
    assert db.session.get(Comment, comment.id).pinned
    assert pushes(moderator_socket)["comment_updated"][0]["pinned"] is True
    [public] = pushes(participant_socket)["comment_updated"]
    assert public["pinned"] is True and not MODERATOR_ONLY & public.keys()
    mod.post(f"/manage/comments/{comment.id}/pinned", {"pinned": "0"}, htmx=True)
    assert not db.session.get(Comment, comment.id).pinned


@pytest.mark.parametrize(("action", "field"), [("hidden", "hidden"), ("pinned", "pinned")])
def test_hide_and_pin_refuse_a_bad_flag(demo, first_item, mod, sockets, action, field):
    comment = a_comment(demo, first_item)
    response = mod.post(f"/manage/comments/{comment.id}/{action}", {field: "maybe"}, htmx=True)
    assert response.status_code == 422
    stored = db.session.get(Comment, comment.id)
    assert not stored.hidden and not stored.pinned
    assert not any(pushes(sock) for sock in sockets)


def test_hiding_an_unknown_comment_is_not_found(demo, mod):
    assert mod.post("/manage/comments/999/hidden", {"hidden": "1"}, htmx=True).status_code == 404


def test_a_participant_socket_never_receives_hidden_comments_or_moderation_data(
    app, demo, first_item, mod, guest, sockets
):
    moderator_socket, participant_socket = sockets
    item_id = first_item.id
    response = guest.post(f"/items/{item_id}/comments", {"body": "Seen by all"}, htmx=True)
    assert response.status_code in (200, 201)
    visible_id = db.session.scalars(
        sa.select(Comment.id).where(Comment.body == "Seen by all")
    ).one()
    mod.post(f"/manage/comments/{visible_id}/hidden", {"hidden": "1"}, htmx=True)
    mod.post(f"/manage/comments/{visible_id}/pinned", {"pinned": "1"}, htmx=True)
    mod.post(url(demo, "focus"), {"item_id": item_id}, htmx=True)
    other = connect(app, guest.client, demo.id, "participant")  # presence changes too
    received = pushes(participant_socket)
    [posted] = received["comment"]
    assert posted["body"] == "Seen by all" and not MODERATOR_ONLY & posted.keys()
    # Hidden: only its id goes out, even when a moderator pins it afterwards.
    assert received["comment_hidden"]
    assert all(p == {"id": visible_id, "item_id": item_id} for p in received["comment_hidden"])
    assert received["comment_updated"] == []
    for presence in received["presence"] + pushes(other)["presence"]:
        assert set(presence) == {"count"}
    assert set(pushes(moderator_socket)["presence"][-1]) == {"count", "by_group", "by_region"}


# Who may act


ACTIONS = [
    ("focus", {"item_id": ""}),
    ("voting", {"open": "0"}),
    ("reveal", {"revealed": "1"}),
    ("timer", {"seconds": "90"}),
    ("events", EVENT),
    ("events/end", {}),
]


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_another_consultations_moderator_cannot_act(demo, other_moderator, web, action, data):
    web.login("other@example.org")
    for htmx in (True, False):
        assert web.post(url(demo, action), data, htmx=htmx).status_code == 403
    assert all(item.voting_open and not item.results_revealed for item in demo_items(demo))
    assert live_state(demo) is None or live_state(demo).timer_ends_at is None
    assert row_count(LiveEvent) == 0


def test_another_consultations_moderator_cannot_start_events_or_moderate_comments(
    demo, first_item, mod, other_moderator, client
):
    event_id = new_event(mod, demo, "Ours")
    comment = a_comment(demo, first_item)
    other = Browser(client.application.test_client())
    other.login("other@example.org")
    assert other.post(url(demo, f"events/{event_id}/start"), htmx=True).status_code == 403
    assert other.post(f"/manage/comments/{comment.id}/hidden", {"hidden": "1"}).status_code == 403
    assert (
        other.post(f"/manage/comments/{comment.id}/pinned", {"pinned": "1"}, htmx=True).status_code
        == 403
    )
    stored = db.session.get(Comment, comment.id)
    assert not stored.hidden and not stored.pinned
    assert live_state(demo) is None or live_state(demo).live_event_id is None


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_a_guest_is_sent_to_log_in(demo, web, action, data):
    response = web.post(url(demo, action), data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_only_the_consultations_moderators_may_open_a_moderator_socket(
    app, demo, guest, other_moderator, client
):
    other = Browser(client)
    other.login("other@example.org")
    for browser_client, role in [
        (guest.client, "moderator"),
        (guest.client, "projector"),
        (other.client, "moderator"),
        (other.client, "projector"),
        (app.test_client(), "moderator"),
    ]:
        assert not connect(app, browser_client, demo.id, role).is_connected()
