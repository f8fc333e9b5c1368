"""Moderators write and rearrange the draft documents here."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("drafts", __name__, url_prefix="/manage")


@bp.get("/<int:consultation_id>/documents/new")
def new_document(consultation_id: int):
    raise NotImplementedError


@bp.get("/documents/<int:document_id>")
def edit_document(document_id: int):
    raise NotImplementedError
