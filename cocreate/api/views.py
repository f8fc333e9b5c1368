"""The JSON API, version 1: what the participant pages do, for apps and scripts.

Each view parses the request, calls the same service as the pages and answers JSON.
Refusals are domain errors, which ``cocreate.errorpages`` renders as
``{"error": {"code": ..., "message": ...}}``. The contract is ``openapi.json`` beside this file.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, request, stream_with_context
from flask_babel import gettext as _

from cocreate.amendments import services as amendment_services
from cocreate.api.auth import authenticated_moderator, authenticated_participant, unauthenticated
from cocreate.api.serializers import (
    amendment_json,
    comment_json,
    consultation_json,
    contributions_json,
    joined_json,
    participant_json,
    thread_json,
    vote_json,
)
from cocreate.authz import require_moderator, require_participant_of
from cocreate.consultations.services import find_by_join_code, get_consultation
from cocreate.drafts.services import documents_with_items
from cocreate.errorpages import json_error
from cocreate.errors import InvalidInput, NotAuthenticated, ResultsHidden
from cocreate.exports import services as exports
from cocreate.exports.options import parse_options
from cocreate.extensions import limiter
from cocreate.live import notify
from cocreate.live.broadcast import broadcaster
from cocreate.live.payloads import state_payload
from cocreate.live.services import live_scope
from cocreate.moderation.services import flag_comment
from cocreate.participation import services
from cocreate.participation.results import tally_items
from cocreate.privacy.services import contributions_export
from cocreate.publication.services import contributions_of
from cocreate.ratelimits import (
    is_not_found,
    join_limit,
    participant_or_address,
    participation_limit,
    wrong_code_limit,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.register_error_handler(NotAuthenticated, unauthenticated)


@bp.after_request
def never_cache(response: Response) -> Response:
    # Answers carry tokens and a participant's own data: no shared cache may keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.post("/join")
@limiter.limit(wrong_code_limit, deduct_when=is_not_found)
@limiter.limit(join_limit)
def join():
    body = json_object()
    code = field(body, "code", str, required=True)
    stakeholder_group = field(body, "stakeholder_group", str) or ""
    region = field(body, "region", str)
    display_name = field(body, "display_name", str) or ""
    accept_privacy = field(body, "accept_privacy", bool) or False
    consultation = find_by_join_code(code)
    joined = services.join(
        consultation,
        stakeholder_group=stakeholder_group,
        region=region,
        display_name=display_name,
        accept_privacy=accept_privacy,
    )
    return joined_json(joined), 201


@bp.get("/me")
def me():
    return participant_json(authenticated_participant())


@bp.get("/me/comments")
def my_comments():
    """You said, we did: the caller's own comments and proposals, and what became of them."""
    return contributions_json(contributions_of(authenticated_participant()))


@bp.get("/me/data")
def my_data():
    """Everything the consultation keeps about the caller (the right of access)."""
    return contributions_export(authenticated_participant())


@bp.get("/consultations/<int:consultation_id>/export")
def export(consultation_id: int):
    """A moderator's export, streamed as it is written; needs a moderator's API token."""
    moderator = authenticated_moderator()
    consultation = get_consultation(consultation_id)
    require_moderator(moderator, consultation)
    args = request.args
    options = parse_options(
        consultation,
        mode=args.get("mode"),
        event=args.get("event"),
        group=args.get("group"),
        region=args.get("region"),
    )
    chosen, stream = exports.export(
        consultation, moderator, args.get("format"), options, channel=exports.Channel.API
    )
    name = exports.download_name(consultation, chosen, options)
    return Response(
        stream_with_context(stream),
        mimetype=chosen.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/consultations/<int:consultation_id>")
def consultation(consultation_id: int):
    participant = authenticated_participant()
    consultation = get_consultation(consultation_id)
    require_participant_of(participant, consultation.id)
    return consultation_json(consultation, documents_with_items(consultation))


@bp.put("/items/<int:item_id>/vote")
@limiter.limit(participation_limit, key_func=participant_or_address)
def cast_vote(item_id: int):
    participant = authenticated_participant()
    item = services.item_for(participant, item_id)
    value = field(json_object(), "value", str, required=True)
    vote = services.cast_vote(participant, item, value)
    notify.vote_changed(item)
    return vote_json(vote)


@bp.delete("/items/<int:item_id>/vote")
@limiter.limit(participation_limit, key_func=participant_or_address)
def withdraw_vote(item_id: int):
    participant = authenticated_participant()
    item = services.item_for(participant, item_id)
    services.withdraw_vote(participant, item)
    notify.vote_changed(item)
    return "", 204


@bp.get("/items/<int:item_id>/comments")
def comments(item_id: int):
    item = services.item_for(authenticated_participant(), item_id)
    comments = services.comments_on(item, event_id=live_scope(item.consultation_id))
    return {"comments": [thread_json(comment) for comment in comments]}


@bp.post("/items/<int:item_id>/comments")
@limiter.limit(participation_limit, key_func=participant_or_address)
def post_comment(item_id: int):
    participant = authenticated_participant()
    item = services.item_for(participant, item_id)
    body = json_object()
    text = field(body, "body", str) or ""
    parent_id = field(body, "parent_id", int)
    comment = services.post_comment(
        participant,
        item,
        text,
        parent_id,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    notify.comment_posted(comment)
    return comment_json(comment), 201


@bp.post("/comments/<int:comment_id>/support")
@limiter.limit(participation_limit, key_func=participant_or_address)
def support(comment_id: int):
    comment = services.support_comment(authenticated_participant(), comment_id)
    notify.supported(comment)
    return comment_json(comment)


@bp.post("/comments/<int:comment_id>/flag")
@limiter.limit(participation_limit, key_func=participant_or_address)
def flag(comment_id: int):
    """Ask the moderators to look at another participant's comment."""
    comment = flag_comment(authenticated_participant(), comment_id)
    return comment_json(comment)


@bp.get("/consultations/<int:consultation_id>/live")
def live(consultation_id: int):
    """The live state a participant's screen follows: event, focus, phases, timer."""
    participant = authenticated_participant()
    consultation = get_consultation(consultation_id)
    require_participant_of(participant, consultation.id)
    return state_payload(
        consultation,
        role="participant",
        participant=participant,
        headcount=broadcaster().presence.count(consultation.id),
    )


@bp.get("/items/<int:item_id>/results")
def results(item_id: int):
    participant = authenticated_participant()
    item = services.item_for(participant, item_id)
    has_voted = services.current_vote(participant, item) is not None
    if not services.can_see_results(participant, item, has_voted):
        raise ResultsHidden(
            _("Results of this item are shown after you vote.")
            if has_voted is False and item.consultation.results_visibility.value == "after_vote"
            else _("Results of this item are shown once the moderator reveals them.")
        )
    # Not a moderator view: groups with too few voters to stay anonymous are suppressed.
    scope = live_scope(item.consultation_id)
    return tally_items(item.consultation, [item.id], event_id=scope)[item.id].as_json()


@bp.get("/items/<int:item_id>/amendments")
def amendments(item_id: int):
    participant = authenticated_participant()
    item = services.item_for(participant, item_id)
    views = amendment_services.amendments_for_participant(
        participant, item, event_id=live_scope(item.consultation_id)
    )
    return {"amendments": [amendment_json(view, participant) for view in views]}


@bp.post("/items/<int:item_id>/amendments")
@limiter.limit(participation_limit, key_func=participant_or_address)
def propose_amendment(item_id: int):
    participant = authenticated_participant()
    item = services.item_for(participant, item_id)
    body = json_object()
    amendment = amendment_services.propose(
        participant, item, field(body, "text", str) or "", field(body, "reason", str) or ""
    )
    (view,) = amendment_services.views_of(participant, item, [amendment])
    return amendment_json(view, participant), 201


@bp.put("/amendments/<int:amendment_id>/vote")
@limiter.limit(participation_limit, key_func=participant_or_address)
def vote_on_amendment(amendment_id: int):
    participant = authenticated_participant()
    amendment = amendment_services.amendment_for(participant, amendment_id)
    value = field(json_object(), "value", str, required=True)
    vote = amendment_services.cast_vote(participant, amendment, value)
    return {"amendment_id": vote.amendment_id, "value": vote.value.value}


@bp.delete("/amendments/<int:amendment_id>/vote")
@limiter.limit(participation_limit, key_func=participant_or_address)
def withdraw_amendment_vote(amendment_id: int):
    participant = authenticated_participant()
    amendment = amendment_services.amendment_for(participant, amendment_id)
    amendment_services.withdraw_vote(participant, amendment)
    return "", 204


@bp.get("/openapi.json")
def openapi():
    with bp.open_resource("openapi.json") as document:
        return Response(document.read(), mimetype="application/json")


def json_object() -> dict[str, Any]:
    """The request body, which must be a JSON object; anything else is refused with 400."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        message = _("Send a JSON object as the body, with 'Content-Type: application/json'.")
        abort(json_error("bad_request", message, 400))
    return body


FIELD_TYPES = {
    str: lambda: _("a string"),
    bool: lambda: _("true or false"),
    int: lambda: _("a whole number"),
}


def field(body: dict[str, Any], name: str, kind: type, *, required: bool = False) -> Any:
    """``body[name]`` if it has type ``kind``; absent or null gives ``None`` unless required.

    :raises InvalidInput: naming the field, for a missing required field or a wrong type.
    """
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(_("The field '%(name)s' is required.", name=name), field=name)
        return None
    # JSON true is not a number, though Python's bool is an int.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise InvalidInput(
            _("The field '%(name)s' must be %(kind)s.", name=name, kind=FIELD_TYPES[kind]()),
            field=name,
        )
    return value
