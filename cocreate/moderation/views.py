"""Moderating comments: the queue, hiding with a reason, merging, muting, tags, answers, flags."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moderation", __name__)
