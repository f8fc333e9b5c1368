"""Running a live event: which event is live, the focus, voting phases, reveal, timer.

Every function here changes state for everyone in the room; callers push the change
with `cocreate.live.broadcast` after the commit.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from cocreate.accounts.models import User
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation
from cocreate.db import utcnow
from cocreate.drafts.models import Item
from cocreate.errors import InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.live.models import EventFormat, LiveEvent, LiveState

MAX_TIMER_SECONDS = 4 * 60 * 60


def live_state(consultation_id: int) -> LiveState:
    """The consultation's live state, created on first use (not committed)."""
    state = db.session.get(LiveState, consultation_id)
    if state is None:
        state = LiveState(consultation_id=consultation_id)
        db.session.add(state)
        db.session.flush()
    return state


def live_event_id(consultation_id: int) -> int | None:
    """The event live now, for tagging votes and comments: one indexed look-up."""
    return db.session.scalar(
        sa.select(LiveState.live_event_id).where(LiveState.consultation_id == consultation_id)
    )


def events_of(consultation: Consultation) -> list[LiveEvent]:
    return list(
        db.session.scalars(
            sa.select(LiveEvent)
            .where(LiveEvent.consultation_id == consultation.id)
            .order_by(LiveEvent.held_on.is_(None), LiveEvent.held_on, LiveEvent.id)
        )
    )


def get_event(consultation: Consultation, event_id: int) -> LiveEvent:
    """:raises NotFound: for an unknown id or another consultation's event."""
    event = db.session.get(LiveEvent, event_id)
    if event is None or event.consultation_id != consultation.id:
        raise NotFound(_("There is no such event in this consultation."), field="event")
    return event


def create_event(
    consultation: Consultation,
    actor: User,
    *,
    title: str,
    format: str,
    held_on: date | None = None,
    place: str = "",
    region: str | None = None,
    is_rehearsal: bool = False,
) -> LiveEvent:
    """:raises NotAllowed, InvalidInput:"""
    require_moderator(actor, consultation)
    title = (title or "").strip()
    if not title or len(title) > 200 or "\n" in title:
        raise InvalidInput(
            _("An event needs a title of one line, at most 200 characters."), field="title"
        )
    try:
        event_format = EventFormat(format)
    except ValueError:
        raise InvalidInput(
            _("An event is a workshop, a webinar or a forum."), field="format"
        ) from None
    place = (place or "").strip()
    if len(place) > 200:
        raise InvalidInput(_("A place has at most 200 characters."), field="place")
    region_row = None
    if region:
        region_row = consultation.region_named(region.strip())
        if region_row is None:
            raise InvalidInput(_("Choose one of this consultation's regions."), field="region")
    event = LiveEvent(
        consultation_id=consultation.id,
        title=title,
        format=event_format,
        held_on=held_on,
        place=place or "online",
        region=region_row,
        is_rehearsal=is_rehearsal,
    )
    db.session.add(event)
    db.session.commit()
    return event


def start_event(consultation: Consultation, actor: User, event: LiveEvent) -> LiveEvent:
    """Make ``event`` the live one.

    The check and the change are one conditional UPDATE, so two moderators starting
    two events at once cannot both succeed.

    :raises NotAllowed, InvalidInput:
    """
    require_moderator(actor, consultation)
    if event.consultation_id != consultation.id:
        raise NotFound(_("There is no such event in this consultation."))
    if event.ended_at is not None:
        raise InvalidInput(_("This event has ended; create a new one."))
    live_state(consultation.id)
    started = db.session.execute(
        sa.update(LiveState)
        .where(LiveState.consultation_id == consultation.id, LiveState.live_event_id.is_(None))
        .values(live_event_id=event.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if started.rowcount != 1:
        db.session.rollback()
        raise InvalidInput(_("Another event is live. End it before starting this one."))
    event.started_at = event.started_at or utcnow()
    db.session.commit()
    db.session.expire_all()
    return event


def end_event(consultation: Consultation, actor: User) -> LiveEvent | None:
    """End the live event, if any. :raises NotAllowed:"""
    require_moderator(actor, consultation)
    state = live_state(consultation.id)
    event = state.live_event
    if event is not None:
        event.ended_at = utcnow()
        state.live_event_id = None
        state.timer_ends_at = None
        state.timer_seconds = None
    db.session.commit()
    return event


def item_of(consultation: Consultation, item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None or item.consultation_id != consultation.id:
        raise NotFound(_("There is no such item in this consultation."), field="item")
    return item


def focus_item(consultation: Consultation, actor: User, item_id: int | None) -> Item | None:
    """Put one item on everyone's screen, or none. :raises NotAllowed, NotFound:"""
    require_moderator(actor, consultation)
    item = item_of(consultation, item_id) if item_id is not None else None
    live_state(consultation.id).focus_item_id = item.id if item else None
    db.session.commit()
    return item


def set_voting_open(
    consultation: Consultation, actor: User, is_open: bool, item_id: int | None = None
) -> list[int]:
    """Open or close voting on one item, or on all when ``item_id`` is None.

    :return: the ids of the items whose phase changed.
    :raises NotAllowed, NotFound:
    """
    require_moderator(actor, consultation)
    return set_item_flag(consultation, Item.voting_open, is_open, item_id)


def set_results_revealed(
    consultation: Consultation, actor: User, revealed: bool, item_id: int | None = None
) -> list[int]:
    """Reveal or hide results of one item, or all. :raises NotAllowed, NotFound:"""
    require_moderator(actor, consultation)
    return set_item_flag(consultation, Item.results_revealed, revealed, item_id)


def set_item_flag(
    consultation: Consultation, column, value: bool, item_id: int | None
) -> list[int]:
    query = sa.select(Item.id).where(Item.consultation_id == consultation.id, column != value)
    if item_id is not None:
        item_of(consultation, item_id)
        query = query.where(Item.id == item_id)
    changed = list(db.session.scalars(query))
    if changed:
        db.session.execute(
            sa.update(Item)
            .where(Item.id.in_(changed))
            .values({column.key: value})
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    db.session.expire_all()
    return changed


def start_timer(consultation: Consultation, actor: User, seconds: int) -> LiveState:
    """A countdown shown on every screen. :raises NotAllowed, InvalidInput:"""
    require_moderator(actor, consultation)
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not 1 <= seconds <= MAX_TIMER_SECONDS
    ):
        raise InvalidInput(_("A timer runs from 1 second to 4 hours."), field="seconds")
    state = live_state(consultation.id)
    state.timer_seconds = seconds
    state.timer_ends_at = utcnow() + timedelta(seconds=seconds)
    db.session.commit()
    return state


def stop_timer(consultation: Consultation, actor: User) -> LiveState:
    require_moderator(actor, consultation)
    state = live_state(consultation.id)
    state.timer_seconds = None
    state.timer_ends_at = None
    db.session.commit()
    return state


def live_scope(consultation_id: int) -> int | None:
    """The event whose data live screens show: a rehearsal in progress shows only itself;
    otherwise ``None``, meaning every real event."""
    row = db.session.execute(
        sa.select(LiveEvent.id, LiveEvent.is_rehearsal)
        .join(LiveState, LiveState.live_event_id == LiveEvent.id)
        .where(LiveState.consultation_id == consultation_id)
    ).first()
    return row.id if row is not None and row.is_rehearsal else None
