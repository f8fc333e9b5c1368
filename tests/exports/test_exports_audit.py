"""Full exports in the audit log: every way personal data leaves (the download page, the
API, the command line, the report's page in full mode) adds one entry saying who, how,
in which format and with which filters; shared exports and refusals add nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cocreate.accounts.tokens import create_token
from cocreate.audit.models import AuditEntry
from cocreate.extensions import db
from tests.api.conftest import ContractClient
from tests.audit.test_audit_log import rows_of
from tests.exports.test_exports_download import download_url

ACTIONS = ("export.full", "report.view_full")


@pytest.fixture
def api(app, client):
    return ContractClient(app, client)


def personal_data_entries() -> list[sa.Row]:
    """The entries as another connection sees them: only what was committed."""
    query = (
        sa.select(AuditEntry.__table__)
        .where(AuditEntry.action.in_(ACTIONS))
        .order_by(AuditEntry.id)
    )
    with db.engine.connect() as elsewhere:
        return list(elsewhere.execute(query))


def database_state() -> dict[str, list]:
    """Every row of every table, except when an API token was last used (any call with
    the token notes that, refused or not)."""
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        columns = [
            c for c in table.columns if (table.name, c.name) != ("api_token", "last_used_at")
        ]
        query = sa.select(*columns).order_by(*table.primary_key.columns)
        state[table.name] = [tuple(row) for row in db.session.execute(query)]
    return state


def filters_of(feedback) -> dict:
    demo = feedback.consultation
    group = demo.stakeholder_groups[1]
    return {
        "event": {"id": feedback.workshop.id, "name": "Lisbon workshop"},
        "group": {"id": group.id, "name": group.name},
    }


def cli_export(app, consultation_id: int, target, *args: str):
    return app.test_cli_runner().invoke(
        args=["export", str(consultation_id), *args, "-o", str(target)]
    )


# ---------------------------------------------------------------- one entry per way out


def test_a_full_download_from_the_page_is_recorded_with_its_format_and_filters(
    exporter, feedback, moderator
):
    demo = feedback.consultation
    group = demo.stakeholder_groups[1]
    response = exporter.get(
        download_url(demo, format="csv", mode="full", event=feedback.workshop.id, group=group.id)
    )
    assert response.status_code == 200
    response.get_data()

    (entry,) = personal_data_entries()
    assert (entry.consultation_id, entry.actor_id, entry.action) == (
        demo.id,
        moderator.id,
        "export.full",
    )
    assert (entry.subject_type, entry.subject_id) == ("consultation", demo.id)
    assert entry.detail == {
        "format": "csv",
        "mode": "full",
        "channel": "page",
        **filters_of(feedback),
    }


def test_the_entry_is_committed_before_the_file_is_read(exporter, demo, moderator):
    response = exporter.client.get(download_url(demo, format="json", mode="full"), buffered=False)
    assert response.status_code == 200
    response.close()  # the client drops the download without reading a byte

    assert [(e.actor_id, e.action) for e in personal_data_entries()] == [
        (moderator.id, "export.full")
    ]


def test_a_full_export_through_the_api_is_recorded_as_the_tokens_moderator(
    api, feedback, moderator
):
    demo = feedback.consultation
    _token, secret = create_token(moderator, "archive script")
    response = api.get(
        f"/consultations/{demo.id}/export",
        token=secret,
        query_string={"format": "json", "mode": "full", "region": " africa "},
    )
    assert response.status_code == 200
    response.get_data()

    (entry,) = personal_data_entries()
    africa = next(region for region in demo.regions if region.name == "Africa")
    assert (entry.actor_id, entry.action) == (moderator.id, "export.full")
    assert entry.detail == {
        "format": "json",
        "mode": "full",
        "channel": "api",
        "region": {"id": africa.id, "name": "Africa"},
    }


def test_a_full_export_at_the_command_line_is_recorded_as_the_operators(app, feedback, tmp_path):
    demo = feedback.consultation
    group = demo.stakeholder_groups[1]
    result = cli_export(
        app,
        demo.id,
        tmp_path / "archive.xlsx",
        "--format",
        "xlsx",
        "--mode",
        "full",
        "--event",
        "Lisbon workshop",
        "--group",
        group.name,
    )
    assert result.exit_code == 0, result.output

    (entry,) = personal_data_entries()
    assert (entry.actor_id, entry.action) == (None, "export.full")
    assert entry.detail == {
        "format": "xlsx",
        "mode": "full",
        "channel": "command_line",
        **filters_of(feedback),
    }


def test_viewing_the_full_report_page_is_recorded(exporter, feedback, moderator):
    demo = feedback.consultation
    page = exporter.get(f"/manage/{demo.id}/report?mode=full&event={feedback.workshop.id}")
    assert page.status_code == 200

    (entry,) = personal_data_entries()
    assert (entry.actor_id, entry.action) == (moderator.id, "report.view_full")
    assert entry.detail == {
        "mode": "full",
        "channel": "page",
        "event": {"id": feedback.workshop.id, "name": "Lisbon workshop"},
    }


def test_a_full_pdf_is_one_export_and_not_also_a_report_view(exporter, demo):
    response = exporter.get(download_url(demo, format="pdf", mode="full"))
    assert response.status_code == 200
    response.get_data()

    assert [(e.action, e.detail["format"]) for e in personal_data_entries()] == [
        ("export.full", "pdf")
    ]


def test_shared_exports_and_the_shared_report_are_not_recorded(
    exporter, api, app, demo, moderator, tmp_path
):
    before = database_state()
    assert exporter.get(download_url(demo, format="csv")).status_code == 200
    assert exporter.get(f"/manage/{demo.id}/report").status_code == 200
    _token, secret = create_token(moderator, "script")
    response = api.get(
        f"/consultations/{demo.id}/export", token=secret, query_string={"format": "json"}
    )
    assert response.status_code == 200
    result = cli_export(app, demo.id, tmp_path / "shared.zip", "--format", "csv")
    assert result.exit_code == 0, result.output

    after = database_state()
    assert after.pop("api_token") != before.pop("api_token")  # only the new token
    assert after == before


# ---------------------------------------------------------------- the audit page


def test_the_audit_page_says_who_took_personal_data_how_and_with_which_filters(
    exporter, api, app, feedback, moderator, tmp_path
):
    demo = feedback.consultation
    exporter.get(download_url(demo, format="xlsx", mode="full", event=feedback.workshop.id))
    _token, secret = create_token(moderator, "script")
    api.get(
        f"/consultations/{demo.id}/export",
        token=secret,
        query_string={"format": "csv", "mode": "full"},
    ).get_data()
    cli_export(app, demo.id, tmp_path / "all.json", "--format", "json", "--mode", "full")
    exporter.get(f"/manage/{demo.id}/report?mode=full")

    report, command_line, through_api, page = rows_of(
        exporter.get(f"/manage/{demo.id}/audit").text
    )[:4]

    assert "mod@example.org" in page
    assert "Exported personal data: a full export (names, hidden comments, moderation data)" in page
    assert "format xlsx" in page and "mode full (with personal data)" in page
    assert "through the website" in page
    assert f"live event Lisbon workshop (#{feedback.workshop.id})" in page
    assert (
        "mod@example.org" in through_api and "through the API, with a personal token" in through_api
    )
    assert "the operator, at the command line" in command_line
    assert "a deleted account" not in command_line
    assert "format json" in command_line and "through the command line" in command_line
    assert "Viewed personal data: the full report, on screen" in report
    assert "mod@example.org" in report and "format" not in report


# ---------------------------------------------------------------- refusals record nothing


@pytest.mark.parametrize(
    "args",
    [
        {"format": "docx", "mode": "full"},
        {"format": "csv", "mode": "full", "group": "Nobody"},
        {"format": "csv", "mode": "full", "event": "999999"},
    ],
)
def test_a_refused_download_records_nothing(exporter, demo, args):
    before = database_state()
    assert exporter.get(download_url(demo, **args)).status_code == 422
    assert database_state() == before


def test_another_consultations_moderator_is_refused_and_nothing_is_recorded(
    web, demo, other_moderator
):
    web.login("other@example.org")
    before = database_state()
    assert web.get(download_url(demo, format="csv", mode="full")).status_code == 403
    assert web.get(f"/manage/{demo.id}/report?mode=full").status_code == 403
    assert database_state() == before


def test_a_refused_report_page_records_nothing(exporter, demo):
    before = database_state()
    assert exporter.get(f"/manage/{demo.id}/report?mode=full&region=Atlantis").status_code == 422
    assert database_state() == before


@pytest.mark.parametrize(
    ("owner", "query", "status"),
    [
        ("moderator", {"format": "docx", "mode": "full"}, 422),
        ("moderator", {"format": "csv", "mode": "full", "region": "Atlantis"}, 422),
        ("other_moderator", {"format": "csv", "mode": "full"}, 403),
    ],
)
def test_a_refused_api_export_records_nothing(api, demo, request, owner, query, status):
    _token, secret = create_token(request.getfixturevalue(owner), "script")
    before = database_state()
    response = api.get(f"/consultations/{demo.id}/export", token=secret, query_string=query)
    assert response.status_code == status
    assert database_state() == before


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "docx", "--mode", "full"],
        ["--format", "csv", "--mode", "full", "--event", "No such event"],
    ],
)
def test_a_refused_command_line_export_records_nothing(app, demo, tmp_path, args):
    before = database_state()
    result = cli_export(app, demo.id, tmp_path / "out.bin", *args)
    assert result.exit_code != 0
    assert database_state() == before
