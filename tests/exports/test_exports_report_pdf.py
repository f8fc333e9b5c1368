"""The report as a PDF, read back with poppler: its text (``pdftotext``), its pages
(``pdfinfo``) and its page images (``pdftoppm``), in both modes, outside a request (as the
command line makes it) and from the download page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cocreate.exports import report
from cocreate.exports.formats import formats
from cocreate.exports.options import ExportOptions, Mode
from tests.exports.test_exports_report import (
    CHINESE,
    FINAL_TEXT,
    HIDDEN,
    MULTILINE,
    NAMES,
    RATIONALE,
    REJECTED_RATIONALE,
    arrange_rich,
)

POPPLER = ["pdftotext", "pdfinfo", "pdftoppm"]
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils is missing: apt-get install poppler-utils (.ci/run does)",
)


@pytest.fixture
def rich(demo, moderator):
    return arrange_rich(demo, moderator)


def pdf_of(consultation, mode: Mode = Mode.SHARED) -> bytes:
    """The registered writer's bytes, outside any request, as the command line runs it
    (the fixtures give an application context only)."""
    return b"".join(formats()["pdf"].write(consultation, ExportOptions(mode=mode)))


def run(*command: str | Path) -> str:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode("utf-8")


def text_of(pdf: Path) -> str:
    """The PDF's text with its lines joined, so that wrapped sentences read whole, and
    without hyphens: pdftotext drops the one where a line broke ("risk-" "based")."""
    return flat(run("pdftotext", "-enc", "UTF-8", pdf, "-"))


def flat(text: str) -> str:
    return " ".join(text.replace("-", "").split())


def page_count(pdf: Path) -> int:
    line = next(line for line in run("pdfinfo", pdf).splitlines() if line.startswith("Pages:"))
    return int(line.split()[1])


def grey_levels(pgm: Path) -> list[int]:
    """The pixels of a binary PGM (P5, 8 bits), as pdftoppm -gray writes it."""
    data = pgm.read_bytes()
    fields, position = [], 0
    while len(fields) < 4:  # magic, width, height, maximum; then one whitespace byte
        while data[position : position + 1].isspace():
            position += 1
        end = position
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    assert fields[0] == b"P5" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    return list(data[position + 1 : position + 1 + width * height])


def test_pdf_shows_final_texts_rationales_chinese_and_groups(rich, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_of(rich.consultation))
    assert formats()["pdf"].write is report.write_pdf
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = text_of(pdf)
    assert flat(FINAL_TEXT) in text
    assert RATIONALE in text
    assert CHINESE in text
    assert flat(MULTILINE) in text
    assert "<b>without</b>" in text  # shown as typed, never read as markup
    for group in ("Industry", "Civil society and NGOs", "Government and policy"):
        assert group in text
    assert "fewer than 5 voters" in text
    assert "Annex: you said, we did" in text and "Who took part" in text
    # Shared: nobody's name, no hidden comment.
    for name in NAMES:
        assert name not in text
    assert HIDDEN not in text and REJECTED_RATIONALE not in text

    pages = page_count(pdf)
    assert pages >= 2
    # Every page is drawn: its image is not one flat colour.
    run("pdftoppm", "-r", "50", "-gray", pdf, tmp_path / "page")
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages
    for image in images:
        levels = grey_levels(image)
        mean = sum(levels) / len(levels)
        variance = sum((level - mean) ** 2 for level in levels) / len(levels)
        assert variance > 50, f"{image.name} looks blank"
        assert min(levels) < 100  # some dark text on the white page


def test_full_pdf_names_authors_and_shows_hidden_comments(rich, tmp_path):
    pdf = tmp_path / "full.pdf"
    pdf.write_bytes(pdf_of(rich.consultation, Mode.FULL))
    text = text_of(pdf)
    for name in NAMES:
        assert name in text
    assert HIDDEN in text and REJECTED_RATIONALE in text
    assert "Full report: for moderators only." in text


def test_moderator_downloads_the_pdf_with_the_chosen_filters(web, rich, tmp_path):
    web.login("mod@example.org")
    response = web.get(
        f"/manage/{rich.consultation.id}/exports/download"
        "?format=pdf&mode=shared&group=Civil+society+and+NGOs"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "download.pdf"
    pdf.write_bytes(response.data)
    text = text_of(pdf)
    assert CHINESE in text and "Stakeholder group Civil society and NGOs" in text
    assert RATIONALE not in text  # Ana's and Bo's comments are another group's


def test_pdf_rendering_reads_no_file_but_the_static_ones(app):
    fetcher = report.StaticFiles(Path(app.static_folder), "https://report.invalid/static/")
    css = fetcher.fetch("https://report.invalid/static/css/report.css")
    assert css.content_type == "text/css" and b"@page" in css.read()
    for url in [
        "file:///etc/passwd",
        "https://example.org/tracker.png",
        "https://report.invalid/static/../cocreate/config.py",
        "https://report.invalid/static/css/missing.css",
    ]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
