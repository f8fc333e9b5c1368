"""Pages for guests: join with a code, read the draft, vote and comment."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_translations
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from cocreate.consultations.models import Consultation
from cocreate.consultations.services import find_by_join_code, get_consultation
from cocreate.drafts.models import Item
from cocreate.drafts.services import documents_with_items
from cocreate.errors import DomainError, NotFound
from cocreate.extensions import db, limiter
from cocreate.forms import attach_error
from cocreate.live import notify
from cocreate.live.broadcast import broadcaster
from cocreate.live.models import LiveEvent, LiveState
from cocreate.moderation import services as moderation
from cocreate.moderation.forms import HIDE_REASON_LABELS
from cocreate.participation import services
from cocreate.participation.forms import (
    VOTE_LABELS,
    CommentForm,
    JoinCodeForm,
    JoinForm,
    ReturnCodeForm,
    VoteForm,
)
from cocreate.participation.identity import participant_in, remember, remembered_return_code
from cocreate.participation.models import Comment, Participant
from cocreate.participation.results import tally_items
from cocreate.ratelimits import (
    is_not_found,
    join_limit,
    participant_or_address,
    participation_limit,
    wrong_code_limit,
)
from cocreate.templating import is_htmx

bp = Blueprint("participation", __name__)


@bp.get("/")
def home():
    return render_template("participation/home.html", form=JoinCodeForm())


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(wrong_code_limit, deduct_when=is_not_found, methods=["POST"])
def join_by_code():
    form = JoinCodeForm()
    if form.validate_on_submit():
        try:
            consultation = find_by_join_code(form.code.data)
        except NotFound as error:
            form.code.errors.append(error.message)
            return render_template("participation/join_code.html", form=form), 404
        return redirect(url_for(".join", code=consultation.join_code))
    return render_template("participation/join_code.html", form=form)


@bp.route("/join/<code>", methods=["GET", "POST"])
@limiter.limit(wrong_code_limit, deduct_when=is_not_found)
@limiter.limit(join_limit, methods=["POST"])
def join(code: str):
    consultation = find_by_join_code(code)
    if participant_in(consultation.id):
        return redirect(url_for(".consultation", consultation_id=consultation.id))
    form = JoinForm()
    form.stakeholder_group.choices = [SelectChoice("", _("Choose your group"))] + [
        SelectChoice(g.name) for g in consultation.stakeholder_groups
    ]
    form.region.choices = [SelectChoice("", _("Prefer not to say"))] + [
        SelectChoice(r.name) for r in consultation.regions
    ]
    status = 200
    if form.validate_on_submit():
        try:
            joined = services.join(
                consultation,
                stakeholder_group=form.stakeholder_group.data,
                region=form.region.data,
                display_name=form.display_name.data or "",
                accept_privacy=form.accept_privacy.data,
            )
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            remember(joined.participant, joined.return_code)
            return redirect(url_for(".welcome", consultation_id=consultation.id))
    elif form.is_submitted():
        status = 422
    return render_template("participation/join.html", form=form, consultation=consultation), status


@bp.get("/c/<int:consultation_id>/welcome")
def welcome(consultation_id: int):
    consultation = get_consultation(consultation_id)
    participant = require_participant(consultation)
    return render_template(
        "participation/welcome.html",
        consultation=consultation,
        participant=participant,
        return_code=remembered_return_code(consultation.id),
    )


@bp.route("/return", methods=["GET", "POST"])
@limiter.limit(wrong_code_limit, deduct_when=is_not_found, methods=["POST"])
def return_with_code():
    form = ReturnCodeForm()
    if form.validate_on_submit():
        return restore(form.code.data, form)
    return render_template("participation/return.html", form=form)


@bp.get("/return/<code>")
@limiter.limit(wrong_code_limit, deduct_when=is_not_found)
def return_link(code: str):
    return restore(code, ReturnCodeForm(data={"code": code}, meta={"csrf": False}))


def restore(code: str, form: ReturnCodeForm):
    try:
        participant = services.participant_by_return_code(code)
    except NotFound as error:
        form.code.errors = [error.message]
        return render_template("participation/return.html", form=form), 404
    remember(participant, services.format_return_code(services.normalise_code(code)))
    flash(_("Welcome back: your votes and comments are here again."), "success")
    return redirect(url_for(".consultation", consultation_id=participant.consultation_id))


@bp.get("/c/<int:consultation_id>")
def consultation(consultation_id: int):
    consultation = get_consultation(consultation_id)
    participant = require_participant(consultation)
    documents = documents_with_items(consultation)
    item_ids = [item.id for doc in documents for item in doc.items]
    scope = scope_of(consultation.id)
    return render_template(
        "participation/consultation.html",
        consultation=consultation,
        participant=participant,
        documents=documents,
        my_votes=services.votes_of(participant),
        results=tally_items(consultation, item_ids, event_id=scope),
        comment_counts=services.comment_counts(consultation, item_ids, event_id=scope),
        vote_labels=VOTE_LABELS,
        live_event=live_event_of(consultation.id),
    )


@bp.get("/c/<int:consultation_id>/live")
def live(consultation_id: int):
    """The participant's live view: it follows the item the moderator focuses."""
    consultation = get_consultation(consultation_id)
    participant = require_participant(consultation)
    state = live_now(consultation.id)
    focus = state.focus_item if state else None
    context = {
        "consultation": consultation,
        "participant": participant,
        "item": None,
        "vote_labels": VOTE_LABELS,
        "live_event": live_event_of(consultation.id),
        "headcount": broadcaster().presence.count(consultation.id).total,
        "plurals": live_plurals(),
    }
    if focus is not None:
        context.update(item_context(focus, participant))
    return render_template("participation/live.html", **context)


@bp.get("/c/<int:consultation_id>/live/item/<int:item_id>")
def live_item(consultation_id: int, item_id: int):
    """The block of one item on the live view, fetched by its script when the focus moves."""
    item, participant = load_item(item_id)
    if item.consultation_id != consultation_id:
        abort(404)
    if not is_htmx():
        return redirect(url_for(".item", item_id=item.id))
    return render_template("participation/_live_item.html", **item_context(item, participant))


@bp.get("/items/<int:item_id>")
def item(item_id: int):
    item, participant = load_item(item_id)
    return render_item_page(item, participant)


@bp.post("/items/<int:item_id>/vote")
@limiter.limit(participation_limit, key_func=participant_or_address)
def vote(item_id: int):
    item, participant = load_item(item_id)
    form = VoteForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.cast_vote(participant, item, form.value.data)
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            notify.vote_changed(item)
    else:
        status = 422
    if is_htmx():
        return render_template(
            "participation/_vote_panel.html", **vote_panel_context(item, participant, form)
        ), status
    if status == 200:
        return redirect(url_for(".item", item_id=item.id) + "#vote")
    return render_item_page(item, participant, vote_form=form), status


@bp.post("/items/<int:item_id>/vote/withdraw")
@limiter.limit(participation_limit, key_func=participant_or_address)
def withdraw_vote(item_id: int):
    item, participant = load_item(item_id)
    form = VoteForm()
    status = 200
    try:
        services.withdraw_vote(participant, item)
    except DomainError as error:
        attach_error(form, error)
        status = error.status
    else:
        notify.vote_changed(item)
    if is_htmx():
        return render_template(
            "participation/_vote_panel.html",
            **vote_panel_context(
                item, participant, VoteForm(formdata=None), errors=form.form_errors
            ),
        ), status
    return redirect(url_for(".item", item_id=item.id) + "#vote")


@bp.post("/items/<int:item_id>/comments")
@limiter.limit(participation_limit, key_func=participant_or_address)
def comment(item_id: int):
    item, participant = load_item(item_id)
    form = CommentForm()
    status = 201
    if form.validate_on_submit():
        try:
            parent_id = int(form.parent_id.data) if form.parent_id.data else None
            key = request.headers.get("Idempotency-Key") or form.idempotency_key.data or None
            posted = services.post_comment(
                participant, item, form.body.data, parent_id, idempotency_key=key
            )
        except ValueError:
            form.parent_id.errors = [_("The comment you reply to is not on this item.")]
            status = 404
        except DomainError as error:
            attach_error(form, error)
            status = error.status
        else:
            notify.comment_posted(posted)
            form = CommentForm(formdata=None)
    else:
        status = 422
    if is_htmx():
        return render_template(
            "participation/_comments.html",
            item=item,
            **comments_context(item, participant),
            form=form,
            participant=participant,
        ), status
    if status == 201:
        return redirect(url_for(".item", item_id=item.id) + "#comments")
    return render_item_page(item, participant, comment_form=form), status


@bp.post("/comments/<int:comment_id>/support")
@limiter.limit(participation_limit, key_func=participant_or_address)
def support(comment_id: int):
    def act(participant: Participant) -> Comment:
        comment = services.support_comment(participant, comment_id)
        notify.supported(comment)
        return comment

    return mark_comment(comment_id, act)


@bp.post("/comments/<int:comment_id>/flag")
@limiter.limit(participation_limit, key_func=participant_or_address)
def flag(comment_id: int):
    """Ask the moderators to look at another participant's comment."""
    return mark_comment(
        comment_id,
        lambda participant: moderation.flag_comment(participant, comment_id),
        done=_("Thank you: the moderators will look at this comment."),
    )


def mark_comment(comment_id: int, act, *, done: str | None = None):
    """Support or flag a comment: the re-rendered comment for htmx, else back to it."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    item, participant = load_item(comment.item_id)
    try:
        comment = act(participant)
    except DomainError as error:
        if is_htmx():
            return render_template("errors/_inline.html", message=error.message), error.status
        flash(error.message, "error")
    else:
        if is_htmx():
            return render_template(
                "participation/_comment.html",
                comment=comment,
                item=item,
                participant=participant,
                supported=services.supported_by(participant, [comment.id]),
                flagged=moderation.flagged_by(participant, [comment.id]),
            )
        if done:
            flash(done, "success")
    return redirect(url_for(".item", item_id=item.id) + f"#comment-{comment_id}")


def load_item(item_id: int) -> tuple[Item, Participant]:
    item = db.session.get(Item, item_id)
    if item is None:
        abort(404)
    participant = require_participant(item.consultation)
    return item, participant


def require_participant(consultation: Consultation) -> Participant:
    participant = participant_in(consultation.id)
    if participant is None:
        # Not joined (or joined elsewhere): the join page of this consultation explains.
        abort(redirect(url_for("participation.join", code=consultation.join_code)))
    return participant


def vote_panel_context(
    item: Item, participant: Participant, form: VoteForm, errors: list[str] | None = None
) -> dict:
    my_vote = services.current_vote(participant, item)
    if not form.is_submitted() or not form.errors:
        form.value.data = my_vote.value.value if my_vote else None
    visible = services.can_see_results(participant, item, has_voted=my_vote is not None)
    scope = scope_of(item.consultation_id)
    return {
        "item": item,
        "vote_form": form,
        "my_vote": my_vote,
        "results_visible": visible,
        "results": tally_items(item.consultation, [item.id], event_id=scope)[item.id]
        if visible
        else None,
        "vote_labels": VOTE_LABELS,
        "errors": errors or form.form_errors,
    }


def live_now(consultation_id: int) -> LiveState | None:
    """The consultation's live state with its live event, looked up once per request
    however many parts of a page need it (the live scope, the live session link)."""
    if "live_state" not in g:
        g.live_state = db.session.get(
            LiveState, consultation_id, options=[joinedload(LiveState.live_event)]
        )
    return g.live_state


def live_event_of(consultation_id: int) -> LiveEvent | None:
    state = live_now(consultation_id)
    return state.live_event if state else None


def scope_of(consultation_id: int) -> int | None:
    """The live scope (see ``cocreate.live.services.live_scope``): a rehearsal in progress
    shows only itself, otherwise every real event; read from the state already loaded."""
    event = live_event_of(consultation_id)
    return event.id if event is not None and event.is_rehearsal else None


def comments_context(item: Item, participant: Participant) -> dict:
    comments = services.comments_on(item, event_id=scope_of(item.consultation_id))
    ids = [c.id for c in comments] + [r.id for c in comments for r in c.replies]
    return {
        "comments": comments,
        "supported": services.supported_by(participant, ids),
        "flagged": moderation.flagged_by(participant, ids),
        # The author still sees what the moderators hid, and why.
        "own_hidden": moderation.own_hidden_comments(participant, item),
        "hide_reasons": HIDE_REASON_LABELS,
    }


def item_context(
    item: Item,
    participant: Participant,
    *,
    vote_form: VoteForm | None = None,
    comment_form: CommentForm | None = None,
) -> dict:
    """What an item's block needs: the vote panel and the comments, on either page."""
    return {
        "participant": participant,
        "consultation": item.consultation,
        **comments_context(item, participant),
        "form": comment_form or CommentForm(formdata=None),
        **vote_panel_context(item, participant, vote_form or VoteForm(formdata=None)),
    }


def render_item_page(
    item: Item,
    participant: Participant,
    *,
    vote_form: VoteForm | None = None,
    comment_form: CommentForm | None = None,
    propose_form=None,
):
    # Imported here: the amendments views import this module.
    from cocreate.amendments.views import section_context

    documents = documents_with_items(item.consultation)
    siblings = [i for d in documents for i in d.items]
    index = next(n for n, i in enumerate(siblings) if i.id == item.id)
    return render_template(
        "participation/item.html",
        previous_item=siblings[index - 1] if index > 0 else None,
        next_item=siblings[index + 1] if index + 1 < len(siblings) else None,
        live_event=live_event_of(item.consultation_id),
        **section_context(item, participant, propose_form),
        **item_context(item, participant, vote_form=vote_form, comment_form=comment_form),
    )


def live_plurals() -> dict[str, dict[str, str]]:
    """Counts the live view's script writes, in the reader's language: each message's
    "one" and "other" forms, unformatted, for the script to fill in."""
    translations = get_translations()

    def forms(message) -> dict[str, str]:
        return {"one": message(1), "other": message(2)}

    return {
        "votes": forms(lambda n: translations.ngettext("%(num)d vote", "%(num)d votes", n)),
        "supports": forms(
            lambda n: translations.ngettext("%(num)d support", "%(num)d supports", n)
        ),
        "participants": forms(
            lambda n: translations.ngettext(
                "%(num)d participant connected", "%(num)d participants connected", n
            )
        ),
    }
