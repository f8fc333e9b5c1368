"""Taking a consultation's results out: one entry point for the download page, the JSON
API and the CLI.

Importing this module registers every format: each format module decorates its writer
with ``@register(...)`` (see ``cocreate.exports.formats``).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from cocreate.accounts.models import User
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation
from cocreate.errors import InvalidInput
from cocreate.exports import csvfile, jsonfile, report, xlsxfile  # noqa: F401  (registers)
from cocreate.exports.formats import Format, formats
from cocreate.exports.options import ExportOptions
from cocreate.extensions import db
from cocreate.live.models import LiveEvent


class Channel(enum.StrEnum):
    """How an export left: the audit log says so beside who took it."""

    PAGE = "page"
    API = "api"
    COMMAND_LINE = "command_line"


def export(
    consultation: Consultation,
    actor: User | None,
    fmt: str,
    options: ExportOptions,
    *,
    channel: Channel,
) -> tuple[Format, Iterator[bytes]]:
    """The format and the stream of the file's bytes; nothing is read before the stream is.

    ``actor=None`` is the operator at the command line, who may export everything; every
    other actor must moderate the consultation, for the shared mode as for the full one.
    A full export holds personal data: it is recorded in the audit log with its
    ``channel`` (the way out), and committed, before its stream is handed out, so the entry
    stays even if nobody reads the stream to its end. A shared one (no personal data) is
    not recorded.

    :raises NotAllowed: for anyone but the consultation's moderators (and administrators).
    :raises InvalidInput: for an unknown format.
    """
    if actor is not None:
        require_moderator(actor, consultation)
    chosen = format_named(fmt)
    if options.is_full:
        record_personal_data_out(
            consultation, actor, "export.full", options, channel, format=chosen.name
        )
        db.session.commit()
    return chosen, chosen.write(consultation, options)


def report_shown(consultation: Consultation, actor: User, options: ExportOptions) -> None:
    """Note that the report's page was shown to ``actor``: in full mode it holds the same
    personal data as a full export, so it is recorded in the audit log and committed.

    :raises NotAllowed: for anyone but the consultation's moderators (and administrators).
    """
    require_moderator(actor, consultation)
    if options.is_full:
        record_personal_data_out(consultation, actor, "report.view_full", options, Channel.PAGE)
        db.session.commit()


def record_personal_data_out(
    consultation: Consultation,
    actor: User | None,
    action: str,
    options: ExportOptions,
    channel: Channel,
    **detail: Any,
) -> None:
    """The audit entry, uncommitted: the mode, the channel and the filters, each filter
    with its id and its name at the time, so the entry still reads right after a rename."""
    record(
        consultation.id,
        actor,
        action,
        ("consultation", consultation.id),
        **detail,
        mode=options.mode.value,
        channel=channel.value,
        **filters_named(consultation, options),
    )


def filters_named(consultation: Consultation, options: ExportOptions) -> dict[str, dict]:
    """``{"event": {"id": 3, "name": "Lisbon workshop"}, ...}`` for the filters chosen."""
    event = db.session.get(LiveEvent, options.event_id) if options.event_id is not None else None
    groups = {group.id: group.name for group in consultation.stakeholder_groups}
    regions = {region.id: region.name for region in consultation.regions}
    names = {
        "event": (options.event_id, event.title if event else None),
        "group": (options.group_id, groups.get(options.group_id)),
        "region": (options.region_id, regions.get(options.region_id)),
    }
    return {
        key: {"id": chosen, "name": name}
        for key, (chosen, name) in names.items()
        if chosen is not None
    }


def format_named(name: str | None) -> Format:
    """:raises InvalidInput: naming the formats there are."""
    known = formats()
    chosen = known.get((name or "").strip().lower())
    if chosen is None:
        raise InvalidInput(
            _("An export format is one of: %(names)s.", names=", ".join(sorted(known))),
            field="format",
        )
    return chosen


def download_name(consultation: Consultation, chosen: Format, options: ExportOptions) -> str:
    """``cocreate-<id>-<slug>-<mode>.<ext>``: ASCII only, so every browser keeps it."""
    mode = options.mode.value
    return f"cocreate-{consultation.id}-{slug(consultation.title)}-{mode}.{chosen.extension}"


def slug(title: str, max_len: int = 40) -> str:
    """The title in lowercase ASCII words joined by hyphens ("consultation" when no
    letter survives, e.g. for a title in Chinese)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return words[:max_len].rstrip("-") or "consultation"
