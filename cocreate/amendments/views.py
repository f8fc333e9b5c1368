"""Amendments: participants propose new wording and vote on it; moderators decide."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("amendments", __name__)
