"""A guest joins on a phone, votes and comments; a moderator sees it; the guest comes back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cocreate.consultations.services import get_consultation
from cocreate.extensions import db
from cocreate.participation import services as participation
from cocreate.participation.models import VoteValue

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
COMMENT = '<b>bold</b> & "quotes"\non a second line'
ONE_VOTE = re.compile(r"\b1 vote\b")
RETURN_CODE = re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]+$")


def join_as_guest(tab, demo, group="Industry", region="Europe") -> str:
    """Join through the pages, as a guest would; return the return code shown."""
    tab.goto("/join")
    tab.check("join-code")
    tab.page.get_by_label("Join code").fill(demo.join_code.lower())
    tab.page.get_by_role("button", name="Continue").click()
    expect(tab.page).to_have_url(re.compile(rf"/join/{demo.join_code}$"))
    tab.check("join-form")
    tab.page.get_by_label("Stakeholder group").select_option(group)
    tab.page.get_by_label("Region (optional)").select_option(region)
    tab.page.get_by_label("I have read and accept the privacy notice").check()
    tab.page.get_by_role("button", name="Join", exact=True).click()
    expect(tab.page.get_by_role("heading", name="Your return code")).to_be_visible()
    tab.check("welcome")
    code = tab.page.locator(".return-code .code").inner_text().strip()
    assert RETURN_CODE.match(code), code
    return code


def open_first_item(tab) -> None:
    tab.page.get_by_role("link", name="See the draft").click()
    expect(tab.page.locator(".item-row").first).to_be_visible()
    tab.check("consultation")
    tab.page.locator(".item-row a").first.click()
    expect(tab.page.locator("#vote")).to_be_visible()


def vote_agree_in_place(tab) -> None:
    """Vote through htmx and prove the page was not reloaded to show the result."""
    tab.page.evaluate("window.__stillTheSamePage = true")
    vote = tab.page.locator("#vote")
    expect(vote.get_by_text("No votes yet.")).to_be_visible()
    vote.get_by_role("radio", name="Agree", exact=True).check()
    vote.get_by_role("button", name="Vote", exact=True).click()
    expect(vote.locator(".results .summary")).to_contain_text(ONE_VOTE)
    expect(vote).to_contain_text("You voted: Agree")
    assert tab.page.evaluate("window.__stillTheSamePage === true"), "the vote reloaded the page"


def expect_vote_and_comment(tab) -> None:
    vote = tab.page.locator("#vote")
    expect(vote).to_contain_text("You voted: Agree")
    expect(vote.locator(".results .summary")).to_contain_text(ONE_VOTE)
    expect(vote.get_by_role("radio", name="Agree", exact=True)).to_be_checked()
    body = tab.page.locator("#comments .comment-body")
    expect(body).to_have_count(1)
    # The markup arrives as text: no <b> element, the characters shown as typed.
    assert body.text_content().replace("\r\n", "\n") == COMMENT
    expect(tab.page.locator("#comments .comment-body b")).to_have_count(0)
    # white-space: pre-line keeps the line break visible.
    assert body.inner_text().replace("\r\n", "\n") == COMMENT


def test_guest_joins_on_a_phone_votes_and_comments(open_tab, live_demo):
    tab = open_tab("phone", **PHONE)
    join_as_guest(tab, live_demo)
    open_first_item(tab)
    tab.check("item", sizes=(PHONE["viewport"], DESKTOP["viewport"]))

    vote_agree_in_place(tab)
    tab.check("item-voted")

    tab.page.evaluate("window.__stillTheSamePage = true")
    tab.page.get_by_label("Your comment").fill(COMMENT)
    tab.page.get_by_role("button", name="Post comment").click()
    expect(tab.page.locator("#comments .comment-body")).to_have_count(1)
    assert tab.page.evaluate("window.__stillTheSamePage === true"), "the comment reloaded the page"
    expect(tab.page.get_by_label("Your comment")).to_have_value("")
    expect_vote_and_comment(tab)
    tab.check("item-commented")

    tab.page.reload()
    expect_vote_and_comment(tab)
    tab.check("item-reloaded")

    tab.page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").click()
    first_row = tab.page.locator(".item-row").first
    expect(first_row).to_contain_text("Your vote: Agree")
    expect(first_row).to_contain_text(ONE_VOTE)
    expect(first_row).to_contain_text(re.compile(r"\b1 comment\b"))
    tab.check("consultation-after")


def test_moderator_sees_the_votes_on_the_overview(open_tab, live_server, live_demo):
    with live_server.app.app_context():
        consultation = get_consultation(live_demo.consultation_id)
        item = consultation.documents[0].items[0]
        for group in ("Industry", "Research and academia"):
            joined = participation.join(consultation, stakeholder_group=group, accept_privacy=True)
            participation.cast_vote(joined.participant, item, VoteValue.AGREE)
        ref = item.ref
        db.session.remove()

    tab = open_tab("desktop", **DESKTOP)
    tab.goto("/login")
    tab.check("login")
    tab.page.get_by_label("Email").fill(live_server.moderator_email)
    tab.page.get_by_label("Password").fill(live_server.moderator_password)
    tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.get_by_role("button", name="Log out")).to_be_visible()
    tab.check("after-login")

    tab.page.locator(f'a[href="/manage/{live_demo.consultation_id}"]').click()
    expect(tab.page.locator(".code.big")).to_have_text(live_demo.join_code)
    row = tab.page.locator(".results-table tbody tr").filter(
        has=tab.page.locator("td.ref", has_text=re.compile(rf"^{re.escape(ref)}$"))
    )
    expect(row.locator("td").nth(2)).to_have_text("2")
    expect(row.locator("td").nth(3)).to_have_text("100 %")
    tab.check("overview")


def test_guest_restores_their_vote_on_a_second_device(open_tab, live_demo):
    phone = open_tab("phone", **PHONE)
    return_code = join_as_guest(phone, live_demo)
    open_first_item(phone)
    vote_agree_in_place(phone)
    phone.check("item-voted")

    laptop = open_tab("laptop", **DESKTOP)
    laptop.goto(f"/items/{live_demo.first_item_id}")
    expect(laptop.page).to_have_url(re.compile(rf"/join/{live_demo.join_code}$"))
    laptop.check("join-form")
    laptop.page.get_by_role("link", name="Use your return code").click()
    laptop.check("return")
    laptop.page.get_by_label("Return code").fill(return_code.lower().replace("-", " "))
    laptop.page.get_by_role("button", name="Continue").click()
    expect(laptop.page.get_by_text("your votes and comments are here again")).to_be_visible()
    first_row = laptop.page.locator(".item-row").first
    expect(first_row).to_contain_text("Your vote: Agree")
    laptop.check("restored")

    first_row.get_by_role("link").click()
    expect(laptop.page.locator("#vote")).to_contain_text("You voted: Agree")
    expect(
        laptop.page.locator("#vote").get_by_role("radio", name="Agree", exact=True)
    ).to_be_checked()
    laptop.check("restored-item")
