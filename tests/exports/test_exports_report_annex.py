"""The report's annex past its limit (``REPORT_ANNEX_LIMIT``): it lists each item's
pinned and most-supported comments and its decided proposals first, counts the replies it
does not list, counts every comment of the item by outcome, and says where the rest is; on
the page and in the PDF, with a query count that does not grow."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
import sqlalchemy as sa

from cocreate.amendments.models import Amendment
from cocreate.consolidation.models import Disposition
from cocreate.consolidation.services import record_dispositions
from cocreate.exports.options import Mode
from cocreate.extensions import db
from cocreate.participation.models import Comment, Participant
from tests.conftest import join_as
from tests.exports.test_exports_report import (
    CHINESE,
    HIDDEN,
    Rich,
    arrange_rich,
    queries_with_few_and_many,
    report_url,
    section,
    text_of,
)

OUTCOME_NAMES = {
    "taken_up": "Taken up",
    "partly_taken_up": "Partly taken up",
    "not_taken_up": "Not taken up",
    "out_of_scope": "Out of scope",
    None: "No disposition recorded",
}


@pytest.fixture
def rich(demo, moderator) -> Rich:
    return arrange_rich(demo, moderator)


def add_supported_comments(rich: Rich, count: int) -> list[Comment]:
    """``count`` comments on the first item, "Bulk 0" with no support up to "Bulk n-1"
    with n-1 supports; every other one "partly taken up"."""
    posted = []
    for index in range(count):
        joined = join_as(rich.consultation, "Research and academia", "Oceania")
        posted.append(
            Comment(
                item=rich.first,
                participant=joined.participant,
                body=f"Bulk {index:02d}",
                support_count=index,
            )
        )
    db.session.add_all(posted)
    db.session.commit()
    record_dispositions(
        rich.consultation,
        db.session.merge(rich.consultation.moderators[0]),
        outcome="partly_taken_up",
        rationale="Bulk decision.",
        comment_ids=[comment.id for comment in posted[::2]],
    )
    return posted


def outcomes_in_db(item_id: int, *, with_hidden: bool) -> Counter:
    """The item's comments (not replies) per outcome, straight from the tables."""
    query = (
        sa.select(Disposition.outcome, sa.func.count())
        .select_from(Comment)
        .outerjoin(Disposition, Disposition.comment_id == Comment.id)
        .where(Comment.item_id == item_id, Comment.parent_id.is_(None))
        .group_by(Disposition.outcome)
    )
    if not with_hidden:
        query = query.where(~Comment.hidden)
    return Counter({outcome: count for outcome, count in db.session.execute(query)})


def outcome_table(page: str, item_id: int) -> dict[str, int]:
    """The counts the annex prints for an item: outcome name → number."""
    part = section(page, f"annex-{item_id}")
    table = part[part.index('class="outcome-counts"') : part.index("</table>")]
    rows = text_of(table).strip()
    counts: dict[str, int] = {}
    for name in sorted(OUTCOME_NAMES.values(), key=len, reverse=True):
        at = rows.find(name + " ")
        if at >= 0:
            number = rows[at + len(name) :].split()[0]
            counts[name] = int(number.replace(",", ""))
            rows = rows[:at] + rows[at + len(name) + len(number) + 1 :]
    return counts


def test_annex_under_its_limit_lists_every_comment(web, rich, app):
    add_supported_comments(rich, 4)
    app.config["REPORT_ANNEX_LIMIT"] = 1000
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation)).text
    annex = text_of(section(page, "annex"))
    assert 'id="annex-summary"' not in page
    for index in range(4):
        assert f"Bulk {index:02d}" in annex
    assert CHINESE in annex


def test_annex_past_its_limit_lists_the_most_supported_and_counts_every_outcome(web, rich, app):
    bulk = add_supported_comments(rich, 12)
    reply = Comment(
        item=rich.first, participant=bulk[0].participant, body="A reply", parent_id=bulk[-1].id
    )
    db.session.add(reply)
    db.session.commit()
    app.config["REPORT_ANNEX_LIMIT"] = 6
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation)).text
    annex = text_of(section(page, "annex"))

    # Three items have feedback: 6 // 3 is under the minimum of 3 listed per item.
    assert "lists up to 3 comments" in annex
    assert "more than the 6 a printed annex lists" in annex
    first = text_of(section(page, f"annex-{rich.first.id}").split("</section>")[0])
    for listed in ("Bulk 11", "Bulk 10", "Bulk 09"):
        assert listed in first
    for left_out in ("Bulk 08", "Bulk 00", CHINESE):
        assert left_out not in first
    assert "1 reply, not listed" in first and "A reply" not in first
    assert "Listed: the 3 comments with the most supports" in first
    # Every comment in the shared report, replies included: 4 of rich's (not the hidden
    # one), 12 and the new reply.
    assert "17 comments" in first

    expected = outcomes_in_db(rich.first.id, with_hidden=False)
    assert outcome_table(page, rich.first.id) == {
        OUTCOME_NAMES[outcome.value if outcome else None]: expected[outcome]
        for outcome in [*Disposition.outcome.type.enum_class, None]
    }
    assert expected[None] > 0 and expected["partly_taken_up"] == 6


def test_full_report_past_its_limit_counts_hidden_comments_too(web, rich, app):
    add_supported_comments(rich, 6)
    app.config["REPORT_ANNEX_LIMIT"] = 4
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation, mode="full")).text
    counts = outcome_table(page, rich.first.id)
    expected = outcomes_in_db(rich.first.id, with_hidden=True)
    assert counts["Out of scope"] == expected["out_of_scope"] == 1  # the hidden spam
    assert HIDDEN not in text_of(section(page, f"annex-{rich.first.id}").split("</section>")[0])


def test_pinned_comment_is_listed_before_the_most_supported(web, rich, app):
    add_supported_comments(rich, 6)
    rich.chinese.pinned = True
    db.session.commit()
    app.config["REPORT_ANNEX_LIMIT"] = 3
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation)).text
    first = text_of(section(page, f"annex-{rich.first.id}").split("</section>")[0])
    assert CHINESE in first and "Bulk 05" in first and "Bulk 04" in first
    assert "Bulk 03" not in first


def test_decided_proposals_are_listed_first_past_the_limit(web, rich, app):
    for index in range(4):
        joined = join_as(rich.consultation, "Industry", "Europe")
        db.session.add(
            Amendment(
                item=rich.second,
                participant=joined.participant,
                base_text=rich.second.text,
                text=f"Undecided wording {index}",
            )
        )
    db.session.commit()
    app.config["REPORT_ANNEX_LIMIT"] = 3
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation)).text
    second = text_of(section(page, f"annex-{rich.second.id}").split("</section>")[0])
    assert "5 proposals of new wording" in second
    assert "Listed: 3 of 5, decided ones first." in second
    assert "Accepted as the consolidated text" in second  # rich's accepted proposal
    assert "Undecided wording 0" in second and "Undecided wording 1" in second
    assert "Undecided wording 3" not in second


def test_item_pointer_counts_every_comment_not_only_the_listed_ones(web, rich, app):
    add_supported_comments(rich, 10)
    app.config["REPORT_ANNEX_LIMIT"] = 3
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation)).text
    shown = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Comment)
        .join(Participant)
        .where(Comment.item_id == rich.first.id, ~Comment.hidden)
    )
    item = text_of(section(page, f"item-{rich.first.id}-title").split("</article>")[0])
    assert f"{shown} comments: see the annex" in item


@pytest.mark.parametrize("mode", ["shared", "full"])
def test_summarised_annex_query_count_does_not_grow_with_comments(web, rich, app, mode):
    app.config["REPORT_ANNEX_LIMIT"] = 3
    few, many, page = queries_with_few_and_many(
        web,
        report_url(rich.consultation, mode=mode),
        lambda: add_supported_comments(rich, 5),
        lambda: add_supported_comments(rich, 40),
    )
    assert 'id="annex-summary"' in page
    assert many == few


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_past_its_limit_prints_the_summary(rich, app, tmp_path):
    from tests.exports.test_exports_report_pdf import pdf_of
    from tests.exports.test_exports_report_pdf import text_of as pdf_text

    add_supported_comments(rich, 8)
    app.config["REPORT_ANNEX_LIMIT"] = 5
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_of(rich.consultation, Mode.SHARED))
    text = pdf_text(pdf)
    assert "more than the 5 a printed annex lists" in text
    assert "Bulk 07" in text and "Bulk 00" not in text
    assert "No disposition recorded" in text and "Partly taken up" in text
