"""Parse and validate draft consultations in the `cocreate-draft/1` JSON and flat CSV formats.

The format is specified in the demo data README. This module only turns bytes into plain
dataclasses or a DraftFormatError listing every problem found; it touches no database, so
importing stays all or nothing: callers store a DraftSpec only once it has been built.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

DEFAULT_STAKEHOLDER_GROUPS = [
    "Industry",
    "Government and policy",
    "Civil society and NGOs",
    "Research and academia",
    "Finance and investors",
    "Other",
]
MAX_FILE_BYTES = 2 * 1024 * 1024

FORMAT_NAME = "cocreate-draft/1"
DOCUMENT_KINDS = ("roadmap", "guideline")
CSV_COLUMNS = [
    "document",
    "section",
    "ref",
    "title",
    "statement",
    "milestone_year",
    "indicators",
    "responsible_actors",
]

# Limits from the format README, in characters (code points).
TITLE_MAX = 200
SUMMARY_MAX = 2000
INTRODUCTION_MAX = 5000
SECTION_DESCRIPTION_MAX = 2000
STATEMENT_MAX = 2000
PRACTICE_DESCRIPTION_MAX = 4000
LIST_ENTRY_MAX = 300
NAME_MAX = 80
STAGE_MAX = 40
LIST_MAX = 10
GROUPS_MAX = 20
REGIONS_MAX = 50
DOCUMENTS_MAX = 20
YEAR_MIN, YEAR_MAX = 2000, 2100

_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
_CSV_YEAR = re.compile(r"[0-9]{4}")
# Everything str.splitlines() treats as a line break, so a "single line" really renders as one.
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Control characters and lone surrogates cannot be stored or shown as plain text.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BOM = b"\xef\xbb\xbf"
# How decode(errors="surrogateescape") represents a byte that is not UTF-8.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


@dataclass
class TargetSpec:
    ref: str
    title: str
    statement: str
    milestone_year: int
    indicators: list[str] = field(default_factory=list)
    responsible_actors: list[str] = field(default_factory=list)


@dataclass
class PracticeSpec:
    ref: str
    title: str
    description: str
    criteria: list[str] = field(default_factory=list)
    applies_to: list[str] = field(default_factory=list)


@dataclass
class SectionSpec:
    title: str
    description: str = ""
    targets: list[TargetSpec] = field(default_factory=list)


@dataclass
class DocumentSpec:
    kind: str  # "roadmap" or "guideline"
    title: str
    introduction: str = ""
    sections: list[SectionSpec] = field(default_factory=list)
    practices: list[PracticeSpec] = field(default_factory=list)


@dataclass
class ConsultationSpec:
    title: str
    summary: str = ""
    language: str = "en"
    stakeholder_groups: list[str] = field(default_factory=lambda: list(DEFAULT_STAKEHOLDER_GROUPS))
    regions: list[str] = field(default_factory=list)


@dataclass
class DraftSpec:
    consultation: ConsultationSpec
    documents: list[DocumentSpec]


class DraftFormatError(ValueError):
    """A draft file was refused. `problems` lists each one as "<where>: <what>"."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def parse_draft(data: bytes, filename: str) -> DraftSpec:
    """Parse an uploaded draft, choosing the format by the file name's extension."""
    base = re.split(r"[\\/]", filename)[-1]
    extension = base.rpartition(".")[2].lower() if "." in base else ""
    if extension == "json":
        return parse_draft_json(data)
    if extension == "csv":
        return parse_draft_csv(data, filename)
    raise DraftFormatError(f'"{base}": only .json and .csv files are accepted')


def parse_draft_json(data: bytes) -> DraftSpec:
    """Parse a complete draft in the `cocreate-draft/1` JSON format."""
    root = _load_json(_decode_utf8(data))
    ctx = _Context()
    if not isinstance(root, dict):
        raise DraftFormatError(f"top level: expected a JSON object, got {_describe(root)}")
    draft = _read_draft(_Fields(root, "", ctx, ("format", "consultation", "documents")))
    ctx.raise_if_any()
    return draft


def parse_draft_csv(data: bytes, source_name: str) -> DraftSpec:
    """Parse the flat CSV of targets and practices; the consultation gets placeholder details."""
    rows = _read_csv_rows(data)
    _check_csv_header(rows)
    ctx = _Context(groups=list(DEFAULT_STAKEHOLDER_GROUPS))
    # Spreadsheets often export blank lines as rows of empty cells; they carry no item.
    records = [(number, cells) for number, cells in rows[1:] if "".join(cells).strip()]
    items = [item for item in (_read_csv_item(*record, ctx) for record in records) if item]
    if not items and not ctx.problems:
        ctx.add("file", "the CSV has a header but no rows with targets or practices")
    ctx.raise_if_any()
    consultation = ConsultationSpec(title=_title_from_file_name(source_name))
    return DraftSpec(consultation=consultation, documents=_csv_documents(items))


# --- shared machinery -------------------------------------------------------------------


class _Context:
    """Collects problems and cross-item state (refs seen, known stakeholder groups)."""

    def __init__(self, groups: list[str] | None = None) -> None:
        self.problems: list[str] = []
        self.refs: dict[str, str] = {}  # lower-cased ref -> where it was first seen
        # None while the consultation's groups are unknown or broken: checking actors
        # against them would only repeat the same mistake once per target.
        self.groups = groups

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise DraftFormatError(self.problems)


def _check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        megabytes = len(data) / (1024 * 1024)
        raise DraftFormatError(f"file: too large ({megabytes:.1f} MB); at most 2 MB is accepted")


def _decode_utf8(data: bytes) -> str:
    _check_size(data)
    try:
        return data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise DraftFormatError(_not_utf8_message(data)) from None


def _not_utf8_message(data: bytes) -> str:
    """Say where the first undecodable byte is, counting from the start of the file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "file: the file is UTF-16, not UTF-8; save it again as UTF-8"
    body = data.removeprefix(_BOM)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        offset = error.start + len(data) - len(body)
        line = data[:offset].count(b"\n") + 1
        return (
            f"file: not UTF-8 text (byte 0x{data[offset]:02X} at byte offset {offset}, "
            f"line {line}); save the file as UTF-8"
        )
    return "file: not UTF-8 text; save the file as UTF-8"


def _render(value: object) -> str:
    """Show a bad value the way it was written in JSON, shortened if long."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return _render(value)


def _clean_text(
    value: str, where: str, ctx: _Context, *, max_len: int, required: bool, single_line: bool
) -> str:
    """Strip a text and check it against the README rules; returns "" when empty."""
    text = value.strip()
    if not text:
        if required:
            ctx.add(where, "must not be empty")
        return ""
    if single_line and _LINE_BREAK.search(text):
        ctx.add(where, "must be a single line, without line breaks")
    bad = _BAD_CHAR.search(text)
    if bad:
        ctx.add(where, f"contains a character that is not allowed in text (U+{ord(bad[0]):04X})")
    if len(text) > max_len:
        ctx.add(where, f"too long: {len(text)} characters, at most {max_len}")
    return text


def _clean_list(
    entries: list[tuple[str, str]],
    where: str,
    ctx: _Context,
    *,
    max_len: int,
    max_items: int,
    min_items: int = 0,
    distinct: bool = False,
) -> list[str]:
    """Check a list of single-line texts; `entries` pairs each text with where it is."""
    if len(entries) > max_items:
        ctx.add(where, f"too many entries: {len(entries)}, at most {max_items}")
    elif len(entries) < min_items:
        ctx.add(where, f"needs at least {min_items} entry")
    cleaned: list[str] = []
    for entry_where, raw in entries:
        text = _clean_text(raw, entry_where, ctx, max_len=max_len, required=True, single_line=True)
        if distinct and text and text in cleaned:
            ctx.add(entry_where, f'"{text}" is listed more than once')
        cleaned.append(text)
    return cleaned


def _check_ref(raw: str, where: str, ctx: _Context) -> str:
    # The pattern below also limits the length, so no separate "too long" message.
    ref = _clean_text(raw, where, ctx, max_len=len(raw), required=True, single_line=True)
    if not ref:
        return ""
    if not _REF.fullmatch(ref):
        ctx.add(
            where,
            f'"{ref}" is not a valid ref: use 1-20 letters, digits, ".", "_" or "-", '
            "starting with a letter or digit",
        )
    elif ref.lower() in ctx.refs:
        ctx.add(where, f'duplicate ref "{ref}": already used at {ctx.refs[ref.lower()]}')
    else:
        ctx.refs[ref.lower()] = where
    return ref


def _clean_actors(entries: list[tuple[str, str]], where: str, ctx: _Context) -> list[str]:
    """Responsible actors must be stakeholder groups of the consultation, spelt exactly."""
    actors = _clean_list(entries, where, ctx, max_len=NAME_MAX, max_items=GROUPS_MAX, distinct=True)
    if ctx.groups is None:
        return actors
    for actor, (entry_where, _) in zip(actors, entries, strict=True):
        if actor and actor not in ctx.groups:
            known = ", ".join(f'"{group}"' for group in ctx.groups)
            ctx.add(entry_where, f'"{actor}" is not one of the stakeholder groups ({known})')
    return actors


# --- JSON -------------------------------------------------------------------------------


class _DuplicateKeyObject(dict):
    """A JSON object that remembers keys written twice, which json.loads would silently drop."""

    duplicate_keys: list[str]


def _object_from_pairs(pairs: list[tuple[str, object]]) -> dict:
    plain = dict(pairs)
    if len(plain) == len(pairs):
        return plain  # the usual case, and lighter for files of many objects
    obj = _DuplicateKeyObject()
    obj.duplicate_keys = []
    for key, value in pairs:
        if key in obj:
            obj.duplicate_keys.append(key)
        obj[key] = value
    return obj


def _load_json(text: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_object_from_pairs)
    except json.JSONDecodeError as error:
        raise DraftFormatError(
            f"line {error.lineno}, column {error.colno}: invalid JSON ({error.msg})"
        ) from None
    except RecursionError:
        raise DraftFormatError("file: invalid JSON (nested too deeply)") from None
    except ValueError:  # Python refuses integers with thousands of digits
        raise DraftFormatError("file: invalid JSON (a number is too long)") from None


_MISSING = object()


class _Fields:
    """Reads the fields of one JSON object, reporting problems under the object's path."""

    def __init__(self, obj: dict, path: str, ctx: _Context, allowed: tuple[str, ...]) -> None:
        self.obj, self.path, self.ctx = obj, path, ctx
        where = path or "top level"
        for key in obj:
            if key not in allowed:
                expected = ", ".join(allowed)
                ctx.add(where, f'unknown field "{key}" (expected fields: {expected})')
        for key in getattr(obj, "duplicate_keys", []):
            ctx.add(self.where(key), "field appears more than once")

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, expected: type, required: bool) -> object:
        """The field's value if it has the expected JSON type, else _MISSING."""
        value = self.obj.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.ctx.add(self.where(key), "required field is missing")
        elif not isinstance(value, expected):
            name = {str: "a string", list: "an array", dict: "an object"}[expected]
            self.ctx.add(self.where(key), f"expected {name}, got {_describe(value)}")
            value = _MISSING
        return value

    def text(self, key: str, *, max_len: int, required: bool, single_line: bool = False) -> str:
        value = self.get(key, str, required)
        if value is _MISSING:
            return ""
        where = self.where(key)
        return _clean_text(
            value, where, self.ctx, max_len=max_len, required=required, single_line=single_line
        )

    def ref(self) -> str:
        value = self.get("ref", str, required=True)
        return "" if value is _MISSING else _check_ref(value, self.where("ref"), self.ctx)

    def entries(self, key: str) -> list[tuple[str, str]] | None:
        """(where, text) pairs of an array of strings; None when absent or not an array."""
        value = self.get(key, list, required=False)
        if value is _MISSING:
            return None
        pairs = []
        for index, item in enumerate(value):
            where = f"{self.where(key)}[{index}]"
            if isinstance(item, str):
                pairs.append((where, item))
            else:
                self.ctx.add(where, f"expected a string, got {_describe(item)}")
        return pairs

    def text_list(self, key: str, **limits: int | bool) -> list[str]:
        pairs = self.entries(key)
        if pairs is None:
            return []
        return _clean_list(pairs, self.where(key), self.ctx, **limits)

    def objects(
        self, key: str, allowed: tuple[str, ...], *, min_items: int, max_items: int | None = None
    ) -> list[_Fields]:
        """The elements of an array of objects, each wrapped for reading its own fields."""
        value = self.get(key, list, required=True)
        if value is _MISSING:
            return []
        if len(value) < min_items:
            self.ctx.add(self.where(key), f"needs at least {min_items} entry")
        if max_items is not None and len(value) > max_items:
            self.ctx.add(self.where(key), f"too many entries: {len(value)}, at most {max_items}")
        wrapped = []
        for index, item in enumerate(value):
            path = f"{self.where(key)}[{index}]"
            if isinstance(item, dict):
                wrapped.append(_Fields(item, path, self.ctx, allowed))
            else:
                self.ctx.add(path, f"expected an object, got {_describe(item)}")
        return wrapped


_CONSULTATION_FIELDS = ("title", "summary", "language", "stakeholder_groups", "regions")
_DOCUMENT_FIELDS = ("kind", "title", "introduction", "sections", "practices")
_SECTION_FIELDS = ("title", "description", "targets")
_TARGET_FIELDS = (
    "ref",
    "title",
    "statement",
    "milestone_year",
    "indicators",
    "responsible_actors",
)
_PRACTICE_FIELDS = ("ref", "title", "description", "criteria", "applies_to")


def _read_draft(top: _Fields) -> DraftSpec:
    format_value = top.get("format", str, required=True)
    if format_value is not _MISSING and format_value != FORMAT_NAME:
        top.ctx.add("format", f'expected "{FORMAT_NAME}", got {_render(format_value)}')
    consultation = _read_consultation(top)
    documents = top.objects("documents", _DOCUMENT_FIELDS, min_items=1, max_items=DOCUMENTS_MAX)
    return DraftSpec(consultation, [_read_document(document) for document in documents])


def _read_consultation(top: _Fields) -> ConsultationSpec:
    obj = top.get("consultation", dict, required=True)
    if obj is _MISSING:
        return ConsultationSpec(title="")
    fields = _Fields(obj, "consultation", top.ctx, _CONSULTATION_FIELDS)
    return ConsultationSpec(
        title=fields.text("title", max_len=TITLE_MAX, required=True, single_line=True),
        summary=fields.text("summary", max_len=SUMMARY_MAX, required=False),
        language=_read_language(fields),
        stakeholder_groups=_read_groups(fields),
        regions=fields.text_list("regions", max_len=NAME_MAX, max_items=REGIONS_MAX, distinct=True),
    )


def _read_language(fields: _Fields) -> str:
    # 35 characters is the length BCP 47 asks every implementation to support.
    language = fields.text("language", max_len=35, required=False, single_line=True) or "en"
    if not _LANGUAGE.fullmatch(language):
        fields.ctx.add(
            fields.where("language"),
            f"{_render(language)} is not a language tag such as en, fr or pt-BR",
        )
    return language


def _read_groups(fields: _Fields) -> list[str]:
    """The consultation's stakeholder groups; also decides whether actors can be checked."""
    if "stakeholder_groups" not in fields.obj:
        fields.ctx.groups = list(DEFAULT_STAKEHOLDER_GROUPS)
        return list(DEFAULT_STAKEHOLDER_GROUPS)
    problems_before = len(fields.ctx.problems)
    groups = fields.text_list(
        "stakeholder_groups", max_len=NAME_MAX, min_items=1, max_items=GROUPS_MAX, distinct=True
    )
    if len(fields.ctx.problems) == problems_before:
        fields.ctx.groups = groups
    return groups


def _read_document(fields: _Fields) -> DocumentSpec:
    kind = _read_kind(fields)
    document = DocumentSpec(
        kind=kind,
        title=fields.text("title", max_len=TITLE_MAX, required=True, single_line=True),
        introduction=fields.text("introduction", max_len=INTRODUCTION_MAX, required=False),
    )
    _refuse_other_kinds_items(fields, kind)
    # With an unknown kind, still read whichever items are there so their problems show too.
    if kind != "guideline" and (kind == "roadmap" or "sections" in fields.obj):
        sections = fields.objects("sections", _SECTION_FIELDS, min_items=1)
        document.sections = [_read_section(section) for section in sections]
    if kind != "roadmap" and (kind == "guideline" or "practices" in fields.obj):
        practices = fields.objects("practices", _PRACTICE_FIELDS, min_items=1)
        document.practices = [_read_practice(practice) for practice in practices]
    return document


def _read_kind(fields: _Fields) -> str:
    value = fields.get("kind", str, required=True)
    if value is _MISSING:
        return ""
    kind = value.strip()
    if kind not in DOCUMENT_KINDS:
        fields.ctx.add(
            fields.where("kind"),
            f'unknown document kind {_render(kind)}: expected "roadmap" or "guideline"',
        )
    return kind


def _refuse_other_kinds_items(fields: _Fields, kind: str) -> None:
    if kind == "roadmap" and "practices" in fields.obj:
        fields.ctx.add(
            fields.where("practices"), 'only a "guideline" has practices; a roadmap has sections'
        )
    if kind == "guideline" and "sections" in fields.obj:
        fields.ctx.add(
            fields.where("sections"), 'only a "roadmap" has sections; a guideline has practices'
        )


def _read_section(fields: _Fields) -> SectionSpec:
    title = fields.text("title", max_len=TITLE_MAX, required=True, single_line=True)
    description = fields.text("description", max_len=SECTION_DESCRIPTION_MAX, required=False)
    targets = fields.objects("targets", _TARGET_FIELDS, min_items=1)
    return SectionSpec(title, description, [_read_target(target) for target in targets])


def _read_target(fields: _Fields) -> TargetSpec:
    return TargetSpec(
        ref=fields.ref(),
        title=fields.text("title", max_len=TITLE_MAX, required=True, single_line=True),
        statement=fields.text("statement", max_len=STATEMENT_MAX, required=True),
        milestone_year=_read_json_year(fields),
        indicators=fields.text_list("indicators", max_len=LIST_ENTRY_MAX, max_items=LIST_MAX),
        responsible_actors=_read_json_actors(fields),
    )


def _read_json_year(fields: _Fields) -> int:
    value = fields.obj.get("milestone_year", _MISSING)
    where = fields.where("milestone_year")
    if value is _MISSING:
        fields.ctx.add(where, "required field is missing")
    # bool is a subclass of int in Python, but `true` is not a year.
    elif type(value) is not int:
        fields.ctx.add(where, f"expected a year such as 2030, got {_render(value)}")
    elif not YEAR_MIN <= value <= YEAR_MAX:
        fields.ctx.add(where, f"expected a year from {YEAR_MIN} to {YEAR_MAX}, got {value}")
    else:
        return value
    return 0


def _read_json_actors(fields: _Fields) -> list[str]:
    pairs = fields.entries("responsible_actors")
    if pairs is None:
        return []
    return _clean_actors(pairs, fields.where("responsible_actors"), fields.ctx)


def _read_practice(fields: _Fields) -> PracticeSpec:
    return PracticeSpec(
        ref=fields.ref(),
        title=fields.text("title", max_len=TITLE_MAX, required=True, single_line=True),
        description=fields.text("description", max_len=PRACTICE_DESCRIPTION_MAX, required=True),
        criteria=fields.text_list("criteria", max_len=LIST_ENTRY_MAX, max_items=LIST_MAX),
        applies_to=fields.text_list(
            "applies_to", max_len=STAGE_MAX, max_items=LIST_MAX, distinct=True
        ),
    )


# --- CSV --------------------------------------------------------------------------------


def _read_csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """All CSV records with their 1-based numbers (the header is row 1)."""
    _check_size(data)
    # surrogateescape keeps undecodable bytes as lone surrogates, so the row and column
    # holding them can be named instead of only a byte offset.
    text = data.removeprefix(_BOM).decode("utf-8", errors="surrogateescape")
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), strict=True):
            rows.append((len(rows) + 1, cells))
    except csv.Error as error:
        if _ESCAPED_BYTE.search(text):
            raise DraftFormatError(_not_utf8_message(data)) from None
        raise DraftFormatError(
            f"row {len(rows) + 1}: not valid CSV ({error}); check the double quotes in this row"
        ) from None
    _check_csv_encoding(rows)
    return rows


def _check_csv_encoding(rows: list[tuple[int, list[str]]]) -> None:
    problems = []
    for number, cells in rows:
        for index, cell in enumerate(cells):
            bad = _ESCAPED_BYTE.search(cell)
            if bad:
                column = CSV_COLUMNS[index] if index < len(CSV_COLUMNS) else f"{index + 1}"
                problems.append(
                    f"row {number}, column {column}: not UTF-8 text "
                    f"(byte 0x{ord(bad[0]) - 0xDC00:02X}); save the file as UTF-8"
                )
    if problems:
        raise DraftFormatError(problems)


def _check_csv_header(rows: list[tuple[int, list[str]]]) -> None:
    expected = ",".join(CSV_COLUMNS)
    if not rows:
        raise DraftFormatError(f"row 1: the file is empty; expected the header {expected}")
    if rows[0][1] != CSV_COLUMNS:
        got = _render(",".join(rows[0][1]))
        raise DraftFormatError(f"row 1: the header must be exactly {expected}, got {got}")


@dataclass
class _CsvItem:
    kind: str
    section: str
    item: TargetSpec | PracticeSpec


class _Row:
    """One CSV record as named cells, reporting problems as "row N, column C"."""

    def __init__(self, number: int, cells: list[str], ctx: _Context) -> None:
        self.number, self.ctx = number, ctx
        self.cells = dict(zip(CSV_COLUMNS, cells, strict=True))

    def where(self, column: str) -> str:
        return f"row {self.number}, column {column}"

    def text(self, column: str, *, max_len: int, single_line: bool = True) -> str:
        return _clean_text(
            self.cells[column],
            self.where(column),
            self.ctx,
            max_len=max_len,
            required=True,
            single_line=single_line,
        )

    def ref(self) -> str:
        return _check_ref(self.cells["ref"], self.where("ref"), self.ctx)

    def entries(self, column: str) -> list[tuple[str, str]]:
        """(where, text) pairs of a semicolon-separated cell; blank entries are dropped."""
        texts = [text for text in self.cells[column].split(";") if text.strip()]
        return [(f"{self.where(column)}, entry {i + 1}", text) for i, text in enumerate(texts)]

    def year(self) -> int:
        text = self.cells["milestone_year"].strip()
        if _CSV_YEAR.fullmatch(text) and YEAR_MIN <= int(text) <= YEAR_MAX:
            return int(text)
        self.ctx.add(
            self.where("milestone_year"),
            f"expected a four-digit year from {YEAR_MIN} to {YEAR_MAX}, got {_render(text)}",
        )
        return 0

    def must_be_empty(self, *columns: str) -> None:
        for column in columns:
            if self.cells[column].strip():
                self.ctx.add(self.where(column), "must be empty in a guideline row")


def _read_csv_item(number: int, cells: list[str], ctx: _Context) -> _CsvItem | None:
    if len(cells) != len(CSV_COLUMNS):
        ctx.add(f"row {number}", f"expected {len(CSV_COLUMNS)} cells, got {len(cells)}")
        return None
    row = _Row(number, cells, ctx)
    kind = row.cells["document"].strip()
    if kind == "roadmap":
        return _read_csv_target(row)
    if kind == "guideline":
        return _read_csv_practice(row)
    ctx.add(
        row.where("document"),
        f'unknown document kind {_render(kind)}: expected "roadmap" or "guideline"',
    )
    return None


def _read_csv_target(row: _Row) -> _CsvItem:
    section = row.text("section", max_len=TITLE_MAX)
    target = TargetSpec(
        ref=row.ref(),
        title=row.text("title", max_len=TITLE_MAX),
        statement=row.text("statement", max_len=STATEMENT_MAX, single_line=False),
        milestone_year=row.year(),
        indicators=_clean_list(
            row.entries("indicators"),
            row.where("indicators"),
            row.ctx,
            max_len=LIST_ENTRY_MAX,
            max_items=LIST_MAX,
        ),
        responsible_actors=_clean_actors(
            row.entries("responsible_actors"), row.where("responsible_actors"), row.ctx
        ),
    )
    return _CsvItem("roadmap", section, target)


def _read_csv_practice(row: _Row) -> _CsvItem:
    # The CSV cannot carry criteria or stages, and these columns only make sense for targets.
    row.must_be_empty("section", "milestone_year", "indicators", "responsible_actors")
    practice = PracticeSpec(
        ref=row.ref(),
        title=row.text("title", max_len=TITLE_MAX),
        description=row.text("statement", max_len=PRACTICE_DESCRIPTION_MAX, single_line=False),
    )
    return _CsvItem("guideline", "", practice)


def _csv_documents(items: list[_CsvItem]) -> list[DocumentSpec]:
    documents = []
    targets = [item for item in items if item.kind == "roadmap"]
    if targets:
        sections: dict[str, SectionSpec] = {}  # dicts keep first-appearance order
        for item in targets:
            section = sections.setdefault(item.section, SectionSpec(title=item.section))
            section.targets.append(item.item)
        documents.append(DocumentSpec("roadmap", "Roadmap", sections=list(sections.values())))
    practices = [item.item for item in items if item.kind == "guideline"]
    if practices:
        documents.append(DocumentSpec("guideline", "Good-practice guideline", practices=practices))
    return documents


def _title_from_file_name(source_name: str) -> str:
    """A readable placeholder title: "renewable-energy_draft.csv" -> "Renewable energy draft"."""
    base = re.split(r"[\\/]", source_name or "")[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    words = " ".join(re.sub(r"[-_]", " ", stem).split())
    words = _BAD_CHAR.sub("", words)[:TITLE_MAX].strip()
    return words[:1].upper() + words[1:] if words else "Imported draft"
