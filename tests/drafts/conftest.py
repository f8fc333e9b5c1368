"""Fixtures for the draft editor: the demo's two documents and a moderator at the keyboard."""

from __future__ import annotations

import pytest

from cocreate.extensions import db
from tests.conftest import Browser


@pytest.fixture
def roadmap(demo):
    return demo.documents[0]


@pytest.fixture
def guideline(demo):
    return demo.documents[1]


@pytest.fixture
def editor(web, demo):
    """The demo's moderator, logged in."""
    web.login("mod@example.org")
    return web


@pytest.fixture
def co_editor(app, demo, other_moderator):
    """A second moderator of the demo, in a browser of their own."""
    demo.moderators.append(other_moderator)
    db.session.commit()
    browser = Browser(app.test_client())
    browser.login("other@example.org")
    return browser
