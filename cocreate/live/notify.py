"""What each change pushes, called by views and the API right after the service commits."""

from __future__ import annotations

from collections.abc import Sequence

from cocreate.drafts.models import Item
from cocreate.live.broadcast import broadcaster, moderators_room, public_rooms
from cocreate.live.models import LiveEvent, LiveState
from cocreate.live.payloads import comment_payloads, event_payload, focus_payload, timer_payload
from cocreate.participation.models import Comment


def everyone(consultation_id: int) -> list[str]:
    return [*public_rooms(consultation_id), moderators_room(consultation_id)]


def vote_changed(item: Item) -> None:
    broadcaster().tally_changed(item.consultation_id, item.id)


def comment_posted(comment: Comment) -> None:
    consultation_id = comment.item.consultation_id
    moderator_view, public_view = comment_payloads(comment)
    live = broadcaster()
    live.emit("comment", moderator_view, [moderators_room(consultation_id)])
    if not comment.hidden:
        live.emit("comment", public_view, public_rooms(consultation_id))


def comment_changed(comment: Comment) -> None:
    """Hidden, restored or pinned: moderators see the new state, others see it vanish or
    change."""
    consultation_id = comment.item.consultation_id
    moderator_view, public_view = comment_payloads(comment)
    live = broadcaster()
    live.emit("comment_updated", moderator_view, [moderators_room(consultation_id)])
    if comment.hidden:
        live.emit(
            "comment_hidden",
            {"id": comment.id, "item_id": comment.item_id},
            public_rooms(consultation_id),
        )
    else:
        live.emit("comment_updated", public_view, public_rooms(consultation_id))


def supported(comment: Comment) -> None:
    payload = {
        "comment_id": comment.id,
        "item_id": comment.item_id,
        "supports": comment.support_count,
    }
    broadcaster().emit("support", payload, everyone(comment.item.consultation_id))


def focus_changed(consultation_id: int, item: Item | None) -> None:
    broadcaster().emit("focus", focus_payload(item), everyone(consultation_id))
    if item is not None:
        broadcaster().tally_changed(consultation_id, item.id)


def phase_changed(consultation_id: int, item_ids: Sequence[int], voting_open: bool) -> None:
    if item_ids:
        broadcaster().emit(
            "phase",
            {"item_ids": list(item_ids), "voting_open": voting_open},
            everyone(consultation_id),
        )


def reveal_changed(consultation_id: int, item_ids: Sequence[int], revealed: bool) -> None:
    if not item_ids:
        return
    live = broadcaster()
    live.emit(
        "reveal", {"item_ids": list(item_ids), "revealed": revealed}, everyone(consultation_id)
    )
    if revealed:  # the results now go where they could not before
        for item_id in item_ids:
            live.tally_changed(consultation_id, item_id)


def timer_changed(consultation_id: int, state: LiveState) -> None:
    broadcaster().emit("timer", timer_payload(state), everyone(consultation_id))


def event_changed(consultation_id: int, event: LiveEvent | None) -> None:
    """A rehearsal starting or ending changes what every result shows: screens resync."""
    broadcaster().emit("event", {"event": event_payload(event)}, everyone(consultation_id))


def settings_changed(consultation_id: int) -> None:
    """Settings that change what screens may show: every screen asks for the state again."""
    from cocreate.live.services import live_state

    event = live_state(consultation_id).live_event
    broadcaster().emit("event", {"event": event_payload(event)}, everyone(consultation_id))
