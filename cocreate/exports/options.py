"""What an export contains: its mode and its filters, checked once for every way out
(the download page, the JSON API and the CLI)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _

from cocreate.consultations.models import Consultation
from cocreate.errors import InvalidInput
from cocreate.extensions import db
from cocreate.live.models import LiveEvent


class Mode(enum.StrEnum):
    # For handing results on: no display names, hidden comments left out, small groups
    # suppressed as on the pages.
    SHARED = "shared"
    # Moderators only: everything, for archives and for moving to another server.
    FULL = "full"


@dataclass(frozen=True)
class ExportOptions:
    mode: Mode = Mode.SHARED
    event_id: int | None = None
    group_id: int | None = None
    region_id: int | None = None

    @property
    def is_full(self) -> bool:
        return self.mode is Mode.FULL

    @property
    def is_filtered(self) -> bool:
        return any(v is not None for v in (self.event_id, self.group_id, self.region_id))


def parse_options(
    consultation: Consultation,
    *,
    mode: str | None = None,
    event: str | int | None = None,
    group: str | int | None = None,
    region: str | int | None = None,
) -> ExportOptions:
    """Options from user input: ids (or names, for groups and regions) of this consultation.

    :raises InvalidInput: for an unknown mode, or an event, group or region that is not
        this consultation's.
    """

    try:
        chosen_mode = Mode(mode or Mode.SHARED)
    except ValueError:
        raise InvalidInput(_("An export mode is shared or full."), field="mode") from None

    def pick(value, rows, field: str, what: str) -> int | None:
        if value in (None, ""):
            return None
        text = str(value).strip()
        for row in rows:
            if str(row.id) == text or getattr(row, "name", None) == text:
                return row.id
        raise InvalidInput(_("This consultation has no such %(what)s.", what=what), field=field)

    events = db.session.scalars(
        db.select(LiveEvent).where(LiveEvent.consultation_id == consultation.id)
    ).all()
    return ExportOptions(
        mode=chosen_mode,
        event_id=pick(event, events, "event", _("event")),
        group_id=pick(group, consultation.stakeholder_groups, "group", _("stakeholder group")),
        region_id=pick(region, consultation.regions, "region", _("region")),
    )
