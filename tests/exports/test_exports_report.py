"""The printable report as a page (its print preview): the final texts, what changed, the
votes per stakeholder group as charts, the feedback annex and the figures; shared and
full modes, filters, who may read it, and a query count that does not grow."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest

from cocreate.amendments import services as amendments
from cocreate.amendments.models import Amendment
from cocreate.audit.models import AuditEntry
from cocreate.consolidation.services import record_dispositions, save_final_text
from cocreate.consultations.models import Status
from cocreate.drafts.models import Item
from cocreate.exports.report import ChartRow, Segment
from cocreate.extensions import db
from cocreate.live.models import EventFormat, LiveEvent
from cocreate.moderation.models import HideReason, ModeratorAnswer, Tag
from cocreate.participation.models import Comment, Participant, Vote, VoteValue
from cocreate.participation.results import Tally
from cocreate.publication.services import publish
from tests.conftest import count_queries, join_as, row_count

CHINESE = "我们认为，这个目标太晚了。应该在2030年前完成供应链审计！"
MULTILINE = "First line of the comment.\nSecond line, after a break."
HTML_LOOKING = "Reports mean nothing <b>without</b> an independent check & <script>x()</script>"
HIDDEN = "Buy cheap copper at my shop!"
REPLY = "Agreed, and the audits should be public too."
ANSWER = "Thank you: see the consolidated text."
FINAL_TEXT = (
    "Every company placing wind turbines, solar modules or their main components on the EU "
    "market carries out risk-based supply chain due diligence in line with the OECD "
    "guidance, tracing copper, silicon metal and rare earths back to the mine. The results "
    "are published every year, checked by an independent auditor."
)
PASSAGE = "checked by an independent auditor"
RATIONALE = "Several groups asked for independent checks; we added an auditor."
REJECTED_RATIONALE = "Shop advertising is out of scope for the roadmap."
AMENDED_TEXT = (
    "Polysilicon, wafers and modules sold in Europe are traced to their mine and shown to be "
    "free of forced labour."
)
AMENDMENT_REASON = "Tracing is what makes the claim checkable."
ACCEPT_RATIONALE = "The tracing requirement makes the target verifiable."
NAMES = ["Ana Secretname", "Bo Hiddenname", "Chen Realname"]


@dataclass
class Rich:
    """The demo with votes from several groups (one of them small), comments of every kind
    with dispositions, an accepted amendment and consolidated texts."""

    consultation: object
    first: Item
    second: Item
    workshop: LiveEvent
    chinese: Comment
    multiline: Comment
    html_looking: Comment
    hidden: Comment
    reply: Comment
    amendment: Amendment


def vote(item, joined, value, event=None) -> None:
    db.session.add(
        Vote(
            item=item,
            participant=joined.participant,
            value=value,
            event_id=event.id if event else None,
        )
    )


def arrange_rich(demo, moderator) -> Rich:
    items = [item for document in demo.documents for item in document.items]
    first, second, third = items[0], items[1], items[2]
    ana = join_as(demo, "Industry", "Europe", name=NAMES[0])
    bo = join_as(demo, "Government and policy", "Africa", name=NAMES[1])
    chen = join_as(demo, "Civil society and NGOs", "Asia", name=NAMES[2])
    workshop = LiveEvent(
        consultation_id=demo.id, title="Lisbon workshop", format=EventFormat.WORKSHOP
    )
    db.session.add(workshop)
    db.session.flush()
    # Industry: 6 voters, mostly agreeing; civil society: 6, mostly disagreeing;
    # Government and policy: 2 voters, fewer than 5 (suppressed in the shared mode).
    industry = [ana, *(join_as(demo, "Industry", "Europe") for index in range(5))]
    civil = [chen, *(join_as(demo, "Civil society and NGOs", "Asia") for index in range(5))]
    government = [bo, join_as(demo, "Government and policy", "Africa")]
    for index, joined in enumerate(industry):
        vote(first, joined, "strongly_agree" if index < 3 else "agree", workshop)
        vote(second, joined, "agree")
    for index, joined in enumerate(civil):
        vote(first, joined, "disagree" if index < 4 else "neutral")
        vote(second, joined, "agree" if index < 5 else "no_opinion")
    for joined in government:
        vote(first, joined, "agree")

    def comment(item, joined, body, **state) -> Comment:
        posted = Comment(item=item, participant=joined.participant, body=body, **state)
        db.session.add(posted)
        db.session.flush()
        return posted

    html_looking = comment(first, ana, HTML_LOOKING, event_id=workshop.id, support_count=3)
    chinese = comment(first, chen, CHINESE)
    multiline = comment(first, bo, MULTILINE)
    hidden = comment(first, bo, HIDDEN, hidden=True, hidden_reason=HideReason.SPAM)
    reply = comment(first, chen, REPLY, parent_id=html_looking.id)
    comment(third, ana, "A comment on the third item, without a disposition.")
    db.session.add(ModeratorAnswer(comment_id=html_looking.id, body=ANSWER))
    html_looking.tags.append(Tag(consultation_id=demo.id, name="Audits"))
    amendment = Amendment(
        item=second,
        participant=ana.participant,
        base_text=second.text,
        text=AMENDED_TEXT,
        reason=AMENDMENT_REASON,
    )
    db.session.add(amendment)
    db.session.commit()

    save_final_text(first, moderator, FINAL_TEXT, expected_version=first.final_version)
    amendments.accept(
        moderator, amendment, expected_version=second.final_version, rationale=ACCEPT_RATIONALE
    )
    record_dispositions(
        demo,
        moderator,
        outcome="taken_up",
        rationale=RATIONALE,
        passage=PASSAGE,
        comment_ids=[html_looking.id, multiline.id],
    )
    record_dispositions(
        demo, moderator, outcome="not_taken_up", rationale="Not now.", comment_ids=[chinese.id]
    )
    record_dispositions(
        demo,
        moderator,
        outcome="out_of_scope",
        rationale=REJECTED_RATIONALE,
        comment_ids=[hidden.id],
    )
    return Rich(
        demo, first, second, workshop, chinese, multiline, html_looking, hidden, reply, amendment
    )


@pytest.fixture
def rich(demo, moderator) -> Rich:
    return arrange_rich(demo, moderator)


def report_url(consultation, **args) -> str:
    query = "&".join(f"{name}={value}" for name, value in args.items())
    return f"/manage/{consultation.id}/report" + (f"?{query}" if query else "")


def text_of(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded."""
    without_tags = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(without_tags))


def section(page: str, anchor: str) -> str:
    """The part of the page from the element with ``id=anchor`` on."""
    return page[page.index(f'id="{anchor}"') :]


# ---------------------------------------------------------------- what it shows


def test_moderator_reads_final_texts_changes_charts_and_consensus(web, rich):
    web.login("mod@example.org")
    response = web.get(report_url(rich.consultation))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.text
    text = text_of(page)
    assert rich.consultation.title in text
    assert "Shared" in text and "All events (rehearsals left out)" in text
    assert FINAL_TEXT in text
    # What changed: the added words underlined, and the other items marked not revised.
    assert re.search(r"<ins>.*checked by an independent auditor", page)
    assert "not revised" in text
    assert AMENDED_TEXT in text
    # The chart: bars as inline SVG, the figures beside them as text.
    assert page.count('<svg class="bar"') >= 3
    assert "Industry" in text and "Civil society and NGOs" in text
    assert "fewer than 5 voters" in text  # Government and policy's 2 voters
    assert "Groups diverge" in text  # industry agrees, civil society disagrees
    assert "Milestone 2030" in text


def test_annex_says_what_was_done_with_each_comment_and_proposal(web, rich):
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation)).text
    annex = text_of(section(page, "annex"))
    assert CHINESE in annex
    assert RATIONALE in annex and PASSAGE in annex
    assert "Not taken up" in annex and "Taken up" in annex
    assert REPLY in annex and ANSWER in annex and "Tags: Audits" in annex
    assert AMENDMENT_REASON in annex and ACCEPT_RATIONALE in annex
    assert "Accepted as the consolidated text" in annex
    assert "No disposition recorded." in annex
    assert "Industry, Europe" in annex and "Civil society and NGOs, Asia" in annex


def test_comment_text_is_escaped_and_keeps_its_line_breaks(web, rich):
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation)).text
    assert "<b>without</b>" not in page and "<script>x()" not in page
    assert html.escape(HTML_LOOKING, quote=False) in page
    assert MULTILINE in page  # the stylesheet keeps the break (white-space: pre-line)


def test_shared_report_names_nobody_and_leaves_hidden_comments_out(web, rich):
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation, mode="shared")).text
    for name in NAMES:
        assert name not in page
    assert HIDDEN not in page and REJECTED_RATIONALE not in page
    assert f"#{rich.chinese.id}" not in text_of(page)
    # The transparency figures still count it.
    assert "Spam" in text_of(section(page, "moderation"))


def test_full_report_shows_names_hidden_comments_and_moderation_data(web, rich):
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation, mode="full")).text
    text = text_of(page)
    for name in NAMES:
        assert name in text
    assert HIDDEN in text and REJECTED_RATIONALE in text
    assert "<strong>Hidden</strong>: Spam" in page
    assert "for moderators only" in text
    # Small groups are shown to moderators, with their figures.
    chart = section(page, f"item-{rich.first.id}-title")
    assert "fewer than 5 voters" not in chart[: chart.index("</table>")]


def test_report_filtered_to_one_group_keeps_its_votes_and_comments(web, rich):
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation, group="Civil society and NGOs")).text
    text = text_of(page)
    assert CHINESE in text and REPLY not in text  # Chen's reply answers Ana's comment
    assert html.escape(HTML_LOOKING, quote=False) not in page and MULTILINE not in page
    assert "Stakeholder group Civil society and NGOs" in text
    chart = section(page, f"item-{rich.first.id}-title")
    chart = text_of(chart[: chart.index("</table>")])
    assert "6 votes" in chart and "Industry" not in chart


def test_report_filtered_to_an_event_counts_only_its_votes(web, rich):
    web.login("mod@example.org")
    page = web.get(report_url(rich.consultation, event=rich.workshop.id)).text
    text = text_of(page)
    assert "Live event Lisbon workshop" in text
    assert html.escape(HTML_LOOKING, quote=False) in page and CHINESE not in text
    chart = section(page, f"item-{rich.first.id}-title")
    assert "6 votes" in text_of(chart[: chart.index("</table>")])


def test_unknown_filter_is_refused_with_a_message(web, rich):
    web.login("mod@example.org")
    response = web.get(report_url(rich.consultation, group="Astronauts"))
    assert response.status_code == 422
    assert "This consultation has no such stakeholder group." in text_of(response.text)


def test_report_of_a_consultation_without_feedback_says_so(web, demo):
    web.login("mod@example.org")
    page = web.get(report_url(demo)).text
    text = text_of(page)
    assert "No votes." in text
    assert "No comments or proposals of new wording in this report." in text
    assert "Not published yet" in text


def test_title_page_names_the_published_revision(web, rich, moderator):
    rich.consultation.status = Status.CLOSED
    db.session.commit()
    publish(rich.consultation, moderator, note="First edition", confirm_unconsolidated=True)
    web.login("mod@example.org")
    text = text_of(web.get(report_url(rich.consultation)).text)
    assert "Published Revision 1" in text and "First edition" in text
    assert "Status Published" in text


def test_overview_links_to_the_report(web, demo):
    web.login("mod@example.org")
    page = web.get(f"/manage/{demo.id}").text
    assert f'href="/manage/{demo.id}/report"' in page


# ---------------------------------------------------------------- who may read it


def report_state() -> dict:
    return {
        "comments": row_count(Comment),
        "votes": row_count(Vote),
        "participants": row_count(Participant),
        "audit": row_count(AuditEntry),
    }


def test_another_moderator_cannot_read_the_report(web, rich, other_moderator):
    before = report_state()
    web.login("other@example.org")
    response = web.get(report_url(rich.consultation))
    assert response.status_code == 403
    assert CHINESE not in response.text
    assert report_state() == before


def test_participant_cannot_read_the_report(guest, rich):
    before = report_state()
    response = guest.get(report_url(rich.consultation, mode="full"))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert report_state() == before


# ---------------------------------------------------------------- scale


def add_comments(rich: Rich, count: int) -> None:
    """``count`` comments from as many participants on the first item, each disposed."""
    posted = []
    for index in range(count):
        joined = join_as(rich.consultation, "Research and academia", "Oceania", name=f"P {index}")
        posted.append(Comment(item=rich.first, participant=joined.participant, body=f"#{index}"))
        db.session.add(Vote(item=rich.first, participant=joined.participant, value=VoteValue.AGREE))
    db.session.add_all(posted)
    db.session.commit()
    record_dispositions(
        rich.consultation,
        db.session.merge(rich.consultation.moderators[0]),
        outcome="partly_taken_up",
        rationale="Bulk.",
        comment_ids=[comment.id for comment in posted],
    )


def queries_with_few_and_many(web, url: str, add_few, add_many) -> tuple[int, int, str]:
    """The report's query count after ``add_few()``, then after ``add_many()``, and the
    second page."""
    web.login("mod@example.org")
    add_few()
    with count_queries() as few:
        assert web.get(url).status_code == 200
    add_many()
    with count_queries() as many:
        page = web.get(url).text
    return len(few), len(many), page


@pytest.mark.parametrize("mode", ["shared", "full"])
def test_report_query_count_does_not_grow_with_comments(web, rich, mode):
    few, many, page = queries_with_few_and_many(
        web,
        report_url(rich.consultation, mode=mode),
        lambda: add_comments(rich, 5),
        lambda: add_comments(rich, 45),
    )
    assert page.count("Bulk.") == 50
    assert many == few


# ---------------------------------------------------------------- the chart


def test_chart_bar_splits_into_agree_neutral_and_disagree():
    tally = Tally()
    tally.counts.update(
        {
            VoteValue.STRONGLY_AGREE: 1,
            VoteValue.AGREE: 2,
            VoteValue.NEUTRAL: 1,
            VoteValue.DISAGREE: 4,
            VoteValue.NO_OPINION: 2,
        }
    )
    row = ChartRow("Industry", tally)
    assert row.segments == [
        Segment("agree", 0.0, 37.5),
        Segment("neutral", 37.5, 12.5),
        Segment("disagree", 50.0, 50.0),
    ]
    assert (row.agree, row.neutral, row.disagree, row.no_opinion) == ("38 %", "12 %", "50 %", 2)
    assert ChartRow("Nobody", Tally()).segments == []
