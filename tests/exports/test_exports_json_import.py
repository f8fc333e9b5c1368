"""Importing a JSON export: refusals name the JSON path and create nothing; the CLI."""

from __future__ import annotations

import json

import pytest

from cocreate.amendments.models import Amendment, AmendmentVote
from cocreate.audit.models import AuditEntry
from cocreate.consolidation.models import Disposition, TextVersion
from cocreate.consultations.models import Consultation, StakeholderGroup
from cocreate.drafts.models import Document, Item
from cocreate.exports import importing
from cocreate.exports.importing import ExportFileError, import_consultation
from cocreate.exports.jsonfile import write
from cocreate.exports.options import ExportOptions, Mode
from cocreate.extensions import db
from cocreate.live.models import LiveEvent
from cocreate.moderation import services as moderation
from cocreate.moderation.models import Tag
from cocreate.participation import services as participation
from cocreate.participation.models import Comment, Participant, Vote
from cocreate.publication.models import Publication
from tests.conftest import join_as, row_count

MODELS = [
    Consultation,
    StakeholderGroup,
    Document,
    Item,
    LiveEvent,
    Tag,
    Participant,
    Comment,
    Vote,
    Amendment,
    AmendmentVote,
    Disposition,
    TextVersion,
    Publication,
    AuditEntry,
]


def row_counts() -> dict[str, int]:
    return {model.__name__: row_count(model) for model in MODELS}


@pytest.fixture
def document(demo, moderator, first_item) -> dict:
    """A full export of the demo with two participants, a thread, tags and votes."""
    ana = join_as(demo, "Industry", "Europe", name="Ana")
    bo = join_as(demo, "Government and policy", None, name="Bo")
    comment = participation.post_comment(ana.participant, first_item, "Audits, please.")
    participation.post_comment(bo.participant, first_item, "Agreed.", comment.id)
    moderation.set_tags(comment, moderator, ["Audits"])
    participation.cast_vote(ana.participant, first_item, "agree")
    participation.cast_vote(bo.participant, first_item, "disagree")
    return json.loads(b"".join(write(demo, ExportOptions(mode=Mode.FULL))))


def refused(data: dict | bytes) -> list[str]:
    """The problems an import lists, after checking that it created nothing."""
    before = row_counts()
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    with pytest.raises(ExportFileError) as refusal:
        import_consultation(raw)
    db.session.rollback()
    assert row_counts() == before
    return refusal.value.problems


def test_the_export_imports_as_a_new_open_consultation(document):
    before = row_counts()

    imported = import_consultation(json.dumps(document).encode())

    assert imported.consultation.title == document["consultation"]["title"]
    assert imported.counts == {
        "items": before["Item"],
        "participants": 2,
        "comments": 2,
        "votes": 2,
        "amendments": 0,
    }
    assert row_counts()["Consultation"] == before["Consultation"] + 1
    assert row_counts()["Comment"] == before["Comment"] + 2
    assert imported.consultation.accepts_joins
    entry = db.session.scalar(db.select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert (entry.consultation_id, entry.action) == (
        imported.consultation.id,
        "consultation.import",
    )


def test_invalid_json_is_refused_with_its_line_and_column(document):
    text = json.dumps(document, indent=1).replace('"mode": "full",', '"mode": "full"', 1)

    (problem,) = refused(text.encode())

    # Line 4 lacks its comma: the parser notices at the start of line 5.
    assert problem == "line 5, column 2: invalid JSON (Expecting ',' delimiter)"


def test_a_file_that_is_not_utf8_is_refused_with_the_byte(document):
    data = json.dumps(document, ensure_ascii=False).replace("Ana", "An\udce9", 1)

    (problem,) = refused(data.encode("utf-8", errors="surrogateescape"))

    assert "not UTF-8 text (byte 0xE9" in problem


def test_another_format_version_is_refused_before_anything_else(document):
    document["format"] = "cocreate-export/2"
    document["votes"][0]["item"] = "NOPE"

    assert refused(document) == [
        'format: expected "cocreate-export/1", got "cocreate-export/2"; this version of '
        "cocreate reads cocreate-export/1 exports"
    ]


def test_a_draft_file_is_refused_as_another_format(document):
    problems = refused({"format": "cocreate-draft/1", "consultation": {}, "documents": []})

    assert problems[0].startswith('format: expected "cocreate-export/1", got "cocreate-draft/1"')


def test_a_shared_export_is_refused_as_incomplete(demo):
    shared = json.loads(b"".join(write(demo, ExportOptions())))

    (problem,) = refused(shared)

    assert problem.startswith('mode: expected "full", got "shared"')
    assert "only a full export can be imported" in problem


def test_a_filtered_export_is_refused_as_partial(document):
    document["filters"]["group"] = "Industry"

    (problem,) = refused(document)

    assert problem.startswith("filters: expected no filter")


def test_an_unknown_stakeholder_group_is_named_with_the_files_groups(document):
    document["participants"][1]["group"] = "Bankers"

    (problem,) = refused(document)

    assert problem.startswith(
        'participants[1].group: unknown stakeholder group "Bankers" (the file\'s stakeholder '
        'groups: "Industry", "Government and policy"'
    )


def test_duplicate_ids_and_refs_are_refused_with_both_places(document):
    document["participants"][1]["id"] = "P1"
    sections = document["documents"][0]["sections"]
    sections[0]["items"][1]["ref"] = sections[0]["items"][0]["ref"].lower()

    problems = refused(document)

    assert 'participants[1].id: duplicate id "P1": already used at participants[0].id' in problems
    first_ref = sections[0]["items"][0]["ref"]
    assert (
        f'documents[0].sections[0].items[1].ref: duplicate ref "{first_ref.lower()}": already '
        f"used at documents[0].sections[0].items[0].ref"
    ) in problems


def test_a_vote_on_a_missing_item_is_refused(document):
    document["votes"][1]["item"] = "NOPE-1"

    assert refused(document) == ['votes[1].item: no item has the ref "NOPE-1"']


def test_a_second_vote_of_the_same_participant_on_an_item_is_refused(document):
    document["votes"].append(dict(document["votes"][0]))

    assert refused(document) == [
        f'votes[2].participant: this participant already voted on "{document["votes"][0]["item"]}"'
        " at votes[0]"
    ]


def test_references_to_missing_comments_participants_and_tags_are_refused(document):
    reply = document["comments"][1]
    reply["parent"] = "C99"
    reply["participant"] = "P7"
    reply["supporters"] = ["P1", "P1"]
    reply["supports"] = 2
    reply["tags"] = ["Unknown"]

    assert refused(document) == [
        'comments[1].supporters[1]: "P1" is listed twice',
        "comments[1].supports: 2 does not match the 1 supporters",
        'comments[1].tags[0]: unknown tag "Unknown": list it in the top-level tags',
        'comments[1].participant: no participant has the id "P7"',
        'comments[1].parent: no comment has the id "C99"',
    ]


def test_replies_stay_one_level_deep_and_on_their_item(document):
    first, reply = document["comments"]
    first["parent"] = reply["id"]

    problems = refused(document)

    assert (
        "comments[1].parent: comments[0] is itself a reply: replies are one level deep" in problems
    )


def test_wrong_types_unknown_fields_and_missing_fields_are_named_by_path(document):
    comment = document["comments"][0]
    comment["hidden"] = "yes"
    comment["colour"] = "red"
    del comment["body"]
    document["votes"][0]["value"] = "maybe"
    document["votes"][0]["created_at"] = "2026-03-01 09:30"
    document["consultation"]["status"] = "archived"

    problems = refused(document)

    assert set(problems) >= {
        'comments[0]: unknown field "colour" (expected fields: id, item, parent, participant, '
        "body, hidden, hidden_reason, hidden_note, awaiting_approval, merged_into, "
        "needs_review, pinned, flags, supports, supporters, tags, answers, event, "
        "disposition, created_at)",
        'consultation.status: expected one of "draft", "open", "closed", "published", got '
        '"archived"',
        "comments[0].body: required field is missing",
        'comments[0].hidden: expected true or false, got "yes"',
        'votes[0].value: expected one of "strongly_agree", "agree", "neutral", "disagree", '
        '"strongly_disagree", "no_opinion", got "maybe"',
        "votes[0].created_at: expected a date and time with its offset, such as "
        '2026-03-01T09:30:00Z, got "2026-03-01 09:30"',
    }


def test_text_that_cannot_be_stored_is_refused(document):
    document["comments"][0]["body"] = "Null\u0000byte"
    document["participants"][0]["display_name"] = "Two\nlines"

    assert refused(document) == [
        "participants[0].display_name: must be a single line, without line breaks",
        "comments[0].body: contains a character that is not allowed in text (U+0000)",
    ]


def test_a_long_list_of_problems_is_shortened_in_the_message(document):
    document["votes"] = [dict(document["votes"][0], item=f"X{n}") for n in range(80)]

    before = row_counts()
    with pytest.raises(ExportFileError) as refusal:
        import_consultation(json.dumps(document).encode())

    assert len(refusal.value.problems) == 80
    assert str(refusal.value).splitlines()[-1] == "… and 30 more problems"
    assert row_counts() == before


def test_a_failure_while_writing_leaves_nothing_behind(document, monkeypatch):
    def fail(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing.Writer, "publications", fail)
    before = row_counts()

    with pytest.raises(RuntimeError):
        import_consultation(json.dumps(document).encode())

    assert row_counts() == before


# ---------------------------------------------------------------- the command line


def test_cli_import_prints_the_new_id_and_join_code(app, document, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")

    result = app.test_cli_runner().invoke(args=["import-consultation", str(path)])

    assert result.exit_code == 0, result.output
    consultation = db.session.scalars(
        db.select(Consultation).order_by(Consultation.id.desc())
    ).first()
    assert f"Imported consultation {consultation.id}" in result.output
    assert f"join code {consultation.join_code}" in result.output


def test_cli_import_with_json_prints_one_object(app, document, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document), "utf-8")

    result = app.test_cli_runner().invoke(args=["import-consultation", str(path), "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    consultation = db.session.get(Consultation, report["id"])
    assert report["join_code"] == consultation.join_code
    assert (report["imported"], report["participants"], report["votes"]) == (True, 2, 2)
    assert report["unknown_accounts"] == []


def test_cli_refuses_a_broken_file_listing_its_problems_and_exits_non_zero(app, document, tmp_path):
    document["votes"][1]["item"] = "NOPE-1"
    document["participants"][0]["group"] = "Bankers"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), "utf-8")
    before = row_counts()

    result = app.test_cli_runner().invoke(args=["import-consultation", str(path)])
    as_json = app.test_cli_runner().invoke(args=["import-consultation", str(path), "--json"])

    assert result.exit_code == 1
    assert "broken.json was not imported" in result.output
    assert 'votes[1].item: no item has the ref "NOPE-1"' in result.output
    assert 'participants[0].group: unknown stakeholder group "Bankers"' in result.output
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["imported"] is False
    assert len(json.loads(as_json.output)["problems"]) == 2
    assert row_counts() == before


def test_cli_export_then_import_moves_a_consultation(app, document, demo, tmp_path):
    path = tmp_path / "moved.json"
    runner = app.test_cli_runner()

    exported = runner.invoke(
        args=["export", str(demo.id), "--format", "json", "--mode", "full", "-o", str(path)]
    )
    imported = runner.invoke(args=["import-consultation", str(path), "--json"])

    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.output)
    assert (report["participants"], report["comments"], report["votes"]) == (2, 2, 2)
