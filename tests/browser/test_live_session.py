"""A live session in four browser contexts: the moderator's console, two participants'
phones and the projector. Everything after the page loads arrives by push, without reload;
the participants' pages also work when the venue blocks WebSocket."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
COMMENT = 'Cobalt too, <b>please</b> & "soon"\nsecond line'
SOCKET_IO = re.compile(r"/socket\.io/")


def log_in(tab, live_server) -> None:
    tab.goto("/login")
    tab.page.get_by_label("Email").fill(live_server.moderator_email)
    tab.page.get_by_label("Password").fill(live_server.moderator_password)
    tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.get_by_role("button", name="Log out")).to_be_visible()


def join(tab, demo, group: str) -> None:
    tab.goto(f"/join/{demo.join_code}")
    tab.page.get_by_label("Stakeholder group").select_option(group)
    tab.page.get_by_label("I have read and accept the privacy notice").check()
    tab.page.get_by_role("button", name="Join", exact=True).click()
    expect(tab.page.get_by_role("heading", name="You are in")).to_be_visible()


def open_live_page(tab, demo) -> None:
    tab.goto(f"/c/{demo.consultation_id}/live")
    # Set after load: a reload would lose it, so it proves every later change came by push.
    tab.page.evaluate("window.__stillTheSamePage = true")


def assert_not_reloaded(tab) -> None:
    assert tab.page.evaluate("window.__stillTheSamePage === true"), f"{tab.name} reloaded"


def watch_websockets(tab) -> list:
    sockets = []
    tab.page.on("websocket", lambda ws: sockets.append(ws) if SOCKET_IO.search(ws.url) else None)
    return sockets


# Chromium cannot be told to refuse WebSocket alone (blocked URLs and routes leave the
# handshake through, or open a mocked socket), so every WebSocket fails as a filtered
# network makes it fail: an error, then an abnormal close, and never an open.
FAILING_WEBSOCKET = """
window.WebSocket = class BlockedWebSocket extends EventTarget {
  constructor(url) {
    super();
    this.url = String(url);
    this.readyState = 0;
    setTimeout(() => {
      this.readyState = 3;
      this.dispatchEvent(new Event("error"));
      this.dispatchEvent(new CloseEvent("close", {code: 1006, wasClean: false}));
    }, 10);
  }
  send() { throw new DOMException("not open", "InvalidStateError"); }
  close() {}
  set onopen(f) { this.addEventListener("open", f); }
  set onclose(f) { this.addEventListener("close", f); }
  set onerror(f) { this.addEventListener("error", f); }
  set onmessage(f) { this.addEventListener("message", f); }
};
"""


def block_websockets(tab) -> None:
    """A venue network that lets no WebSocket through."""
    tab.page.add_init_script(FAILING_WEBSOCKET)


def agenda_row(console, item_id):
    return console.page.locator(f'tr.agenda-row[data-item-id="{item_id}"]')


def start_workshop_and_focus(console, demo) -> None:
    console.goto(f"/manage/{demo.consultation_id}/live")
    page = console.page
    page.get_by_label("Title").fill("Santiago workshop")
    page.get_by_role("button", name="Create event").click()
    page.locator("#events").get_by_role("button", name="Start").click()
    expect(page.locator(".event-bar")).to_contain_text("Santiago workshop")
    agenda_row(console, demo.first_item_id).get_by_role("button", name="Focus").click()
    expect(agenda_row(console, demo.first_item_id)).to_have_class(re.compile(r"\bis-focused\b"))


def test_live_session_reaches_every_screen_without_reload(open_tab, live_server, live_demo):
    console = open_tab("console", **DESKTOP)
    log_in(console, live_server)
    start_workshop_and_focus(console, live_demo)
    console.page.evaluate("window.__stillTheSamePage = true")

    projector = open_tab("projector", **DESKTOP)
    log_in(projector, live_server)
    projector.goto(f"/manage/{live_demo.consultation_id}/projector")
    projector.page.evaluate("window.__stillTheSamePage = true")

    voter = open_tab("voter", **PHONE)
    watcher = open_tab("watcher", **PHONE)
    watcher_sockets = watch_websockets(watcher)
    join(voter, live_demo, "Industry")
    join(watcher, live_demo, "Research and academia")
    open_live_page(voter, live_demo)
    open_live_page(watcher, live_demo)
    item = watcher.page.locator(f'#live-item .live-item[data-item-id="{live_demo.first_item_id}"]')
    expect(item).to_be_visible()
    expect(watcher.page.locator(".live-bar")).to_contain_text("Santiago workshop")
    expect(watcher.page.locator("[data-headcount]")).to_contain_text("2 participants connected")
    watcher.check("live", sizes=(PHONE["viewport"], DESKTOP["viewport"]))

    # The voter votes and comments, in place.
    vote = voter.page.locator("#vote")
    vote.get_by_role("radio", name="Agree", exact=True).check()
    vote.get_by_role("button", name="Vote", exact=True).click()
    expect(vote).to_contain_text("You voted: Agree")
    voter.page.get_by_label("Your comment").fill(COMMENT)
    voter.page.get_by_role("button", name="Post comment").click()
    expect(voter.page.locator("#comments .comment-body")).to_have_count(1)
    voter.check("live-voted")

    # The other participant sees both, written as text, without asking the server.
    requests = []
    watcher.page.on(
        "request", lambda r: requests.append(r.url) if "/socket.io/" not in r.url else None
    )
    expect(watcher.page.locator("#vote .results .summary")).to_contain_text(
        re.compile(r"\b1 vote\b")
    )
    body = watcher.page.locator("#comments .comment-body")
    expect(body).to_have_count(1)
    assert body.text_content().replace("\r\n", "\n") == COMMENT
    assert body.inner_text().replace("\r\n", "\n") == COMMENT  # white-space: pre-line
    expect(watcher.page.locator("#comments .comment-body b")).to_have_count(0)
    expect(watcher.page.locator("#comments-heading")).to_contain_text("(1)")
    assert requests == [], f"pushes made the page ask the server: {requests}"
    assert_not_reloaded(watcher)
    watcher.check("live-pushed")

    # The console and the projector count the vote; the console lists the comment.
    expect(
        agenda_row(console, live_demo.first_item_id).locator('[data-field="votes"]')
    ).to_have_text("1")
    stream = console.page.locator("[data-stream] li", has_text="Cobalt too")
    expect(stream).to_have_count(1)
    expect(projector.page.locator(".tally-overall .tally-figure")).to_contain_text(
        re.compile(r"\b1 vote\b")
    )
    assert_not_reloaded(console)
    assert_not_reloaded(projector)

    # The watcher supports the comment; the voter sees the count go up.
    watcher.page.locator("#comments").get_by_role("button", name="Support").click()
    expect(voter.page.locator("#comments [data-supports]").first).to_have_text("1 support")

    # The moderator hides it: it disappears from the participants' screens.
    stream.get_by_role("button", name="Hide").click()
    expect(watcher.page.locator("#comments .comment-body")).to_have_count(0)
    expect(voter.page.locator("#comments .comment-body")).to_have_count(0)
    expect(watcher.page.locator("#comments-heading")).to_contain_text("(0)")
    assert_not_reloaded(watcher)

    # Voting closes on the item: the form is disabled with a message.
    agenda_row(console, live_demo.first_item_id).get_by_role("button", name="Close voting").click()
    expect(watcher.page.locator("#vote [data-phase-closed]")).to_be_visible()
    expect(
        watcher.page.locator("#vote").get_by_role("button", name="Vote", exact=True)
    ).to_be_disabled()

    # The focus moves: the item block is swapped in place.
    second = console.page.locator("tr.agenda-row").nth(1)
    second_id = second.get_attribute("data-item-id")
    second.get_by_role("button", name="Focus").click()
    expect(
        watcher.page.locator(f'#live-item .live-item[data-item-id="{second_id}"]')
    ).to_be_visible()
    expect(
        watcher.page.locator("#vote").get_by_role("button", name="Vote", exact=True)
    ).to_be_enabled()
    assert_not_reloaded(watcher)
    watcher.check("live-refocused")

    assert watcher_sockets, "the participant's page never opened a WebSocket"


def test_participant_follows_over_long_polling_when_websocket_is_blocked(
    open_tab, live_server, live_demo
):
    console = open_tab("console", **DESKTOP)
    log_in(console, live_server)
    start_workshop_and_focus(console, live_demo)

    blocked = open_tab("blocked", **PHONE)
    block_websockets(blocked)
    polls = []
    blocked.page.on(
        "request", lambda r: polls.append(r.url) if "transport=polling" in r.url else None
    )
    join(blocked, live_demo, "Other")
    open_live_page(blocked, live_demo)
    expect(blocked.page.locator(".live-bar")).to_contain_text("Santiago workshop")
    expect(blocked.page.locator("[data-headcount]")).to_contain_text("1 participant connected")

    voter = open_tab("voter", **PHONE)
    join(voter, live_demo, "Industry")
    open_live_page(voter, live_demo)
    vote = voter.page.locator("#vote")
    vote.get_by_role("radio", name="Disagree", exact=True).check()
    vote.get_by_role("button", name="Vote", exact=True).click()
    expect(vote).to_contain_text("You voted: Disagree")

    expect(blocked.page.locator("#vote .results .summary")).to_contain_text(
        re.compile(r"\b1 vote\b")
    )
    second = console.page.locator("tr.agenda-row").nth(1)
    second_id = second.get_attribute("data-item-id")
    second.get_by_role("button", name="Focus").click()
    expect(
        blocked.page.locator(f'#live-item .live-item[data-item-id="{second_id}"]')
    ).to_be_visible()
    assert_not_reloaded(blocked)
    assert polls, "the page should have fallen back to long-polling"
    blocked.check("live-polling")


def test_participant_on_another_item_is_offered_to_follow(open_tab, live_server, live_demo):
    console = open_tab("console", **DESKTOP)
    log_in(console, live_server)
    start_workshop_and_focus(console, live_demo)

    guest = open_tab("guest", **PHONE)
    join(guest, live_demo, "Industry")
    guest.goto(f"/c/{live_demo.consultation_id}")
    expect(guest.page.get_by_role("link", name="Follow the live session")).to_be_visible()
    banner = guest.page.locator("#live-follow")
    expect(banner).to_be_visible()
    ref = agenda_row(console, live_demo.first_item_id).get_attribute("data-ref")
    expect(banner).to_contain_text(f"The moderator is now on {ref}.")
    guest.check("consultation-live")

    guest.goto(f"/items/{live_demo.first_item_id}")
    guest.page.wait_for_load_state("networkidle")
    expect(guest.page.locator("#live-follow")).to_be_hidden()  # already there

    second = console.page.locator("tr.agenda-row").nth(1)
    second.get_by_role("button", name="Focus").click()
    expect(guest.page.locator("#live-follow")).to_contain_text(
        f"The moderator is now on {second.get_attribute('data-ref')}."
    )
    guest.check("item-banner")
    guest.page.locator("#live-follow").get_by_role("link", name="Follow").click()
    expect(guest.page).to_have_url(re.compile(rf"/c/{live_demo.consultation_id}/live$"))
    expect(
        guest.page.locator(
            f'#live-item .live-item[data-item-id="{second.get_attribute("data-item-id")}"]'
        )
    ).to_be_visible()
