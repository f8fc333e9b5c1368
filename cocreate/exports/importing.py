"""Import a full-mode ``cocreate-export/1`` JSON export into a new consultation.

Reading and storing are apart, as for drafts (``cocreate.drafts.importing``, whose JSON
helpers this module reuses): ``read_export`` checks every field of the file and resolves
every reference without touching the database, listing each problem as
"<JSON path>: <what>"; ``store`` then writes the whole consultation in one transaction.
So an import is all or nothing.

What does not travel (see docs/export-format.md): participants' secrets (imported
participants get fresh ones, so nobody can sign in as them again), who flagged a comment
(the count is kept), when a support was given, and accounts, which are matched by email
address on this server. The new consultation gets its own id and join code.
"""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from cocreate.accounts.models import User
from cocreate.amendments.models import Amendment, AmendmentStatus, AmendmentVote
from cocreate.audit.services import record
from cocreate.consolidation.models import Disposition, Outcome, TextVersion
from cocreate.consultations.models import Consultation, ResultsVisibility, Status
from cocreate.consultations.services import new_consultation
from cocreate.drafts.importing import (
    _BAD_CHAR,
    _LANGUAGE,
    _LINE_BREAK,
    _MISSING,
    DraftFormatError,
    _check_ref,
    _Context,
    _describe,
    _Fields,
    _load_json,
    _not_utf8_message,
    _render,
)
from cocreate.drafts.models import Document, DocumentKind, Item, ItemKind, Section
from cocreate.exports.jsonfile import FORMAT_NAME
from cocreate.extensions import db
from cocreate.live.models import EventFormat, LiveEvent
from cocreate.moderation.models import HideReason, ModeratorAnswer, Tag, comment_tag
from cocreate.participation.models import Comment, Participant, Support, Vote, VoteValue
from cocreate.participation.services import digest
from cocreate.publication.models import Publication
from cocreate.publication.services import snapshot_items

# Shown at most, of a long list of problems; the count of the others follows.
PROBLEMS_SHOWN = 50
# Rows written per statement; with their new ids returned.
BATCH, RETURNING_BATCH = 5000, 500
# The columns' sizes, in characters.
TITLE_MAX, NAME_MAX, NOTE_MAX, TAG_MAX, EMAIL_MAX = 200, 80, 300, 60, 254
ID_MAX = 40
GROUPS_MAX, REGIONS_MAX = 20, 50


class ExportFileError(ValueError):
    """An export file was refused. ``problems`` lists each one as "<where>: <what>"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        shown = self.problems[:PROBLEMS_SHOWN]
        if len(self.problems) > PROBLEMS_SHOWN:
            shown.append(f"… and {len(self.problems) - PROBLEMS_SHOWN} more problems")
        super().__init__("\n".join(shown))


@dataclass
class Imported:
    consultation: Consultation
    # Email addresses the file names (moderators, authors) that no account here has.
    unknown_accounts: list[str]
    # How many items, participants, comments, votes and amendments were created.
    counts: dict[str, int]


def import_consultation(data: bytes, *, moderators: Sequence[User] = ()) -> Imported:
    """Create a new consultation from a full-mode export, in one transaction.

    ``moderators`` moderate it besides the file's moderators that have an account here.

    :raises ExportFileError: listing every problem found; nothing is created.
    """
    return store(read_export(data), moderators=moderators)


# ---------------------------------------------------------------- what a file holds


@dataclass
class ItemSpec:
    values: dict[str, Any]
    versions: list[dict[str, Any]]


@dataclass
class SectionSpec:
    title: str
    description: str
    items: list[ItemSpec]


@dataclass
class DocumentSpec:
    kind: DocumentKind
    title: str
    introduction: str
    sections: list[SectionSpec]
    items: list[ItemSpec]


@dataclass
class CommentSpec:
    values: dict[str, Any]
    item: str
    participant: int
    parent: int | None
    merged_into: int | None
    event: int | None
    supporters: list[int]
    tags: list[str]
    answers: list[dict[str, Any]]
    disposition: dict[str, Any] | None


@dataclass
class AmendmentSpec:
    values: dict[str, Any]
    item: str
    participant: int
    event: int | None
    votes: list[tuple[int, VoteValue, int | None, datetime]]
    disposition: dict[str, Any] | None


@dataclass
class ExportSpec:
    consultation: dict[str, Any]
    groups: list[str]
    regions: list[str]
    moderators: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    documents: list[DocumentSpec] = field(default_factory=list)
    participants: list[dict[str, Any]] = field(default_factory=list)
    comments: list[CommentSpec] = field(default_factory=list)
    # (item ref, participant, value, event, created at, updated at)
    votes: list[tuple] = field(default_factory=list)
    amendments: list[AmendmentSpec] = field(default_factory=list)
    publications: list[dict[str, Any]] = field(default_factory=list)
    # Position of each comment and amendment by its export id, for publication snapshots.
    comment_index: dict[str, int] = field(default_factory=dict)
    amendment_index: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- reading


def read_export(data: bytes) -> ExportSpec:
    """Check a whole export file and return what it holds.

    :raises ExportFileError: listing every problem, each under its JSON path.
    """
    try:
        return _read(data)
    except DraftFormatError as error:
        raise ExportFileError(error.problems) from None


def _read(data: bytes) -> ExportSpec:
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        raise DraftFormatError(_not_utf8_message(data)) from None
    root = _load_json(text)
    del text  # from here on only the parsed objects are read
    if not isinstance(root, dict):
        raise DraftFormatError(f"top level: expected a JSON object, got {_describe(root)}")
    ctx = _Context()
    _check_kind_of_export(root)
    top = Fields(root, "", ctx, TOP_FIELDS)
    spec = _read_consultation(top)
    known = Known(spec)
    known.events = known.ids(top, "events")
    spec.events = [_read_event(obj, known) for obj in top.objects("events", EVENT_FIELDS)]
    spec.tags = _read_tags(top, known)
    spec.documents = [
        _read_document(obj, known) for obj in top.objects("documents", DOCUMENT_FIELDS)
    ]
    # Comments name comments written later (the one they were merged into): every id of
    # each kind is known before any reference is checked.
    known.participants = known.ids(top, "participants")
    known.comments = known.ids(top, "comments")
    known.amendments = known.ids(top, "amendments")
    spec.participants = [
        _read_participant(obj, known) for obj in top.objects("participants", PARTICIPANT_FIELDS)
    ]
    spec.comments = [_read_comment(obj, known) for obj in top.objects("comments", COMMENT_FIELDS)]
    _check_threads(top, spec.comments)
    spec.votes = _read_votes(top, known)
    spec.amendments = [
        _read_amendment(obj, known) for obj in top.objects("amendments", AMENDMENT_FIELDS)
    ]
    spec.publications = _read_publications(top, known)
    spec.comment_index, spec.amendment_index = known.comments, known.amendments
    ctx.raise_if_any()
    return spec


def _check_kind_of_export(root: dict) -> None:
    """Refuse another format, a shared or a filtered export at once: reading on would
    only list what such a file leaves out."""
    value = root.get("format", _MISSING)
    if value is _MISSING:
        raise DraftFormatError("format: required field is missing")
    if value != FORMAT_NAME:
        raise DraftFormatError(
            f'format: expected "{FORMAT_NAME}", got {_render(value)}; this version of '
            f"cocreate reads {FORMAT_NAME} exports"
        )
    if root.get("mode") != "full":
        raise DraftFormatError(
            f'mode: expected "full", got {_render(root.get("mode"))}; a shared export '
            "leaves out names, hidden comments and moderation data, so only a full export "
            "can be imported"
        )
    filters = root.get("filters")
    if not isinstance(filters, dict) or any(value is not None for value in filters.values()):
        raise DraftFormatError(
            f"filters: expected no filter, got {_render(filters)}; a filtered export holds "
            "part of the consultation: export it again without filters"
        )


class Fields(_Fields):
    """Reads one JSON object of an export, where every field is required."""

    def __init__(
        self,
        obj: dict,
        path: str,
        ctx: _Context,
        allowed: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> None:
        super().__init__(obj, path, ctx, allowed + optional)
        for key in allowed:
            if key not in obj:
                ctx.add(self.where(key), "required field is missing")

    def problem(self, key: str, what: str) -> None:
        self.ctx.add(self.where(key), what)

    def value(self, key: str, check, expected: str, *, nullable: bool = False) -> Any:
        """The field's value if ``check(value)`` holds (or it is null and may be)."""
        value = self.obj.get(key, _MISSING)
        if value is _MISSING or (value is None and nullable):
            return None
        if not check(value):
            self.problem(key, f"expected {expected}, got {_describe(value)}")
            return None
        return value

    def string(
        self,
        key: str,
        *,
        max_len: int | None = None,
        single_line: bool = False,
        nullable: bool = False,
        required: bool = False,
        default: str = "",
    ) -> str | None:
        """A text, kept exactly as written."""
        what = "a string or null" if nullable else "a string"
        value = self.value(key, lambda v: isinstance(v, str), what, nullable=nullable)
        if value is None:
            return None if nullable else default
        _check_text(value, self.where(key), self.ctx, max_len, single_line, required)
        return value

    def boolean(self, key: str) -> bool:
        return bool(self.value(key, lambda v: isinstance(v, bool), "true or false"))

    def integer(self, key: str, *, minimum: int = 0, nullable: bool = False) -> int | None:
        def check(value) -> bool:
            # bool is a subclass of int in Python, but `true` is not a number.
            return type(value) is int and value >= minimum

        what = f"a whole number from {minimum}" + (" or null" if nullable else "")
        value = self.value(key, check, what, nullable=nullable)
        return value if value is not None or nullable else minimum

    def choice(self, key: str, choices: type[enum.Enum], *, nullable: bool = False) -> Any:
        values = [member.value for member in choices]
        listed = ", ".join(f'"{value}"' for value in values)
        what = f"one of {listed}" + (" or null" if nullable else "")
        value = self.value(key, lambda v: v in values, what, nullable=nullable)
        if value is None:
            return None if nullable else next(iter(choices))
        return choices(value)

    def moment(self, key: str, *, nullable: bool = False) -> datetime | None:
        what = "a date and time with its offset, such as 2026-03-01T09:30:00Z" + (
            " or null" if nullable else ""
        )
        value = self.value(key, lambda v: _parse_moment(v) is not None, what, nullable=nullable)
        if value is None:
            return None if nullable else datetime.now(UTC)
        return _parse_moment(value)

    def day(self, key: str) -> date | None:
        value = self.value(
            key,
            lambda v: _parse_day(v) is not None,
            "a date such as 2026-03-01 or null",
            nullable=True,
        )
        return _parse_day(value) if value is not None else None

    def strings(self, key: str, *, max_len: int | None, single_line: bool = True) -> list[str]:
        """An array of texts, kept exactly as written."""
        value = self.value(key, lambda v: isinstance(v, list), "an array of strings")
        texts = []
        for index, entry in enumerate(value or []):
            where = f"{self.where(key)}[{index}]"
            if not isinstance(entry, str):
                self.ctx.add(where, f"expected a string, got {_describe(entry)}")
                continue
            _check_text(entry, where, self.ctx, max_len, single_line, required=True)
            texts.append(entry)
        return texts

    def objects(
        self, key: str, allowed: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> Iterator[Fields]:
        """The elements of an array of objects, each read with its own path, one at a time."""
        value = self.value(key, lambda v: isinstance(v, list), "an array")
        for index, entry in enumerate(value or []):
            path = f"{self.where(key)}[{index}]"
            if isinstance(entry, dict):
                yield Fields(entry, path, self.ctx, allowed, optional)
            else:
                self.ctx.add(path, f"expected an object, got {_describe(entry)}")

    def object(self, key: str, allowed: tuple[str, ...], *, nullable: bool = False):
        what = "an object" + (" or null" if nullable else "")
        value = self.value(key, lambda v: isinstance(v, dict), what, nullable=nullable)
        return Fields(value, self.where(key), self.ctx, allowed) if value is not None else None

    def name(self, key: str, names: Sequence[str], what: str, *, nullable: bool = False):
        """A name that must be one of ``names`` (a stakeholder group, a region, a tag)."""
        if key not in self.obj:
            return None
        value = self.string(key, nullable=nullable)
        if value is None or value in names:
            return value
        listed = ", ".join(f'"{name}"' for name in names) or "none"
        self.problem(key, f"unknown {what} {_render(value)} (the file's {what}s: {listed})")
        return None

    def ref(self, key: str, ids: dict[str, int], what: str, *, nullable: bool = False):
        """The index of the row that an export id such as "P3" names."""
        value = self.string(key, nullable=nullable)
        if value is None:
            return None
        if value not in ids:
            self.problem(key, f"no {what} has the id {_render(value)}")
            return None
        return ids[value]


def _check_text(
    text: str, where: str, ctx: _Context, max_len: int | None, single_line: bool, required: bool
) -> None:
    if required and not text.strip():
        ctx.add(where, "must not be empty")
    bad = _BAD_CHAR.search(text)
    if bad:
        ctx.add(where, f"contains a character that is not allowed in text (U+{ord(bad[0]):04X})")
    if single_line and _LINE_BREAK.search(text):
        ctx.add(where, "must be a single line, without line breaks")
    if max_len is not None and len(text) > max_len:
        ctx.add(where, f"too long: {len(text)} characters, at most {max_len}")


def _parse_moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_day(value: object) -> date | None:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class Known:
    """What references in the file may name, filled as the file is read."""

    def __init__(self, spec: ExportSpec) -> None:
        self.groups = spec.groups
        self.regions = spec.regions
        self.events: dict[str, int] = {}
        self.tags: list[str] = []
        # Item refs as written, with the kind of document holding the item.
        self.items: dict[str, str] = {}
        self.participants: dict[str, int] = {}
        self.comments: dict[str, int] = {}
        self.amendments: dict[str, int] = {}

    def ids(self, top: Fields, key: str) -> dict[str, int]:
        """Each export id of an array's objects, by position; reports duplicates."""
        found: dict[str, int] = {}
        entries = top.obj.get(key)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            value = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(value, str):
                continue  # reported when the object is read
            if value in found:
                top.ctx.add(
                    f"{key}[{index}].id",
                    f'duplicate id "{value}": already used at {key}[{found[value]}].id',
                )
            else:
                found[value] = index
        return found


TOP_FIELDS = (
    "format",
    "exported_at",
    "mode",
    "filters",
    "consultation",
    "events",
    "tags",
    "documents",
    "participants",
    "comments",
    "votes",
    "amendments",
    "publications",
)
CONSULTATION_FIELDS = (
    "title",
    "summary",
    "language",
    "status",
    "closes_at",
    "privacy_notice",
    "retention_days",
    "groups",
    "regions",
    "id",
    "join_code",
    "joining_locked",
    "results_visibility",
    "premoderation",
    "review_words",
    "created_at",
    "moderators",
)
EVENT_FIELDS = (
    "id",
    "title",
    "format",
    "held_on",
    "place",
    "region",
    "rehearsal",
    "started_at",
    "ended_at",
    "created_at",
)
DOCUMENT_FIELDS = ("kind", "title", "introduction", "sections", "items")
SECTION_FIELDS = ("title", "description", "items")
ITEM_FIELDS = (
    "ref",
    "kind",
    "title",
    "text",
    "milestone_year",
    "indicators",
    "responsible_actors",
    "criteria",
    "applies_to",
    "voting_open",
    "results_revealed",
    "final_text",
    "final_version",
    "versions",
)
# Figures computed from the votes: recomputed after an import, so never read.
ITEM_DERIVED = ("results",)
VERSION_FIELDS = ("number", "text", "note", "author", "created_at")
PARTICIPANT_FIELDS = (
    "id",
    "display_name",
    "group",
    "region",
    "accepted_privacy_at",
    "muted_at",
    "erased_at",
    "created_at",
)
COMMENT_FIELDS = (
    "id",
    "item",
    "parent",
    "participant",
    "body",
    "hidden",
    "hidden_reason",
    "hidden_note",
    "awaiting_approval",
    "merged_into",
    "needs_review",
    "pinned",
    "flags",
    "supports",
    "supporters",
    "tags",
    "answers",
    "event",
    "disposition",
    "created_at",
)
ANSWER_FIELDS = ("body", "author", "created_at")
DISPOSITION_FIELDS = ("outcome", "rationale", "passage", "decided_by", "decided_at")
VOTE_FIELDS = ("item", "participant", "value", "event", "created_at", "updated_at")
AMENDMENT_FIELDS = (
    "id",
    "item",
    "participant",
    "base_text",
    "text",
    "reason",
    "status",
    "hidden",
    "event",
    "votes",
    "disposition",
    "created_at",
)
AMENDMENT_VOTE_FIELDS = ("participant", "value", "event", "updated_at")
PUBLICATION_FIELDS = ("revision", "note", "published_by", "published_at", "snapshot")


def _read_consultation(top: Fields) -> ExportSpec:
    fields = top.object("consultation", CONSULTATION_FIELDS)
    if fields is None:
        return ExportSpec(consultation={}, groups=[], regions=[], moderators=[])
    language = fields.string("language", max_len=35, single_line=True, default="en")
    if language and not _LANGUAGE.fullmatch(language):
        fields.problem("language", f"{_render(language)} is not a language tag such as en or pt-BR")
    values = {
        "title": fields.string("title", max_len=TITLE_MAX, single_line=True, required=True),
        "summary": fields.string("summary"),
        "language": language,
        "status": fields.choice("status", Status),
        "closes_at": fields.moment("closes_at", nullable=True),
        "privacy_notice": fields.string("privacy_notice"),
        "retention_days": fields.integer("retention_days", nullable=True),
        "joining_locked": fields.boolean("joining_locked"),
        "results_visibility": fields.choice("results_visibility", ResultsVisibility),
        "premoderation": fields.boolean("premoderation"),
        "review_words": fields.string("review_words"),
        "created_at": fields.moment("created_at"),
    }
    # The source's id and join code are only for the record: the new consultation gets its own.
    fields.integer("id")
    fields.string("join_code")
    return ExportSpec(
        consultation=values,
        groups=_names(fields, "groups", "stakeholder group", minimum=1, maximum=GROUPS_MAX),
        regions=_names(fields, "regions", "region", minimum=0, maximum=REGIONS_MAX),
        moderators=[email.strip() for email in fields.strings("moderators", max_len=EMAIL_MAX)],
    )


def _names(fields: Fields, key: str, what: str, *, minimum: int, maximum: int) -> list[str]:
    """Group or region names: distinct ignoring case, as the consultation settings want."""
    names = fields.strings(key, max_len=NAME_MAX)
    if not minimum <= len(names) <= maximum and key in fields.obj:
        fields.problem(key, f"expected from {minimum} to {maximum} {what}s, got {len(names)}")
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name.strip() != name:
            fields.problem(f"{key}[{index}]", "must not start or end with spaces")
        if name.casefold() in seen:
            fields.problem(
                f"{key}[{index}]", f'"{name}" is listed twice (as {key}[{seen[name.casefold()]}])'
            )
        seen.setdefault(name.casefold(), index)
    return names


def _read_event(fields: Fields, known: Known) -> dict[str, Any]:
    fields.string("id", max_len=ID_MAX, single_line=True, required=True)
    return {
        "title": fields.string("title", max_len=TITLE_MAX, single_line=True, required=True),
        "format": fields.choice("format", EventFormat),
        "held_on": fields.day("held_on"),
        "place": fields.string("place", max_len=TITLE_MAX, single_line=True),
        "region": fields.name("region", known.regions, "region", nullable=True),
        "is_rehearsal": fields.boolean("rehearsal"),
        "started_at": fields.moment("started_at", nullable=True),
        "ended_at": fields.moment("ended_at", nullable=True),
        "created_at": fields.moment("created_at"),
    }


def _read_tags(top: Fields, known: Known) -> list[str]:
    tags = top.strings("tags", max_len=TAG_MAX)
    for index, name in enumerate(tags):
        if name in tags[:index]:
            top.problem(f"tags[{index}]", f'"{name}" is listed twice')
    known.tags = tags
    return tags


def _read_document(fields: Fields, known: Known) -> DocumentSpec:
    kind = fields.choice("kind", DocumentKind)
    sections = [
        SectionSpec(
            title=section.string("title", max_len=TITLE_MAX, single_line=True, required=True),
            description=section.string("description"),
            items=[_read_item(item, known) for item in section.objects("items", *ITEM_KEYS)],
        )
        for section in fields.objects("sections", SECTION_FIELDS)
    ]
    return DocumentSpec(
        kind=kind,
        title=fields.string("title", max_len=TITLE_MAX, single_line=True, required=True),
        introduction=fields.string("introduction"),
        sections=sections,
        items=[_read_item(item, known) for item in fields.objects("items", *ITEM_KEYS)],
    )


ITEM_KEYS = (ITEM_FIELDS, ITEM_DERIVED)


def _read_item(fields: Fields, known: Known) -> ItemSpec:
    ref = fields.value("ref", lambda v: isinstance(v, str), "a string")
    if ref is not None and _check_ref(ref, fields.where("ref"), fields.ctx) == ref:
        known.items[ref] = fields.where("ref")
    values = {
        "ref": ref or "",
        "kind": fields.choice("kind", ItemKind),
        "title": fields.string("title", max_len=TITLE_MAX, single_line=True, required=True),
        "text": fields.string("text", required=True),
        "milestone_year": fields.integer("milestone_year", nullable=True),
        "indicators": fields.strings("indicators", max_len=None),
        "responsible_actors": fields.strings("responsible_actors", max_len=NAME_MAX),
        "criteria": fields.strings("criteria", max_len=None),
        "applies_to": fields.strings("applies_to", max_len=None),
        "voting_open": fields.boolean("voting_open"),
        "results_revealed": fields.boolean("results_revealed"),
        "final_text": fields.string("final_text", nullable=True),
        "final_version": fields.integer("final_version"),
    }
    versions = []
    for version in fields.objects("versions", VERSION_FIELDS):
        number = version.integer("number", minimum=1)
        if number in [seen["number"] for seen in versions]:
            version.problem("number", f"version {number} is listed twice for this item")
        versions.append(
            {
                "number": number,
                "text": version.string("text"),
                "note": version.string("note", max_len=NOTE_MAX),
                "author": _email(version, "author"),
                "created_at": version.moment("created_at"),
            }
        )
    return ItemSpec(values, versions)


def _email(fields: Fields, key: str) -> str | None:
    email = fields.string(key, max_len=EMAIL_MAX, single_line=True, nullable=True)
    return email.strip() if email else None


def _read_participant(fields: Fields, known: Known) -> dict[str, Any]:
    fields.string("id", max_len=ID_MAX, single_line=True, required=True)
    return {
        "display_name": fields.string("display_name", max_len=NAME_MAX, single_line=True),
        "group": fields.name("group", known.groups, "stakeholder group"),
        "region": fields.name("region", known.regions, "region", nullable=True),
        "accepted_privacy_at": fields.moment("accepted_privacy_at"),
        "muted_at": fields.moment("muted_at", nullable=True),
        "erased_at": fields.moment("erased_at", nullable=True),
        "created_at": fields.moment("created_at"),
    }


def _item_ref(fields: Fields, known: Known) -> str:
    ref = fields.string("item")
    if ref and ref not in known.items:
        fields.problem("item", f"no item has the ref {_render(ref)}")
    return ref or ""


def _read_comment(fields: Fields, known: Known) -> CommentSpec:
    fields.string("id", max_len=ID_MAX, single_line=True, required=True)
    supporters = _participant_list(fields, "supporters", known)
    supports = fields.integer("supports")
    if "supporters" in fields.obj and supports != len(supporters):
        fields.problem("supports", f"{supports} does not match the {len(supporters)} supporters")
    tags = []
    for index, name in enumerate(fields.strings("tags", max_len=TAG_MAX)):
        where = f"{fields.where('tags')}[{index}]"
        if name not in known.tags:
            fields.ctx.add(where, f"unknown tag {_render(name)}: list it in the top-level tags")
        elif name in tags:
            fields.ctx.add(where, f'"{name}" is listed twice')
        else:
            tags.append(name)
    return CommentSpec(
        values={
            "body": fields.string("body"),
            "hidden": fields.boolean("hidden"),
            "hidden_reason": fields.choice("hidden_reason", HideReason, nullable=True),
            "hidden_note": fields.string("hidden_note", max_len=NOTE_MAX),
            "awaiting_approval": fields.boolean("awaiting_approval"),
            "needs_review": fields.boolean("needs_review"),
            "pinned": fields.boolean("pinned"),
            "flag_count": fields.integer("flags"),
            "support_count": len(supporters),
            "created_at": fields.moment("created_at"),
        },
        item=_item_ref(fields, known),
        participant=fields.ref("participant", known.participants, "participant"),
        parent=fields.ref("parent", known.comments, "comment", nullable=True),
        merged_into=fields.ref("merged_into", known.comments, "comment", nullable=True),
        event=fields.ref("event", known.events, "live event", nullable=True),
        supporters=supporters,
        tags=tags,
        answers=[
            {
                "body": answer.string("body"),
                "author": _email(answer, "author"),
                "created_at": answer.moment("created_at"),
            }
            for answer in fields.objects("answers", ANSWER_FIELDS)
        ],
        disposition=_read_disposition(fields),
    )


def _participant_list(fields: Fields, key: str, known: Known) -> list[int]:
    found: list[int] = []
    value = fields.value(key, lambda v: isinstance(v, list), "an array of participant ids")
    for index, ref in enumerate(value or []):
        where = f"{fields.where(key)}[{index}]"
        if not isinstance(ref, str):
            fields.ctx.add(where, f"expected a participant id, got {_describe(ref)}")
        elif ref not in known.participants:
            fields.ctx.add(where, f"no participant has the id {_render(ref)}")
        elif known.participants[ref] in found:
            fields.ctx.add(where, f"{_render(ref)} is listed twice")
        else:
            found.append(known.participants[ref])
    return found


def _read_disposition(fields: Fields) -> dict[str, Any] | None:
    disposition = fields.object("disposition", DISPOSITION_FIELDS, nullable=True)
    if disposition is None:
        return None
    return {
        "outcome": disposition.choice("outcome", Outcome),
        "rationale": disposition.string("rationale"),
        "passage": disposition.string("passage"),
        "decided_by": _email(disposition, "decided_by"),
        "decided_at": disposition.moment("decided_at"),
    }


def _check_threads(top: Fields, comments: list[CommentSpec]) -> None:
    """Replies and merges stay on one item, and replies are one level deep."""
    for index, comment in enumerate(comments):
        where = f"comments[{index}]"
        for key, other in (("parent", comment.parent), ("merged_into", comment.merged_into)):
            if other is None:
                continue
            if other == index:
                top.ctx.add(f"{where}.{key}", "a comment cannot name itself")
            elif comments[other].item != comment.item:
                top.ctx.add(
                    f"{where}.{key}",
                    f"comments[{other}] is on {_render(comments[other].item)}, not on "
                    f"{_render(comment.item)}",
                )
        if comment.parent is not None and comments[comment.parent].parent is not None:
            top.ctx.add(
                f"{where}.parent",
                f"comments[{comment.parent}] is itself a reply: replies are one level deep",
            )


def _read_votes(top: Fields, known: Known) -> list[tuple]:
    votes = []
    cast: dict[tuple[str, int], int] = {}
    for index, fields in enumerate(top.objects("votes", VOTE_FIELDS)):
        item = _item_ref(fields, known)
        participant = fields.ref("participant", known.participants, "participant")
        if item and participant is not None:
            if (item, participant) in cast:
                fields.problem(
                    "participant",
                    f"this participant already voted on {_render(item)} at "
                    f"votes[{cast[item, participant]}]",
                )
            cast.setdefault((item, participant), index)
        votes.append(
            (
                item,
                participant,
                fields.choice("value", VoteValue),
                fields.ref("event", known.events, "live event", nullable=True),
                fields.moment("created_at"),
                fields.moment("updated_at"),
            )
        )
    return votes


def _read_amendment(fields: Fields, known: Known) -> AmendmentSpec:
    fields.string("id", max_len=ID_MAX, single_line=True, required=True)
    votes = []
    voters: set[int] = set()
    for vote in fields.objects("votes", AMENDMENT_VOTE_FIELDS):
        participant = vote.ref("participant", known.participants, "participant")
        if participant in voters:
            vote.problem("participant", "this participant already voted on this amendment")
        voters.add(participant)
        votes.append(
            (
                participant,
                vote.choice("value", VoteValue),
                vote.ref("event", known.events, "live event", nullable=True),
                vote.moment("updated_at"),
            )
        )
    return AmendmentSpec(
        values={
            "base_text": fields.string("base_text"),
            "text": fields.string("text", required=True),
            "reason": fields.string("reason"),
            "status": fields.choice("status", AmendmentStatus),
            "hidden": fields.boolean("hidden"),
            "created_at": fields.moment("created_at"),
        },
        item=_item_ref(fields, known),
        participant=fields.ref("participant", known.participants, "participant"),
        event=fields.ref("event", known.events, "live event", nullable=True),
        votes=votes,
        disposition=_read_disposition(fields),
    )


def _read_publications(top: Fields, known: Known) -> list[dict[str, Any]]:
    publications = []
    revisions: set[int] = set()
    for fields in top.objects("publications", PUBLICATION_FIELDS):
        revision = fields.integer("revision", minimum=1)
        if revision in revisions:
            fields.problem("revision", f"revision {revision} is listed twice")
        revisions.add(revision)
        snapshot = fields.value("snapshot", lambda v: isinstance(v, dict), "an object")
        publications.append(
            {
                "revision": revision,
                "note": fields.string("note"),
                "published_by": _email(fields, "published_by"),
                "published_at": fields.moment("published_at"),
                "snapshot": _check_snapshot(snapshot, fields, known) if snapshot else {},
            }
        )
    return publications


def _check_snapshot(snapshot: dict, fields: Fields, known: Known) -> dict:
    """The snapshot names items by ref and comments and amendments by export id; each must
    be in the file (or null, for what no longer existed when it was exported)."""
    where = fields.where("snapshot")
    try:
        items = snapshot_items(snapshot)
        refs = [item["id"] for item in items]
        subjects = [
            (entry["subject"], entry["id"]) for item in items for entry in item["dispositions"]
        ]
    except (KeyError, TypeError, AttributeError):
        fields.ctx.add(where, "not a publication snapshot (documents with sections and items)")
        return snapshot
    for ref in refs:
        if ref is not None and (not isinstance(ref, str) or ref not in known.items):
            fields.ctx.add(where, f"names an item {_render(ref)} that the file does not hold")
    ids = {"comment": known.comments, "amendment": known.amendments}
    for subject, ref in subjects:
        held = subject in ids and (ref is None or (isinstance(ref, str) and ref in ids[subject]))
        if not held:
            fields.ctx.add(
                where, f"names a {_render(subject)} {_render(ref)} that the file does not hold"
            )
    return snapshot
    for ref in refs:
        if ref is not None and ref not in known.items:
            fields.ctx.add(where, f"names an item {_render(ref)} that the file does not hold")
    ids = {"comment": known.comments, "amendment": known.amendments}
    for subject, ref in subjects:
        if subject not in ids or (ref is not None and ref not in ids[subject]):
            fields.ctx.add(where, f"names a {subject} {_render(ref)} that the file does not hold")
    return snapshot


# ---------------------------------------------------------------- storing


def store(spec: ExportSpec, *, moderators: Sequence[User] = ()) -> Imported:
    """Write what ``read_export`` returned as a new consultation, in one transaction."""
    try:
        writer = Writer(spec)
        consultation = writer.consultation(moderators)
        writer.events()
        writer.tags()
        writer.documents()
        writer.participants()
        writer.comments()
        writer.votes()
        writer.amendments()
        writer.publications()
        counts = {
            "items": len(writer.item_ids),
            "participants": len(spec.participants),
            "comments": len(spec.comments),
            "votes": len(spec.votes),
            "amendments": len(spec.amendments),
        }
        record(
            consultation.id,
            None,
            "consultation.import",
            ("consultation", consultation.id),
            **counts,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return Imported(consultation, sorted(writer.unknown_accounts), counts)


def batches(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert(model, rows: Iterable[dict[str, Any]]) -> None:
    """Insert plain rows through the table, without the ORM's work for each row."""
    for batch in batches(rows):
        db.session.execute(model.__table__.insert(), batch)


def insert_returning_ids(model, rows: Iterable[dict[str, Any]]) -> list[int]:
    """Insert in the rows' order and return their new ids, in the same order.

    A statement holds one page of rows (SQLAlchemy splices the ids of several pages
    together at a cost that grows with the square of their number).
    """
    table = model.__table__
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for batch in batches(rows, RETURNING_BATCH):
        ids += db.session.execute(statement, batch).scalars().all()
    return ids


class Writer:
    """Writes an ExportSpec, keeping the new ids that later rows refer to."""

    def __init__(self, spec: ExportSpec) -> None:
        self.spec = spec
        self.accounts = {
            email.casefold(): user_id
            for user_id, email in db.session.execute(sa.select(User.id, User.email))
        }
        self.unknown_accounts: set[str] = set()
        self.event_ids: list[int] = []
        self.tag_ids: dict[str, int] = {}
        self.item_ids: dict[str, int] = {}
        self.participant_ids: list[int] = []
        self.comment_ids: list[int] = []
        self.amendment_ids: list[int] = []

    def account(self, email: str | None) -> int | None:
        if email is None:
            return None
        user_id = self.accounts.get(email.casefold())
        if user_id is None:
            self.unknown_accounts.add(email)
        return user_id

    def event(self, index: int | None) -> int | None:
        return self.event_ids[index] if index is not None else None

    def consultation(self, moderators: Sequence[User]) -> Consultation:
        spec = self.spec
        values = spec.consultation
        chosen = {user.id: user for user in moderators}
        for email in spec.moderators:
            user_id = self.account(email)
            if user_id is not None and user_id not in chosen:
                chosen[user_id] = db.session.get(User, user_id)
        self.new = new_consultation(
            title=values["title"],
            summary=values["summary"],
            language=values["language"],
            stakeholder_groups=spec.groups,
            regions=spec.regions,
            moderators=list(chosen.values()),
            status=values["status"],
        )
        for key in (
            "closes_at",
            "privacy_notice",
            "retention_days",
            "joining_locked",
            "results_visibility",
            "premoderation",
            "review_words",
            "created_at",
        ):
            setattr(self.new, key, values[key])
        db.session.flush()
        self.group_ids = {group.name: group.id for group in self.new.stakeholder_groups}
        self.region_ids = {region.name: region.id for region in self.new.regions}
        return self.new

    def region(self, name: str | None) -> int | None:
        return self.region_ids[name] if name is not None else None

    def events(self) -> None:
        self.event_ids = insert_returning_ids(
            LiveEvent,
            (
                {
                    **{key: value for key, value in event.items() if key != "region"},
                    "consultation_id": self.new.id,
                    "region_id": self.region(event["region"]),
                }
                for event in self.spec.events
            ),
        )

    def tags(self) -> None:
        names = self.spec.tags
        ids = insert_returning_ids(
            Tag, ({"consultation_id": self.new.id, "name": name} for name in names)
        )
        self.tag_ids = dict(zip(names, ids, strict=True))

    def documents(self) -> None:
        versions = []
        for position, spec in enumerate(self.spec.documents):
            document = Document(
                consultation=self.new,
                kind=spec.kind,
                title=spec.title,
                introduction=spec.introduction,
                position=position,
            )
            db.session.add(document)
            placed: list[tuple[Item, ItemSpec]] = []
            for section_position, section_spec in enumerate(spec.sections):
                section = Section(
                    document=document,
                    title=section_spec.title,
                    description=section_spec.description,
                    position=section_position,
                )
                placed += [(self.item(document, section, s), s) for s in section_spec.items]
            placed += [(self.item(document, None, s), s) for s in spec.items]
            for position_in_document, (item, _spec) in enumerate(placed):
                item.position = position_in_document
            db.session.flush()
            for item, item_spec in placed:
                self.item_ids[item.ref] = item.id
                versions += [
                    {
                        "item_id": item.id,
                        "number": version["number"],
                        "text": version["text"],
                        "note": version["note"],
                        "author_id": self.account(version["author"]),
                        "created_at": version["created_at"],
                    }
                    for version in item_spec.versions
                ]
        insert(TextVersion, versions)

    def item(self, document: Document, section: Section | None, spec: ItemSpec) -> Item:
        values = dict(spec.values)
        item = Item(consultation=self.new, document=document, section=section, **values)
        item.set_ref(values["ref"])
        db.session.add(item)
        return item

    def participants(self) -> None:
        self.participant_ids = insert_returning_ids(
            Participant,
            (
                {
                    **{key: value for key, value in row.items() if key not in ("group", "region")},
                    "consultation_id": self.new.id,
                    "stakeholder_group_id": self.group_ids[row["group"]],
                    "region_id": self.region(row["region"]),
                    # Fresh secrets that nobody holds: no one can act as an imported guest.
                    "token_digest": digest(secrets.token_urlsafe(32)),
                    "return_code_digest": digest(secrets.token_urlsafe(32)),
                }
                for row in self.spec.participants
            ),
        )

    def comments(self) -> None:
        comments = self.spec.comments
        people = self.participant_ids
        self.comment_ids = ids = insert_returning_ids(
            Comment,
            (
                {
                    **comment.values,
                    "item_id": self.item_ids[comment.item],
                    "participant_id": people[comment.participant],
                    "event_id": self.event(comment.event),
                }
                for comment in comments
            ),
        )
        # Replies and merges may name a comment written after them: linked once all exist.
        links = [
            {
                "id": ids[index],
                "parent_id": ids[c.parent] if c.parent is not None else None,
                "merged_into_id": ids[c.merged_into] if c.merged_into is not None else None,
            }
            for index, c in enumerate(comments)
            if c.parent is not None or c.merged_into is not None
        ]
        for batch in batches(links):
            db.session.execute(sa.update(Comment), batch)
        insert(
            Support,
            (
                {"comment_id": ids[index], "participant_id": people[supporter]}
                for index, comment in enumerate(comments)
                for supporter in comment.supporters
            ),
        )
        rows = [
            {"comment_id": ids[index], "tag_id": self.tag_ids[name]}
            for index, comment in enumerate(comments)
            for name in comment.tags
        ]
        for batch in batches(rows):
            db.session.execute(comment_tag.insert(), batch)
        insert(
            ModeratorAnswer,
            (
                {
                    "comment_id": ids[index],
                    "body": answer["body"],
                    "author_id": self.account(answer["author"]),
                    "created_at": answer["created_at"],
                }
                for index, comment in enumerate(comments)
                for answer in comment.answers
            ),
        )
        insert(
            Disposition,
            (
                self.disposition(comment.disposition, comment.item, comment_id=ids[index])
                for index, comment in enumerate(comments)
                if comment.disposition is not None
            ),
        )

    def disposition(self, values: dict[str, Any], item: str, **subject: int) -> dict[str, Any]:
        return {
            "item_id": self.item_ids[item],
            "outcome": values["outcome"],
            "rationale": values["rationale"],
            "passage": values["passage"],
            "decided_by_id": self.account(values["decided_by"]),
            "decided_at": values["decided_at"],
            **subject,
        }

    def votes(self) -> None:
        people = self.participant_ids
        insert(
            Vote,
            (
                {
                    "item_id": self.item_ids[item],
                    "participant_id": people[participant],
                    "value": value,
                    "event_id": self.event(event),
                    "created_at": created_at,
                    "updated_at": updated_at,
                }
                for item, participant, value, event, created_at, updated_at in self.spec.votes
            ),
        )

    def amendments(self) -> None:
        amendments = self.spec.amendments
        people = self.participant_ids
        ids = insert_returning_ids(
            Amendment,
            (
                {
                    **amendment.values,
                    "item_id": self.item_ids[amendment.item],
                    "participant_id": people[amendment.participant],
                    "event_id": self.event(amendment.event),
                }
                for amendment in amendments
            ),
        )
        self.amendment_ids = ids
        insert(
            AmendmentVote,
            (
                {
                    "amendment_id": ids[index],
                    "participant_id": people[participant],
                    "value": value,
                    "event_id": self.event(event),
                    "updated_at": updated_at,
                }
                for index, amendment in enumerate(amendments)
                for participant, value, event, updated_at in amendment.votes
            ),
        )
        insert(
            Disposition,
            (
                self.disposition(amendment.disposition, amendment.item, amendment_id=ids[index])
                for index, amendment in enumerate(amendments)
                if amendment.disposition is not None
            ),
        )

    def publications(self) -> None:
        for values in self.spec.publications:
            db.session.add(
                Publication(
                    consultation_id=self.new.id,
                    revision=values["revision"],
                    note=values["note"],
                    snapshot=self.with_ids(values["snapshot"]),
                    published_by_id=self.account(values["published_by"]),
                    published_at=values["published_at"],
                )
            )
        db.session.flush()

    def with_ids(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """The snapshot with this database's ids for the export's refs (see jsonfile)."""
        new_ids = {
            "comment": (self.spec.comment_index, self.comment_ids),
            "amendment": (self.spec.amendment_index, self.amendment_ids),
        }
        for item in snapshot_items(snapshot):
            item["id"] = self.item_ids.get(item["id"])
            for response in item["dispositions"]:
                index, ids = new_ids[response["subject"]]
                position = index.get(response["id"])
                response["id"] = ids[position] if position is not None else None
        return snapshot
