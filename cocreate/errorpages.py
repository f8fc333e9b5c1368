"""Errors answered as a page for people and as JSON for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from cocreate.errors import DomainError


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(code: str, message: str, status: int):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


HTTP_MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You may not do that."),
    404: lambda: _("There is nothing at this address."),
    405: lambda: _("This address does not accept that kind of request."),
    413: lambda: _("What you sent is too large."),
    429: lambda: _("Too many attempts in a short time. Wait a minute and try again."),
}
HTTP_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
}


def handle_http_error(error: HTTPException):
    status = error.code or 500
    message = HTTP_MESSAGES.get(status, lambda: error.description)()
    if wants_json():
        return json_error(HTTP_CODES.get(status, "error"), message, status)
    return render_template("errors/error.html", status=status, message=message), status


def handle_csrf_error(error: CSRFError):
    message = _(
        "This form has expired or did not come from this site. Reload the page and try again."
    )
    if wants_json():
        return json_error("csrf", message, 400)
    return render_template("errors/error.html", status=400, message=message), 400


def handle_domain_error(error: DomainError):
    """A domain error that a view did not turn into a form message."""
    if wants_json():
        return json_error(error.code, error.message, error.status)
    return render_template(
        "errors/error.html", status=error.status, message=error.message
    ), error.status


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DomainError, handle_domain_error)
