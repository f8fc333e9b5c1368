"""Moderators prepare and steer their consultations here."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cocreate.authz import require_moderator
from cocreate.consultations import services
from cocreate.consultations.forms import (
    AddModeratorForm,
    ImportForm,
    NewConsultationForm,
    SettingsForm,
)
from cocreate.consultations.models import Consultation, Status
from cocreate.drafts.importing import MAX_FILE_BYTES, DraftFormatError, parse_draft
from cocreate.drafts.services import documents_with_items, import_draft
from cocreate.errors import DomainError, InvalidInput
from cocreate.forms import attach_error
from cocreate.live import notify
from cocreate.participation.forms import VOTE_LABELS
from cocreate.participation.results import tally_items
from cocreate.participation.services import comment_counts

bp = Blueprint("consultations", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def require_login():
    """Every page here is for moderators; guests are sent to the login page."""


def load_managed(consultation_id: int) -> Consultation:
    consultation = services.get_consultation(consultation_id)
    require_moderator(current_user, consultation)
    return consultation


@bp.get("/")
def dashboard():
    return render_template(
        "consultations/dashboard.html",
        consultations=services.moderated_by(current_user),
        new_form=NewConsultationForm(formdata=None),
        import_form=ImportForm(formdata=None),
    )


@bp.post("/new")
def create():
    form = NewConsultationForm()
    if form.validate_on_submit():
        consultation = services.create_consultation(
            current_user,
            title=form.title.data.strip(),
            summary=(form.summary.data or "").strip(),
            language=form.language.data.strip(),
        )
        flash(_("Consultation created. Add a roadmap or a guideline next."), "success")
        return redirect(url_for(".overview", consultation_id=consultation.id))
    return render_template(
        "consultations/dashboard.html",
        consultations=services.moderated_by(current_user),
        new_form=form,
        import_form=ImportForm(formdata=None),
    ), 422


@bp.post("/import")
def import_file():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_FILE_BYTES + 1)
        try:
            spec = parse_draft(data, upload.filename or "")
        except DraftFormatError as error:
            form.file.errors = [
                _("%(name)s was not imported; nothing was changed:", name=upload.filename),
                *error.problems[:50],
            ]
        else:
            consultation = import_draft(spec, moderators=[current_user])
            flash(
                _(
                    "Imported “%(title)s”. It is open: participants can join with %(code)s.",
                    title=consultation.title,
                    code=consultation.join_code,
                ),
                "success",
            )
            return redirect(url_for(".overview", consultation_id=consultation.id))
    return render_template(
        "consultations/dashboard.html",
        consultations=services.moderated_by(current_user),
        new_form=NewConsultationForm(formdata=None),
        import_form=form,
    ), 422


@bp.get("/<int:consultation_id>")
def overview(consultation_id: int):
    consultation = load_managed(consultation_id)
    documents = documents_with_items(consultation)
    item_ids = [item.id for document in documents for item in document.items]
    return render_template(
        "consultations/overview.html",
        consultation=consultation,
        documents=documents,
        results=tally_items(consultation, item_ids, moderator=True),
        comment_counts=comment_counts(consultation, item_ids),
        moderator_form=AddModeratorForm(formdata=None),
        vote_labels=VOTE_LABELS,
        Status=Status,
    )


@bp.route("/<int:consultation_id>/settings", methods=["GET", "POST"])
def settings(consultation_id: int):
    consultation = load_managed(consultation_id)
    form = SettingsForm(data=settings_of(consultation))
    if form.validate_on_submit():
        try:
            services.update_settings(
                consultation,
                current_user,
                title=form.title.data.strip(),
                summary=(form.summary.data or "").strip(),
                language=form.language.data.strip(),
                closes_at=form.closes_at.data.replace(tzinfo=UTC) if form.closes_at.data else None,
                privacy_notice=(form.privacy_notice.data or "").strip(),
                stakeholder_groups=(form.stakeholder_groups.data or "").splitlines(),
                regions=(form.regions.data or "").splitlines(),
                results_visibility=form.results_visibility.data,
                premoderation=form.premoderation.data,
                review_words=form.review_words.data or "",
                retention_days=form.retention_days.data,
            )
        except InvalidInput as error:
            attach_error(form, error)
        else:
            # Results visibility, groups or the closing time may have changed: screens resync.
            notify.settings_changed(consultation.id)
            flash(_("Settings saved."), "success")
            return redirect(url_for(".overview", consultation_id=consultation.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "consultations/settings.html", consultation=consultation, form=form
    ), status


def settings_of(consultation: Consultation) -> dict:
    """The current settings as the form shows them (lists as one name per line)."""
    return {
        "title": consultation.title,
        "summary": consultation.summary,
        "language": consultation.language,
        "closes_at": consultation.closes_at,
        "privacy_notice": consultation.privacy_notice,
        "stakeholder_groups": "\n".join(g.name for g in consultation.stakeholder_groups),
        "regions": "\n".join(r.name for r in consultation.regions),
        "results_visibility": consultation.results_visibility.value,
        "premoderation": consultation.premoderation,
        "review_words": consultation.review_words,
        "retention_days": consultation.retention_days,
    }


@bp.post("/<int:consultation_id>/status")
def change_status(consultation_id: int):
    consultation = load_managed(consultation_id)
    try:
        services.change_status(consultation, current_user, Status(request.form.get("status")))
    except ValueError:
        flash(_("Unknown status."), "error")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(
            _("The consultation is now %(status)s.", status=_(consultation.status.value)), "success"
        )
    return redirect(url_for(".overview", consultation_id=consultation.id))


@bp.post("/<int:consultation_id>/join-code")
def regenerate_code(consultation_id: int):
    consultation = load_managed(consultation_id)
    code = services.regenerate_join_code(consultation, current_user)
    flash(_("New join code: %(code)s. The old code no longer works.", code=code), "success")
    return redirect(url_for(".overview", consultation_id=consultation.id))


@bp.post("/<int:consultation_id>/joining")
def set_joining(consultation_id: int):
    consultation = load_managed(consultation_id)
    locked = request.form.get("locked") == "1"
    services.set_joining_locked(consultation, current_user, locked)
    flash(_("Joining is locked.") if locked else _("Joining is open again."), "success")
    return redirect(url_for(".overview", consultation_id=consultation.id))


@bp.post("/<int:consultation_id>/moderators")
def add_moderator(consultation_id: int):
    consultation = load_managed(consultation_id)
    form = AddModeratorForm()
    if form.validate_on_submit():
        try:
            user = services.add_moderator(consultation, current_user, form.email.data)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(email)s now moderates this consultation.", email=user.email), "success")
    else:
        flash(_("Give the email address of a moderator account."), "error")
    return redirect(url_for(".overview", consultation_id=consultation.id))
