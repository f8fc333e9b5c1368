"""The exports page and downloads for moderators, who may download what, and the CLI."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.errors import NotAllowed
from cocreate.exports.options import parse_options
from cocreate.exports.services import Channel, export
from cocreate.extensions import db
from cocreate.participation.models import Comment, Vote
from tests.conftest import DEMO_JSON, count_queries, join_as
from tests.exports.test_exports_tabular import read_csv_zip, read_workbook


def download_url(consultation, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/manage/{consultation.id}/exports/download?{query}"


# ---------------------------------------------------------------- the page


def test_overview_links_to_the_exports_page(exporter, demo):
    overview = exporter.get(f"/manage/{demo.id}")
    assert f'href="/manage/{demo.id}/exports"' in overview.text


def test_exports_page_offers_formats_modes_and_filters(exporter, feedback):
    demo = feedback.consultation
    page = exporter.get(f"/manage/{demo.id}/exports")
    assert page.status_code == 200
    assert "<h1>Exports</h1>" in page.text
    assert f'action="/manage/{demo.id}/exports/download"' in page.text
    assert 'method="get"' in page.text
    for value in ("xlsx", "csv", "shared", "full"):
        assert f'value="{value}"' in page.text
    assert "Spreadsheet (XLSX)" in page.text
    assert "Lisbon workshop" in page.text and "Dry run (rehearsal)" in page.text
    assert ">Government and policy</option>" in page.text
    assert ">Latin America</option>" in page.text


# ---------------------------------------------------------------- downloads


def test_moderator_downloads_a_spreadsheet_named_after_the_consultation(exporter, feedback):
    demo = feedback.consultation
    response = exporter.get(download_url(demo, format="xlsx"))
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="cocreate-{demo.id}-responsible-sourcing-for-wind-and-solar-'
        'shared.xlsx"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    workbook = read_workbook(response.data)
    assert workbook.sheetnames == ["summary", "items", "comments", "amendments", "votes"]


def test_moderator_downloads_the_full_csv_zip_with_filters(exporter, feedback):
    demo = feedback.consultation
    response = exporter.get(
        download_url(demo, format="csv", mode="full", group=demo.stakeholder_groups[1].id)
    )
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].endswith('-full.zip"')
    tables = read_csv_zip(response.data)
    assert {row["Display name"] for row in tables["comments"]} == {"Bo Hiddenname"}
    assert "Buy cheap copper!" in {row["Text"] for row in tables["comments"]}


def test_a_title_without_latin_letters_still_gives_a_file_name(exporter, demo):
    demo.title = "可再生能源路线图"
    db.session.commit()
    response = exporter.get(download_url(demo, format="csv"))
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="cocreate-{demo.id}-consultation-shared.zip"'
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"format": "docx"}, "An export format is one of: csv"),
        ({}, "An export format is one of"),
        ({"format": "csv", "mode": "everything"}, "An export mode is shared or full."),
        ({"format": "csv", "group": "Nobody"}, "This consultation has no such stakeholder group."),
        ({"format": "csv", "region": "999999"}, "This consultation has no such region."),
        ({"format": "csv", "event": "abc"}, "This consultation has no such event."),
    ],
)
def test_a_bad_choice_shows_the_page_with_a_message(exporter, demo, args, message):
    response = exporter.get(download_url(demo, **args))
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    assert message in response.text
    assert "<h1>Exports</h1>" in response.text


def test_another_consultations_event_is_refused(exporter, demo, moderator, feedback):
    second = import_draft(
        parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator]
    )
    response = exporter.get(download_url(second, format="csv", event=feedback.workshop.id))
    assert response.status_code == 422
    assert "This consultation has no such event." in response.text


# ---------------------------------------------------------------- who may download


@pytest.mark.parametrize("mode", ["shared", "full"])
def test_another_consultations_moderator_is_refused(web, demo, other_moderator, mode):
    web.login("other@example.org")
    assert web.get(f"/manage/{demo.id}/exports").status_code == 403
    response = web.get(download_url(demo, format="csv", mode=mode))
    assert response.status_code == 403
    assert "Content-Disposition" not in response.headers
    assert not response.data.startswith(b"PK")


@pytest.mark.parametrize("mode", ["shared", "full"])
def test_a_participant_gets_no_file_and_is_sent_to_the_login_page(guest, demo, mode):
    for url in (f"/manage/{demo.id}/exports", download_url(demo, format="xlsx", mode=mode)):
        response = guest.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def test_an_administrator_may_download(web, demo, admin):
    web.login("admin@example.org")
    response = web.get(download_url(demo, format="csv", mode="full"))
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None


def test_the_service_refuses_other_moderators_and_reads_nothing(demo, other_moderator):
    options = parse_options(demo, mode="full")
    with count_queries() as statements, pytest.raises(NotAllowed):
        export(demo, other_moderator, "csv", options, channel=Channel.PAGE)
    assert not [s for s in statements if "comment" in s.lower() or "vote" in s.lower()]


# ---------------------------------------------------------------- queries


def add_activity(demo, item, n: int) -> None:
    for i in range(n):
        joined = join_as(demo, "Industry", "Europe", name=f"Person {i}")
        db.session.add(Vote(item=item, participant=joined.participant, value="agree"))
        db.session.add(Comment(item=item, participant=joined.participant, body=f"Comment {i}"))
    db.session.commit()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_number_of_queries_does_not_grow_with_the_rows(exporter, demo, first_item, fmt):
    def queries_for_a_download() -> int:
        with count_queries() as statements:
            response = exporter.get(download_url(demo, format=fmt, mode="full"))
            assert len(response.data) > 0
        return len(statements)

    add_activity(demo, first_item, 3)
    few = queries_for_a_download()
    add_activity(demo, first_item, 30)
    many = queries_for_a_download()
    assert few == many, (few, many)
    assert few > 15  # the stream itself was read inside the block


# ---------------------------------------------------------------- the command line


def test_cli_exports_to_a_file(app, feedback, tmp_path):
    target = tmp_path / "results.xlsx"
    result = app.test_cli_runner().invoke(
        args=["export", str(feedback.consultation.id), "--format", "xlsx", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"Exported consultation \d+ \(xlsx, shared\)", result.output)
    workbook = read_workbook(target.read_bytes())
    assert len(workbook["votes"]["A"]) == 8  # the header and 7 votes
    assert not list(tmp_path.glob("*.part"))


def test_cli_exports_the_full_csv_with_filters(app, feedback, tmp_path):
    target = tmp_path / "results.zip"
    result = app.test_cli_runner().invoke(
        args=[
            "export",
            str(feedback.consultation.id),
            "--format",
            "csv",
            "--mode",
            "full",
            "--region",
            "Africa",
            "-o",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.output
    tables = read_csv_zip(target.read_bytes())
    assert {row["Region"] for row in tables["votes"]} == {"Africa"}
    assert [row["Display name"] for row in tables["participants"]] == ["Bo Hiddenname"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999", "--format", "csv"], "There is no consultation 999."),
        (["{id}", "--format", "docx"], "An export format is one of"),
        (["{id}", "--format", "csv", "--mode", "all"], "An export mode is shared or full."),
        (["{id}", "--format", "csv", "--group", "Nobody"], "no such stakeholder group"),
    ],
)
def test_cli_refuses_bad_input_with_a_message_and_writes_nothing(
    app, demo, tmp_path, args, message
):
    target = tmp_path / "out.bin"
    args = [arg.format(id=demo.id) for arg in args]
    result = app.test_cli_runner().invoke(args=["export", *args, "-o", str(target)])
    assert result.exit_code != 0
    assert message in result.output
    assert not target.exists()
