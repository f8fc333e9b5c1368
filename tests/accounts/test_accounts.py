import os
import re
import subprocess
import sys

import sqlalchemy as sa

from cocreate.accounts.models import Role, User
from cocreate.accounts.services import user_by_email
from cocreate.extensions import db
from tests.conftest import Browser, row_count


def test_moderator_logs_in_and_out(app, moderator, web):
    response = web.login("mod@example.org")
    assert response.headers["Location"].endswith("/manage/")
    assert web.get("/manage/").status_code == 200
    web.post("/logout")
    assert web.get("/manage/").status_code == 302


def test_wrong_password_is_refused_with_a_message(app, moderator, web):
    web.get("/login")
    response = web.post("/login", {"email": "mod@example.org", "password": "wrong-password"})
    assert response.status_code == 401
    assert "email address or password is not right" in response.text


def test_login_attempts_are_rate_limited(app, moderator, web):
    app.config["LOGIN_RATE_LIMIT"] = "3/minute"
    web.get("/login")
    for _ in range(3):
        web.post("/login", {"email": "mod@example.org", "password": "nope-nope-nope"})
    response = web.post("/login", {"email": "mod@example.org", "password": "moderator-password-1"})
    assert response.status_code == 429


def test_passwords_are_stored_hashed_with_scrypt(app, moderator):
    assert moderator.password_hash.startswith("scrypt:")
    assert "moderator-password-1" not in moderator.password_hash


def test_login_does_not_redirect_to_another_site(app, moderator, web):
    web.get("/login")
    response = web.post(
        "/login?next=//evil.example/x",
        {"email": "mod@example.org", "password": "moderator-password-1"},
    )
    assert response.headers["Location"].endswith("/manage/")


def test_admin_invites_a_moderator_who_can_then_log_in(app, admin, web):
    web.login("admin@example.org")
    page = web.post("/admin/accounts", {"email": "New.Person@Example.org", "display_name": "Ana"})
    assert page.status_code == 200
    password = re.search(r'<p class="code">([^<]+)</p>', page.text).group(1)
    assert user_by_email("new.person@example.org").role is Role.MODERATOR
    newcomer = Browser(app.test_client())
    newcomer.get("/login")
    response = newcomer.post("/login", {"email": "new.person@example.org", "password": password})
    assert response.status_code == 302


def test_admin_resets_a_moderators_password(app, admin, moderator, web):
    web.login("admin@example.org")
    page = web.post(f"/admin/accounts/{moderator.id}/reset-password")
    password = re.search(r'<p class="code">([^<]+)</p>', page.text).group(1)
    db.session.refresh(moderator)
    assert moderator.check_password(password)
    assert not moderator.check_password("moderator-password-1")


def test_moderator_cannot_manage_accounts(app, moderator, admin, web):
    web.login("mod@example.org")
    assert web.get("/admin/accounts").status_code == 403
    response = web.post(f"/admin/accounts/{admin.id}/reset-password")
    assert response.status_code == 403
    db.session.refresh(admin)
    assert admin.check_password("admin-password-1")
    assert web.post("/admin/accounts", {"email": "x@example.org"}).status_code == 403
    assert row_count(User) == 2


def test_invite_with_a_bad_or_taken_address_is_refused(app, admin, moderator, web):
    web.login("admin@example.org")
    taken = web.post("/admin/accounts", {"email": "mod@example.org"})
    assert taken.status_code == 422 and "already exists" in taken.text
    assert row_count(User) == 2


def test_moderator_changes_own_password(app, moderator, web):
    web.login("mod@example.org")
    web.get("/account")
    wrong = web.post(
        "/account",
        {"current_password": "nope", "new_password": "a-new-password", "confirm": "a-new-password"},
    )
    assert "current password is not right" in wrong.text
    ok = web.post(
        "/account",
        {
            "current_password": "moderator-password-1",
            "new_password": "a-new-password",
            "confirm": "a-new-password",
        },
    )
    assert ok.status_code == 302
    db.session.refresh(moderator)
    assert moderator.check_password("a-new-password")


def test_create_admin_command_reads_the_password_from_the_environment(app):
    runner = app.test_cli_runner()
    env = {"COCREATE_ADMIN_PASSWORD": "a-long-admin-password"}
    result = runner.invoke(args=["create-admin", "Boss@Example.org"], env=env)
    assert result.exit_code == 0, result.output
    user = db.session.scalars(sa.select(User)).one()
    assert user.email == "boss@example.org" and user.is_admin
    assert user.check_password("a-long-admin-password")


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "boss@example.org"], env={"COCREATE_ADMIN_PASSWORD": "short"}
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert row_count(User) == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env |= {"COCREATE_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = subprocess.run(
        [sys.executable, "-c", "from cocreate import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "needs a SECRET_KEY" in result.stderr
