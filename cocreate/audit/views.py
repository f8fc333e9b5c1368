"""The audit log of moderator actions, for a consultation's moderators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from cocreate.audit.models import AuditEntry
from cocreate.audit.services import audit_page
from cocreate.consolidation.forms import OUTCOME_LABELS
from cocreate.consultations.models import Status
from cocreate.consultations.views import load_managed
from cocreate.exports.options import Mode
from cocreate.exports.services import Channel
from cocreate.moderation.forms import HIDE_REASON_LABELS

bp = Blueprint("audit", __name__)

# What each recorded action means, in words; an unknown action shows as recorded.
ACTION_LABELS = {
    "consultation.status": _l("Changed the consultation's status"),
    "consultation.publish": _l("Published the final version"),
    "consultation.correct": _l("Published a correction"),
    "consultation.import": _l("Imported the consultation from a JSON export"),
    "comment.hide": _l("Hid a comment"),
    "comment.reason": _l("Changed why a comment is hidden"),
    "comment.restore": _l("Showed a hidden comment again"),
    "comment.approve": _l("Approved a comment"),
    "comment.reject": _l("Did not approve a comment"),
    "comment.merge": _l("Merged duplicate comments"),
    "comment.pin": _l("Pinned a comment"),
    "comment.unpin": _l("Unpinned a comment"),
    "comment.tags": _l("Tagged a comment"),
    "comment.answer": _l("Answered a comment"),
    "comment.flags_dismissed": _l("Dismissed the flags on a comment"),
    "participant.mute": _l("Muted a participant"),
    "participant.unmute": _l("Unmuted a participant"),
    "participant.erase": _l("Erased a participant's personal data"),
    "participant.erase_expired": _l("Erased personal data at the end of the retention period"),
    "tag.rename": _l("Renamed a tag"),
    "tag.delete": _l("Deleted a tag"),
    "item.consolidate": _l("Saved a consolidated text"),
    "item.create": _l("Added a draft item"),
    "item.edit": _l("Edited a draft item"),
    "item.delete": _l("Deleted a draft item"),
    "document.create": _l("Added a draft document"),
    "document.edit": _l("Edited a draft document"),
    "document.delete": _l("Deleted a draft document"),
    "disposition.record": _l("Recorded a disposition"),
    "amendment.accept": _l("Accepted an amendment"),
    "amendment.merge": _l("Merged an amendment into the text"),
    "amendment.reject": _l("Rejected an amendment"),
    "amendment.hide": _l("Hid an amendment"),
    "amendment.restore": _l("Showed a hidden amendment again"),
    "export.full": _l(
        "Exported personal data: a full export (names, hidden comments, moderation data)"
    ),
    "report.view_full": _l("Viewed personal data: the full report, on screen"),
}
SUBJECT_LABELS = {
    "consultation": _l("Consultation"),
    "comment": _l("Comment"),
    "amendment": _l("Amendment"),
    "item": _l("Item"),
    "document": _l("Document"),
    "participant": _l("Participant"),
    "tag": _l("Tag"),
}
DETAIL_LABELS = {
    "previous": _l("before"),
    "new": _l("after"),
    "reason": _l("reason"),
    "note": _l("note"),
    "outcome": _l("outcome"),
    "ref": _l("item"),
    "item": _l("item"),
    "version": _l("version"),
    "title": _l("title"),
    "revision": _l("revision"),
    "comment_ids": _l("comments"),
    "amendment_ids": _l("amendments"),
    "sources": _l("merged comments"),
    "changed_items": _l("items changed"),
    "not_revised": _l("published unrevised"),
    "tags": _l("tags"),
    "name": _l("name"),
    "answer": _l("answer"),
    "format": _l("format"),
    "mode": _l("mode"),
    "channel": _l("through"),
    "event": _l("live event"),
    "group": _l("stakeholder group"),
    "region": _l("region"),
}
# Values that are codes (statuses, reasons, outcomes) read better as words.
VALUE_LABELS = {
    **{reason.value: label for reason, label in HIDE_REASON_LABELS.items()},
    **{outcome.value: label for outcome, label in OUTCOME_LABELS.items()},
    Status.DRAFT.value: _l("draft"),
    Status.OPEN.value: _l("open"),
    Status.CLOSED.value: _l("closed"),
    Status.PUBLISHED.value: _l("published"),
    Mode.FULL.value: _l("full (with personal data)"),
    Channel.PAGE.value: _l("the website"),
    Channel.API.value: _l("the API, with a personal token"),
    Channel.COMMAND_LINE.value: _l("the command line"),
}
CODED_KEYS = {"previous", "new", "reason", "outcome", "mode", "channel"}


def details(entry: AuditEntry, *, described: bool = False) -> list[tuple[str, str]]:
    """The entry's detail as (label, value) pairs for the page; empty values are left out,
    and so is the item's ref when the subject's description already names it."""
    pairs = []
    for key, value in (entry.detail or {}).items():
        if value in (None, "", []) or (described and key in ("ref", "item")):
            continue
        pairs.append((str(DETAIL_LABELS.get(key, key.replace("_", " "))), shown(key, value)))
    return pairs


def shown(key: str, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(shown(key, v) for v in value)
    if isinstance(value, dict):  # something named as it was then, e.g. an export's filter
        return f"{value.get('name')} (#{value.get('id')})"
    if key.endswith("_ids") or key == "sources":
        return f"#{value}"
    if key in CODED_KEYS and isinstance(value, str):
        return str(VALUE_LABELS.get(value, value))
    return str(value)


def without_account(entry: AuditEntry) -> str:
    """Who acted when the entry names no account: the retention schedule, the operator at
    the command line, or else an account that was deleted since."""
    if entry.action == "participant.erase_expired":
        return _("the retention schedule")
    if entry.action == "consultation.import" or (
        (entry.detail or {}).get("channel") == Channel.COMMAND_LINE
    ):
        return _("the operator, at the command line")
    return _("a deleted account")


@bp.get("/manage/<int:consultation_id>/audit")
@login_required
def log(consultation_id: int):
    """Newest first, a page at a time: ``?before=<id>`` continues below that entry."""
    consultation = load_managed(consultation_id)
    page = audit_page(consultation, current_user, before_id=request.args.get("before", type=int))
    return render_template(
        "audit/log.html",
        consultation=consultation,
        page=page,
        first_page=request.args.get("before") is None,
        action_labels=ACTION_LABELS,
        subject_labels=SUBJECT_LABELS,
        details=details,
        without_account=without_account,
    )
