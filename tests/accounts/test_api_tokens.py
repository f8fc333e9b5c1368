"""Moderators' personal API tokens: created and revoked on the account page, shown once,
stored as a digest, and the key to the export API."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cocreate.accounts.models import ApiToken
from cocreate.accounts.tokens import MAX_ACTIVE_TOKENS, create_token, user_by_api_token
from cocreate.db import utcnow
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.extensions import db
from tests.api.conftest import ContractClient
from tests.conftest import DEMO_JSON, join_as, row_count


@pytest.fixture
def api(app, client):
    return ContractClient(app, client)


@pytest.fixture
def mod(web, moderator):
    web.login("mod@example.org")
    web.get("/account")
    return web


def tokens_state() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        sa.select(
            ApiToken.id, ApiToken.user_id, ApiToken.name, ApiToken.digest, ApiToken.revoked_at
        ).order_by(ApiToken.id)
    ).all()


def export(api, consultation_id: int, token: str | None = None, **query):
    """``GET /consultations/<id>/export`` with ``query``, the streamed file read at once."""
    response = api.get(f"/consultations/{consultation_id}/export", token=token, query_string=query)
    response.get_data()
    return response


def secret_on(page: str) -> str:
    start = page.index('id="new-token-secret"')
    value = page.index('value="', start) + len('value="')
    return page[value : page.index('"', value)]


# ---------------------------------------------------------------- the account page


def test_a_moderator_creates_a_token_and_sees_its_secret_once(mod, moderator):
    response = mod.post("/account/tokens", {"token-name": "Monthly report"})
    assert response.status_code == 200
    secret = secret_on(response.text)
    assert secret.startswith("cct_") and len(secret) > 40
    assert "it is shown only this once" in response.text
    token = db.session.scalars(sa.select(ApiToken)).one()
    assert (token.user_id, token.name) == (moderator.id, "Monthly report")
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    again = mod.get("/account")
    assert "Monthly report" in again.text
    assert secret not in again.text and "new-token-secret" not in again.text


def test_only_the_digest_is_stored(app, moderator):
    token, secret = create_token(moderator, "script")
    stored = [str(value) for row in tokens_state() for value in row]
    assert secret not in stored and secret[4:] not in stored
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "This field is required."), ("   ", "This field is required."), ("x" * 81, "")],
)
def test_a_token_needs_a_short_name_and_nothing_is_created(mod, name, message):
    response = mod.post("/account/tokens", {"token-name": name})
    assert response.status_code == 422
    assert message in response.text
    assert "new-token-secret" not in response.text
    assert row_count(ApiToken) == 0


def test_there_is_a_limit_of_active_tokens(mod, moderator):
    for n in range(MAX_ACTIVE_TOKENS):
        create_token(moderator, f"script {n}")
    before = tokens_state()
    response = mod.post("/account/tokens", {"token-name": "one too many"})
    assert response.status_code == 422
    assert "revoke one you no longer use first" in response.text
    assert tokens_state() == before


def test_revoking_a_token_stops_it_at_once(mod, moderator, demo, api):
    token, secret = create_token(moderator, "script")
    response = mod.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    page = mod.get("/account").text
    assert "The token “script” is revoked: it no longer works." in page
    db.session.refresh(token)
    assert token.revoked_at is not None
    refused = export(api, demo.id, secret, format="json")
    assert refused.status_code == 401
    assert (
        refused.get_json()["error"]["message"] == "This API token is not valid, or it was revoked."
    )


def test_nobody_revokes_another_accounts_token(web, moderator, other_moderator):
    token, _secret = create_token(moderator, "script")
    web.login("other@example.org")
    web.get("/account")
    before = tokens_state()
    assert web.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert tokens_state() == before


def test_the_token_routes_need_a_login(client, moderator):
    token, _secret = create_token(moderator, "script")
    before = tokens_state()
    for url in ("/account/tokens", f"/account/tokens/{token.id}/revoke"):
        response = client.post(url, data={"token-name": "x"})
        assert response.status_code in (302, 400)  # to the login page, or no CSRF token
    assert tokens_state() == before


def test_each_moderator_sees_only_their_own_tokens(web, moderator, other_moderator):
    create_token(moderator, "mine")
    create_token(other_moderator, "theirs")
    web.login("other@example.org")
    page = web.get("/account").text
    assert "theirs" in page and "mine" not in page


# ---------------------------------------------------------------- using a token


def test_last_use_is_noted_at_most_once_a_minute(app, moderator):
    token, secret = create_token(moderator, "script")
    first = utcnow()
    assert user_by_api_token(secret, now=first) == moderator
    assert token.last_used_at == first
    user_by_api_token(secret, now=first + timedelta(seconds=30))
    db.session.refresh(token)
    assert token.last_used_at == first
    user_by_api_token(secret, now=first + timedelta(seconds=61))
    db.session.refresh(token)
    assert token.last_used_at == first + timedelta(seconds=61)


def test_a_deactivated_accounts_token_no_longer_works(api, demo, moderator):
    _token, secret = create_token(moderator, "script")
    moderator.active = False
    db.session.commit()
    assert export(api, demo.id, secret, format="json").status_code == 401


def test_the_export_streams_a_csv_zip_for_a_moderators_token(api, demo, moderator):
    join_as(demo, name="Ana")
    _token, secret = create_token(moderator, "script")
    response = export(api, demo.id, secret, format="csv")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="cocreate-{demo.id}-'
    )
    assert response.headers["Cache-Control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        names = archive.namelist()
        assert names and all(name.endswith(".csv") for name in names)
        items = next(name for name in names if "items" in name)
        rows = list(csv.reader(io.StringIO(archive.read(items).decode("utf-8-sig"))))
    refs = {item.ref for document in demo.documents for item in document.items}
    assert refs <= {cell for row in rows for cell in row}


def test_the_export_takes_the_shared_or_full_mode_and_filters(api, demo, moderator):
    _token, secret = create_token(moderator, "script")
    join_as(demo, "Industry", name="Ana Fullname")
    shared = export(api, demo.id, secret, format="json")
    full = export(api, demo.id, secret, format="json", mode="full")
    assert shared.status_code == full.status_code == 200
    assert "Ana Fullname" not in shared.get_data(as_text=True)
    assert "Ana Fullname" in full.get_data(as_text=True)
    filtered = export(api, demo.id, secret, format="json", group="Industry")
    assert filtered.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"format": "docx"},
        {"format": "csv", "mode": "everything"},
        {"format": "csv", "group": "Nobody"},
        {"format": "csv", "event": "12345"},
    ],
)
def test_the_export_refuses_unknown_choices(api, demo, moderator, query):
    _token, secret = create_token(moderator, "script")
    response = export(api, demo.id, secret, **query)
    assert response.status_code == 422


def test_another_moderators_consultation_is_forbidden_even_with_a_valid_token(
    api, demo, other_moderator
):
    _token, secret = create_token(other_moderator, "script")
    response = export(api, demo.id, secret, format="csv")
    assert response.status_code == 403


def test_an_unknown_consultation_is_not_found(api, moderator):
    _token, secret = create_token(moderator, "script")
    assert export(api, 999, secret, format="csv").status_code == 404


def test_a_participant_token_is_refused_on_the_export(api, demo):
    joined = join_as(demo)
    response = export(api, demo.id, joined.token, format="csv")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="cocreate"'
    assert "moderator's API token" in response.get_json()["error"]["message"]


def test_a_moderators_token_is_refused_where_participants_call(api, demo, moderator, first_item):
    _token, secret = create_token(moderator, "script")
    for path in (
        "/me",
        "/me/data",
        f"/consultations/{demo.id}",
        f"/items/{first_item.id}/comments",
    ):
        response = api.get(path, token=secret)
        assert response.status_code == 401, path
        assert "moderator's API token" in response.get_json()["error"]["message"]


def test_a_logged_in_browser_without_a_token_cannot_export(api, web, demo, moderator):
    web.login("mod@example.org")  # the cookie rides along, and counts for nothing here
    response = export(api, demo.id, format="csv")
    assert response.status_code == 401


def test_an_administrator_token_exports_every_consultation(api, admin):
    elsewhere = import_draft(parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name))
    _token, secret = create_token(admin, "backup")
    response = export(api, elsewhere.id, secret, format="json", mode="full")
    assert response.status_code == 200
