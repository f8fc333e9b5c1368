"""The consolidation workspace: final texts beside the feedback, versions, dispositions.

Every page here is for the moderators of the item's consultation. A save or a bulk
disposition is a plain form post answered with a redirect back to the workspace, or with
the page itself (422, or 409 for a stale save) when it was refused; a disposition of one
comment may come from htmx, which gets that comment's entry back.
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from cocreate.amendments import services as amendments_services
from cocreate.consolidation import services
from cocreate.consolidation.consensus import MIN_SCORED_VOTES, consensus_of
from cocreate.consolidation.diffing import is_changed, readable_diff
from cocreate.consolidation.forms import OUTCOME_LABELS, ConsolidateForm, DispositionForm
from cocreate.consultations.models import Consultation
from cocreate.consultations.views import load_managed
from cocreate.drafts.models import Item
from cocreate.errorpages import handle_domain_error
from cocreate.errors import DomainError, EditConflict, InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.forms import attach_error
from cocreate.logins import send_guests_to_login
from cocreate.moderation.forms import HIDE_REASON_LABELS
from cocreate.participation.forms import VOTE_LABELS
from cocreate.participation.results import tally_by_event, tally_by_region, tally_items
from cocreate.templating import is_htmx

bp = Blueprint("consolidation", __name__)

# The element ids of a comment's entry carry the group it is shown in: grouped by tag, a
# comment with two tags is on the page twice.
GROUP_KEY = re.compile(r"[a-z0-9_-]{1,40}")


# Only moderators consolidate; guests are sent to the login page.
bp.before_request(send_guests_to_login)


@bp.errorhandler(DomainError)
def refuse(error: DomainError):
    """A refusal no form can fix; for htmx, said where the request came from."""
    if is_htmx():
        return render_template("errors/_inline.html", message=error.message), error.status
    return handle_domain_error(error)


def load_item(item_id: int) -> Item:
    return services.get_item_to_consolidate(item_id, current_user)


def grouping() -> str:
    return "tag" if request.values.get("by") == "tag" else "stance"


def comment_context(consultation: Consultation) -> dict:
    """What a comment's entry shows besides the comment: names, and its words translated
    once for the page rather than once per comment (a workspace may list hundreds)."""
    words = {
        "select_comment": _("Select the comment of"),
        "anonymous": _("Anonymous"),
        "vote": _("Vote:"),
        "stances": {value: str(label) for value, label in VOTE_LABELS.items()}
        | {None: _("did not vote")},
        "supports": _("Supports:"),
        "pinned": _("Pinned"),
        "flagged": _("Flags:"),
        "awaiting": _("Awaiting approval"),
        "merged": _("Merged into comment"),
        "hidden": _("Hidden"),
        "hide_reasons": {reason: str(label) for reason, label in HIDE_REASON_LABELS.items()}
        | {None: _("no reason given")},
        "tags": _("Tags"),
        "replies": _("Replies"),
        "outcomes": {outcome: str(label) for outcome, label in OUTCOME_LABELS.items()},
        "led_to": _("Led to:"),
        "no_disposition": _("No disposition yet"),
        "change": _("Change the disposition"),
        "record": _("Record a disposition"),
        "choose": _("Choose an outcome…"),
        "outcome": _("Outcome"),
        "rationale": _("Rationale, shown to participants"),
        "passage": _("Passage of the consolidated text it led to (optional)"),
        "quote": _("Use the words selected in the consolidated text"),
        "save": _("Save disposition"),
        "no_script": _("Tick the comment and use"),
        "to_bulk": _("the disposition form above the comments."),
    }
    return {
        "t": words,
        "group_names": {g.id: g.name for g in consultation.stakeholder_groups},
        "region_names": {r.id: r.name for r in consultation.regions},
        "vote_labels": VOTE_LABELS,
        "dispose_url": url_for(".dispositions", consultation_id=consultation.id),
        "form_url": url_for(".disposition_form", consultation_id=consultation.id),
        "csrf": generate_csrf(),
        "consultation": consultation,
        "errors": None,
    }


def workspace_context(
    item: Item,
    form: ConsolidateForm,
    *,
    disposition_form: DispositionForm | None = None,
    selected: frozenset[int] = frozenset(),
    conflict: bool = False,
) -> dict:
    consultation = item.consultation
    feedback = services.feedback_on(item)
    by = grouping()
    results = tally_items(consultation, [item.id], moderator=True)[item.id]
    context = {
        **comment_context(consultation),
        "item": item,
        "form": form,
        "disposition_form": disposition_form or DispositionForm(formdata=None, by=by),
        "selected": selected,
        "conflict": conflict,
        "latest": services.latest_version(item) if conflict else None,
        "feedback": feedback,
        "by": by,
        "groups": feedback.by_tag() if by == "tag" else feedback.by_stance(),
        "results": results,
        "consensus": consensus_of(results),
        "min_scored_votes": MIN_SCORED_VOTES,
        "by_region": tally_by_region(consultation, [item.id])[item.id],
        "by_event": tally_by_event(consultation, [item.id])[item.id],
        "versions": services.versions_of(item),
    }
    context.update(amendments_services.moderation_context(item))
    return context


@bp.get("/manage/<int:consultation_id>/consolidation")
def progress(consultation_id: int):
    consultation = load_managed(consultation_id)
    return render_template(
        "consolidation/progress.html",
        consultation=consultation,
        progress=services.consolidation_progress(consultation, current_user),
    )


@bp.route("/manage/items/<int:item_id>/consolidate", methods=["GET", "POST"])
def workspace(item_id: int):
    item = load_item(item_id)
    if request.method == "GET":
        form = ConsolidateForm(
            formdata=None,
            text=item.final_text if item.is_consolidated else item.text,
            expected_version=item.final_version,
        )
        return render_template("consolidation/workspace.html", **workspace_context(item, form))
    form = ConsolidateForm()
    status, conflict = 422, False
    if form.validate():
        try:
            version = services.save_final_text(
                item,
                current_user,
                form.text.data,
                expected_version=form.expected_version.data,
                note=form.note.data or "",
            )
        except EditConflict as error:
            # Nothing was saved: the page shows their text beside the moderator's own, which
            # stays in the textarea, and the next save builds on theirs.
            form.form_errors.append(error.message)
            form.expected_version.data = item.final_version
            form.expected_version.raw_data = [str(item.final_version)]
            status, conflict = error.status, True
        except InvalidInput as error:
            attach_error(form, error)
            status = error.status
        else:
            flash(_("Saved as version %(n)d.", n=version.number), "success")
            return redirect(url_for(".workspace", item_id=item.id, _anchor="consolidated"))
    context = workspace_context(item, form, conflict=conflict)
    return render_template("consolidation/workspace.html", **context), status


def ids_from(name: str) -> list[int]:
    """The ticked ids; a selection that is not ids is refused, as no page sends one."""
    values = request.form.getlist(name)
    if not all(value.isdigit() and len(value) < 12 for value in values):
        raise InvalidInput(_("The selection could not be read; reload the page."), field=name)
    return [int(value) for value in values]


def item_to_return_to(consultation: Consultation, form: DispositionForm) -> Item | None:
    """The workspace the form was sent from, if any. :raises NotFound:"""
    if not form.item_id.data:
        return None
    item = db.session.get(Item, form.item_id.data)
    if item is None or item.consultation_id != consultation.id:
        raise NotFound(_("There is no such item in this consultation."))
    return item


@bp.post("/manage/<int:consultation_id>/dispositions")
def dispositions(consultation_id: int):
    """Record one disposition for the ticked comments and amendments, or for one comment."""
    consultation = load_managed(consultation_id)
    form = DispositionForm()
    comment_ids, amendment_ids = ids_from("comment_ids"), ids_from("amendment_ids")
    form.validate()  # only converts: the service checks every value
    item = item_to_return_to(consultation, form)
    single = is_htmx() and len(comment_ids) == 1 and not amendment_ids
    if single:
        # Checked first, so that a refusal never shows a comment of another consultation.
        comment = services.comment_to_dispose(consultation, comment_ids[0])
    try:
        services.record_dispositions(
            consultation,
            current_user,
            outcome=form.outcome.data or "",
            rationale=form.rationale.data or "",
            passage=form.passage.data or "",
            comment_ids=comment_ids,
            amendment_ids=amendment_ids,
        )
    except InvalidInput as error:
        attach_error(form, error)
        status = error.status
    else:
        status = 200
    if single:
        return comment_entry(comment, form if status != 200 else None, status)
    if status == 200:
        count = len(set(comment_ids)) + len(set(amendment_ids))
        flash(ngettext("Disposition recorded.", "%(num)d dispositions recorded.", count), "success")
        if item is None:
            return redirect(url_for(".progress", consultation_id=consultation.id))
        return redirect(url_for(".workspace", item_id=item.id, by=form.by.data or None))
    if item is None:
        for error in [*form.form_errors, *(e for f in form for e in f.errors)]:
            flash(error, "error")
        return redirect(url_for(".progress", consultation_id=consultation.id))
    fresh = ConsolidateForm(
        formdata=None, text=item.final_text or item.text, expected_version=item.final_version
    )
    context = workspace_context(item, fresh, disposition_form=form, selected=frozenset(comment_ids))
    return render_template("consolidation/workspace.html", **context), status


def entry_context(comment, form: DispositionForm | None, group_key: str) -> dict:
    """What one comment's entry (or its disposition form) needs, outside the page."""
    item = comment.item
    feedback = services.feedback_on(item, only=comment.id)
    comment = feedback.comments[0]
    return comment_context(item.consultation) | {
        "item": item,
        "comment": comment,
        "feedback": feedback,
        "disposition": feedback.dispositions.get(comment.id),
        "group_key": group_key if GROUP_KEY.fullmatch(group_key) else "one",
        "dom": f"comment-{comment.id}-{group_key}",
        "selected": frozenset(),
        "errors": form,
        "by": grouping(),
    }


def comment_entry(comment, form: DispositionForm | None, status: int):
    """One comment's entry of the workspace, as htmx swaps it in after a disposition."""
    context = entry_context(comment, form, request.form.get("group", ""))
    return render_template("consolidation/_comment.html", **context), status


@bp.get("/manage/<int:consultation_id>/dispositions/form")
def disposition_form(consultation_id: int):
    """The disposition form of one comment, fetched when the moderator opens it."""
    consultation = load_managed(consultation_id)
    comment_id = request.args.get("comment", type=int)
    if comment_id is None:
        raise NotFound(_("There is no such comment in this consultation."))
    comment = services.comment_to_dispose(consultation, comment_id)
    if not is_htmx():
        return redirect(url_for(".workspace", item_id=comment.item_id, _anchor="comments"))
    context = entry_context(comment, None, request.args.get("group", ""))
    return render_template("consolidation/_disposition_form.html", **context)


@bp.get("/manage/items/<int:item_id>/versions")
def versions(item_id: int):
    """Two texts of an item side by side as one word diff; 0 is the draft text."""
    item = load_item(item_id)
    latest = item.final_version
    to_number = request.args.get("to", latest, type=int)
    from_number = request.args.get("from", 0 if to_number != 0 else latest, type=int)
    old = services.text_of_version(item, from_number)
    new = services.text_of_version(item, to_number)
    pieces = readable_diff(old, new)
    return render_template(
        "consolidation/versions.html",
        item=item,
        consultation=item.consultation,
        versions=services.versions_of(item),
        from_number=from_number,
        to_number=to_number,
        pieces=pieces,
        changed=is_changed(pieces),
    )
