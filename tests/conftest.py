"""Fixtures: a fresh app and database per test, on SQLite and (when asked) PostgreSQL."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cocreate import create_app
from cocreate.accounts.models import Role
from cocreate.accounts.services import create_user
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db
from cocreate.participation import services as participation

DEMO_JSON = Path(__file__).parent.parent / "cocreate" / "demo" / "renewable-energy-draft.json"
POSTGRES_URL = os.environ.get("COCREATE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("COCREATE_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def test_config(backend: str, tmp_path: Path) -> dict:
    url = POSTGRES_URL if backend == "postgresql" else f"sqlite:///{tmp_path / 'test.db'}"
    return {
        "COCREATE_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "cocreate.test",
    }


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production.

    The fixture keeps an app context pushed for the test's own queries; without this,
    requests would share its ``g`` (a logged-in user, a CSRF token) across clients.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()  # the test's objects reload what the request changed
        return response


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path):
    app = create_app(test_config(request.param, tmp_path))
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(app):
    return create_user("admin@example.org", "admin-password-1", role=Role.ADMIN)


@pytest.fixture
def moderator(app):
    return create_user("mod@example.org", "moderator-password-1", role=Role.MODERATOR)


@pytest.fixture
def other_moderator(app):
    return create_user("other@example.org", "other-password-12", role=Role.MODERATOR)


PASSWORDS = {
    "admin@example.org": "admin-password-1",
    "mod@example.org": "moderator-password-1",
    "other@example.org": "other-password-12",
}


@pytest.fixture
def demo(app, moderator):
    """The demo consultation, open, moderated by ``moderator``."""
    return import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator])


@pytest.fixture
def first_item(demo):
    return demo.documents[0].items[0]


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "the page carries no CSRF token"
    return match.group(1)


class Browser:
    """The test client plus the CSRF token a real page would have given it."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        if response.mimetype == "text/html" and 'name="csrf_token"' in response.text:
            self.token = csrf_from(response.text)
        return response

    def post(self, url, data=None, *, htmx=False, **kwargs):
        if self.token is None:
            self.get("/")
        data = {"csrf_token": self.token, **(data or {})}
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(url, data=data, headers=headers, **kwargs)

    def login(self, email: str):
        self.get("/login")
        response = self.post("/login", {"email": email, "password": PASSWORDS[email]})
        assert response.status_code == 302, response.text
        return response

    def join(self, consultation, group="Industry", region="Europe", name=""):
        self.get(f"/join/{consultation.join_code}")
        return self.post(
            f"/join/{consultation.join_code}",
            {
                "stakeholder_group": group,
                "region": region,
                "display_name": name,
                "accept_privacy": "y",
            },
        )


@pytest.fixture
def web(client):
    return Browser(client)


@pytest.fixture
def guest(app, demo):
    """A participant who joined the demo through the page."""
    b = Browser(app.test_client())
    response = b.join(demo)
    assert response.status_code == 302
    return b


def join_as(consultation, group="Industry", region=None, name=""):
    """A participant joined through the service (for arranging votes in bulk)."""
    return participation.join(
        consultation, stakeholder_group=group, region=region, display_name=name, accept_privacy=True
    )


def row_count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def random_email() -> str:
    return f"user-{secrets.token_hex(4)}@example.org"


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block, from a cold session."""
    db.session.expire_all()
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
