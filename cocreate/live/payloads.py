"""The JSON that Socket.IO pushes carry, one function per event (see the README's table)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from cocreate.api.serializers import comment_json, item_json, moderated_comment_json, timestamp
from cocreate.consultations.models import Consultation
from cocreate.db import utcnow
from cocreate.drafts.models import Item
from cocreate.extensions import db
from cocreate.live.models import LiveEvent, LiveState
from cocreate.live.presence import Headcount
from cocreate.live.services import live_scope
from cocreate.participation.models import Comment, Participant
from cocreate.participation.results import public_view, tally_items


def tally_payloads(consultation: Consultation, items: Sequence[Item]):
    """(item, moderators' payload, participants' payload) per item, from one query."""
    scope = live_scope(consultation.id)
    results = tally_items(consultation, [i.id for i in items], moderator=True, event_id=scope)
    for item in items:
        full = results[item.id]
        yield (
            item,
            {"item_id": item.id, "scope_event_id": scope, "results": full.as_json()},
            {"item_id": item.id, "scope_event_id": scope, "results": public_view(full).as_json()},
        )


def headcount_payloads(consultation: Consultation, count: Headcount) -> tuple[dict, dict]:
    groups = {g.id: g.name for g in consultation.stakeholder_groups}
    regions = {r.id: r.name for r in consultation.regions}
    moderator_view = {
        "count": count.total,
        "by_group": {groups[g]: n for g, n in count.by_group.items() if g in groups},
        "by_region": {regions[r]: n for r, n in count.by_region.items() if r in regions},
    }
    return moderator_view, {"count": count.total}


def event_payload(event: LiveEvent | None) -> dict | None:
    if event is None:
        return None
    return {
        "id": event.id,
        "title": event.title,
        "format": event.format.value,
        "held_on": event.held_on.isoformat() if event.held_on else None,
        "place": event.place,
        "region": event.region.name if event.region else None,
        "is_rehearsal": event.is_rehearsal,
        "started_at": timestamp(event.started_at),
    }


def focus_payload(item: Item | None) -> dict:
    if item is None:
        return {"item": None}
    return {
        "item": {
            **item_json(item),
            "voting_open": item.voting_open,
            "results_revealed": item.results_revealed,
        }
    }


def timer_payload(state: LiveState) -> dict:
    return {
        "ends_at": timestamp(state.timer_ends_at),
        "seconds": state.timer_seconds,
        "server_time": timestamp(utcnow()),
    }


def comment_payloads(comment: Comment) -> tuple[dict, dict]:
    """(moderators' view, everyone else's view) of a comment."""
    return moderated_comment_json(comment), comment_json(comment)


def state_payload(
    consultation: Consultation,
    *,
    role: str,
    participant: Participant | None,
    headcount: Headcount,
) -> dict:
    """Everything a screen needs to be right at once after it (re)connects."""
    # A consultation that never went live has no state row yet: show the empty state.
    state = db.session.get(LiveState, consultation.id) or LiveState(consultation_id=consultation.id)
    items = db.session.execute(
        sa.select(Item.id, Item.voting_open, Item.results_revealed).where(
            Item.consultation_id == consultation.id
        )
    ).all()
    moderator_view, public_count = headcount_payloads(consultation, headcount)
    payload = {
        "consultation": {
            "id": consultation.id,
            "status": consultation.current_status.value,
            "results_visibility": consultation.results_visibility.value,
        },
        "role": role,
        "event": event_payload(state.live_event),
        "focus": focus_payload(state.focus_item)["item"],
        "timer": timer_payload(state),
        "voting_closed": [row.id for row in items if not row.voting_open],
        "revealed": [row.id for row in items if row.results_revealed],
        "presence": moderator_view if role == "moderator" else public_count,
    }
    payload["results"] = visible_results(consultation, role, participant, state.focus_item)
    if participant is not None:
        payload["participant"] = {"id": participant.id}
    return payload


def visible_results(
    consultation: Consultation, role: str, participant: Participant | None, focus: Item | None
) -> dict[str, dict]:
    """Item id → results, for what this screen may show: moderators every item, others the
    focused item when the consultation's visibility setting allows."""
    from cocreate.participation.services import can_see_results, current_vote

    scope = live_scope(consultation.id)
    if role == "moderator":
        ids = list(
            db.session.scalars(sa.select(Item.id).where(Item.consultation_id == consultation.id))
        )
        results = tally_items(consultation, ids, moderator=True, event_id=scope)
        return {str(i): r.as_json() for i, r in results.items()}
    if focus is None:
        return {}
    if role == "participant":
        visible = participant is not None and can_see_results(
            participant, focus, has_voted=current_vote(participant, focus) is not None
        )
    else:
        visible = tally_rooms_include_screen(consultation, focus)
    if not visible:
        return {}
    results = tally_items(consultation, [focus.id], event_id=scope)
    return {str(focus.id): results[focus.id].as_json()}


def tally_rooms_include_screen(consultation: Consultation, item: Item) -> bool:
    from cocreate.live.broadcast import screen_room, tally_rooms

    return screen_room(consultation.id) in tally_rooms(consultation, item)
