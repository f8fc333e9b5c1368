"""Settings come from the environment, secrets never from the repository, headers lock down."""

from __future__ import annotations

import stat

import pytest

import config
from cocreate import create_app
from config import ConfigError, load_config, normalise_database_url

STRONG_KEY = "k" * 64


@pytest.fixture
def instance_dir(tmp_path, monkeypatch):
    path = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_DIR", path)
    return path


@pytest.mark.parametrize("environ", [{}, {"SECRET_KEY": ""}, {"SECRET_KEY": "too-short"}])
def test_production_refuses_to_start_without_a_strong_secret_key(environ):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"COCREATE_ENV": "production", **environ})


def test_create_app_in_production_refuses_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"COCREATE_ENV": "production"})


def test_production_takes_its_key_from_the_environment():
    settings = load_config({"COCREATE_ENV": "production", "SECRET_KEY": STRONG_KEY})
    assert settings.SECRET_KEY == STRONG_KEY
    assert settings.SESSION_COOKIE_SECURE is True


def test_development_makes_a_key_once_under_instance_and_reuses_it(instance_dir):
    first = load_config({"COCREATE_ENV": "development"}).SECRET_KEY
    key_file = instance_dir / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_config({"COCREATE_ENV": "development"}).SECRET_KEY == first


def test_development_prefers_a_key_from_the_environment(instance_dir):
    settings = load_config({"COCREATE_ENV": "development", "SECRET_KEY": STRONG_KEY})
    assert settings.SECRET_KEY == STRONG_KEY
    assert not (instance_dir / "secret_key").exists()


def test_each_testing_config_gets_a_random_key_of_its_own():
    keys = {load_config({"COCREATE_ENV": "testing"}).SECRET_KEY for _ in range(3)}
    assert len(keys) == 3
    assert all(len(key) >= 32 for key in keys)


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="staging"):
        load_config({"COCREATE_ENV": "staging"})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg://u:p@db.example:5432/app"),
        ("postgresql://u@db.example/app", "postgresql+psycopg://u@db.example/app"),
        ("postgresql+psycopg://u@db.example/app", "postgresql+psycopg://u@db.example/app"),
        ("sqlite:////srv/cocreate.db", "sqlite:////srv/cocreate.db"),
    ],
)
def test_database_url_spellings_are_normalised_for_psycopg(url, expected):
    assert normalise_database_url(url) == expected


def test_database_url_from_the_environment_reaches_sqlalchemy():
    settings = load_config(
        {
            "COCREATE_ENV": "production",
            "SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": "postgres://cocreate@db.example/cocreate",
        }
    )
    assert settings.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://cocreate@db.example/cocreate"


@pytest.mark.parametrize("path", ["/", "/join", "/no-such-page"])
def test_pages_carry_the_security_headers(client, path):
    response = client.get(path)
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }


def test_responses_vary_on_hx_request(client):
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/join", headers=headers)
        assert "HX-Request" in response.vary


def test_outside_tests_passwords_get_the_full_scrypt_cost(instance_dir, tmp_path):
    from cocreate.accounts.models import User

    app = create_app(
        {"COCREATE_ENV": "development", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.db'}"}
    )
    with app.app_context():
        user = User(email="someone@example.org")
        user.set_password("a long enough password")
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert user.check_password("a long enough password")
