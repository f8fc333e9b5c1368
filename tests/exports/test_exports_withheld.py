"""Shared exports never single a voter out: a vote row shows its voter's stakeholder group
and region only as far as at least 5 voters in the export's scope share them, in CSV,
XLSX and JSON alike. Checked against what the database holds; full exports show all."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator

from cocreate.amendments.models import Amendment, AmendmentVote
from cocreate.consultations.models import Consultation
from cocreate.drafts.models import Item
from cocreate.exports.options import parse_options
from cocreate.exports.services import Channel, export
from cocreate.extensions import db
from cocreate.live.models import EventFormat, LiveEvent
from cocreate.participation.models import Comment, Participant, Vote
from tests.conftest import count_queries, join_as
from tests.exports.test_exports_json import SCHEMA, schema_problems
from tests.exports.test_exports_tabular import read_csv_zip, read_workbook, sheet_rows

MARKER = "withheld: fewer than 5 voters"
# Where the export's reader sees MARKER in a spreadsheet, or null and a flag in JSON.
WITHHELD = object()
GOVERNMENT, CIVIL = "Government and policy", "Civil society and NGOs"


@dataclass
class Voters:
    """Industry has 8 voters: 6 in Asia, Ana in Europe, Nadia without a region. Bo is
    Government and policy's only voter, and Africa's; Cy is Civil society's only voter,
    in Asia (7 voters). Five more of Bo's group and region voted only at a rehearsal, four
    only commented: neither counts."""

    consultation: Consultation
    rehearsal: LiveEvent
    ana: Participant
    bo: Participant
    cy: Participant
    nadia: Participant
    asia: list[Participant]


@pytest.fixture
def voters(demo) -> Voters:
    first, second = [item for document in demo.documents for item in document.items][:2]
    rehearsal = LiveEvent(
        consultation_id=demo.id, title="Dry run", format=EventFormat.WEBINAR, is_rehearsal=True
    )
    db.session.add(rehearsal)
    db.session.flush()
    ana = join_as(demo, "Industry", "Europe", name="Ana Secretname").participant
    bo = join_as(demo, GOVERNMENT, "Africa", name="Bo Hiddenname").participant
    cy = join_as(demo, CIVIL, "Asia").participant
    nadia = join_as(demo, "Industry", None).participant
    asia = [join_as(demo, "Industry", "Asia").participant for _ in range(6)]
    for participant in [ana, bo, nadia, *asia]:
        db.session.add(Vote(item=first, participant=participant, value="agree"))
    for participant in [ana, cy, *asia[:3]]:
        db.session.add(Vote(item=second, participant=participant, value="disagree"))
    for _ in range(5):
        at_rehearsal = join_as(demo, GOVERNMENT, "Africa").participant
        db.session.add(
            Vote(item=first, participant=at_rehearsal, value="neutral", event_id=rehearsal.id)
        )
    for _ in range(4):
        commenter = join_as(demo, GOVERNMENT, "Africa").participant
        db.session.add(Comment(item=first, participant=commenter, body="Only a comment."))
    amendment = Amendment(
        item=first, participant=ana, base_text=first.text, text="By 2030, audited reports."
    )
    db.session.add(amendment)
    db.session.flush()
    for participant in (bo, asia[0]):
        db.session.add(
            AmendmentVote(amendment_id=amendment.id, participant_id=participant.id, value="agree")
        )
    db.session.commit()
    return Voters(demo, rehearsal, ana, bo, cy, nadia, asia)


# ---------------------------------------------------------------- the database's answer


def described(participant: Participant) -> tuple[str, str | None]:
    return (
        participant.stakeholder_group.name,
        participant.region.name if participant.region else None,
    )


def real_votes(
    consultation: Consultation,
    *,
    event: LiveEvent | None = None,
    group: str | None = None,
    region: str | None = None,
) -> list[tuple[str, str, str, str | None]]:
    """(item ref, pseudonym, group, region) of each vote a shared export holds, in its
    order, with the voter's real group and region, from the database."""
    rehearsals = set(
        db.session.scalars(
            sa.select(LiveEvent.id).where(
                LiveEvent.consultation_id == consultation.id, LiveEvent.is_rehearsal
            )
        )
    )
    votes = [
        vote
        for vote in db.session.scalars(
            sa.select(Vote).join(Item).where(Item.consultation_id == consultation.id)
        )
        if (vote.event_id == event.id if event else vote.event_id not in rehearsals)
        and group in (None, described(vote.participant)[0])
        and region in (None, described(vote.participant)[1])
    ]
    votes.sort(key=lambda v: (v.item.document.position, v.item.position, v.participant_id))
    pseudonyms: dict[int, str] = {}
    return [
        (
            vote.item.ref,
            pseudonyms.setdefault(vote.participant_id, f"P{len(pseudonyms) + 1}"),
            *described(vote.participant),
        )
        for vote in votes
    ]


def kinds_of_rows(shown: list[tuple], real: list[tuple]) -> dict[tuple, int]:
    """Checks the rows a shared export shows against the real ones, and returns how many
    voters each kind of row describes: (group or ``WITHHELD``, region or ``WITHHELD``).

    The rows are the real ones, in their order, each telling the truth or withholding it;
    one person's rows all say the same; and no kind of row describes fewer than 5 voters,
    unless all of them are fewer than 5 (there is nobody to hide them among)."""
    assert [row[:2] for row in shown] == [row[:2] for row in real]
    kinds: dict[tuple, set[str]] = {}
    described_as: dict[str, set[tuple]] = {}
    for (_ref, who, group, region), (_, _, real_group, real_region) in zip(
        shown, real, strict=True
    ):
        assert group in (WITHHELD, real_group) and region in (WITHHELD, real_region)
        kinds.setdefault((group, region), set()).add(who)
        described_as.setdefault(who, set()).add((group, region))
    assert all(len(descriptions) == 1 for descriptions in described_as.values())
    counts = {kind: len(people) for kind, people in kinds.items()}
    assert len(counts) == 1 or min(counts.values()) >= 5, counts
    return counts


def from_cells(rows) -> list[tuple]:
    """A spreadsheet's vote rows with the marker read as ``WITHHELD``, "" as no region."""
    value = {MARKER: WITHHELD, "": None}
    return [(ref, who, value.get(g, g), value.get(r, r)) for ref, who, g, r in rows]


def from_entries(votes) -> list[tuple]:
    """The JSON export's votes as rows, null and flag read as ``WITHHELD``."""
    return [
        (
            vote["item"],
            vote["participant"],
            WITHHELD if "group" in vote["withheld"] else vote["group"],
            WITHHELD if "region" in vote["withheld"] else vote["region"],
        )
        for vote in votes
    ]


def add_other_voters(consultation: Consultation) -> None:
    """Six voters of "Other" in Oceania, then six in Latin America, then six without a
    region, on the first item."""
    first = consultation.documents[0].items[0]
    for region in ("Oceania", "Latin America", None):
        for _ in range(6):
            joined = join_as(consultation, "Other", region).participant
            db.session.add(Vote(item=first, participant=joined, value="agree"))
    db.session.commit()


# ---------------------------------------------------------------- what each format holds


def exported(consultation: Consultation, fmt: str, **choices) -> bytes:
    options = parse_options(consultation, **choices)
    moderator = consultation.moderators[0]
    _format, chunks = export(consultation, moderator, fmt, options, channel=Channel.PAGE)
    return b"".join(chunks)


def vote_cells(consultation: Consultation, fmt: str, **choices) -> list[tuple[str, ...]]:
    """(item, participant, group, region) of each row of the votes table, as read from the
    CSV file in the zip or the XLSX sheet."""
    data = exported(consultation, fmt, **choices)
    if fmt == "csv":
        rows = read_csv_zip(data)["votes"]
    else:
        rows = [
            {title: "" if cell.value is None else str(cell.value) for title, cell in row.items()}
            for row in sheet_rows(read_workbook(data)["votes"])
        ]
    who = "Participant ID" if choices.get("mode") == "full" else "Participant"
    return [(row["Item"], row[who], row["Stakeholder group"], row["Region"]) for row in rows]


def json_document(consultation: Consultation, **choices) -> dict:
    return json.loads(exported(consultation, "json", **choices))


def json_votes(consultation: Consultation, **choices) -> list[dict]:
    fields = ("item", "participant", "group", "region", "withheld")
    return [
        {field: vote[field] for field in fields}
        for vote in json_document(consultation, **choices)["votes"]
    ]


@pytest.fixture(params=["csv", "xlsx"])
def spreadsheet(request) -> str:
    return request.param


# ---------------------------------------------------------------- shared CSV and XLSX


def test_spreadsheet_votes_withhold_a_group_or_region_fewer_than_five_voters_share(
    voters, spreadsheet
):
    rows = vote_cells(voters.consultation, spreadsheet)
    assert len(rows) == 14  # 9 on the first item, 5 on the second: no rehearsal vote

    # Only Industry's six voters in Asia share both. Showing them would leave Ana and
    # Nadia as the two Industry voters without a region, and Bo and Cy as the two with
    # nothing shown: each found by elimination. So every row is described alike.
    kinds = kinds_of_rows(from_cells(rows), real_votes(voters.consultation))
    assert kinds == {(WITHHELD, WITHHELD): 10}
    everything = repr(rows)
    assert GOVERNMENT not in everything and CIVIL not in everything
    assert "Industry" not in everything and "Asia" not in everything


def test_spreadsheet_votes_show_what_enough_voters_share(voters, spreadsheet):
    add_other_voters(voters.consultation)
    rows = vote_cells(voters.consultation, spreadsheet)

    kinds = kinds_of_rows(from_cells(rows), real_votes(voters.consultation))
    assert kinds == {
        # Ana and Nadia are too few without a region: Industry's Asians join them.
        ("Industry", WITHHELD): 8,
        # Bo and Cy are too few with nothing shown: the smallest kind joins them (Other
        # in Oceania: the first of three of the same size).
        (WITHHELD, WITHHELD): 8,
        ("Other", "Latin America"): 6,
        ("Other", None): 6,
    }
    assert "Africa" not in repr(rows) and "Oceania" not in repr(rows)


def test_pseudonyms_cannot_undo_what_is_withheld(voters, spreadsheet):
    rows = vote_cells(voters.consultation, spreadsheet)

    described_as: dict[str, set[tuple[str, str]]] = {}
    for _item, who, group, region in rows:
        described_as.setdefault(who, set()).add((group, region))
    # Every vote of one person says the same: Ana's two votes both withhold Europe.
    assert all(len(descriptions) == 1 for descriptions in described_as.values())
    assert len(described_as) == 10


def test_full_spreadsheet_still_shows_every_voters_group_and_region(voters, spreadsheet):
    rows = vote_cells(voters.consultation, spreadsheet, mode="full")

    people = {
        participant.id: described(participant)
        for participant in db.session.scalars(
            sa.select(Participant).where(Participant.consultation_id == voters.consultation.id)
        )
    }
    assert len(rows) == 14
    for _item, participant_id, group, region in rows:
        assert (group, region or None) == people[int(participant_id)]
    assert MARKER not in repr(rows)
    assert {(group, region) for *_, group, region in rows} >= {
        (GOVERNMENT, "Africa"),
        (CIVIL, "Asia"),
        ("Industry", "Europe"),
        ("Industry", ""),
    }


# ---------------------------------------------------------------- shared JSON


def test_json_votes_give_null_and_name_what_is_withheld(voters):
    add_other_voters(voters.consultation)
    votes = json_votes(voters.consultation)

    kinds = kinds_of_rows(from_entries(votes), real_votes(voters.consultation))
    assert kinds == {
        ("Industry", WITHHELD): 8,
        (WITHHELD, WITHHELD): 8,
        ("Other", "Latin America"): 6,
        ("Other", None): 6,
    }
    bo = next(vote for vote in votes if vote["participant"] == "P2")  # Bo voted second
    assert (bo["group"], bo["region"], bo["withheld"]) == (None, None, ["group", "region"])
    ana = next(vote for vote in votes if vote["participant"] == "P1")
    assert (ana["group"], ana["region"], ana["withheld"]) == ("Industry", None, ["region"])
    nobody = [vote for vote in votes if vote["group"] == "Other" and vote["region"] is None]
    assert len(nobody) == 6 and all(vote["withheld"] == [] for vote in nobody)
    text = json.dumps(votes)
    assert GOVERNMENT not in text and CIVIL not in text and "Africa" not in text


def test_json_uses_the_same_pseudonyms_and_withholds_the_same_as_the_spreadsheets(voters):
    cells = vote_cells(voters.consultation, "csv")
    votes = json_votes(voters.consultation)

    assert [(ref, who) for ref, who, *_ in cells] == [(v["item"], v["participant"]) for v in votes]
    for (*_, group, region), vote in zip(cells, votes, strict=True):
        assert (group == MARKER) == ("group" in vote["withheld"])
        assert (region == MARKER) == ("region" in vote["withheld"])


def test_json_amendment_votes_withhold_what_that_voters_votes_withhold(voters):
    add_other_voters(voters.consultation)
    document = json_document(voters.consultation)

    [amendment] = document["amendments"]
    votes = {vote["participant"]: vote for vote in document["votes"]}
    assert len(amendment["votes"]) == 2
    for vote in amendment["votes"]:
        same_person = votes[vote["participant"]]
        for field in ("group", "region", "withheld"):
            assert vote[field] == same_person[field]
    # Bo, and one of Industry's Asians (shown without their region).
    assert sorted(vote["withheld"] for vote in amendment["votes"]) == [
        ["group", "region"],
        ["region"],
    ]


def test_shared_json_with_withheld_voters_follows_the_schema(voters):
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for choices in ({}, {"region": "Europe"}, {"event": voters.rehearsal.id}):
        document = json_document(voters.consultation, **choices)
        assert [e.message for e in validator.iter_errors(document)] == [], choices


def test_schema_refuses_a_vote_naming_what_it_says_is_withheld(voters):
    document = json_document(voters.consultation)
    vote = next(vote for vote in document["votes"] if vote["withheld"] == ["group", "region"])
    vote["group"] = GOVERNMENT

    assert "'Government and policy' is not of type 'null'" in schema_problems(document)


def test_full_json_still_names_every_voters_group_and_region(voters):
    document = json_document(voters.consultation, mode="full")

    people = {person["id"]: person for person in document["participants"]}
    voted = {
        (people[v["participant"]]["group"], people[v["participant"]]["region"])
        for v in document["votes"]
    }
    assert (GOVERNMENT, "Africa") in voted and ("Industry", None) in voted
    assert "withheld" not in json.dumps(document)


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("choices", "kinds"),
    [
        # Ana is Europe's only voter: nothing to hide her among.
        ({"region": "Europe"}, {(WITHHELD, WITHHELD): 1}),
        # Cy is Civil society's only voter.
        ({"group": CIVIL}, {(WITHHELD, WITHHELD): 1}),
        # Within Asia, Cy would be the one voter not shown as Industry.
        ({"region": "Asia"}, {(WITHHELD, WITHHELD): 7}),
        # Within Industry, Ana and Nadia are too few without a region: all go without.
        ({"group": "Industry"}, {("Industry", WITHHELD): 8}),
    ],
)
def test_filters_count_the_voters_they_keep(voters, choices, kinds):
    real = real_votes(voters.consultation, **choices)

    for fmt in ("csv", "xlsx"):
        rows = from_cells(vote_cells(voters.consultation, fmt, **choices))
        assert kinds_of_rows(rows, real) == kinds, fmt
    assert kinds_of_rows(from_entries(json_votes(voters.consultation, **choices)), real) == kinds


def test_naming_the_rehearsal_counts_its_five_voters(voters):
    rehearsal = {"event": voters.rehearsal.id}
    real = real_votes(voters.consultation, event=voters.rehearsal)

    assert len(real) == 5
    rows = from_cells(vote_cells(voters.consultation, "csv", **rehearsal))
    assert kinds_of_rows(rows, real) == {(GOVERNMENT, "Africa"): 5}
    assert from_entries(json_votes(voters.consultation, **rehearsal)) == rows


# ---------------------------------------------------------------- cost


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_withholding_runs_the_same_number_of_queries_for_few_and_many_voters(voters, fmt):
    def queries() -> int:
        with count_queries() as statements:
            assert exported(voters.consultation, fmt)
        return len(statements)

    few = queries()
    add_other_voters(voters.consultation)
    origins = Counter(
        (group, region) for *_, group, region in vote_cells(voters.consultation, "csv")
    )
    assert origins["Other", "Latin America"] == origins["Other", ""] == 6
    assert queries() == few
