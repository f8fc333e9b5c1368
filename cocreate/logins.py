"""Sending guests to the login page from moderator-only pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for
from flask_login import current_user

from cocreate.extensions import login_manager
from cocreate.templating import is_htmx


def send_guests_to_login():
    """A ``before_request`` hook: guests go to the login page, and come back afterwards.

    Under htmx the whole page goes (``HX-Redirect``): the login form inside a fragment of
    the page would make no sense.
    """
    if current_user.is_authenticated:
        return None
    if is_htmx():
        page = urlsplit(request.headers.get("HX-Current-URL", "")).path or request.path
        return "", 401, {"HX-Redirect": url_for("accounts.login", next=page)}
    return login_manager.unauthorized()
