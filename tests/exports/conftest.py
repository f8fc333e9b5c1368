"""Fixtures the export tests share."""

from __future__ import annotations

import pytest

from tests.exports.test_exports_tabular import Feedback, arrange_feedback


@pytest.fixture
def feedback(demo, moderator, first_item) -> Feedback:
    """The demo with feedback of every kind on its first item (see ``arrange_feedback``)."""
    return arrange_feedback(demo, moderator, first_item)


@pytest.fixture
def exporter(web, demo):
    """The test client, logged in as the demo's moderator."""
    web.login("mod@example.org")
    return web
