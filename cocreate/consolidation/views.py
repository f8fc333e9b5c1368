"""The consolidation workspace: final texts beside the feedback, versions, dispositions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("consolidation", __name__)
