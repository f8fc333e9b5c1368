"""The JSON export: its content in both modes, its schema, and the round trip through an
import into a new consultation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import url_for
from jsonschema import Draft202012Validator

from cocreate.amendments import services as amendments
from cocreate.consolidation.services import record_dispositions, save_final_text
from cocreate.consultations.models import Consultation, Status
from cocreate.db import utcnow
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.models import Item
from cocreate.drafts.services import import_draft
from cocreate.exports import jsonfile
from cocreate.exports.importing import import_consultation
from cocreate.exports.options import ExportOptions, Mode, parse_options
from cocreate.exports.services import Channel, export
from cocreate.extensions import db
from cocreate.live import services as live
from cocreate.moderation import services as moderation
from cocreate.participation import services as participation
from cocreate.participation.models import Comment, Participant, Vote
from cocreate.publication.services import build_snapshot, compare, latest_publication, publish
from tests.conftest import DEMO_JSON, count_queries, join_as

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "cocreate" / "exports" / "schema.json").read_text("utf-8")
)
RUSSIAN = "Первый пункт слишком слабый.\nВторая строка — 中文也可以。"
FORMULA = '=HYPERLINK("http://example.org")\r\n-40 % by 2030'
FINAL_1 = "Every company publishes an audited due diligence report every year."
FINAL_2 = "Every company publishes an audited due diligence report every year, in public."


def full() -> ExportOptions:
    return ExportOptions(mode=Mode.FULL)


def exported(consultation: Consultation, options: ExportOptions | None = None) -> dict:
    """The export as a reader sees it: the file's bytes parsed by the json module."""
    fmt, chunks = export(
        consultation,
        consultation.moderators[0],
        "json",
        options or full(),
        channel=Channel.PAGE,
    )
    assert (fmt.media_type, fmt.extension) == ("application/json", "json")
    return json.loads(b"".join(chunks).decode("utf-8"))


def without_ids(document: dict) -> dict:
    """What two exports of the same content share: all but the export's time and the
    consultation's own id and join code."""
    copy = json.loads(json.dumps(document))
    del copy["exported_at"]
    del copy["consultation"]["id"]
    del copy["consultation"]["join_code"]
    return copy


def items_of(consultation: Consultation) -> list[Item]:
    return [item for document in consultation.documents for item in document.items]


@pytest.fixture
def rich(demo, moderator) -> Consultation:
    """The demo filled with every kind of state an export carries, then published."""
    first, second = items_of(demo)[:2]
    ana = join_as(demo, "Industry", "Europe", name="Ana Secretname")
    bo = join_as(demo, "Government and policy", "Africa", name="Бо Хидден")
    cy = join_as(demo, "Civil society and NGOs", None, name="")
    crowd = [join_as(demo, "Industry", "Asia") for _ in range(5)]

    workshop = live.create_event(
        demo, moderator, title="Lisbon workshop", format="workshop", region="Europe"
    )
    live.start_event(demo, moderator, workshop)
    participation.cast_vote(ana.participant, first, "agree")
    participation.cast_vote(bo.participant, first, "strongly_disagree")
    visible = participation.post_comment(ana.participant, first, RUSSIAN)
    live.end_event(demo, moderator)

    rehearsal = live.create_event(
        demo, moderator, title="Dry run", format="webinar", is_rehearsal=True
    )
    live.start_event(demo, moderator, rehearsal)
    participation.cast_vote(cy.participant, second, "neutral")
    live.end_event(demo, moderator)

    for joined in crowd:
        participation.cast_vote(joined.participant, first, "agree")
        participation.cast_vote(joined.participant, second, "disagree")
    participation.cast_vote(ana.participant, first, "strongly_agree")  # after the workshop

    participation.post_comment(bo.participant, first, "Я не согласен.", visible.id)
    hidden = participation.post_comment(cy.participant, first, FORMULA)
    moderation.hide_comment(hidden, moderator, "other", "Looks like a spreadsheet formula.")
    target = participation.post_comment(bo.participant, second, "Independent audits, please.")
    duplicate = participation.post_comment(cy.participant, second, "Audits by someone else!")
    participation.support_comment(crowd[0].participant, duplicate.id)
    participation.support_comment(crowd[1].participant, target.id)
    moderation.merge_comments(target, [duplicate], moderator)
    participation.support_comment(ana.participant, target.id)
    moderation.flag_comment(crowd[2].participant, visible.id)
    moderation.set_tags(visible, moderator, ["Audits", "Human rights"])
    moderation.set_tags(target, moderator, ["Audits"])
    moderation.answer_comment(visible, moderator, "Thank you.\nWe will look at it.")
    moderation.set_pinned(target, moderator, True)

    demo.premoderation = True
    demo.review_words = "copper"
    db.session.commit()
    participation.post_comment(crowd[3].participant, first, "More copper recycling.")
    demo.premoderation = False
    db.session.commit()
    moderation.mute_participant(crowd[4].participant, moderator)

    amendment = amendments.propose(
        ana.participant, first, "By 2030 every company publishes an audited report.", "Audits."
    )
    amendments.cast_vote(bo.participant, amendment, "agree")
    amendments.cast_vote(crowd[0].participant, amendment, "disagree")

    save_final_text(first, moderator, FINAL_1, expected_version=0, note="First pass")
    save_final_text(first, moderator, FINAL_2, expected_version=1, note="Made public")
    record_dispositions(
        demo,
        moderator,
        outcome="taken_up",
        rationale="We asked for audits.",
        passage="audited",
        comment_ids=[visible.id],
    )
    record_dispositions(
        demo,
        moderator,
        outcome="partly_taken_up",
        rationale="Kept yearly.",
        amendment_ids=[amendment.id],
    )
    record_dispositions(
        demo, moderator, outcome="out_of_scope", rationale="Not for us.", comment_ids=[hidden.id]
    )
    erased = crowd[1].participant
    erased.display_name, erased.erased_at = "", utcnow()
    demo.retention_days = 180
    demo.status = Status.CLOSED
    db.session.commit()
    publish(demo, moderator, note="First publication", confirm_unconsolidated=True)
    return demo


def comment_entry(document: dict, body: str) -> dict:
    return next(comment for comment in document["comments"] if comment["body"] == body)


# ---------------------------------------------------------------- round trip


def test_full_export_imports_into_a_new_consultation_that_exports_the_same(rich):
    first = exported(rich)
    data = json.dumps(first, ensure_ascii=False).encode()

    imported = import_consultation(data).consultation

    assert imported.id != rich.id
    assert imported.join_code != rich.join_code
    again = exported(imported)
    assert without_ids(again) == without_ids(first)
    # Not trivially: the file holds every kind of state.
    assert len(first["participants"]) == 8
    assert len(first["votes"]) == 13
    assert len(first["comments"]) == 6
    assert [
        version["number"]
        for version in first["documents"][0]["sections"][0]["items"][0]["versions"]
    ] == [1, 2]
    assert first["publications"][0]["revision"] == 1
    assert {event["title"]: event["rehearsal"] for event in first["events"]} == {
        "Lisbon workshop": False,
        "Dry run": True,
    }


def test_round_trip_keeps_non_latin_text_line_breaks_and_formula_like_text_exactly(rich):
    imported = import_consultation(json.dumps(exported(rich)).encode()).consultation

    bodies = set(
        db.session.scalars(
            sa.select(Comment.body)
            .join(Item, Comment.item_id == Item.id)
            .where(Item.consultation_id == imported.id)
        )
    )
    assert {RUSSIAN, FORMULA, "Я не согласен."} <= bodies
    names = set(
        db.session.scalars(
            sa.select(Participant.display_name).where(Participant.consultation_id == imported.id)
        )
    )
    assert "Бо Хидден" in names


def test_imported_publication_matches_the_imported_texts_and_dispositions(rich):
    """The snapshot's ids were translated: the new consultation has nothing to correct."""
    imported = import_consultation(json.dumps(exported(rich)).encode()).consultation

    assert not compare(latest_publication(imported.id), build_snapshot(imported)).changed


def test_imported_participants_cannot_act_with_their_old_secrets(demo, moderator):
    joined = join_as(demo, "Industry", "Europe", name="Ana")

    imported = import_consultation(json.dumps(exported(demo)).encode()).consultation

    copy = db.session.scalar(
        sa.select(Participant).where(Participant.consultation_id == imported.id)
    )
    assert copy.display_name == "Ana"
    assert participation.participant_by_token(joined.token).id == joined.participant.id
    assert copy.token_digest != joined.participant.token_digest
    assert copy.return_code_digest != joined.participant.return_code_digest


def test_import_makes_the_files_moderators_with_an_account_here_moderate_it(demo, moderator):
    imported = import_consultation(json.dumps(exported(demo)).encode())

    assert imported.consultation.moderators == [moderator]
    assert imported.unknown_accounts == []


def test_accounts_unknown_here_are_reported_and_left_without_author(rich):
    document = exported(rich)
    document["consultation"]["moderators"].append("gone@example.org")
    version = document["documents"][0]["sections"][0]["items"][0]["versions"][0]
    version["author"] = "gone@example.org"

    imported = import_consultation(json.dumps(document).encode())

    assert imported.unknown_accounts == ["gone@example.org"]
    again = exported(imported.consultation)
    assert again["documents"][0]["sections"][0]["items"][0]["versions"][0]["author"] is None


# ---------------------------------------------------------------- content


def test_exports_validate_against_the_documented_schema(rich):
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    Draft202012Validator.check_schema(SCHEMA)
    workshop = next(e.id for e in live.events_of(rich) if not e.is_rehearsal)
    for options in (
        full(),
        ExportOptions(),
        parse_options(rich, mode="full", group="Industry"),
        parse_options(rich, mode="shared", event=workshop, region="Europe"),
    ):
        document = exported(rich, options)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == [], options


def schema_problems(document: dict) -> set[str]:
    """Every message of the schema's verdict, also those under its oneOf (full or shared)."""
    found, pending = set(), list(Draft202012Validator(SCHEMA).iter_errors(document))
    while pending:
        error = pending.pop()
        found.add(error.message)
        pending += error.context
    return found


def test_schema_refuses_what_the_format_forbids(rich):
    shared = exported(rich, ExportOptions())
    shared["comments"][0]["participant"] = "P1"
    full_document = exported(rich)
    full_document["votes"][0]["value"] = "maybe"
    full_document["format"] = "cocreate-export/2"

    assert "Additional properties are not allowed ('participant' was unexpected)" in (
        schema_problems(shared)
    )
    problems = schema_problems(full_document)
    assert "'cocreate-export/1' was expected" in problems
    assert any(problem.startswith("'maybe' is not one of") for problem in problems)


def test_shared_export_has_no_names_no_hidden_comments_and_no_moderation_data(rich):
    document = exported(rich, ExportOptions())
    text = json.dumps(document, ensure_ascii=False)

    assert document["mode"] == "shared"
    assert "participants" not in document
    assert "Ana Secretname" not in text and "Бо Хидден" not in text
    assert "mod@example.org" not in text
    bodies = [comment["body"] for comment in document["comments"]]
    assert FORMULA not in bodies  # hidden
    assert "Audits by someone else!" not in bodies  # merged
    assert "More copper recycling." not in bodies  # awaiting approval
    assert RUSSIAN in bodies and "Я не согласен." in bodies
    for comment in document["comments"]:
        assert set(comment) == {
            "id",
            "item",
            "parent",
            "group",
            "region",
            "body",
            "pinned",
            "supports",
            "tags",
            "answers",
            "event",
            "disposition",
        }
    assert "Not for us." not in text  # the hidden comment's disposition
    assert "hidden_note" not in text and "flags" not in text and "created_at" not in text


def test_shared_votes_use_pseudonyms_and_leave_rehearsals_out(rich):
    document = exported(rich, ExportOptions())

    participants = {vote["participant"] for vote in document["votes"]}
    assert participants == {f"P{n}" for n in range(1, 8)}
    assert all(vote["event"] != "E2" for vote in document["votes"])  # the rehearsal
    assert [event["title"] for event in document["events"]] == ["Lisbon workshop"]
    assert len(document["votes"]) == 12


def test_shared_figures_suppress_groups_with_fewer_than_five_voters(rich):
    shared = exported(rich, ExportOptions())
    full_document = exported(rich)

    def first_item(document):
        return document["documents"][0]["sections"][0]["items"][0]["results"]

    groups = {group["group"]: group for group in first_item(shared)["by_group"]}
    assert groups["Government and policy"] == {"group": "Government and policy", "suppressed": True}
    assert groups["Industry"]["votes"] == 6
    full_groups = {group["group"]: group for group in first_item(full_document)["by_group"]}
    assert full_groups["Government and policy"]["votes"] == 1
    assert first_item(shared)["votes"] == first_item(full_document)["votes"] == 7


def test_full_export_carries_moderation_data_and_who_did_what(rich):
    document = exported(rich)

    hidden = comment_entry(document, FORMULA)
    assert hidden["hidden"] is True
    assert (hidden["hidden_reason"], hidden["hidden_note"]) == (
        "other",
        "Looks like a spreadsheet formula.",
    )
    assert hidden["disposition"]["decided_by"] == "mod@example.org"
    duplicate = comment_entry(document, "Audits by someone else!")
    target = comment_entry(document, "Independent audits, please.")
    assert duplicate["merged_into"] == target["id"]
    assert target["pinned"] is True and target["tags"] == ["Audits"]
    assert target["supports"] == len(target["supporters"]) == 3
    visible = comment_entry(document, RUSSIAN)
    assert visible["flags"] == 1 and visible["event"] == "E1"
    assert visible["answers"][0]["body"] == "Thank you.\nWe will look at it."
    reply = comment_entry(document, "Я не согласен.")
    assert reply["parent"] == visible["id"]
    awaiting = comment_entry(document, "More copper recycling.")
    assert awaiting["awaiting_approval"] is True and awaiting["needs_review"] is True
    names = {p["display_name"] for p in document["participants"]}
    assert {"Ana Secretname", "Бо Хидден"} <= names
    assert sum(p["erased_at"] is not None for p in document["participants"]) == 1
    assert sum(p["muted_at"] is not None for p in document["participants"]) == 1
    assert "token" not in json.dumps(document["participants"])


def test_full_export_gives_each_time_as_stored_in_utc_with_microseconds(rich):
    document = exported(rich)

    votes = db.session.scalars(sa.select(Vote).order_by(Vote.id)).all()
    exported_votes = document["votes"]
    assert len(exported_votes) == len(votes)
    for vote, entry in zip(votes, exported_votes, strict=True):
        assert entry["created_at"] == vote.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert entry["updated_at"] == vote.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    comments = {c.body: c for c in db.session.scalars(sa.select(Comment))}
    for entry in document["comments"]:
        stored = comments[entry["body"]].created_at
        assert entry["created_at"] == stored.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The votes were cast one after another: their times differ below the second.
    assert len({entry["created_at"] for entry in exported_votes}) > 1


def test_the_file_keeps_non_latin_text_readable_and_line_breaks_escaped(rich):
    fmt, chunks = export(rich, rich.moderators[0], "json", full(), channel=Channel.PAGE)
    raw = b"".join(chunks).decode("utf-8")

    assert "Первый пункт слишком слабый.\\nВторая строка — 中文也可以。" in raw
    assert json.loads(raw)["format"] == "cocreate-export/1"


def test_filters_keep_one_events_and_one_groups_contributions(rich):
    workshop = next(e.id for e in live.events_of(rich) if not e.is_rehearsal)
    by_event = exported(rich, parse_options(rich, mode="full", event=workshop))
    by_group = exported(
        rich,
        parse_options(rich, mode="full", group="Government and policy"),
    )

    assert by_event["filters"] == {"event": "E1", "group": None, "region": None}
    assert {vote["event"] for vote in by_event["votes"]} == {"E1"}
    assert [comment["body"] for comment in by_event["comments"]] == [RUSSIAN]
    assert {p["group"] for p in by_group["participants"]} == {"Government and policy"}
    assert [c["body"] for c in by_group["comments"]] == [
        "Я не согласен.",
        "Independent audits, please.",
    ]
    first_results = by_group["documents"][0]["sections"][0]["items"][0]["results"]
    assert first_results["votes"] == 1


# ---------------------------------------------------------------- streaming


def consultation_with_comments(moderator, count: int) -> Consultation:
    """A new demo consultation with ``count`` comments, half of them with a reply, and a few
    tags, answers, supports and votes."""
    consultation = import_draft(
        parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator]
    )
    item = items_of(consultation)[0]
    people = [join_as(consultation, "Industry", "Europe", name=f"P{n}") for n in range(3)]
    supporter = join_as(consultation, "Other", "Asia", name="Supporter")
    for n in range(count):
        comment = Comment(item=item, participant=people[n % 3].participant, body=f"Comment {n}")
        db.session.add(comment)
        db.session.flush()
        if n % 2:
            db.session.add(
                Comment(
                    item=item, participant=people[0].participant, body="Re", parent_id=comment.id
                )
            )
    db.session.commit()
    first = db.session.scalars(
        sa.select(Comment).where(Comment.item_id == item.id).order_by(Comment.id).limit(3)
    ).all()
    for n, comment in enumerate(first):
        moderation.set_tags(comment, moderator, [f"Tag {n}"])
        moderation.answer_comment(comment, moderator, "Answered.")
        participation.support_comment(supporter.participant, comment.id)
        participation.cast_vote(people[n].participant, items_of(consultation)[n], "agree")
    return consultation


@pytest.mark.parametrize("mode", [Mode.FULL, Mode.SHARED])
def test_the_writer_runs_the_same_number_of_queries_for_10_and_100_comments(moderator, mode):
    def queries(count: int) -> int:
        consultation = consultation_with_comments(moderator, count)
        with count_queries() as statements:
            b"".join(jsonfile.write(consultation, ExportOptions(mode=mode)))
        return len(statements)

    assert queries(10) == queries(100)


def test_the_download_starts_before_the_file_is_complete(moderator):
    consultation = consultation_with_comments(moderator, 400)
    with count_queries() as statements:
        chunks = jsonfile.write(consultation, full())
        assert statements == []  # nothing is read before the first chunk is asked for
        first = next(chunks)
    rest = b"".join(chunks)
    assert len(first) >= jsonfile.CHUNK_BYTES and rest
    assert json.loads(first + rest)["comments"][-1]["body"] == "Re"


def test_a_moderator_downloads_the_json_as_it_is_written(web, rich):
    web.login("mod@example.org")

    response = web.get(
        url_for("exports.download", consultation_id=rich.id, format="json", mode="full"),
        buffered=False,
    )

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.is_streamed
    assert response.headers["Content-Disposition"].endswith('.json"')
    assert without_ids(json.loads(response.get_data())) == without_ids(exported(rich))
