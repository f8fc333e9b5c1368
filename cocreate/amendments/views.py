"""Amendments: participants propose new wording and vote on it; moderators decide."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cocreate.amendments import services
from cocreate.amendments.forms import (
    AmendmentVoteForm,
    DecisionForm,
    MergeForm,
    ProposeForm,
    RejectForm,
)
from cocreate.amendments.models import Amendment
from cocreate.errors import DomainError, InvalidInput
from cocreate.extensions import db, limiter
from cocreate.forms import attach_error
from cocreate.participation.forms import VOTE_LABELS
from cocreate.participation.models import Participant
from cocreate.participation.views import load_item, render_item_page, scope_of
from cocreate.ratelimits import participant_or_address, participation_limit
from cocreate.templating import is_htmx

bp = Blueprint("amendments", __name__)


# ---------------------------------------------------------------- participants


@bp.post("/items/<int:item_id>/amendments")
@limiter.limit(participation_limit, key_func=participant_or_address)
def propose(item_id: int):
    item, participant = load_item(item_id)
    form = ProposeForm()
    status = 201
    done = _("Thank you: your wording is proposed for everyone to vote on.")
    if form.validate_on_submit():
        try:
            services.propose(participant, item, form.text.data, form.reason.data or "")
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            form = None
    else:
        status = 422
    if is_htmx():
        return render_template(
            "amendments/_amendments.html",
            item=item,
            participant=participant,
            vote_labels=VOTE_LABELS,
            **section_context(item, participant, form),
            propose_open=status != 201,
            announce=done if status == 201 else "",
        ), status
    if status == 201:
        flash(done, "success")
        return redirect(url_for("participation.item", item_id=item.id) + "#amendments")
    return render_item_page(item, participant, propose_form=form), status


@bp.post("/amendments/<int:amendment_id>/vote")
@limiter.limit(participation_limit, key_func=participant_or_address)
def vote(amendment_id: int):
    amendment, participant = load_amendment(amendment_id)
    form = AmendmentVoteForm()
    if not form.validate_on_submit():
        return refuse(amendment, participant, InvalidInput(first_error(form)))
    try:
        services.cast_vote(participant, amendment, form.value.data)
    except DomainError as error:
        return refuse(amendment, participant, error)
    return show_amendment(amendment, participant)


@bp.post("/amendments/<int:amendment_id>/vote/withdraw")
@limiter.limit(participation_limit, key_func=participant_or_address)
def withdraw_vote(amendment_id: int):
    amendment, participant = load_amendment(amendment_id)
    try:
        services.withdraw_vote(participant, amendment)
    except DomainError as error:
        return refuse(amendment, participant, error)
    return show_amendment(amendment, participant)


def load_amendment(amendment_id: int) -> tuple[Amendment, Participant]:
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        abort(404)
    participant = load_item(amendment.item_id)[1]
    try:
        return services.amendment_for(participant, amendment.id), participant
    except DomainError:
        abort(404)


def show_amendment(amendment: Amendment, participant: Participant, error: str = ""):
    """The amendment's card for htmx, else back to it on the item page."""
    if is_htmx():
        (view,) = services.views_of(participant, amendment.item, [amendment])
        return render_template(
            "amendments/_amendment.html",
            view=view,
            item=amendment.item,
            participant=participant,
            vote_labels=VOTE_LABELS,
            card_error=error,
            announce=True,
        )
    if error:
        flash(error, "error")
    return redirect(
        url_for("participation.item", item_id=amendment.item_id) + f"#amendment-{amendment.id}"
    )


def refuse(amendment: Amendment, participant: Participant, error: DomainError):
    response = show_amendment(amendment, participant, error.message)
    return (response, error.status) if is_htmx() else response


def section_context(item, participant: Participant, form: ProposeForm | None = None) -> dict:
    """The "Proposed wording" section's own context; the item page passes ``item``,
    ``participant`` and ``vote_labels`` already."""
    return {
        "amendments": services.amendments_for_participant(
            participant, item, event_id=scope_of(item.consultation_id)
        ),
        "propose_form": form or new_propose_form(item),
    }


def new_propose_form(item) -> ProposeForm:
    """Prefilled with the draft: participants edit the words rather than retype them."""
    return ProposeForm(formdata=None, data={"text": item.text})


# ---------------------------------------------------------------- moderators


@bp.post("/manage/amendments/<int:amendment_id>/accept")
@login_required
def accept(amendment_id: int):
    amendment = services.get_amendment_to_decide(amendment_id, current_user)
    form = DecisionForm()
    return decide(
        amendment,
        form,
        lambda: services.accept(
            current_user,
            amendment,
            expected_version=form.expected_version.data,
            rationale=form.rationale.data or "",
        ),
        _("Accepted: its wording is now the consolidated text."),
        changes_text=True,
    )


@bp.post("/manage/amendments/<int:amendment_id>/merge")
@login_required
def merge(amendment_id: int):
    amendment = services.get_amendment_to_decide(amendment_id, current_user)
    form = MergeForm()
    return decide(
        amendment,
        form,
        lambda: services.merge(
            current_user,
            amendment,
            text=form.text.data,
            expected_version=form.expected_version.data,
            rationale=form.rationale.data or "",
        ),
        _("Merged into the consolidated text."),
        changes_text=True,
    )


@bp.post("/manage/amendments/<int:amendment_id>/reject")
@login_required
def reject(amendment_id: int):
    amendment = services.get_amendment_to_decide(amendment_id, current_user)
    form = RejectForm()
    return decide(
        amendment,
        form,
        lambda: services.reject(current_user, amendment, rationale=form.rationale.data or ""),
        _("Not taken up; the rationale is recorded."),
    )


@bp.post("/manage/amendments/<int:amendment_id>/hide")
@login_required
def hide(amendment_id: int):
    amendment = services.get_amendment_to_decide(amendment_id, current_user)
    return decide(
        amendment,
        None,
        lambda: services.set_hidden(current_user, amendment, True),
        _("Hidden from participants."),
    )


@bp.post("/manage/amendments/<int:amendment_id>/restore")
@login_required
def restore(amendment_id: int):
    amendment = services.get_amendment_to_decide(amendment_id, current_user)
    return decide(
        amendment,
        None,
        lambda: services.set_hidden(current_user, amendment, False),
        _("Restored: participants see it again."),
    )


def decide(amendment: Amendment, form, action, done: str, *, changes_text: bool = False):
    """Validate the form, run the decision, and answer with the panel (htmx) or a redirect
    to the consolidation workspace with a message.

    A decision that ``changes_text`` reloads the whole workspace, so that its editor shows
    the new consolidated text and version; a refusal still answers with the panel."""
    item_id = amendment.item_id
    status, message = 200, done
    if form is not None and not form.validate_on_submit():
        status, message = 422, first_error(form)
    else:
        # Without a form, CSRFProtect has checked the token before the view ran.
        try:
            action()
        except DomainError as error:
            status, message = error.status, error.message
    workspace = url_for("consolidation.workspace", item_id=item_id)
    if is_htmx() and not (changes_text and status == 200):
        item = db.session.get(Amendment, amendment.id).item
        return render_template(
            "amendments/_moderate.html",
            **services.moderation_context(item),
            amendment_message=(amendment.id, message, status == 200),
        ), status
    flash(message, "success" if status == 200 else "error")
    if is_htmx():
        return "", 200, {"HX-Redirect": workspace}
    return redirect(workspace + f"#amendment-{amendment.id}")


def first_error(form) -> str:
    """The message of a form's first failed field (a missing choice, an expired token)."""
    return next(iter(form.errors.values()))[0]
