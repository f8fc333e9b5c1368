"""What every template can use, and the htmx conventions every response follows."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import Flask, Response, has_request_context, request
from flask_babel import format_datetime

from cocreate.extensions import babel

SUPPORTED_LOCALES = ["en"]


def select_locale() -> str | None:
    if not has_request_context():  # CLI commands speak the default language
        return None
    return request.accept_languages.best_match(SUPPORTED_LOCALES)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def vary_on_htmx(response: Response) -> Response:
    # The same URL answers with a page or a fragment, so caches must keep both apart.
    response.vary.add("HX-Request")
    return response


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(16)


def isoformat(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(vary_on_htmx)
    app.jinja_env.globals.update(is_htmx=is_htmx, new_idempotency_key=new_idempotency_key)
    app.jinja_env.filters.update(isoformat=isoformat, datetime=format_datetime)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
