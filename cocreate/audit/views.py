"""The audit log of moderator actions, for a consultation's moderators."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__)
