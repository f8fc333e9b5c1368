"""Publishing the final version, the public page, and "you said, we did" for participants."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from cocreate.consolidation.diffing import is_changed, readable_diff
from cocreate.consolidation.forms import OUTCOME_LABELS
from cocreate.consultations.models import Consultation, Status
from cocreate.consultations.services import get_consultation
from cocreate.consultations.views import load_managed
from cocreate.errors import DomainError
from cocreate.forms import attach_error
from cocreate.moderation.forms import HIDE_REASON_LABELS
from cocreate.participation.views import require_participant
from cocreate.publication import services
from cocreate.publication.forms import CorrectionForm, PublishForm

bp = Blueprint("publication", __name__)

# Labels keyed by the values the snapshot stores, so old snapshots read the same way.
OUTCOMES = {outcome.value: label for outcome, label in OUTCOME_LABELS.items()}
HIDDEN_KINDS = {
    **{reason.value: label for reason, label in HIDE_REASON_LABELS.items()},
    services.NOT_APPROVED: _l("Not approved (pre-moderation)"),
}
AMENDMENT_STATUSES = {
    "proposed": _l("Proposed, not decided yet"),
    "accepted": _l("Accepted as the consolidated text"),
    "merged": _l("Worked into the consolidated text"),
    "rejected": _l("Not taken up"),
}


def labels() -> dict:
    return {
        "outcome_labels": OUTCOMES,
        "hidden_labels": HIDDEN_KINDS,
        "amendment_labels": AMENDMENT_STATUSES,
    }


# ---------------------------------------------------------------- moderators


@bp.route("/manage/<int:consultation_id>/publish", methods=["GET", "POST"])
@login_required
def publish(consultation_id: int):
    """Publish the final version: refused until closed; unconsolidated items need a tick."""
    consultation = load_managed(consultation_id)
    if consultation.status is Status.PUBLISHED:
        return render_publish_page(consultation)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            publication = services.publish(
                consultation,
                current_user,
                note=form.note.data or "",
                confirm_unconsolidated=form.confirm_unconsolidated.data,
            )
        except DomainError as error:
            attach_error(form, error)
            return render_publish_page(consultation, publish_form=form), error.status
        flash(
            _("Published: revision %(revision)d is public now.", revision=publication.revision),
            "success",
        )
        return redirect(url_for(".public_page", consultation_id=consultation.id))
    return render_publish_page(consultation, publish_form=form), 422 if form.errors else 200


@bp.post("/manage/<int:consultation_id>/publish/correction")
@login_required
def correct(consultation_id: int):
    consultation = load_managed(consultation_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            publication = services.publish_correction(
                consultation, current_user, form.note.data or ""
            )
        except DomainError as error:
            attach_error(form, error)
            return render_publish_page(consultation, correction_form=form), error.status
        flash(
            _(
                "Correction published as revision %(revision)d.",
                revision=publication.revision,
            ),
            "success",
        )
        return redirect(url_for(".public_page", consultation_id=consultation.id))
    return render_publish_page(consultation, correction_form=form), 422


def render_publish_page(
    consultation: Consultation,
    *,
    publish_form: PublishForm | None = None,
    correction_form: CorrectionForm | None = None,
):
    published = consultation.status is Status.PUBLISHED
    return render_template(
        "publication/publish.html",
        consultation=consultation,
        status=consultation.current_status,
        Status=Status,
        history=services.revision_history(consultation.id),
        unconsolidated=[] if published else services.unconsolidated_items(consultation),
        pending_changes=services.pending_changes(consultation, current_user) if published else None,
        publish_form=publish_form or PublishForm(formdata=None),
        correction_form=correction_form or CorrectionForm(formdata=None),
    )


# ---------------------------------------------------------------- the public


@bp.get("/final/<int:consultation_id>")
def public_page(consultation_id: int):
    """The published final version, read-only, for anyone; ``?revision=N`` for an older one."""
    consultation = get_consultation(consultation_id)
    publication = services.get_publication(consultation.id, request.args.get("revision", type=int))
    history = services.revision_history(consultation.id)
    snapshot = publication.snapshot
    diffs = {}
    for item in services.snapshot_items(snapshot):
        pieces = readable_diff(item["draft_text"], item["final_text"])
        diffs[item["id"]] = pieces if is_changed(pieces) else None
    return render_template(
        "publication/public.html",
        consultation=consultation,
        publication=publication,
        snapshot=snapshot,
        history=history,
        latest_revision=history[0].revision,
        diffs=diffs,
        **labels(),
    )


# ---------------------------------------------------------------- participants


@bp.get("/c/<int:consultation_id>/mine")
def my_contributions(consultation_id: int):
    """You said, we did: the participant's own comments and amendments, and their fate."""
    consultation = get_consultation(consultation_id)
    participant = require_participant(consultation)
    return render_template(
        "publication/mine.html",
        consultation=consultation,
        participant=participant,
        contributions=services.contributions_of(participant),
        **labels(),
    )
