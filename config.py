"""Settings for cocreate, read from environment variables.

``COCREATE_ENV`` (development, testing or production) picks the class; the other
variables fill it in. Nothing here is a secret: keys come from the environment, or in
development from a file under ``instance/`` that is made once and never committed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent / "instance"


class ConfigError(RuntimeError):
    """The environment cannot give a safe configuration."""


class Config:
    ENV_NAME = "base"
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'cocreate.db'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SECRET_KEY: str | None = None
    REDIS_URL: str | None = None
    # A whole venue may sit behind one address, so joining is generous; wrong codes are not.
    JOIN_RATE_LIMIT = "600/minute"
    WRONG_JOIN_CODE_RATE_LIMIT = "20/minute"
    LOGIN_RATE_LIMIT = "10/minute"
    PARTICIPATION_RATE_LIMIT = "120/minute"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 180  # a participant comes back for months
    # Socket.IO: threading for the one-process development server; production runs gevent.
    SOCKETIO_ASYNC_MODE = "threading"
    SOCKETIO_CHANNEL = "cocreate"
    # Origins allowed to open a socket besides the app's own; none by default.
    SOCKETIO_ALLOWED_ORIGINS: list[str] = []
    # Tally updates are coalesced: at most one per item in this many seconds.
    LIVE_TALLY_INTERVAL = 0.05
    LIVE_PRESENCE_INTERVAL = 0.5
    # Pushes are sent by a background task, never by the request that caused them.
    LIVE_PUSH_INLINE = False
    # The printed report lists at most this many comments, replies and proposals, then
    # summarises (see cocreate/exports/annex.py); the spreadsheet and CSV list every one.
    REPORT_ANNEX_LIMIT = 1000
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    def __init__(self, environ: Mapping[str, str]) -> None:
        if url := environ.get("DATABASE_URL"):
            self.SQLALCHEMY_DATABASE_URI = normalise_database_url(url)
        self.REDIS_URL = environ.get("REDIS_URL") or None
        self.SECRET_KEY = environ.get("SECRET_KEY") or None
        if mode := environ.get("COCREATE_ASYNC_MODE"):
            self.SOCKETIO_ASYNC_MODE = mode
        if channel := environ.get("COCREATE_SOCKETIO_CHANNEL"):
            self.SOCKETIO_CHANNEL = channel
        if origins := environ.get("COCREATE_ALLOWED_ORIGINS"):
            self.SOCKETIO_ALLOWED_ORIGINS = [o.strip() for o in origins.split(",") if o.strip()]
        for name in ("JOIN_RATE_LIMIT", "WRONG_JOIN_CODE_RATE_LIMIT", "LOGIN_RATE_LIMIT"):
            if value := environ.get(f"COCREATE_{name}"):
                setattr(self, name, value)

    def as_dict(self) -> dict:
        names = {n for cls in type(self).__mro__ for n in vars(cls) if n.isupper()}
        names |= {n for n in vars(self) if n.isupper()}
        return {name: getattr(self, name) for name in names}


class DevelopmentConfig(Config):
    ENV_NAME = "development"

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(environ)
        if not self.SECRET_KEY:
            self.SECRET_KEY = instance_secret_key()


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    # Tests read pushes right after the request; the background flusher is tested apart.
    LIVE_PUSH_INLINE = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # scrypt at a thousandth of the default cost: hashing stays real but takes 3 ms, not 180.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105 (a method, not a password)

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(environ)
        # Each test app gets a key of its own: nothing to leak, nothing to hard-code.
        self.SECRET_KEY = secrets.token_hex(32)
        self.SQLALCHEMY_DATABASE_URI = TestingConfig.SQLALCHEMY_DATABASE_URI


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(environ)
        if not self.SECRET_KEY or len(self.SECRET_KEY) < 32:
            raise ConfigError(
                "COCREATE_ENV=production needs a SECRET_KEY of at least 32 characters of its "
                'own; generate one with: python -c "import secrets; print(secrets.token_hex(32))"'
            )


CONFIG_CLASSES: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build the settings that ``COCREATE_ENV`` asks for (development by default)."""
    environ = os.environ if environ is None else environ
    name = environ.get("COCREATE_ENV", "development")
    try:
        config_class = CONFIG_CLASSES[name]
    except KeyError:
        choices = ", ".join(CONFIG_CLASSES)
        raise ConfigError(f"COCREATE_ENV={name!r} is unknown; use one of {choices}") from None
    return config_class(environ)


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` spellings hosts hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def instance_secret_key() -> str:
    """The development key: made once under instance/, then reused across restarts."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
