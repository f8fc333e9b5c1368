"""Data protection pages: a participant's own data, and the moderators' list of
participants with the erasure of one person's personal data."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cocreate.consultations.services import get_consultation
from cocreate.consultations.views import load_managed
from cocreate.db import utcnow
from cocreate.errors import DomainError
from cocreate.participation.views import require_participant
from cocreate.privacy import services
from cocreate.privacy.retention import erasure_due_at

bp = Blueprint("privacy", __name__)


@bp.get("/c/<int:consultation_id>/privacy")
def my_privacy(consultation_id: int):
    """What the consultation keeps about the participant, and the download of it."""
    consultation = get_consultation(consultation_id)
    participant = require_participant(consultation)
    data = services.contributions_export(participant)
    return render_template(
        "privacy/mine.html",
        consultation=consultation,
        participant=participant,
        data=data,
        due_at=erasure_due_at(consultation, utcnow()),
    )


@bp.get("/c/<int:consultation_id>/my-data")
def my_data(consultation_id: int):
    """The participant's own data as a JSON file (the data-protection right of access)."""
    consultation = get_consultation(consultation_id)
    participant = require_participant(consultation)
    return json_download(
        services.contributions_export(participant), f"cocreate-my-data-{consultation.id}.json"
    )


def json_download(data: dict, filename: str) -> Response:
    response = Response(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", mimetype="application/json"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Personal data: no shared cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/manage/<int:consultation_id>/participants")
@login_required
def participants(consultation_id: int):
    consultation = load_managed(consultation_id)
    search = request.args.get("q", "")[:80]
    page = services.participants_page(
        consultation, current_user, search=search, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "privacy/participants.html",
        consultation=consultation,
        page=page,
        search=search,
        due_at=erasure_due_at(consultation, utcnow()),
    )


@bp.post("/manage/<int:consultation_id>/participants/<int:participant_id>/erase")
@login_required
def erase(consultation_id: int, participant_id: int):
    consultation = load_managed(consultation_id)
    participant = services.get_participant(consultation, participant_id)
    try:
        services.erase_participant(participant, current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            _(
                "The personal data of participant %(number)d is erased. Their votes and "
                "comments stay in the results without a name; if a comment itself names "
                "someone, hide it in the moderation queue with the reason “personal data”.",
                number=participant.id,
            ),
            "success",
        )
    back = {
        k: v for k, v in (("q", request.args.get("q")), ("page", request.args.get("page"))) if v
    }
    return redirect(
        url_for(".participants", consultation_id=consultation.id, **back)
        + f"#participant-{participant.id}"
    )
