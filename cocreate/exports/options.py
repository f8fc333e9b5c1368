"""What an export contains: its mode and its filters, checked once for every way out
(the download page, the JSON API and the CLI)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

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
    """Options from user input: an id, or a title or name, of this consultation's event,
    stakeholder group and region (see ``pick``).

    :raises InvalidInput: for an unknown mode, or an event, group or region that is not
        this consultation's or whose title or name is shared by several.
    """

    try:
        chosen_mode = Mode(mode or Mode.SHARED)
    except ValueError:
        raise InvalidInput(_("An export mode is shared or full."), field="mode") from None

    events = db.session.scalars(
        db.select(LiveEvent)
        .where(LiveEvent.consultation_id == consultation.id)
        .order_by(LiveEvent.id)
    ).all()
    return ExportOptions(
        mode=chosen_mode,
        event_id=pick(event, events, attrgetter("title"), field="event", what=_("event")),
        group_id=pick(
            group,
            consultation.stakeholder_groups,
            attrgetter("name"),
            field="group",
            what=_("stakeholder group"),
        ),
        region_id=pick(
            region, consultation.regions, attrgetter("name"), field="region", what=_("region")
        ),
    )


def pick(
    value: str | int | None,
    rows: Sequence[Any],
    name_of: Callable[[Any], str],
    *,
    field: str,
    what: str,
) -> int | None:
    """The id of the row that ``value`` names: its id, or else its title or name, trimmed
    and in any case. Nothing (or only spaces) chooses no row.

    :raises InvalidInput: naming the rows there are when none matches, or listing the ids
        of those that share the name when several do.
    """
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    for row in rows:
        if str(row.id) == text:
            return row.id
    wanted = text.casefold()
    matching = [row for row in rows if name_of(row).strip().casefold() == wanted]
    if len(matching) == 1:
        return matching[0].id
    if matching:
        raise InvalidInput(
            _(
                "More than one %(what)s is called “%(name)s”; give the id of the one you "
                "mean: %(ids)s.",
                what=what,
                name=text,
                ids=", ".join(str(row.id) for row in matching),
            ),
            field=field,
        )
    there_are = (
        _(
            "Choose one of: %(names)s.",
            names=", ".join(
                _("%(name)s (id %(id)s)", name=name_of(row), id=row.id) for row in rows
            ),
        )
        if rows
        else _("It has none.")
    )
    raise InvalidInput(
        _("This consultation has no such %(what)s.", what=what) + " " + there_are, field=field
    )
