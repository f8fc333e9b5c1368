"""The CSV and XLSX exports, opened with real readers (csv, zipfile, openpyxl) and checked
against the database: every table, both modes, the filters, and texts that look like
formulas or are written in other scripts."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from cocreate.amendments.models import Amendment, AmendmentStatus, AmendmentVote
from cocreate.consolidation.consensus import consensus_of
from cocreate.consolidation.services import record_dispositions, save_final_text
from cocreate.drafts.importing import parse_draft
from cocreate.drafts.services import import_draft
from cocreate.exports import xlsxfile
from cocreate.exports.options import parse_options
from cocreate.exports.services import Channel, export
from cocreate.extensions import db
from cocreate.live.models import EventFormat, LiveEvent
from cocreate.moderation.models import HideReason, Tag
from cocreate.participation.models import Comment, Vote
from cocreate.participation.results import tally_items
from tests.conftest import DEMO_JSON, join_as

CHINESE = "应当公开供应链审计报告。"
ARABIC = "يجب نشر تقارير التدقيق."
MULTILINE = "First line.\nSecond line.\n\nAfter a blank line."
# Texts a spreadsheet would take for formulas, or that begin with invisible characters.
FORMULA_LIKE = ["=SUM(A1)", "+1", "-40 %", "@x", "\tstarts with a tab", "\rstarts with a CR"]
FINAL_TEXT = "Every company publishes an audited supply chain report every year."
TABLES = ["summary", "items", "comments", "amendments", "votes"]


@dataclass
class Feedback:
    """The demo with feedback of every kind on its first item, arranged with the models."""

    consultation: object
    item: object
    workshop: LiveEvent
    rehearsal: LiveEvent
    visible: list[Comment]
    reply: Comment
    hidden: Comment
    reply_to_hidden: Comment
    awaiting: Comment
    at_workshop: Comment
    at_rehearsal: Comment
    amendment: Amendment
    hidden_amendment: Amendment


def arrange_feedback(demo, moderator, first_item) -> Feedback:
    """Comments in every state (Chinese, Arabic, line breaks, formula-like texts, hidden,
    awaiting approval, a reply to a hidden one, at a workshop, at a rehearsal), amendments
    and votes on the demo's first item; Government and policy has a single voter."""
    ana = join_as(demo, "Industry", "Europe", name="Ana Secretname")
    bo = join_as(demo, "Government and policy", "Africa", name="Bo Hiddenname")
    workshop = LiveEvent(
        consultation_id=demo.id, title="Lisbon workshop", format=EventFormat.WORKSHOP
    )
    rehearsal = LiveEvent(
        consultation_id=demo.id, title="Dry run", format=EventFormat.WEBINAR, is_rehearsal=True
    )
    db.session.add_all([workshop, rehearsal])
    db.session.flush()

    def comment(joined, body, **state) -> Comment:
        posted = Comment(item=first_item, participant=joined.participant, body=body, **state)
        db.session.add(posted)
        db.session.flush()
        return posted

    visible = [comment(ana, body) for body in [CHINESE, ARABIC, MULTILINE, *FORMULA_LIKE]]
    visible[0].support_count = 3
    reply = comment(bo, "I agree with this.", parent_id=visible[0].id)
    hidden = comment(bo, "Buy cheap copper!", hidden=True, hidden_reason=HideReason.SPAM)
    reply_to_hidden = comment(ana, "Where can I buy it?", parent_id=hidden.id)
    awaiting = comment(ana, "Waiting for approval.", hidden=True, awaiting_approval=True)
    at_workshop = comment(bo, "Said at the workshop.", event_id=workshop.id)
    at_rehearsal = comment(bo, "Testing, testing.", event_id=rehearsal.id)
    tags = [Tag(consultation_id=demo.id, name=name) for name in ("cost", "audits")]
    visible[0].tags = tags
    amendment = Amendment(
        item=first_item,
        participant=ana.participant,
        base_text=first_item.text,
        text="By 2030 every company publishes an audited report.",
        reason="Audits matter.",
        status=AmendmentStatus.MERGED,
    )
    hidden_amendment = Amendment(
        item=first_item,
        participant=bo.participant,
        base_text=first_item.text,
        text="Nothing at all.",
        hidden=True,
    )
    db.session.add_all([amendment, hidden_amendment])
    # Industry has 6 voters (shown); Government has 1 (suppressed in shared exports).
    industry = [ana] + [join_as(demo, "Industry", "Asia") for _ in range(5)]
    for joined in industry:
        db.session.add(Vote(item=first_item, participant=joined.participant, value="agree"))
    db.session.add(
        Vote(item=first_item, participant=bo.participant, value="disagree", event_id=workshop.id)
    )
    db.session.add(
        Vote(
            item=first_item,
            participant=join_as(demo, "Other").participant,
            value="agree",
            event_id=rehearsal.id,
        )
    )
    db.session.flush()
    db.session.add(
        AmendmentVote(amendment_id=amendment.id, participant_id=bo.participant.id, value="agree")
    )
    db.session.commit()
    save_final_text(first_item, moderator, FINAL_TEXT, expected_version=first_item.final_version)
    record_dispositions(
        demo,
        moderator,
        outcome="taken_up",
        rationale="We added yearly audits.",
        passage="audited",
        comment_ids=[visible[0].id],
    )
    record_dispositions(
        demo, moderator, outcome="partly_taken_up", rationale="Kept.", amendment_ids=[amendment.id]
    )
    return Feedback(
        consultation=demo,
        item=first_item,
        workshop=workshop,
        rehearsal=rehearsal,
        visible=visible,
        reply=reply,
        hidden=hidden,
        reply_to_hidden=reply_to_hidden,
        awaiting=awaiting,
        at_workshop=at_workshop,
        at_rehearsal=at_rehearsal,
        amendment=amendment,
        hidden_amendment=hidden_amendment,
    )


# ---------------------------------------------------------------- readers


def exported(consultation, fmt: str, actor=None, **choices) -> bytes:
    options = parse_options(consultation, **choices)
    _format, stream = export(consultation, actor, fmt, options, channel=Channel.COMMAND_LINE)
    return b"".join(stream)


def read_csv_zip(data: bytes) -> dict[str, list[dict[str, str]]]:
    """Each table's rows as dicts by header, read as a spreadsheet program would."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    tables = {}
    for name in archive.namelist():
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf"), f"{name} has no byte-order mark"
        text = raw.decode("utf-8-sig")
        tables[name.removesuffix(".csv")] = list(csv.DictReader(io.StringIO(text, newline="")))
    return tables


def read_workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def sheet_rows(sheet) -> list[dict[str, object]]:
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return [
        {title: cell for title, cell in zip(header, row, strict=False)}
        for row in rows[1:]
        if any(cell.value is not None for cell in row)
    ]


def text_of(cell) -> str:
    """What a spreadsheet program shows: OOXML escapes control characters (a CR as
    ``_x000D_``) in the file, which openpyxl leaves as they are."""
    return unescape(cell.value)


def by_column(rows, column: str) -> dict:
    return {row[column]: row for row in rows}


# ---------------------------------------------------------------- CSV


def test_csv_zip_holds_one_utf8_file_with_a_byte_order_mark_per_table(feedback, moderator):
    data = exported(feedback.consultation, "csv", moderator)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == [f"{name}.csv" for name in TABLES]
    assert archive.testzip() is None
    tables = read_csv_zip(data)
    texts = [row["Text"] for row in tables["comments"]]
    assert CHINESE in texts and ARABIC in texts
    assert MULTILINE in texts, "line breaks stay inside their cell"


def test_csv_puts_an_apostrophe_before_formula_like_texts_and_changes_nothing_else(
    feedback, moderator
):
    tables = read_csv_zip(exported(feedback.consultation, "csv", moderator))
    texts = [row["Text"] for row in tables["comments"]]
    for body in FORMULA_LIKE:
        assert "'" + body in texts, body
        assert body not in texts, body
    assert "'-40 %" in texts
    assert "I agree with this." in texts  # ordinary text untouched
    # Numbers stay numbers: a negative score is not a formula.
    votes = tables["votes"]
    assert {row["Score"] for row in votes} == {"1", "-1"}


# ---------------------------------------------------------------- XLSX


def test_xlsx_has_a_sheet_per_table_with_frozen_filterable_headers(feedback, moderator):
    workbook = read_workbook(exported(feedback.consultation, "xlsx", moderator))
    assert workbook.sheetnames == TABLES
    for sheet in workbook:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(cell.font.b for cell in sheet[1]), sheet.title
    comments = workbook["comments"]
    text_column = next(c.column_letter for c in comments[1] if c.value == "Text")
    assert comments.column_dimensions[text_column].width >= 50
    assert comments.column_dimensions["B"].width >= 10


def test_xlsx_writes_every_text_as_a_string_cell_unchanged(feedback, moderator):
    workbook = read_workbook(exported(feedback.consultation, "xlsx", moderator))
    cells = [row["Text"] for row in sheet_rows(workbook["comments"])]
    assert all(cell.data_type == "s" for cell in cells)
    texts = [text_of(cell) for cell in cells]
    for body in [CHINESE, ARABIC, MULTILINE, *FORMULA_LIKE]:
        assert body in texts, repr(body)
    assert "-40 %" in texts and "'-40 %" not in texts


def test_xlsx_writes_numbers_as_numbers_and_times_as_dates(feedback, moderator):
    workbook = read_workbook(exported(feedback.consultation, "xlsx", moderator, mode="full"))
    item = next(
        row for row in sheet_rows(workbook["items"]) if row["Ref"].value == feedback.item.ref
    )
    assert item["Ref"].value == feedback.item.ref
    assert item["Votes"].data_type == "n" and item["Votes"].value == 7
    assert item["Agree share"].value == pytest.approx(6 / 7, abs=1e-4)
    assert item["Agree share"].number_format == "0%"
    assert item["Milestone year"].value == feedback.item.milestone_year
    vote = sheet_rows(workbook["votes"])[0]
    assert isinstance(vote["Cast at (UTC)"].value, datetime)
    assert vote["Score"].data_type == "n"
    comment = sheet_rows(workbook["comments"])[0]
    assert isinstance(comment["Created at (UTC)"].value, datetime)
    assert comment["ID"].data_type == "n"


def test_xlsx_continues_a_long_table_on_a_second_sheet(feedback, moderator, monkeypatch):
    monkeypatch.setattr(xlsxfile, "MAX_ROWS", 4)
    workbook = read_workbook(exported(feedback.consultation, "xlsx", moderator))
    assert "votes (2)" in workbook.sheetnames
    votes = [
        row
        for name in workbook.sheetnames
        if name.startswith("votes")
        for row in sheet_rows(workbook[name])
    ]
    assert len(votes) == 7  # the rehearsal's vote left out
    assert workbook["votes (2)"]["A1"].value == "Item"


# ---------------------------------------------------------------- content, both formats


@pytest.fixture(params=["csv", "xlsx"])
def tables_as(request):
    """Read an export as {table: [{column: text or number}]}, whatever the format."""

    def read(consultation, actor, **choices):
        data = exported(consultation, request.param, actor, **choices)
        if request.param == "csv":
            return read_csv_zip(data)
        workbook = read_workbook(data)
        return {
            sheet.title: [
                {
                    title: ("" if cell.value is None else unescape(cell.value))
                    if isinstance(cell.value, str) or cell.value is None
                    else str(cell.value)
                    for title, cell in row.items()
                }
                for row in sheet_rows(sheet)
            ]
            for sheet in workbook
        }

    return read


def plain(text: str) -> str:
    """A CSV cell without the apostrophe that guards formula-like text."""
    return text[1:] if text[:2] in {"'" + c for c in "=+-@\t\r"} else text


def test_shared_export_names_nobody_and_leaves_hidden_comments_out(feedback, moderator, tables_as):
    tables = tables_as(feedback.consultation, moderator)
    everything = repr(tables)
    for name in ("Ana Secretname", "Bo Hiddenname"):
        assert name not in everything
    comments = tables["comments"]
    texts = {plain(row["Text"]) for row in comments}
    for left_out in (feedback.hidden, feedback.reply_to_hidden, feedback.awaiting):
        assert left_out.body not in texts
    assert feedback.at_rehearsal.body not in texts
    assert len(comments) == len(feedback.visible) + 2  # the reply and the workshop's
    assert "Display name" not in comments[0] and "Status" not in comments[0]
    assert "Created at (UTC)" not in comments[0] and "ID" not in comments[0]
    # A reply points at its comment's number in this export, not at a database id.
    numbers = {plain(row["Text"]): row["No."] for row in comments}
    reply = next(row for row in comments if row["Text"] == feedback.reply.body)
    assert reply["Reply to no."] == numbers[CHINESE]
    # Votes: pseudonyms only.
    votes = tables["votes"]
    assert {row["Participant"] for row in votes} == {f"P{n}" for n in range(1, 8)}
    assert "Cast at (UTC)" not in votes[0]
    assert [row["Proposed text"] for row in tables["amendments"]] == [feedback.amendment.text]


def test_shared_export_suppresses_groups_of_fewer_than_five_voters(feedback, moderator, tables_as):
    items = by_column(tables_as(feedback.consultation, moderator)["items"], "Ref")
    item = items[feedback.item.ref]
    assert item["Industry: votes"] == "6" and float(item["Industry: agree share"]) == 1
    assert item["Government and policy: votes"] == ""
    assert item["Government and policy: agree share"] == ""
    assert "Fewer than 5 voters" in item["Notes"] and "Government and policy" in item["Notes"]
    assert item["Votes"] == "7"  # the overall figures keep every vote


def test_full_export_has_names_hidden_comments_with_reasons_and_timestamps(
    feedback, moderator, tables_as
):
    tables = tables_as(feedback.consultation, moderator, mode="full")
    comments = by_column(tables["comments"], "ID")
    hidden = comments[str(feedback.hidden.id)]
    assert hidden["Status"] == "Hidden" and hidden["Hidden because"] == "Spam"
    assert hidden["Display name"] == "Bo Hiddenname"
    assert comments[str(feedback.awaiting.id)]["Status"] == "Awaiting approval"
    assert comments[str(feedback.reply_to_hidden.id)]["Reply to ID"] == str(feedback.hidden.id)
    assert comments[str(feedback.visible[0].id)]["Created at (UTC)"].startswith(
        feedback.visible[0].created_at.strftime("%Y-%m-%d")
    )
    assert feedback.at_rehearsal.id not in {int(key) for key in comments}
    assert len(comments) == len(feedback.visible) + 5
    votes = tables["votes"]
    assert {row["Participant ID"] for row in votes} == {
        row["Participant ID"] for row in tables["participants"] if row["Votes"] != "0"
    }
    people = by_column(tables["participants"], "Display name")
    assert people["Ana Secretname"]["Votes"] == "1"
    assert people["Ana Secretname"]["Comments"] == str(len(feedback.visible) + 2)
    assert people["Bo Hiddenname"]["Stakeholder group"] == "Government and policy"
    amendments = by_column(tables["amendments"], "ID")
    assert amendments[str(feedback.hidden_amendment.id)]["Hidden"] == "yes"
    items = by_column(tables["items"], "Ref")
    assert items[feedback.item.ref]["Government and policy: votes"] == "1"
    assert items[feedback.item.ref]["Notes"] == ""


def test_comments_match_the_database(feedback, moderator, tables_as):
    rows = by_column(tables_as(feedback.consultation, moderator, mode="full")["comments"], "ID")
    comments = db.session.scalars(db.select(Comment).where(Comment.id.in_(map(int, rows)))).all()
    assert len(comments) == len(rows)
    for comment in comments:
        row = rows[str(comment.id)]
        assert plain(row["Text"]) == comment.body
        assert row["Item"] == comment.item.ref
        assert row["Stakeholder group"] == comment.participant.stakeholder_group.name
        assert row["Region"] == (
            comment.participant.region.name if comment.participant.region else ""
        )
        assert row["Supports"] == str(comment.support_count)
        assert row["Tags"] == ", ".join(sorted(tag.name for tag in comment.tags))
        assert row["Live event"] == ("Lisbon workshop" if comment.event_id else "")
    disposed = rows[str(feedback.visible[0].id)]
    assert disposed["Outcome"] == "Taken up"
    assert disposed["Rationale"] == "We added yearly audits."
    assert disposed["Passage"] == "audited"
    assert disposed["Tags"] == "audits, cost"


def test_items_carry_texts_results_and_consensus_as_the_pages_show_them(
    feedback, moderator, tables_as
):
    consultation = feedback.consultation
    items = tables_as(consultation, moderator)["items"]
    all_items = [item for document in consultation.documents for item in document.items]
    assert [row["Ref"] for row in items] == [item.ref for item in all_items]
    results = tally_items(consultation, [item.id for item in all_items], moderator=False)
    moderator_results = tally_items(consultation, [item.id for item in all_items], moderator=True)
    for item, row in zip(all_items, items, strict=True):
        assert row["Title"] == item.title
        assert plain(row["Draft text"]) == item.text
        assert row["Votes"] == str(results[item.id].overall.votes)
        assert row["Consensus"] == consensus_of(moderator_results[item.id]).label
    first = items[0]
    assert first["Consolidated text"] == FINAL_TEXT and first["Consolidated"] == "yes"
    assert items[1]["Consolidated text"] == "" and items[1]["Consolidated"] == "no"
    assert first["Comments"] == str(len(feedback.visible) + 2)
    assert first["Mean score"] == str(results[feedback.item.id].overall.mean_score)


def test_amendments_carry_status_votes_and_disposition(feedback, moderator, tables_as):
    [row] = tables_as(feedback.consultation, moderator)["amendments"]
    assert row["Item"] == feedback.item.ref
    assert row["Reason"] == "Audits matter."
    assert row["Status"] == "Merged into the text"
    assert row["Votes"] == "1" and float(row["Agree share"]) == 1
    assert (row["Stakeholder group"], row["Region"]) == ("Industry", "Europe")
    assert (row["Outcome"], row["Rationale"]) == ("Partly taken up", "Kept.")


def test_summary_gives_participation_per_group_and_region_and_totals(
    feedback, moderator, tables_as
):
    summary = tables_as(feedback.consultation, moderator)["summary"]
    rows = {(row["Topic"], row["Name"]): row for row in summary}
    assert rows["Consultation", "Title"]["Value"] == feedback.consultation.title
    assert rows["Export", "Mode"]["Value"].startswith("Shared")
    assert rows["Totals", "Votes"]["Value"] == "7"
    assert rows["Totals", "Comments"]["Value"] == str(len(feedback.visible) + 2)
    assert rows["Totals", "Amendments"]["Value"] == "1"
    assert rows["Totals", "Items"]["Value"] == str(
        sum(len(document.items) for document in feedback.consultation.documents)
    )
    industry = rows["Stakeholder group", "Industry"]
    assert (industry["Participants"], industry["Voters"]) == ("6", "6")
    assert industry["Comments"] == str(len(feedback.visible))
    government = rows["Stakeholder group", "Government and policy"]
    assert (government["Participants"], government["Voters"], government["Comments"]) == (
        "1",
        "1",
        "2",
    )
    assert rows["Region", "Asia"]["Participants"] == "5"
    assert rows["Totals", "All participants"]["Participants"] == "7"


# ---------------------------------------------------------------- filters


def test_event_filter_keeps_what_happened_during_that_event(feedback, moderator, tables_as):
    tables = tables_as(feedback.consultation, moderator, event=str(feedback.workshop.id))
    assert [row["Text"] for row in tables["comments"]] == [feedback.at_workshop.body]
    assert [row["Vote"] for row in tables["votes"]] == ["Disagree"]
    assert tables["amendments"] == []
    summary = {(row["Topic"], row["Name"]): row["Value"] for row in tables["summary"]}
    assert summary["Export", "Live event"] == "Lisbon workshop"
    assert by_column(tables["items"], "Ref")[feedback.item.ref]["Votes"] == "1"


def test_naming_a_rehearsal_shows_what_it_kept_out(feedback, moderator, tables_as):
    tables = tables_as(feedback.consultation, moderator, event=feedback.rehearsal.id)
    assert [row["Text"] for row in tables["comments"]] == [feedback.at_rehearsal.body]


def test_group_filter_keeps_that_groups_participants(feedback, moderator, tables_as):
    tables = tables_as(feedback.consultation, moderator, group="Government and policy")
    assert {row["Stakeholder group"] for row in tables["comments"]} == {"Government and policy"}
    assert [row["Text"] for row in tables["comments"]] == [
        feedback.reply.body,
        feedback.at_workshop.body,
    ]
    assert len(tables["votes"]) == 1
    item = by_column(tables["items"], "Ref")[feedback.item.ref]
    assert item["Votes"] == "1" and item["Industry: votes"] == "0"


def test_region_filter_keeps_that_regions_participants(feedback, moderator, tables_as):
    tables = tables_as(feedback.consultation, moderator, region="Asia", mode="full")
    assert tables["comments"] == []
    assert len(tables["votes"]) == 5
    assert {row["Region"] for row in tables["votes"]} == {"Asia"}
    summary = {(row["Topic"], row["Name"]): row for row in tables["summary"]}
    assert summary["Totals", "All participants"]["Participants"] == "5"
    assert summary["Export", "Region"]["Value"] == "Asia"


def test_another_consultations_contributions_never_appear(feedback, moderator, tables_as):
    second = import_draft(
        parse_draft(DEMO_JSON.read_bytes(), DEMO_JSON.name), moderators=[moderator]
    )
    stranger = join_as(second, "Industry", "Europe", name="Stranger")
    db.session.add(
        Comment(
            item=second.documents[0].items[0], participant=stranger.participant, body="Elsewhere"
        )
    )
    db.session.commit()
    tables = tables_as(feedback.consultation, moderator, mode="full")
    assert "Elsewhere" not in repr(tables) and "Stranger" not in repr(tables)
    assert [row["Text"] for row in tables_as(second, moderator)["comments"]] == ["Elsewhere"]


def test_xlsx_keeps_text_that_looks_like_the_files_own_xml_as_text(feedback, moderator):
    # XlsxWriter copies a string shaped "<r>…</r>" into the file as raw XML: unguarded,
    # this comment would add a formula cell to the moderators' spreadsheet.
    injection = (
        '<r><t>a</t></r></is></c><c r="Z1" t="str"><f>HYPERLINK("http://x.test","x")</f>'
        '<v>x</v></c><c r="Y1" t="inlineStr"><is><r><t>b</t></r>'
    )
    for body in (injection, "<r>plain</r>"):
        db.session.add(
            Comment(item=feedback.item, participant=feedback.visible[0].participant, body=body)
        )
    db.session.commit()
    workbook = read_workbook(exported(feedback.consultation, "xlsx", moderator))
    sheet = workbook["comments"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell for cell in cells if cell.data_type == "f"]
    texts = [text_of(cell) for cell in cells if cell.data_type == "s"]
    assert injection in texts and "<r>plain</r>" in texts
    csv_texts = [
        row["Text"] for row in read_csv_zip(exported(feedback.consultation, "csv"))["comments"]
    ]
    assert injection in csv_texts and "<r>plain</r>" in csv_texts
