"""The spreadsheet and CSV exports opened by a real spreadsheet program, LibreOffice Calc,
which evaluates formulas: texts that look like formulas stay the texts participants wrote
(XLSX: string cells; CSV: behind an apostrophe), even with formula evaluation switched on
for the CSV, while numbers stay numbers. Each test first shows that Calc does evaluate the
same text when it is not protected, so that the check can fail."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from tests.exports.test_exports_tabular import (
    ARABIC,
    CHINESE,
    MULTILINE,
    exported,
)

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is missing: apt-get install libreoffice-calc-nogui (.ci/run does)",
)
# What a participant may type that a spreadsheet would take for a formula or a number.
RISKY = ["=SUM(A1)", "+1", "-40 %", "@x"]
# Calc's CSV filter: comma, double quote, UTF-8, from line 1, standard cells, English
# (United States) numbers, then for import: quoted fields as text no, detect special
# numbers no, ..., the 13th option, evaluate formulas: yes.
READ_CSV_EVALUATING = (
    "Text - txt - csv (StarCalc):44,34,76,1,,1033,false,false,false,false,false,0,true"
)
# For export: every sheet into a file of its own (-1), values as computed.
WRITE_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


# A profile in which Calc recomputes every formula of an XLSX file it opens, as Excel
# does, instead of showing the value the file stored.
RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def calc(source: Path, tmp_path: Path, infilter: str | None = None) -> dict[str, list[list[str]]]:
    """``source`` opened in LibreOffice Calc and saved as CSV, sheet by sheet: what Calc
    shows in each cell, formulas computed."""
    out = tmp_path / f"calc-{source.stem}"
    profile = tmp_path / "lo-profile"
    settings = profile / "user" / "registrymodifications.xcu"
    if not settings.exists():
        settings.parent.mkdir(parents=True)
        settings.write_text(RECALCULATE_ON_LOAD)
    command = [
        SOFFICE,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        *(["--infilter=" + infilter] if infilter else []),
        "--convert-to",
        WRITE_CSV,
        "--outdir",
        str(out),
        str(source),
    ]
    subprocess.run(command, capture_output=True, check=True, timeout=120)
    sheets = {}
    for path in sorted(out.glob("*.csv")):
        name = path.stem.removeprefix(source.stem).removeprefix("-") or source.stem
        text = path.read_text(encoding="utf-8-sig")
        sheets[name] = list(csv.reader(io.StringIO(text, newline="")))
    return sheets


def column(rows: list[list[str]], title: str) -> list[str]:
    index = rows[0].index(title)
    return [row[index] for row in rows[1:] if len(row) > index]


def test_calc_shows_formula_like_comments_of_the_spreadsheet_as_written(
    feedback, moderator, tmp_path
):
    control = tmp_path / "control.xlsx"
    with xlsxwriter.Workbook(str(control)) as workbook:
        workbook.add_worksheet("control").write_formula(0, 0, "=SUM(1,2)")
    assert calc(control, tmp_path)["control"] == [["3"]], "Calc computes formula cells"

    workbook = tmp_path / "export.xlsx"
    workbook.write_bytes(exported(feedback.consultation, "xlsx", moderator, mode="full"))
    sheets = calc(workbook, tmp_path)
    comments = sheets["comments"]
    texts = column(comments, "Text")
    for body in [*RISKY, CHINESE, ARABIC, MULTILINE]:
        assert body in texts
    by_id = dict(zip(column(comments, "ID"), column(comments, "Supports"), strict=True))
    for comment in feedback.visible:
        assert by_id[str(comment.id)] == str(comment.support_count)


def test_calc_evaluating_formulas_still_shows_the_csv_texts_as_written(
    feedback, moderator, tmp_path
):
    archive = zipfile.ZipFile(io.BytesIO(exported(feedback.consultation, "csv", moderator)))
    raw = archive.read("comments.csv").decode("utf-8-sig")
    protected = tmp_path / "comments.csv"
    protected.write_text(raw, encoding="utf-8-sig")
    unprotected = tmp_path / "unprotected.csv"
    unprotected.write_text(raw.replace("'=", "=").replace("'+", "+"), encoding="utf-8-sig")

    evaluated = column(calc(unprotected, tmp_path, READ_CSV_EVALUATING)["unprotected"], "Text")
    assert "=SUM(A1)" not in evaluated and "+1" not in evaluated, "Calc evaluates them"

    texts = column(calc(protected, tmp_path, READ_CSV_EVALUATING)["comments"], "Text")
    for body in RISKY:
        assert f"'{body}" in texts
    for body in [CHINESE, ARABIC, MULTILINE]:
        assert body in texts
    # A comment with line breaks is still one row.
    assert len(texts) == len(list(csv.DictReader(io.StringIO(raw, newline=""))))
