"""A participant's socket: who may connect, the state on connect, and what is pushed to it
(and what never is) as votes, comments and moderator actions happen over HTTP."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pytest

from cocreate.accounts.services import user_by_email
from cocreate.consultations.models import Consultation, ResultsVisibility
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db, socketio
from cocreate.live.broadcast import broadcaster
from cocreate.live.services import create_event
from cocreate.participation.models import Comment
from cocreate.participation.results import tally_items
from tests.conftest import DEMO_JSON, Browser, join_as

PUBLIC_COMMENT_KEYS = {
    "id",
    "item_id",
    "parent_id",
    "body",
    "created_at",
    "supports",
    "pinned",
    "author",
}


def connect(app, browser: Browser | None = None, **auth):
    return socketio.test_client(
        app, flask_test_client=browser.client if browser else None, auth=auth
    )


def pushes(sock) -> dict[str, list[dict]]:
    """Everything received since the last call, by event name (reading drains the queue)."""
    by_name = defaultdict(list)
    for message in sock.get_received():
        by_name[message["name"]].append(message["args"][0] if message["args"] else None)
    return by_name


def joined(app, ids, group="Industry", region="Europe") -> Browser:
    """Another participant, joined through the page (``ids`` has the join code it needs)."""
    browser = Browser(app.test_client())
    assert browser.join(ids, group=group, region=region).status_code == 302
    return browser


def set_visibility(consultation_id: int, visibility: ResultsVisibility) -> None:
    db.session.get(Consultation, consultation_id).results_visibility = visibility
    db.session.commit()


def new_event(consultation_id: int, title: str, **options) -> int:
    consultation = db.session.get(Consultation, consultation_id)
    moderator = user_by_email("mod@example.org")
    return create_event(consultation, moderator, title=title, **options).id


@dataclass(frozen=True)
class Ids:
    """Plain ids: a socket handler ends its database session, detaching the test's objects."""

    consultation: int
    first: int
    second: int
    first_ref: str
    join_code: str


@pytest.fixture
def ids(demo) -> Ids:
    first, second = demo.documents[0].items[:2]
    return Ids(demo.id, first.id, second.id, first.ref, demo.join_code)


@pytest.fixture
def mod(web, moderator, demo):
    """The demo's moderator, logged in, acting through the console's htmx requests."""
    web.login("mod@example.org")
    return web


def act(mod, path: str, **data):
    response = mod.post(path, data, htmx=True)
    assert response.status_code == 204, response.text
    return response


# Who may connect.


def test_participant_connects_with_the_session_cookie(app, ids, guest):
    sock = connect(app, guest, consultation_id=ids.consultation)
    assert sock.is_connected()
    state = pushes(sock)["state"][0]
    assert state["role"] == "participant"
    assert state["consultation"]["id"] == ids.consultation
    assert "participant" in state


def test_participant_connects_with_an_api_token(app, demo, ids):
    token = join_as(demo).token
    sock = connect(app, token=token)
    assert sock.is_connected()
    assert pushes(sock)["state"][0]["consultation"]["id"] == ids.consultation


def test_a_token_asking_for_another_consultation_is_refused(app, demo, ids):
    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    token = join_as(demo).token
    assert not connect(app, token=token, consultation_id=other.id).is_connected()
    assert connect(app, token=token, consultation_id=ids.consultation).is_connected()


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"consultation_id": "not a number"},
        {"token": "forged-token-that-nobody-was-given"},
        {"token": "x" * 5000},
        {"token": ["a", "list"]},
    ],
    ids=["nothing", "bad-id", "forged-token", "huge-token", "token-list"],
)
def test_connection_without_a_valid_session_or_token_is_refused(app, ids, client, auth):
    assert not socketio.test_client(app, flask_test_client=client, auth=auth).is_connected()


def test_connection_without_joining_is_refused(app, ids, client):
    sock = socketio.test_client(
        app, flask_test_client=client, auth={"consultation_id": ids.consultation}
    )
    assert not sock.is_connected()
    assert broadcaster().presence.count(ids.consultation).total == 0


def test_participant_cannot_connect_to_another_consultation(app, ids, guest):
    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    assert not connect(app, guest, consultation_id=other.id).is_connected()


@pytest.mark.parametrize("role", ["admin", "moderator", "projector", ""])
def test_participant_cannot_claim_another_role(app, ids, guest, role):
    assert not connect(app, guest, consultation_id=ids.consultation, role=role).is_connected()


def test_moderator_of_another_consultation_is_refused(app, ids, other_moderator, web):
    web.login("other@example.org")
    sock = connect(app, web, consultation_id=ids.consultation, role="moderator")
    assert not sock.is_connected()


# The state a (re)connecting screen receives.


def test_state_on_connect_carries_event_focus_timer_and_phases(app, ids, guest, mod):
    event_id = new_event(ids.consultation, "Santiago workshop", format="workshop")
    act(mod, f"/manage/{ids.consultation}/events/{event_id}/start")
    act(mod, f"/manage/{ids.consultation}/focus", item_id=ids.first)
    act(mod, f"/manage/{ids.consultation}/timer", seconds="1:30")
    act(mod, f"/manage/{ids.consultation}/voting", open="0", item_id=ids.second)
    act(mod, f"/manage/{ids.consultation}/reveal", revealed="1", item_id=ids.second)

    state = pushes(connect(app, guest, consultation_id=ids.consultation))["state"][0]
    assert state["event"]["title"] == "Santiago workshop"
    assert state["event"]["is_rehearsal"] is False
    assert state["focus"]["id"] == ids.first
    assert state["focus"]["ref"] == ids.first_ref
    assert state["timer"]["seconds"] == 90 and state["timer"]["ends_at"]
    assert state["voting_closed"] == [ids.second]
    assert state["revealed"] == [ids.second]
    assert state["presence"] == {"count": 1}


def test_state_carries_the_focused_items_results_when_shown_at_once(app, ids, guest, mod):
    act(mod, f"/manage/{ids.consultation}/focus", item_id=ids.first)
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"})
    state = pushes(connect(app, guest, consultation_id=ids.consultation))["state"][0]
    assert state["results"][str(ids.first)]["votes"] == 1


def test_state_carries_no_results_before_voting_when_shown_after_the_vote(app, ids, guest, mod):
    set_visibility(ids.consultation, ResultsVisibility.AFTER_VOTE)
    act(mod, f"/manage/{ids.consultation}/focus", item_id=ids.first)
    joined(app, ids).post(f"/items/{ids.first}/vote", {"value": "agree"})

    state = pushes(connect(app, guest, consultation_id=ids.consultation))["state"][0]
    assert state["results"] == {}
    guest.post(f"/items/{ids.first}/vote", {"value": "disagree"})
    state = pushes(connect(app, guest, consultation_id=ids.consultation))["state"][0]
    assert state["results"][str(ids.first)]["votes"] == 2


def test_state_carries_no_results_until_the_moderator_reveals_them(app, ids, guest, mod):
    set_visibility(ids.consultation, ResultsVisibility.AFTER_REVEAL)
    act(mod, f"/manage/{ids.consultation}/focus", item_id=ids.first)
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"})
    state = pushes(connect(app, guest, consultation_id=ids.consultation))["state"][0]
    assert state["results"] == {}
    act(mod, f"/manage/{ids.consultation}/reveal", revealed="1", item_id=ids.first)
    state = pushes(connect(app, guest, consultation_id=ids.consultation))["state"][0]
    assert state["results"][str(ids.first)]["votes"] == 1


def test_sync_sends_the_state_again(app, ids, guest):
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    assert sock.emit("sync", callback=True) == {"ok": True}
    assert pushes(sock)["state"][0]["consultation"]["id"] == ids.consultation


# Pushes.


def test_several_votes_in_one_flush_make_one_tally_per_item(app, ids, guest):
    live = broadcaster()
    live.inline = False
    live.worker_started = True  # this test flushes by hand, as the background task would
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    for group in ("Industry", "Other", "Industry"):
        joined(app, ids, group=group).post(f"/items/{ids.first}/vote", {"value": "agree"})
    guest.post(f"/items/{ids.second}/vote", {"value": "disagree"})
    assert pushes(sock)["tally"] == []  # nothing leaves before the flush

    live.flush()
    tallies = pushes(sock)["tally"]
    assert sorted(t["item_id"] for t in tallies) == sorted([ids.first, ids.second])
    by_item = {t["item_id"]: t["results"] for t in tallies}
    assert by_item[ids.first]["votes"] == 3
    assert by_item[ids.first]["by_group"]["Industry"] == {"suppressed": True}
    assert by_item[ids.second]["counts"]["disagree"] == 1
    live.flush()
    assert pushes(sock)["tally"] == []


def test_tally_after_a_vote_reaches_every_participant(app, ids, guest):
    watcher = connect(app, joined(app, ids), consultation_id=ids.consultation)
    pushes(watcher)
    guest.post(f"/items/{ids.first}/vote", {"value": "strongly_agree"}, htmx=True)
    (tally,) = pushes(watcher)["tally"]
    assert tally["item_id"] == ids.first
    assert tally["scope_event_id"] is None
    assert tally["results"]["counts"]["strongly_agree"] == 1


def test_comment_push_to_participants_has_no_moderator_fields(app, ids, guest):
    watcher = connect(app, joined(app, ids), consultation_id=ids.consultation)
    pushes(watcher)
    guest.post(f"/items/{ids.first}/comments", {"body": "<b>Line one</b>\nline two"})
    (comment,) = pushes(watcher)["comment"]
    assert set(comment) == PUBLIC_COMMENT_KEYS
    assert comment["body"] == "<b>Line one</b>\nline two"
    assert comment["author"]["stakeholder_group"] == "Industry"


def test_moderators_get_the_moderation_fields(app, ids, guest, mod):
    console = connect(app, mod, consultation_id=ids.consultation, role="moderator")
    pushes(console)
    guest.post(f"/items/{ids.first}/comments", {"body": "Hello"})
    (comment,) = pushes(console)["comment"]
    assert comment["hidden"] is False and "participant_id" in comment


def test_a_hidden_comment_is_never_pushed_to_participants(app, demo, ids, guest, mod):
    from cocreate.drafts.models import Item
    from cocreate.live import notify

    author = join_as(demo).participant
    watcher = connect(app, guest, consultation_id=ids.consultation)
    console = connect(app, mod, consultation_id=ids.consultation, role="moderator")
    pushes(watcher), pushes(console)
    comment = Comment(
        item=db.session.get(Item, ids.first),
        participant=db.session.merge(author),
        body="Hidden at once",
        hidden=True,
    )
    db.session.add(comment)
    db.session.commit()
    notify.comment_posted(comment)
    assert pushes(watcher)["comment"] == []
    assert pushes(console)["comment"][0]["hidden"] is True


def test_hiding_a_comment_removes_it_from_participants(app, ids, guest, mod):
    watcher = connect(app, joined(app, ids), consultation_id=ids.consultation)
    guest.post(f"/items/{ids.first}/comments", {"body": "Off topic"})
    comment_id = pushes(watcher)["comment"][0]["id"]

    act(mod, f"/manage/comments/{comment_id}/hidden", hidden="1")
    received = pushes(watcher)
    assert received["comment_hidden"] == [{"id": comment_id, "item_id": ids.first}]
    assert received["comment_updated"] == []  # the moderators' view of it stays theirs

    act(mod, f"/manage/comments/{comment_id}/hidden", hidden="0")
    (restored,) = pushes(watcher)["comment_updated"]
    assert set(restored) == PUBLIC_COMMENT_KEYS and restored["id"] == comment_id


def test_support_is_pushed_with_the_new_count(app, ids, guest):
    supporter = joined(app, ids, group="Other")
    watcher = connect(app, guest, consultation_id=ids.consultation)
    guest.post(f"/items/{ids.first}/comments", {"body": "Support me"})
    comment_id = pushes(watcher)["comment"][0]["id"]

    supporter.post(f"/comments/{comment_id}/support", htmx=True)
    assert pushes(watcher)["support"] == [
        {"comment_id": comment_id, "item_id": ids.first, "supports": 1}
    ]


def test_focus_phase_reveal_timer_and_event_are_pushed(app, ids, guest, mod):
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)

    act(mod, f"/manage/{ids.consultation}/focus", item_id=ids.first)
    (focus,) = pushes(sock)["focus"]
    assert focus["item"]["id"] == ids.first
    assert focus["item"]["voting_open"] is True

    act(mod, f"/manage/{ids.consultation}/voting", open="0", item_id=ids.first)
    assert pushes(sock)["phase"] == [{"item_ids": [ids.first], "voting_open": False}]

    act(mod, f"/manage/{ids.consultation}/reveal", revealed="1", item_id=ids.first)
    assert pushes(sock)["reveal"] == [{"item_ids": [ids.first], "revealed": True}]

    act(mod, f"/manage/{ids.consultation}/timer", seconds="45")
    (timer,) = pushes(sock)["timer"]
    assert timer["seconds"] == 45 and timer["ends_at"] and timer["server_time"]

    event_id = new_event(ids.consultation, "Webinar", format="webinar")
    act(mod, f"/manage/{ids.consultation}/events/{event_id}/start")
    assert pushes(sock)["event"][0]["event"]["title"] == "Webinar"

    act(mod, f"/manage/{ids.consultation}/focus", item_id="")
    assert pushes(sock)["focus"] == [{"item": None}]


# Results shown only after voting, or once revealed.


def test_after_vote_no_tally_reaches_a_participant_who_has_not_voted(app, ids, guest):
    set_visibility(ids.consultation, ResultsVisibility.AFTER_VOTE)
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    joined(app, ids).post(f"/items/{ids.first}/vote", {"value": "agree"})
    assert pushes(sock)["tally"] == []

    guest.post(f"/items/{ids.first}/vote", {"value": "agree"}, htmx=True)
    assert sock.emit("voted", {"item_id": ids.first}, callback=True) == {"ok": True}
    joined(app, ids).post(f"/items/{ids.first}/vote", {"value": "neutral"})
    (tally,) = pushes(sock)["tally"]
    assert tally["item_id"] == ids.first and tally["results"]["votes"] == 3


def test_after_vote_a_reconnecting_voter_gets_tallies_without_asking(app, ids, guest):
    set_visibility(ids.consultation, ResultsVisibility.AFTER_VOTE)
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"})
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    joined(app, ids).post(f"/items/{ids.first}/vote", {"value": "agree"})
    assert [t["item_id"] for t in pushes(sock)["tally"]] == [ids.first]


def test_voted_for_an_item_without_a_vote_joins_nothing(app, ids, guest):
    set_visibility(ids.consultation, ResultsVisibility.AFTER_VOTE)
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"})
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    assert sock.emit("voted", {"item_id": ids.second}, callback=True) == {"ok": False}
    joined(app, ids).post(f"/items/{ids.second}/vote", {"value": "agree"})
    assert pushes(sock)["tally"] == []


def test_voted_for_another_consultations_item_joins_nothing(app, ids, guest):
    set_visibility(ids.consultation, ResultsVisibility.AFTER_VOTE)
    other = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    other_item_id = other.documents[0].items[0].id
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    assert sock.emit("voted", {"item_id": other_item_id}, callback=True) == {"ok": False}


def test_after_reveal_no_tallies_until_the_moderator_reveals(app, ids, guest, mod):
    set_visibility(ids.consultation, ResultsVisibility.AFTER_REVEAL)
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"})
    sock.emit("voted", {"item_id": ids.first})
    joined(app, ids).post(f"/items/{ids.first}/vote", {"value": "agree"})
    assert pushes(sock)["tally"] == []

    act(mod, f"/manage/{ids.consultation}/reveal", revealed="1", item_id=ids.first)
    received = pushes(sock)
    assert received["reveal"] == [{"item_ids": [ids.first], "revealed": True}]
    assert [t["results"]["votes"] for t in received["tally"]] == [2]


def test_projector_gets_no_tally_that_participants_may_not_see(app, ids, mod, guest):
    set_visibility(ids.consultation, ResultsVisibility.AFTER_REVEAL)
    screen = connect(app, mod, consultation_id=ids.consultation, role="projector")
    pushes(screen)
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"})
    assert pushes(screen)["tally"] == []


# Bad input.


@pytest.mark.parametrize(
    "payload",
    ["a string", ["a", "list"], {"item_id": 10**30}, {"item_id": "1" * 50}, {"item_id": -1}, None],
    ids=["string", "list", "huge-int", "huge-str", "negative", "nothing"],
)
def test_malformed_voted_is_answered_not_ok_and_the_socket_stays_up(app, ids, guest, payload):
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    args = () if payload is None else (payload,)
    assert sock.emit("voted", *args, callback=True) == {"ok": False}
    assert sock.is_connected()
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"})
    assert pushes(sock)["tally"][0]["item_id"] == ids.first


# Rehearsals.


def test_a_rehearsal_shows_only_its_own_votes_and_leaves_no_trace(app, ids, guest, mod):
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"})  # a real vote, before
    act(mod, f"/manage/{ids.consultation}/focus", item_id=ids.first)
    rehearsal_id = new_event(ids.consultation, "Dry run", format="forum", is_rehearsal=True)
    act(mod, f"/manage/{ids.consultation}/events/{rehearsal_id}/start")

    sock = connect(app, joined(app, ids, group="Other"), consultation_id=ids.consultation)
    state = pushes(sock)["state"][0]
    assert state["event"]["is_rehearsal"] is True
    assert state["results"][str(ids.first)]["votes"] == 0  # the real vote is not part of it

    for _ in range(2):
        joined(app, ids).post(f"/items/{ids.first}/vote", {"value": "disagree"})
    tallies = pushes(sock)["tally"]
    assert tallies[-1]["scope_event_id"] == rehearsal_id
    assert tallies[-1]["results"]["votes"] == 2
    assert tallies[-1]["results"]["counts"]["agree"] == 0

    act(mod, f"/manage/{ids.consultation}/events/end")
    assert pushes(sock)["event"] == [{"event": None}]
    sock.emit("sync")
    state = pushes(sock)["state"][0]
    assert state["results"][str(ids.first)]["votes"] == 1
    assert state["results"][str(ids.first)]["counts"]["agree"] == 1
    consultation = db.session.get(Consultation, ids.consultation)
    results = tally_items(consultation, [ids.first], moderator=True)[ids.first]
    assert results.overall.votes == 1


def test_visibility_changed_mid_session_reaches_connected_participants(app, ids, guest, mod):
    guest.post(f"/items/{ids.first}/vote", {"value": "agree"}, htmx=True)
    sock = connect(app, guest, consultation_id=ids.consultation)
    pushes(sock)
    mod.get(f"/manage/{ids.consultation}/settings")
    settings = mod.get(f"/manage/{ids.consultation}/settings")
    assert settings.status_code == 200
    page = settings.text
    form = {
        "title": "Renamed",
        "language": "en",
        "results_visibility": "after_vote",
        "stakeholder_groups": "\n".join(
            [
                "Industry",
                "Government and policy",
                "Civil society and NGOs",
                "Research and academia",
                "Finance and investors",
                "Other",
            ]
        ),
        "regions": "\n".join(
            ["Europe", "Africa", "Latin America", "Asia", "North America", "Oceania"]
        ),
    }
    assert "results_visibility" in page
    assert mod.post(f"/manage/{ids.consultation}/settings", form).status_code == 302
    assert pushes(sock)["event"], "connected screens are told to resync"
    # Joined before the change, the voter still gets the tallies of the item they voted on.
    other = joined(app, ids, group="Other")
    other.post(f"/items/{ids.first}/vote", {"value": "disagree"}, htmx=True)
    tallies = pushes(sock)["tally"]
    assert tallies and tallies[-1]["results"]["votes"] == 2
