"""Binds the database: SQLite in WAL mode by default, PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask

# Importing the models registers every table on the metadata that migrations compare.
from cocreate.accounts import models as _accounts  # noqa: F401
from cocreate.amendments import models as _amendments  # noqa: F401
from cocreate.audit import models as _audit  # noqa: F401
from cocreate.consolidation import models as _consolidation  # noqa: F401
from cocreate.consultations import models as _consultations  # noqa: F401
from cocreate.drafts import models as _drafts  # noqa: F401
from cocreate.extensions import db
from cocreate.live import models as _live  # noqa: F401
from cocreate.moderation import models as _moderation  # noqa: F401
from cocreate.participation import models as _participation  # noqa: F401
from cocreate.publication import models as _publication  # noqa: F401


def configure_sqlite(dbapi_connection, connection_record) -> None:
    # WAL lets readers go on while one writer commits; SQLite leaves foreign keys off.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged vote survives a power cut too, not only a process crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def init_app(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        Path(app.instance_path).mkdir(exist_ok=True)
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", configure_sqlite)


__all__ = ["db", "init_app"]
