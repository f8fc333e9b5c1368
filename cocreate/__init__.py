"""cocreate: live multi-stakeholder consultations on draft roadmaps and good practices."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from config import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, then ``config`` overrides on top.

    This only wires things together: it never migrates, seeds or opens a socket.
    """
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    environ = dict(os.environ)
    if config and "COCREATE_ENV" in config:
        environ["COCREATE_ENV"] = config["COCREATE_ENV"]
    app.config.from_mapping(load_config(environ).as_dict())
    app.config.from_mapping(config or {})

    from cocreate import cli, database, errorpages, security, templating
    from cocreate.extensions import csrf, limiter, login_manager, migrate

    database.init_app(app)
    migrate.init_app(
        app, database.db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    # Deployments sharing one Redis keep apart: limits, like presence, under the channel name.
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["SOCKETIO_CHANNEL"])
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    errorpages.init_app(app)
    cli.init_app(app)
    register_blueprints(app)
    init_socketio(app)
    return app


def init_socketio(app: Flask) -> None:
    from cocreate.extensions import socketio
    from cocreate.live import broadcast
    from cocreate.live import events as _events  # noqa: F401  (registers the handlers)

    broadcast.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config["SOCKETIO_CHANNEL"],
        # None means the app's own origin only; a list adds proxies' public origins.
        cors_allowed_origins=app.config["SOCKETIO_ALLOWED_ORIGINS"] or None,
        max_http_buffer_size=64 * 1024,
        ping_interval=20,
        ping_timeout=20,
    )


def register_blueprints(app: Flask) -> None:
    from cocreate.accounts.views import bp as accounts_bp
    from cocreate.amendments.views import bp as amendments_bp
    from cocreate.api.views import bp as api_bp
    from cocreate.audit.views import bp as audit_bp
    from cocreate.consolidation.views import bp as consolidation_bp
    from cocreate.consultations.views import bp as consultations_bp
    from cocreate.drafts.views import bp as drafts_bp
    from cocreate.exports.views import bp as exports_bp
    from cocreate.extensions import csrf
    from cocreate.live.views import bp as live_bp
    from cocreate.moderation.views import bp as moderation_bp
    from cocreate.participation.views import bp as participation_bp
    from cocreate.privacy.views import bp as privacy_bp
    from cocreate.publication.views import bp as publication_bp

    app.register_blueprint(participation_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(drafts_bp)
    app.register_blueprint(live_bp)
    for blueprint in (
        moderation_bp,
        amendments_bp,
        consolidation_bp,
        publication_bp,
        audit_bp,
        exports_bp,
        privacy_bp,
    ):
        app.register_blueprint(blueprint)
    # The API authenticates with bearer tokens, never cookies, so CSRF cannot reach it.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
