"""Publishing the final version, the public page, and "you said, we did" for participants."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("publication", __name__)
