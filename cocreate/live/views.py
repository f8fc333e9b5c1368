"""The moderator's live controls. Each action is a plain POST (htmx or form) that answers
204 to htmx, since every screen, the console included, updates from the push."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from cocreate.api.serializers import comment_json, moderated_comment_json
from cocreate.consultations.models import Consultation
from cocreate.consultations.views import load_managed
from cocreate.drafts.services import documents_with_items
from cocreate.errors import DomainError, InvalidInput
from cocreate.live import notify, screens, services
from cocreate.live.broadcast import broadcaster
from cocreate.live.forms import FORMAT_LABELS, EventForm
from cocreate.live.payloads import headcount_payloads, tally_rooms_include_screen, timer_payload
from cocreate.live.qr import qr_svg
from cocreate.moderation import services as moderation
from cocreate.moderation.models import HideReason
from cocreate.participation.forms import VOTE_LABELS
from cocreate.participation.results import tally_items
from cocreate.participation.services import comment_counts
from cocreate.templating import is_htmx

bp = Blueprint("live", __name__, url_prefix="/manage")


@bp.before_request
@login_required
def require_login():
    """Moderators only; guests are sent to the login page."""


def done(consultation_id: int, message: str | None = None):
    if is_htmx():
        return "", 204
    if message:
        flash(message, "success")
    return redirect(url_for(".console", consultation_id=consultation_id))


def refused(consultation_id: int, error: DomainError):
    if is_htmx():
        return render_template("errors/_inline.html", message=error.message), error.status
    flash(error.message, "error")
    return redirect(url_for(".console", consultation_id=consultation_id))


def optional_item_id(values=None) -> int | None:
    raw = (values if values is not None else request.form).get("item_id", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidInput(_("Unknown item."), field="item_id")
    return int(raw)


def flag(name: str) -> bool:
    value = request.form.get(name)
    if value not in ("0", "1"):
        raise InvalidInput(_("Say 1 or 0 for %(name)s.", name=name), field=name)
    return value == "1"


def event_form(consultation) -> EventForm:
    form = EventForm()
    form.region.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(r.name) for r in consultation.regions
    ]
    return form


def join_url(consultation: Consultation) -> str:
    return url_for("participation.join", code=consultation.join_code, _external=True)


def presence_of(consultation: Consultation) -> tuple[dict, dict]:
    """(moderators' view, everyone else's view) of who is connected now."""
    return headcount_payloads(consultation, broadcaster().presence.count(consultation.id))


@bp.get("/<int:consultation_id>/live")
def console(consultation_id: int):
    consultation = load_managed(consultation_id)
    state = screens.current_state(consultation.id)
    scope = services.live_scope(consultation.id)
    documents = documents_with_items(consultation)
    item_ids = [item.id for document in documents for item in document.items]
    results = tally_items(consultation, item_ids, moderator=True, event_id=scope)
    focus = state.focus_item
    return render_template(
        "live/console.html",
        consultation=consultation,
        events=services.events_of(consultation),
        state=state,
        focus=focus,
        event_form=event_form(consultation),
        format_labels=FORMAT_LABELS,
        documents=documents,
        results={item_id: r.as_json() for item_id, r in results.items()},
        comment_counts=comment_counts(consultation, item_ids, event_id=scope),
        comments=[
            moderated_comment_json(c) for c in screens.comment_stream(consultation, event_id=scope)
        ],
        refs={item.id: item.ref for document in documents for item in document.items},
        presence=presence_of(consultation)[0],
        timer=timer_payload(state),
        timer_text=screens.clock(screens.seconds_left(state)),
        vote_labels=VOTE_LABELS,
    )


@bp.get("/<int:consultation_id>/projector")
def projector(consultation_id: int):
    consultation = load_managed(consultation_id)
    state = screens.current_state(consultation.id)
    focus = state.focus_item
    scope = services.live_scope(consultation.id)
    results, results_hidden, comments = None, False, []
    if focus is not None:
        # The screen shows what the room may see: the visibility setting holds here too.
        results_hidden = not tally_rooms_include_screen(consultation, focus)
        if not results_hidden:
            results = tally_items(consultation, [focus.id], event_id=scope)[focus.id].as_json()
        comments = [comment_json(c) for c in screens.top_comments(focus, event_id=scope)]
    url = join_url(consultation)
    return render_template(
        "live/projector.html",
        consultation=consultation,
        state=state,
        focus=focus,
        results=results,
        results_hidden=results_hidden,
        comments=comments,
        shown=screens.PROJECTOR_SHOWN,
        presence=presence_of(consultation)[1],
        timer=timer_payload(state),
        timer_text=screens.clock(screens.seconds_left(state)),
        join_url=url,
        join_page_url=url_for("participation.join_by_code", _external=True),
        qr=qr_svg(url),
        vote_labels=VOTE_LABELS,
    )


@bp.get("/<int:consultation_id>/projector/comments")
def projector_comments(consultation_id: int):
    """The focused item's best comments, for a projector whose focus just changed."""
    consultation = load_managed(consultation_id)
    try:
        item_id = optional_item_id(request.args)
        if item_id is None:
            raise InvalidInput(_("Unknown item."), field="item_id")
        item = services.item_of(consultation, item_id)
    except DomainError as error:
        return jsonify(error=error.message), error.status
    scope = services.live_scope(consultation.id)
    comments = screens.top_comments(item, event_id=scope)
    return jsonify(item_id=item.id, comments=[comment_json(c) for c in comments])


@bp.post("/<int:consultation_id>/events")
def create_event(consultation_id: int):
    consultation = load_managed(consultation_id)
    form = event_form(consultation)
    if not form.validate_on_submit():
        error = InvalidInput(" ".join(e for errors in form.errors.values() for e in errors))
        return refused(consultation.id, error)
    try:
        services.create_event(
            consultation,
            current_user,
            title=form.title.data,
            format=form.format.data,
            held_on=form.held_on.data,
            place=form.place.data or "",
            region=form.region.data or None,
            is_rehearsal=form.is_rehearsal.data,
        )
    except DomainError as error:
        return refused(consultation.id, error)
    if is_htmx():
        return "", 204, {"HX-Refresh": "true"}
    return done(consultation.id, _("Event created."))


@bp.post("/<int:consultation_id>/events/<int:event_id>/start")
def start_event(consultation_id: int, event_id: int):
    consultation = load_managed(consultation_id)
    try:
        event = services.start_event(
            consultation, current_user, services.get_event(consultation, event_id)
        )
    except DomainError as error:
        return refused(consultation.id, error)
    notify.event_changed(consultation.id, event)
    return done(consultation.id, _("%(title)s is live.", title=event.title))


@bp.post("/<int:consultation_id>/events/end")
def end_event(consultation_id: int):
    consultation = load_managed(consultation_id)
    event = services.end_event(consultation, current_user)
    notify.event_changed(consultation.id, None)
    state = services.live_state(consultation.id)
    notify.timer_changed(consultation.id, state)
    return done(consultation.id, _("%(title)s has ended.", title=event.title) if event else None)


@bp.post("/<int:consultation_id>/focus")
def focus(consultation_id: int):
    consultation = load_managed(consultation_id)
    try:
        item = services.focus_item(consultation, current_user, optional_item_id())
    except DomainError as error:
        return refused(consultation.id, error)
    notify.focus_changed(consultation.id, item)
    return done(consultation.id)


@bp.post("/<int:consultation_id>/voting")
def voting(consultation_id: int):
    consultation = load_managed(consultation_id)
    try:
        is_open = flag("open")
        changed = services.set_voting_open(consultation, current_user, is_open, optional_item_id())
    except DomainError as error:
        return refused(consultation.id, error)
    notify.phase_changed(consultation.id, changed, is_open)
    return done(consultation.id)


@bp.post("/<int:consultation_id>/reveal")
def reveal(consultation_id: int):
    consultation = load_managed(consultation_id)
    try:
        revealed = flag("revealed")
        changed = services.set_results_revealed(
            consultation, current_user, revealed, optional_item_id()
        )
    except DomainError as error:
        return refused(consultation.id, error)
    notify.reveal_changed(consultation.id, changed, revealed)
    return done(consultation.id)


@bp.post("/<int:consultation_id>/timer")
def timer(consultation_id: int):
    consultation = load_managed(consultation_id)
    raw = request.form.get("seconds", "").strip()
    try:
        if raw == "":
            state = services.stop_timer(consultation, current_user)
        else:
            minutes, _sep, seconds = raw.partition(":")
            if not (minutes.isdigit() and (seconds.isdigit() or not seconds)) or len(raw) > 8:
                raise InvalidInput(
                    _("Give the time as seconds or minutes:seconds."), field="seconds"
                )
            total = int(minutes) * 60 + int(seconds) if seconds else int(minutes)
            state = services.start_timer(consultation, current_user, total)
    except DomainError as error:
        return refused(consultation.id, error)
    notify.timer_changed(consultation.id, state)
    return done(consultation.id)


@bp.post("/comments/<int:comment_id>/hidden")
def hide_comment(comment_id: int):
    try:
        comment = moderation.get_comment(comment_id, current_user)
        hidden = flag("hidden")
        # One click hides as off-topic; the moderation queue can change the reason later.
        moderation.set_hidden(comment, current_user, hidden, reason=HideReason.OFF_TOPIC)
    except DomainError as error:
        return error_response(error)
    notify.comment_changed(comment)
    return done(comment.item.consultation_id)


@bp.post("/comments/<int:comment_id>/pinned")
def pin_comment(comment_id: int):
    try:
        comment = moderation.get_comment(comment_id, current_user)
        pinned = flag("pinned")
    except DomainError as error:
        return error_response(error)
    moderation.set_pinned(comment, current_user, pinned)
    notify.comment_changed(comment)
    return done(comment.item.consultation_id)


def error_response(error: DomainError):
    if is_htmx():
        return render_template("errors/_inline.html", message=error.message), error.status
    raise error
