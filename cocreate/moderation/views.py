"""Moderating comments: the queue, hiding with a reason, merging, muting, tags, answers, flags.

Each action on one comment answers htmx with that comment's queue row, re-rendered (with
the refusal in it, and the refusal's status, when the service said no); without JavaScript
the form posts, and the answer redirects back to the queue where the moderator was: the
queue's filters ride along in each action's query string.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from cocreate.consultations.views import load_managed
from cocreate.drafts.services import documents_with_items
from cocreate.errors import DomainError, InvalidInput
from cocreate.extensions import db
from cocreate.live import notify
from cocreate.moderation import services
from cocreate.moderation.forms import (
    HIDE_REASON_LABELS,
    QUEUE_FILTER_LABELS,
    AnswerForm,
    HideForm,
    TagNameForm,
    TagsForm,
)
from cocreate.participation.models import Comment
from cocreate.templating import is_htmx

bp = Blueprint("moderation", __name__)

# The queue's own query arguments: the only ones a redirect back carries.
QUEUE_ARGS = ("show", "item", "tag", "page")


@bp.before_request
@login_required
def require_login():
    """Moderators only; guests are sent to the login page."""


def queue_args(values: MultiDict) -> dict[str, str]:
    return {name: values[name] for name in QUEUE_ARGS if values.get(name, "").strip()}


def whole_number(raw: str | None, field: str) -> int | None:
    """:raises InvalidInput: for anything but a small positive whole number."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidInput(_("Expected a number."), field=field)
    return int(raw)


def switch(name: str) -> bool:
    """:raises InvalidInput: unless the form says 1 or 0."""
    value = request.form.get(name)
    if value not in ("0", "1"):
        raise InvalidInput(_("Say 1 or 0 for %(name)s.", name=name), field=name)
    return value == "1"


@bp.get("/manage/<int:consultation_id>/moderation")
def queue(consultation_id: int):
    consultation = load_managed(consultation_id)
    try:
        item_id = whole_number(request.args.get("item"), "item")
        tag_id = whole_number(request.args.get("tag"), "tag")
        page = whole_number(request.args.get("page"), "page") or 1
    except InvalidInput:
        abort(400)
    show = request.args.get("show", "all")
    result = services.moderation_queue(
        consultation, current_user, show=show, item_id=item_id, tag_id=tag_id, page=page
    )
    documents = documents_with_items(consultation)
    return render_template(
        "moderation/queue.html",
        consultation=consultation,
        queue=result,
        show=show if show in QUEUE_FILTER_LABELS else "all",
        item_id=item_id,
        tag_id=tag_id,
        documents=documents,
        tags=services.tags_of(consultation, current_user),
        filter_labels=QUEUE_FILTER_LABELS,
        hide_reasons=HIDE_REASON_LABELS,
        args=queue_args(request.args),
    )


def back_to_queue(consultation_id: int, anchor: str = ""):
    args = queue_args(request.args)
    return redirect(url_for(".queue", consultation_id=consultation_id, **args) + anchor)


def row(comment: Comment, *, error: DomainError | None = None, status: int = 200):
    """The comment's queue row for htmx, or back to the queue for a plain form post."""
    if is_htmx():
        return render_template(
            "moderation/_comment_row.html",
            comment=services.queue_row(comment),
            consultation=comment.item.consultation,
            hide_reasons=HIDE_REASON_LABELS,
            args=queue_args(request.args),
            error=error.message if error else None,
            # A refused form comes back as the moderator filled it in.
            sent=request.form if error else {},
        ), status
    if error is not None:
        flash(error.message, "error")
    return back_to_queue(comment.item.consultation_id, f"#c-{comment.id}")


def comment_action(comment_id: int, action) -> tuple:
    """Load the comment, run ``action(comment)`` and answer with its row.

    ``action`` returns whether live screens must hear about the change."""
    try:
        comment = services.get_comment(comment_id, current_user)
    except DomainError as error:
        if is_htmx():
            return render_template("errors/_inline.html", message=error.message), error.status
        raise
    try:
        changed = action(comment)
    except DomainError as error:
        return row(comment, error=error, status=error.status)
    if changed:
        notify.comment_changed(comment)
    return row(comment)


@bp.post("/manage/moderation/comments/<int:comment_id>/hide")
def hide(comment_id: int):
    """Hide with a reason; on a hidden comment, change the reason; on one awaiting
    approval, reject it."""
    form = HideForm()
    return comment_action(
        comment_id,
        lambda c: services.hide_comment(c, current_user, form.reason.data, form.note.data or ""),
    )


@bp.post("/manage/moderation/comments/<int:comment_id>/restore")
def restore(comment_id: int):
    return comment_action(comment_id, lambda c: services.restore_comment(c, current_user))


@bp.post("/manage/moderation/comments/<int:comment_id>/approve")
def approve(comment_id: int):
    return comment_action(comment_id, lambda c: services.approve_comment(c, current_user))


@bp.post("/manage/moderation/comments/<int:comment_id>/pin")
def pin(comment_id: int):
    return comment_action(
        comment_id, lambda c: services.set_pinned(c, current_user, switch("pinned"))
    )


@bp.post("/manage/moderation/comments/<int:comment_id>/mute-author")
def mute_author(comment_id: int):
    def mute(comment: Comment) -> bool:
        services.set_muted(comment.participant, current_user, switch("muted"))
        return False  # what participants see of the comment does not change

    return comment_action(comment_id, mute)


@bp.post("/manage/moderation/comments/<int:comment_id>/tags")
def tag(comment_id: int):
    form = TagsForm()

    def set_tags(comment: Comment) -> bool:
        services.set_tags(comment, current_user, services.split_tags(form.tags.data or ""))
        return False

    return comment_action(comment_id, set_tags)


@bp.post("/manage/moderation/comments/<int:comment_id>/answer")
def answer(comment_id: int):
    form = AnswerForm()

    def add_answer(comment: Comment) -> bool:
        services.answer_comment(comment, current_user, form.answer.data or "")
        return False

    return comment_action(comment_id, add_answer)


@bp.post("/manage/moderation/comments/<int:comment_id>/dismiss-flags")
def dismiss_flags(comment_id: int):
    def dismiss(comment: Comment) -> bool:
        services.dismiss_flags(comment, current_user)
        return False

    return comment_action(comment_id, dismiss)


@bp.post("/manage/<int:consultation_id>/moderation/merge")
def merge(consultation_id: int):
    """Merge the checked comments into the chosen one; a plain post back to the queue."""
    consultation = load_managed(consultation_id)
    try:
        target_id = whole_number(request.form.get("target"), "target")
        if target_id is None:
            raise InvalidInput(_("Choose the comment to merge into."), field="target")
        source_ids = [whole_number(raw, "sources") for raw in request.form.getlist("sources")]
        target = comment_of(consultation.id, target_id)
        sources = [comment_of(consultation.id, source_id) for source_id in source_ids if source_id]
        services.merge_comments(target, sources, current_user)
    except DomainError as error:
        flash(error.message, "error")
        return back_to_queue(consultation.id)
    for comment in [*sources, target]:
        notify.comment_changed(comment)
    message = ngettext(
        "%(num)d comment merged into #%(id)d.",
        "%(num)d comments merged into #%(id)d.",
        len({source.id for source in sources}),
        id=target.id,
    )
    flash(message, "success")
    return back_to_queue(consultation.id, f"#c-{target.id}")


def comment_of(consultation_id: int, comment_id: int) -> Comment:
    """A comment of this consultation. :raises InvalidInput: naming the unknown one."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.item.consultation_id != consultation_id:
        raise InvalidInput(
            _("Comment #%(id)d is not one of this consultation's.", id=comment_id),
            field="sources",
        )
    return comment


@bp.post("/manage/moderation/tags/<int:tag_id>/rename")
def rename_tag(tag_id: int):
    tag = services.get_tag(tag_id, current_user)
    form = TagNameForm()
    try:
        services.rename_tag(tag, current_user, form.name.data or "")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Tag renamed to “%(name)s”.", name=tag.name), "success")
    return back_to_queue(tag.consultation_id, "#tags")


@bp.post("/manage/moderation/tags/<int:tag_id>/delete")
def delete_tag(tag_id: int):
    tag = services.get_tag(tag_id, current_user)
    consultation_id, name = tag.consultation_id, tag.name
    services.delete_tag(tag, current_user)
    flash(_("Tag “%(name)s” deleted.", name=name), "success")
    return back_to_queue(consultation_id, "#tags")
