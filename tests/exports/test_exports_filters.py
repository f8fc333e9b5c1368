"""Naming an export's event, group or region: by id, or by title or name in any case and
with spaces around it, the same at the command line and in the API; a title two events
share, or one no event has, is refused with the ids or the titles there are."""

from __future__ import annotations

import pytest

from cocreate.accounts.tokens import create_token
from cocreate.extensions import db
from cocreate.live.models import EventFormat, LiveEvent
from tests.api.conftest import ContractClient, error_message
from tests.exports.test_exports_tabular import read_csv_zip


@pytest.fixture
def api(app, client):
    return ContractClient(app, client)


@pytest.fixture
def secret(moderator) -> str:
    return create_token(moderator, "script")[1]


def second_lisbon_workshop(consultation) -> LiveEvent:
    event = LiveEvent(
        consultation_id=consultation.id, title="lisbon workshop ", format=EventFormat.FORUM
    )
    db.session.add(event)
    db.session.commit()
    return event


def cli_export(app, consultation, target, *options: str):
    return app.test_cli_runner().invoke(
        args=["export", str(consultation.id), "--format", "csv", *options, "-o", str(target)]
    )


def comments_and_votes(data: bytes) -> dict[str, list[dict[str, str]]]:
    tables = read_csv_zip(data)
    return {name: tables[name] for name in ("comments", "votes")}


# ---------------------------------------------------------------- the command line


def test_cli_takes_an_events_title_in_any_case_with_spaces_around(app, feedback, tmp_path):
    demo = feedback.consultation
    by_title, by_id = tmp_path / "by-title.zip", tmp_path / "by-id.zip"

    titled = cli_export(app, demo, by_title, "--event", "  LISBON workshop ")
    numbered = cli_export(app, demo, by_id, "--event", str(feedback.workshop.id))

    assert titled.exit_code == 0, titled.output
    assert numbered.exit_code == 0, numbered.output
    chosen = comments_and_votes(by_title.read_bytes())
    assert [row["Text"] for row in chosen["comments"]] == ["Said at the workshop."]
    assert {row["Live event"] for row in chosen["votes"]} == {"Lisbon workshop"}
    assert chosen == comments_and_votes(by_id.read_bytes())


def test_cli_groups_and_regions_are_matched_the_same_way(app, feedback, tmp_path):
    target = tmp_path / "africa.zip"
    result = cli_export(
        app,
        feedback.consultation,
        target,
        "--mode",
        "full",
        "--group",
        "government AND policy",
        "--region",
        " AFRICA",
    )
    assert result.exit_code == 0, result.output
    votes = read_csv_zip(target.read_bytes())["votes"]
    assert {(row["Stakeholder group"], row["Region"]) for row in votes} == {
        ("Government and policy", "Africa")
    }


def test_cli_refuses_a_title_two_events_share_and_lists_their_ids(app, feedback, tmp_path):
    other = second_lisbon_workshop(feedback.consultation)
    target = tmp_path / "out.zip"

    result = cli_export(app, feedback.consultation, target, "--event", "Lisbon Workshop")

    assert result.exit_code != 0
    assert (
        "More than one event is called “Lisbon Workshop”; give the id of the one you mean: "
        f"{feedback.workshop.id}, {other.id}." in result.output
    )
    assert not target.exists()


def test_cli_refuses_an_unknown_title_naming_the_events_there_are(app, feedback, tmp_path):
    target = tmp_path / "out.zip"

    result = cli_export(app, feedback.consultation, target, "--event", "Porto workshop")

    assert result.exit_code != 0
    assert (
        "This consultation has no such event. Choose one of: "
        f"Lisbon workshop (id {feedback.workshop.id}), Dry run (id {feedback.rehearsal.id})."
    ) in result.output
    assert not target.exists()


def test_cli_says_when_there_is_no_event_at_all(app, demo, tmp_path):
    result = cli_export(app, demo, tmp_path / "out.zip", "--event", "Lisbon workshop")
    assert result.exit_code != 0
    assert "This consultation has no such event. It has none." in result.output


def test_cli_help_says_an_event_is_an_id_or_a_title(app):
    result = app.test_cli_runner().invoke(args=["export", "--help"])
    assert result.exit_code == 0
    assert "its id or its title" in " ".join(result.output.split())


# ---------------------------------------------------------------- the API


def test_api_takes_an_events_title(api, feedback, secret):
    demo = feedback.consultation
    response = api.get(
        f"/consultations/{demo.id}/export",
        token=secret,
        query_string={"format": "csv", "event": "lisbon workshop"},
    )
    assert response.status_code == 200
    comments = read_csv_zip(response.get_data())["comments"]
    assert [row["Text"] for row in comments] == ["Said at the workshop."]


def test_api_refuses_a_shared_title_with_the_ids(api, feedback, secret):
    demo = feedback.consultation
    other = second_lisbon_workshop(demo)
    response = api.get(
        f"/consultations/{demo.id}/export",
        token=secret,
        query_string={"format": "csv", "event": "Lisbon workshop"},
    )
    assert response.status_code == 422
    assert error_message(response) == (
        "More than one event is called “Lisbon workshop”; give the id of the one you mean: "
        f"{feedback.workshop.id}, {other.id}."
    )
