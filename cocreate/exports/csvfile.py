"""CSV export: a zip of one CSV file per table, streamed as it is written.

Each file is UTF-8 with a byte-order mark, so that spreadsheet programs read accents and
non-Latin scripts right, with comma separators and CRLF line ends; line breaks inside a
text stay in its quoted cell. Against formula injection, a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, and
nothing else is changed ("-40 %" becomes "'-40 %"); numbers stay numbers. Times are UTC,
written ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import datetime

from cocreate.consultations.models import Consultation
from cocreate.exports.formats import register
from cocreate.exports.options import ExportOptions
from cocreate.exports.tables import Table, tables

BOM = "\ufeff"
# Characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = frozenset("=+-@\t\r")
# Text gathered before it is compressed, and compressed bytes gathered before they are sent.
CHUNK = 64 * 1024
# zlib's fastest level: compressing takes a third of the time of the default for files
# about 15 % larger, and the export is sent as it is compressed.
COMPRESSION = 1


class Outbox:
    """A write-only file that keeps what is written until it is taken, for a zip archive
    to write into while its bytes are sent (zipfile handles a file that cannot seek)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


@register("csv", "application/zip", "zip")
def write(consultation: Consultation, options: ExportOptions) -> Iterator[bytes]:
    outbox = Outbox()
    with zipfile.ZipFile(
        outbox, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION
    ) as archive:
        for table in tables(consultation, options):
            with archive.open(f"{table.name}.csv", "w") as entry:
                for text in csv_text(table):
                    entry.write(text.encode())
                    if outbox.size >= CHUNK:
                        yield outbox.take()
            # Each file goes out as soon as it is complete: the download starts with the
            # summary, before the long tables are read.
            if outbox.size:
                yield outbox.take()
    yield outbox.take()


def csv_text(table: Table) -> Iterator[str]:
    """The table as CSV text, in pieces of about ``CHUNK`` characters."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow([column.title for column in table.columns])
    starts = FORMULA_STARTS
    for row in table.rows:
        # The hot loop of the export: `csv_cell` inlined, as a call per cell costs more.
        writer.writerow(
            [
                ("'" + value if value[:1] in starts else value)
                if value.__class__ is str
                # "YYYY-MM-DD HH:MM:SS" of a UTC time; str() is quicker than strftime().
                else str(value)[:19]
                if isinstance(value, datetime)
                else value
                for value in row
            ]
        )
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
