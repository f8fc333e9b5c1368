"""The printable report: the final roadmap and guideline, what changed from the draft, the
votes per stakeholder group as charts, and the feedback annex ("you said, we did") with
the participation and moderation figures.

One template makes both the HTML page (the print preview) and the PDF, which WeasyPrint
renders from it. The report is built in a fixed number of queries whatever the number of
comments and votes, and covers what the export options say (see ``tables.Scope``): in the
shared mode, no names, no hidden comment and no figure from fewer than 5 voters.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import weasyprint
from flask import current_app, has_request_context, render_template, url_for
from flask_babel import gettext as _
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

from cocreate.concurrency import cooperate, off_the_loop
from cocreate.consolidation.consensus import Consensus, consensus_of, percent
from cocreate.consolidation.diffing import TOKEN, Piece, is_changed, readable_diff
from cocreate.consultations.models import Consultation
from cocreate.drafts.models import Item
from cocreate.exports.annex import Annex, Feedback, build_annex, restricted, shown
from cocreate.exports.formats import register
from cocreate.exports.forms import ExportForm
from cocreate.exports.options import ExportOptions
from cocreate.exports.tables import Scope, item_results, mode_description
from cocreate.moderation.forms import HIDE_REASON_LABELS
from cocreate.participation.models import VoteValue
from cocreate.participation.results import GroupTally, Tally, public_view
from cocreate.publication import services as publication
from cocreate.publication.views import labels as publication_labels

# The chart's three parts, as the consensus signal reads votes: "no opinion" is left out.
AGREE = (VoteValue.STRONGLY_AGREE, VoteValue.AGREE)
NEUTRAL = (VoteValue.NEUTRAL,)
DISAGREE = (VoteValue.DISAGREE, VoteValue.STRONGLY_DISAGREE)
# Unchanged words kept on either side of a change under "what changed from the draft".
CONTEXT_WORDS = 8
# WeasyPrint fetches the report's stylesheet from here; see ``StaticFiles``.
PDF_BASE_URL = "https://report.cocreate.invalid"


# ---------------------------------------------------------------- what the report shows


@dataclass(frozen=True)
class Segment:
    """One coloured part of a bar, in percent of the bar's width."""

    kind: str  # agree, neutral or disagree
    start: float
    width: float


@dataclass
class ChartRow:
    """One bar of an item's chart: everybody, or one stakeholder group."""

    name: str
    tally: Tally
    suppressed: bool = False
    overall: bool = False

    def share(self, values: tuple[VoteValue, ...]) -> float | None:
        if not self.tally.scored:
            return None
        return sum(self.tally.counts[value] for value in values) / self.tally.scored

    @property
    def agree(self) -> str:
        return percent(self.share(AGREE))

    @property
    def neutral(self) -> str:
        return percent(self.share(NEUTRAL))

    @property
    def disagree(self) -> str:
        return percent(self.share(DISAGREE))

    @property
    def no_opinion(self) -> int:
        return self.tally.counts[VoteValue.NO_OPINION]

    @property
    def segments(self) -> list[Segment]:
        segments, start = [], 0.0
        for kind, values in (("agree", AGREE), ("neutral", NEUTRAL), ("disagree", DISAGREE)):
            width = round((self.share(values) or 0) * 100, 2)
            if width:
                segments.append(Segment(kind, start, width))
            start = round(start + width, 2)
        return segments


@dataclass
class ReportItem:
    item: Item
    diff: list[Piece] | None  # None when the final text is the draft's
    chart: list[ChartRow]  # everybody, then each group with votes
    silent: list[str]  # the groups without votes
    consensus: Consensus
    feedback: Feedback

    @property
    def revised(self) -> bool:
        return self.item.is_consolidated

    @property
    def final_text(self) -> str:
        return self.item.final_text if self.item.is_consolidated else self.item.text


@dataclass
class ReportPart:
    """A document, or one of its sections, with its items."""

    title: str
    text: str
    items: list[ReportItem]


@dataclass
class ReportDocument:
    title: str
    introduction: str
    is_roadmap: bool
    sections: list[ReportPart]
    items: list[ReportItem]  # items outside any section

    @property
    def all_items(self) -> list[ReportItem]:
        return [item for part in [*self.sections, self] for item in part.items]


@dataclass
class Report:
    consultation: Consultation
    scope: Scope
    documents: list[ReportDocument]
    filters: list[tuple[str, str]]
    mode: str
    publication: publication.RevisionSummary | None
    participation: dict[str, Any]
    moderation: dict[str, Any]
    labels: dict[str, Any]
    annex: Annex

    @property
    def full(self) -> bool:
        return self.scope.full

    @property
    def items(self) -> list[ReportItem]:
        return [item for document in self.documents for item in document.all_items]

    @property
    def with_feedback(self) -> list[ReportItem]:
        return [item for item in self.items if item.item.id in self.annex.feedback]


def build_report(
    consultation: Consultation, options: ExportOptions, *, annex_limit: int | None = None
) -> Report:
    """Everything the report shows, in a fixed number of queries; past ``annex_limit``
    comments, replies and proposals (``REPORT_ANNEX_LIMIT``) the annex summarises."""
    scope = Scope(consultation, options)
    results = item_results(scope)
    # On a large consultation each step is seconds of queries: give way between them.
    cooperate()
    if annex_limit is None:
        annex_limit = current_app.config["REPORT_ANNEX_LIMIT"]
    annex = build_annex(scope, annex_limit)
    cooperate()

    def report_item(item: Item) -> ReportItem:
        moderator_view = results[item.id]
        shown = moderator_view if scope.full else public_view(moderator_view)
        pieces = readable_diff(item.text, item.final_text) if item.is_consolidated else None
        chart, silent = chart_rows(shown.overall, shown.by_group, options)
        return ReportItem(
            item=item,
            diff=around_changes(pieces) if pieces and is_changed(pieces) else None,
            chart=chart,
            silent=silent,
            # The signal reads every vote; groups under 5 voters never count in it.
            consensus=consensus_of(moderator_view),
            feedback=annex.of(item.id),
        )

    documents = [
        ReportDocument(
            title=document.title,
            introduction=document.introduction,
            is_roadmap=document.is_roadmap,
            sections=[
                ReportPart(
                    section.title,
                    section.description,
                    [report_item(i) for i in document.items if i.section_id == section.id],
                )
                for section in document.sections
            ],
            items=[report_item(i) for i in document.items if i.section_id is None],
        )
        for document in scope.documents
    ]
    history = publication.revision_history(consultation.id)
    participation = publication.participation_figures(consultation, narrow=partial(shown, scope))
    cooperate()
    return Report(
        consultation=consultation,
        scope=scope,
        documents=documents,
        filters=filter_names(scope),
        mode=mode_description(scope),
        publication=history[0] if history else None,
        participation=participation,
        moderation=publication.hidden_counts(consultation, narrow=partial(restricted, scope)),
        labels={**publication_labels(), "hide_reasons": HIDE_REASON_LABELS},
        annex=annex,
    )


def chart_rows(
    overall: Tally, by_group: list[GroupTally], options: ExportOptions
) -> tuple[list[ChartRow], list[str]]:
    """Everybody, then each group that voted, and the names of those that did not; a
    report filtered to one group has no rows per group."""
    rows = [ChartRow(_("All participants"), overall, overall=True)]
    if options.group_id is not None:
        return rows, []
    rows += [ChartRow(g.name, g.tally, g.suppressed) for g in by_group if g.tally.votes]
    return rows, [g.name for g in by_group if not g.tally.votes]


def around_changes(pieces: list[Piece], words: int = CONTEXT_WORDS) -> list[Piece]:
    """The diff with each long unchanged run cut down to a few words either side of the
    changes around it: the final text stands in full above it."""
    trimmed = []
    for index, piece in enumerate(pieces):
        tokens = TOKEN.findall(piece.text)
        starts = [position for position, token in enumerate(tokens) if not token.isspace()]
        after_change, before_change = index > 0, index < len(pieces) - 1
        if piece.kind != "same" or len(starts) <= words * (after_change + before_change) + 3:
            trimmed.append(piece)
            continue
        head = "".join(tokens[: starts[words]]) if after_change else ""
        tail = "".join(tokens[starts[-words] :]) if before_change else ""
        if not before_change:
            trimmed.append(Piece("same", head.rstrip() + " …"))
        else:
            trimmed.append(Piece("same", f"{head}… {tail}"))
    return trimmed


def filter_names(scope: Scope) -> list[tuple[str, str]]:
    options = scope.options
    event = scope.events.get(options.event_id)
    every = _("All")
    return [
        (_("Live event"), event.title if event else _("All events (rehearsals left out)")),
        (_("Stakeholder group"), scope.groups.get(options.group_id, every)),
        (_("Region"), scope.regions.get(options.region_id, every)),
    ]


# ---------------------------------------------------------------- HTML and PDF


def render_report(
    consultation: Consultation, options: ExportOptions, *, form: ExportForm | None = None
) -> str:
    """The report as an HTML page; with the download page's ``form``, the screen's
    toolbar to change the mode and filters and to download the PDF (the PDF has none)."""
    return render_template(
        "exports/report.html",
        report=build_report(consultation, options),
        form=form,
        for_pdf=form is None,
        pdf_url=url_for(
            "exports.download",
            consultation_id=consultation.id,
            format="pdf",
            **query_args(options),
        ),
    )


def query_args(options: ExportOptions) -> dict[str, str | int]:
    """The options as the report's and the download's query arguments."""
    chosen = {
        "mode": options.mode.value,
        "event": options.event_id,
        "group": options.group_id,
        "region": options.region_id,
    }
    return {name: value for name, value in chosen.items() if value is not None}


@register("pdf", "application/pdf", "pdf")
def write_pdf(consultation: Consultation, options: ExportOptions) -> Iterator[bytes]:
    """The report as a PDF: the HTML page rendered by WeasyPrint, in one piece, off the
    event loop (WeasyPrint computes for seconds on a long report)."""
    # Outside a request (the command line), templates still need one for ``url_for``.
    context = nullcontext() if has_request_context() else current_app.test_request_context()
    with context:
        html = render_report(consultation, options)
        fetcher = StaticFiles(
            Path(current_app.static_folder), PDF_BASE_URL + url_for("static", filename="")
        )
    yield off_the_loop(pdf_from_html, html, fetcher)


def pdf_from_html(html: str, fetcher: URLFetcher) -> bytes:
    return weasyprint.HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher).write_pdf()


class StaticFiles(URLFetcher):
    """Gives WeasyPrint the app's static files (the report's stylesheet) and nothing else:
    rendering a report never reads the network or any other file."""

    def __init__(self, folder: Path, prefix: str) -> None:
        super().__init__()
        self.folder = folder
        self.prefix = prefix

    def fetch(self, url, headers=None):
        if not url.startswith(self.prefix):
            raise ValueError(f"The report does not load {url}")
        path = safe_join(str(self.folder), url.removeprefix(self.prefix).split("?")[0])
        if path is None or not Path(path).is_file():
            raise ValueError(f"No static file for {url}")
        media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": media_type})
