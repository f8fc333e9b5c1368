"""`flask db upgrade` on an empty database builds exactly the schema the models describe."""

from __future__ import annotations

import logging
import os
import secrets

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from cocreate import create_app
from cocreate.extensions import db

POSTGRES_URL = os.environ.get("COCREATE_TEST_DATABASE_URL")


@pytest.fixture
def preserved_logging():
    """migrations/env.py runs logging.config.fileConfig, which disables every logger it does
    not name; put the logging setup back so later tests still see their log records."""
    manager = logging.root.manager
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    saved = {
        name: (logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for name, logger in list(manager.loggerDict.items()):
        if not isinstance(logger, logging.Logger):
            continue
        if name in saved:
            logger.disabled, level, handlers, logger.propagate = saved[name]
            logger.setLevel(level)
            logger.handlers[:] = handlers
        else:
            logger.disabled = False


def upgrade_and_compare(app) -> list:
    """Run every migration, then return what autogenerate would still change."""
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)


def test_upgrade_builds_the_model_schema_on_sqlite(tmp_path, preserved_logging):
    app = create_app(
        {
            "COCREATE_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.db'}",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    try:
        assert upgrade_and_compare(app) == []
        with app.app_context():
            tables = set(sa.inspect(db.engine).get_table_names())
            assert set(db.metadata.tables) <= tables
            assert "alembic_version" in tables
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="set COCREATE_TEST_DATABASE_URL=postgresql+psycopg://... to check migrations there",
)
def test_upgrade_builds_the_model_schema_on_postgresql(preserved_logging):
    # A schema of this test's own: the tables other tests create and drop in the same
    # database never meet the migrated ones, and dropping the schema leaves nothing behind.
    schema = f"migrations_{secrets.token_hex(4)}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    app = create_app(
        {
            "COCREATE_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": True,
                "connect_args": {"options": f"-csearch_path={schema}"},
            },
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    try:
        assert upgrade_and_compare(app) == []
        with app.app_context():
            tables = set(sa.inspect(db.engine).get_table_names(schema=schema))
            assert set(db.metadata.tables) | {"alembic_version"} == tables
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
