"""Only the consultation's moderators (and administrators) reach consolidation."""

from __future__ import annotations

import pytest

from tests.conftest import Browser
from tests.consolidation.conftest import add_feedback, consolidate, consolidation_state


@pytest.fixture
def setting(demo, first_item):
    """An item with a saved text and comments, and the requests to try on it."""
    activity = add_feedback(demo, first_item, 3)
    consolidate(first_item, "Consolidated wording.")
    comment = activity.comments[1]
    pages = [
        f"/manage/{demo.id}/consolidation",
        f"/manage/items/{first_item.id}/consolidate",
        f"/manage/items/{first_item.id}/versions?from=0&to=1",
        f"/manage/{demo.id}/dispositions/form?comment={comment.id}",
    ]
    posts = [
        (
            f"/manage/items/{first_item.id}/consolidate",
            {"text": "Hijacked", "expected_version": "1"},
        ),
        (
            f"/manage/{demo.id}/dispositions",
            {"comment_ids": str(comment.id), "outcome": "taken_up", "rationale": "Hijacked"},
        ),
    ]
    return pages, posts


def test_guest_is_sent_to_the_login_page_and_nothing_changes(web, setting):
    pages, posts = setting
    before = consolidation_state()

    for url in pages:
        response = web.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
    for url, data in posts:
        assert web.post(url, data).status_code == 302, url
        htmx = web.post(url, data, htmx=True)
        assert htmx.status_code == 401, url
        assert htmx.headers["HX-Redirect"].startswith("/login?next="), url
    assert consolidation_state() == before


def test_participant_is_sent_to_the_login_page_and_nothing_changes(guest, setting):
    pages, posts = setting
    before = consolidation_state()

    for url in pages:
        assert guest.get(url).status_code == 302, url
    for url, data in posts:
        assert guest.post(url, data).status_code == 302, url
    assert consolidation_state() == before


def test_another_consultations_moderator_is_refused_and_nothing_changes(
    web, other_moderator, setting
):
    pages, posts = setting
    web.login("other@example.org")
    before = consolidation_state()

    for url in pages:
        assert web.get(url, headers={"HX-Request": "true"}).status_code == 403, url
        assert web.get(url).status_code == 403, url
    for url, data in posts:
        assert web.post(url, data).status_code == 403, url
        refused = web.post(url, data, htmx=True)
        assert refused.status_code == 403, url
        assert "Only this consultation&#39;s moderators may do that." in refused.text
    assert consolidation_state() == before


def test_an_administrator_may_consolidate_any_consultation(app, admin, first_item):
    browser = Browser(app.test_client())
    browser.login("admin@example.org")

    response = browser.post(
        f"/manage/items/{first_item.id}/consolidate",
        {"text": "By the admin", "expected_version": "0"},
    )

    assert response.status_code == 302
    assert consolidation_state([first_item.id])["items"][0][1] == "By the admin"


def test_a_post_without_csrf_token_is_refused(consolidator, first_item):
    before = consolidation_state()

    response = consolidator.client.post(
        f"/manage/items/{first_item.id}/consolidate",
        data={"text": "Forged", "expected_version": "0"},
    )

    assert response.status_code == 400
    assert consolidation_state() == before
