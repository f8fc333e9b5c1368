"""Taking a consultation's results out: one entry point for the download page, the JSON
API and the CLI.

Importing this module registers every format: each format module decorates its writer
with ``@register(...)`` (see ``cocreate.exports.formats``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from flask_babel import gettext as _

from cocreate.accounts.models import User
from cocreate.authz import require_moderator
from cocreate.consultations.models import Consultation
from cocreate.errors import InvalidInput
from cocreate.exports import csvfile, jsonfile, report, xlsxfile  # noqa: F401  (registers)
from cocreate.exports.formats import Format, formats
from cocreate.exports.options import ExportOptions


def export(
    consultation: Consultation, actor: User | None, fmt: str, options: ExportOptions
) -> tuple[Format, Iterator[bytes]]:
    """The format and the stream of the file's bytes; nothing is read before the stream is.

    ``actor=None`` is the operator at the command line, who may export everything; every
    other actor must moderate the consultation, for the shared mode as for the full one.

    :raises NotAllowed: for anyone but the consultation's moderators (and administrators).
    :raises InvalidInput: for an unknown format.
    """
    if actor is not None:
        require_moderator(actor, consultation)
    chosen = format_named(fmt)
    return chosen, chosen.write(consultation, options)


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
