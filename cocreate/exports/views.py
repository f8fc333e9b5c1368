"""Downloading a consultation's results: spreadsheets, CSV, JSON and the report."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__)
