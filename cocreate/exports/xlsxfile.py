"""Spreadsheet export: one XLSX workbook with a sheet per table.

Built with XlsxWriter in constant-memory mode (each row goes to a temporary file as it is
written), into a temporary file that is then sent in chunks. Every text is an explicit
string cell, so nothing is ever read as a formula and nothing is changed; counts and
shares are numbers, times are dates (UTC). Each sheet has a frozen, filterable header row
and column widths suited to what the column holds. A table longer than a sheet allows
continues on a second sheet ("votes (2)").
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from cocreate.concurrency import off_the_loop
from cocreate.consultations.models import Consultation
from cocreate.exports.formats import register
from cocreate.exports.options import ExportOptions
from cocreate.exports.tables import Column, Kind, Table, tables

CHUNK = 256 * 1024
MAX_ROWS = 1_048_576  # per sheet, the header row included
WIDTHS = {
    Kind.TEXT: 18,
    Kind.PARAGRAPH: 60,
    Kind.NUMBER: 10,
    Kind.SHARE: 11,
    Kind.SCORE: 10,
    Kind.TIMESTAMP: 18,
}
NUMBER_FORMATS = {
    Kind.SHARE: "0%",
    Kind.SCORE: "+0.00;-0.00;0.00",
    Kind.TIMESTAMP: "yyyy-mm-dd hh:mm:ss",
}
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@register("xlsx", MEDIA_TYPE, "xlsx")
def write(consultation: Consultation, options: ExportOptions) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as file:
        workbook = xlsxwriter.Workbook(
            file,
            {
                "constant_memory": True,
                # Times are UTC; a spreadsheet date cannot hold a zone.
                "remove_timezone": True,
                # Only `write()` would convert strings; we never call it, but be sure.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        formats = Formats(workbook)
        for table in tables(consultation, options):
            write_table(workbook, formats, table)
        # Zipping the sheets computes for seconds on a large consultation.
        off_the_loop(workbook.close)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk


class Formats:
    """The workbook's cell formats: wrapped paragraphs, percentages, scores and dates.

    Other cells have none: a format per cell costs time on long sheets, and short texts
    and counts read well in the default one.
    """

    def __init__(self, workbook: Workbook) -> None:
        self.header = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "text_wrap": True})
        self.by_kind = {
            Kind.PARAGRAPH: workbook.add_format({"text_wrap": True, "valign": "top"}),
            **{
                kind: workbook.add_format({"num_format": pattern})
                for kind, pattern in NUMBER_FORMATS.items()
            },
        }
        self.date = self.by_kind[Kind.TIMESTAMP]
        # See `write_text`.
        self.plain_run = workbook.add_format()

    def of(self, column: Column):
        return self.by_kind.get(column.kind)


def write_table(workbook: Workbook, formats: Formats, table: Table) -> None:
    sheet_number = 1
    sheet = new_sheet(workbook, formats, table, table.name)
    cell_formats = [formats.of(column) for column in table.columns]
    date = formats.date
    row_index = 0
    for row in table.rows:
        row_index += 1
        if row_index == MAX_ROWS:
            finish_sheet(sheet, table, row_index - 1)
            sheet_number += 1
            sheet = new_sheet(workbook, formats, table, f"{table.name} ({sheet_number})")
            row_index = 1
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if value.__class__ is str:
                write_text(sheet, row_index, col, value, cell_formats[col], formats)
            elif isinstance(value, datetime):
                sheet.write_datetime(row_index, col, value, date)
            else:
                sheet.write_number(row_index, col, value, cell_formats[col])
    finish_sheet(sheet, table, row_index)


def write_text(sheet: Worksheet, row: int, col: int, text: str, cell_format, formats) -> None:
    """An explicit string cell holding ``text`` unchanged.

    XlsxWriter (3.3, constant-memory and shared-string modes alike) copies a string that
    starts with ``<r>`` and ends with ``</r>`` into the file as raw XML, taking it for a
    rich string it made itself: a participant could write cells, formulas included. Such
    a text is written as a rich string of two escaped runs instead, which shows the same.
    """
    if text.startswith("<r>") and text.endswith("</r>"):
        runs = [formats.plain_run, text[:1], text[1:]]
        sheet.write_rich_string(row, col, *runs, *([cell_format] if cell_format else []))
    else:
        sheet.write_string(row, col, text, cell_format)


def new_sheet(workbook: Workbook, formats: Formats, table: Table, name: str) -> Worksheet:
    sheet = workbook.add_worksheet(name)
    for col, column in enumerate(table.columns):
        sheet.set_column(col, col, WIDTHS[column.kind])
        sheet.write_string(0, col, column.title, formats.header)
    sheet.freeze_panes(1, 0)
    return sheet


def finish_sheet(sheet: Worksheet, table: Table, last_row: int) -> None:
    sheet.autofilter(0, 0, last_row, len(table.columns) - 1)
