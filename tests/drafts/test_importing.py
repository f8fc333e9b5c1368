"""Importing draft consultations from the cocreate-draft/1 JSON and the flat CSV."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from cocreate.drafts.importing import (
    DEFAULT_STAKEHOLDER_GROUPS,
    MAX_FILE_BYTES,
    DraftFormatError,
    DraftSpec,
    parse_draft,
    parse_draft_csv,
    parse_draft_json,
)

DEMO = Path(__file__).resolve().parents[2] / "cocreate" / "demo"
DEMO_JSON = (DEMO / "renewable-energy-draft.json").read_bytes()
DEMO_CSV = (DEMO / "renewable-energy-draft.csv").read_bytes()
HEADER = "document,section,ref,title,statement,milestone_year,indicators,responsible_actors"


def demo_draft() -> dict:
    """A fresh, mutable copy of the demo draft."""
    return json.loads(DEMO_JSON)


def to_bytes(draft: dict) -> bytes:
    return json.dumps(draft, ensure_ascii=False, indent=2).encode()


def demo_csv_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(DEMO_CSV.decode(), newline="")))


def rows_to_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def refusal(parse, *args) -> str:
    """The message a user sees when the file is refused."""
    with pytest.raises(DraftFormatError) as caught:
        parse(*args)
    return str(caught.value)


def all_texts(spec: DraftSpec) -> str:
    texts = [spec.consultation.title, spec.consultation.summary]
    for document in spec.documents:
        texts += [document.title, document.introduction]
        for section in document.sections:
            texts += [section.title, section.description]
            texts += [f"{t.title} {t.statement} {' '.join(t.indicators)}" for t in section.targets]
        texts += [f"{p.title} {p.description} {' '.join(p.criteria)}" for p in document.practices]
    return "\n".join(texts)


def items(spec: DraftSpec) -> list[tuple[str, str, str]]:
    """(ref, title, statement or description) of every item, in document order."""
    found = []
    for document in spec.documents:
        for section in document.sections:
            found += [(t.ref, t.title, t.statement) for t in section.targets]
        found += [(p.ref, p.title, p.description) for p in document.practices]
    return found


# --- the demo files ---------------------------------------------------------------------


def test_demo_json_parses_with_all_its_content():
    spec = parse_draft_json(DEMO_JSON)

    roadmap, guideline = spec.documents
    assert (roadmap.kind, guideline.kind) == ("roadmap", "guideline")
    assert len(roadmap.sections) == 5
    targets = [target for section in roadmap.sections for target in section.targets]
    assert len(targets) == 18
    assert Counter(t.milestone_year for t in targets) == {2030: 8, 2040: 6, 2050: 4}
    assert len(guideline.practices) == 5
    assert spec.consultation.language == "en"
    assert spec.consultation.stakeholder_groups == DEFAULT_STAKEHOLDER_GROUPS
    assert "São Paulo" in all_texts(spec)
    assert "CO₂" in all_texts(spec)


def test_demo_csv_gives_the_same_items_in_the_same_order_as_the_json():
    from_json = parse_draft_json(DEMO_JSON)
    from_csv = parse_draft_csv(DEMO_CSV, "renewable-energy-draft.csv")

    assert items(from_csv) == items(from_json)
    assert [s.title for s in from_csv.documents[0].sections] == [
        s.title for s in from_json.documents[0].sections
    ]
    json_targets = [t for s in from_json.documents[0].sections for t in s.targets]
    csv_targets = [t for s in from_csv.documents[0].sections for t in s.targets]
    assert [t.milestone_year for t in csv_targets] == [t.milestone_year for t in json_targets]
    assert [t.responsible_actors for t in csv_targets] == [
        t.responsible_actors for t in json_targets
    ]
    assert "Québec" in all_texts(from_csv)


def test_csv_gets_placeholder_consultation_and_document_titles():
    spec = parse_draft_csv(DEMO_CSV, "uploads/renewable-energy_draft.csv")

    assert spec.consultation.title == "Renewable energy draft"
    assert spec.consultation.stakeholder_groups == DEFAULT_STAKEHOLDER_GROUPS
    assert spec.consultation.regions == []
    assert [d.title for d in spec.documents] == ["Roadmap", "Good-practice guideline"]
    assert parse_draft_csv(DEMO_CSV, ".csv").consultation.title == "Imported draft"


def test_parse_draft_picks_the_format_by_extension_in_any_case():
    assert len(parse_draft(DEMO_JSON, "Draft.JSON").documents) == 2
    assert len(parse_draft(DEMO_CSV, "draft.Csv").documents) == 2


def test_leading_byte_order_mark_is_accepted():
    assert parse_draft_json(b"\xef\xbb\xbf" + DEMO_JSON) == parse_draft_json(DEMO_JSON)
    with_bom = parse_draft_csv(b"\xef\xbb\xbf" + DEMO_CSV, "draft.csv")
    assert with_bom == parse_draft_csv(DEMO_CSV, "draft.csv")


def test_optional_fields_get_defaults_and_text_is_stripped():
    draft = demo_draft()
    consultation = draft["consultation"]
    for key in ("summary", "language", "stakeholder_groups", "regions"):
        del consultation[key]
    consultation["title"] = "  Padded title \n"
    target = draft["documents"][0]["sections"][0]["targets"][0]
    del target["indicators"], target["responsible_actors"]

    spec = parse_draft_json(to_bytes(draft))

    assert spec.consultation.title == "Padded title"
    assert (spec.consultation.summary, spec.consultation.language) == ("", "en")
    assert spec.consultation.stakeholder_groups == DEFAULT_STAKEHOLDER_GROUPS
    assert spec.consultation.regions == []
    first = spec.documents[0].sections[0].targets[0]
    assert (first.indicators, first.responsible_actors) == ([], [])


# --- JSON refusals ----------------------------------------------------------------------


def test_invalid_json_names_line_and_column():
    broken = b'{\n  "format": "cocreate-draft/1",\n  "consultation": {}\n  "documents": []\n}'

    message = refusal(parse_draft_json, broken)

    assert message == "line 4, column 3: invalid JSON (Expecting ',' delimiter)"


def test_missing_required_field_is_named_by_path():
    draft = demo_draft()
    del draft["documents"][1]["practices"][2]["description"]

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message == "documents[1].practices[2].description: required field is missing"


def test_blank_required_text_counts_as_missing():
    draft = demo_draft()
    draft["consultation"]["title"] = "   "

    assert "consultation.title: must not be empty" in refusal(parse_draft_json, to_bytes(draft))


@pytest.mark.parametrize(
    ("year", "shown"),
    [("2030s", '"2030s"'), ("2030", '"2030"'), (2030.5, "2030.5"), (True, "true")],
)
def test_milestone_year_must_be_a_json_integer(year, shown):
    draft = demo_draft()
    draft["documents"][0]["sections"][2]["targets"][1]["milestone_year"] = year

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message == (
        "documents[0].sections[2].targets[1].milestone_year: "
        f"expected a year such as 2030, got {shown}"
    )


def test_milestone_year_must_be_between_2000_and_2100():
    draft = demo_draft()
    draft["documents"][0]["sections"][0]["targets"][0]["milestone_year"] = 2101

    message = refusal(parse_draft_json, to_bytes(draft))

    assert "targets[0].milestone_year: expected a year from 2000 to 2100, got 2101" in message


def test_unknown_document_kind_is_refused():
    draft = demo_draft()
    draft["documents"][1]["kind"] = "roadmaps"

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message == (
        'documents[1].kind: unknown document kind "roadmaps": expected "roadmap" or "guideline"'
    )


def test_guideline_cannot_have_sections():
    draft = demo_draft()
    draft["documents"][1]["sections"] = draft["documents"][0]["sections"]

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message.startswith("documents[1].sections: only a")


def test_refs_differing_only_by_case_are_duplicates():
    draft = demo_draft()
    draft["documents"][1]["practices"][0]["ref"] = "res-1.2"

    message = refusal(parse_draft_json, to_bytes(draft))

    assert "documents[1].practices[0].ref" in message
    assert "res-1.2" in message
    assert "documents[0].sections[0].targets[1].ref" in message


def test_invalid_ref_is_refused():
    draft = demo_draft()
    draft["documents"][1]["practices"][0]["ref"] = "GP 1"

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message.startswith('documents[1].practices[0].ref: "GP 1" is not a valid ref')


def test_text_over_the_limit_is_refused_with_its_length():
    draft = demo_draft()
    draft["documents"][0]["sections"][1]["targets"][0]["statement"] = "é" * 2001

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message == (
        "documents[0].sections[1].targets[0].statement: too long: 2001 characters, at most 2000"
    )


def test_text_at_the_limit_counts_characters_not_bytes():
    draft = demo_draft()
    draft["documents"][0]["sections"][1]["targets"][0]["statement"] = "€" * 2000

    spec = parse_draft_json(to_bytes(draft))

    assert spec.documents[0].sections[1].targets[0].statement == "€" * 2000


def test_titles_must_be_single_lines():
    draft = demo_draft()
    draft["documents"][0]["title"] = "Draft roadmap\nsecond line"

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message == "documents[0].title: must be a single line, without line breaks"


def test_unknown_field_is_refused_with_path_and_key():
    draft = demo_draft()
    draft["documents"][0]["sections"][0]["targets"][3]["milestone"] = 2030

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message.startswith(
        'documents[0].sections[0].targets[3]: unknown field "milestone" (expected fields: ref,'
    )


def test_field_written_twice_is_refused():
    text = DEMO_JSON.decode().replace('"kind": "guideline",', '"kind": "guideline", "title": "x",')

    message = refusal(parse_draft_json, text.encode())

    assert message == "documents[1].title: field appears more than once"


def test_wrong_type_names_the_expected_type():
    draft = demo_draft()
    draft["consultation"]["regions"] = "Europe"

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message == 'consultation.regions: expected an array, got "Europe"'


def test_wrong_format_name_is_refused():
    draft = demo_draft()
    draft["format"] = "cocreate-draft/2"

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message == 'format: expected "cocreate-draft/1", got "cocreate-draft/2"'


def test_responsible_actor_must_be_a_stakeholder_group():
    draft = demo_draft()
    draft["documents"][0]["sections"][0]["targets"][0]["responsible_actors"] = ["Industy"]

    message = refusal(parse_draft_json, to_bytes(draft))

    assert message.startswith(
        'documents[0].sections[0].targets[0].responsible_actors[0]: "Industy" is not one of '
        "the stakeholder groups"
    )


def test_invalid_language_tag_is_refused():
    draft = demo_draft()
    draft["consultation"]["language"] = "English"

    message = refusal(parse_draft_json, to_bytes(draft))

    assert (
        message == 'consultation.language: "English" is not a language tag such as en, fr or pt-BR'
    )


def test_every_problem_is_reported_at_once():
    draft = demo_draft()
    draft["consultation"]["title"] = ""
    draft["documents"][0]["sections"][4]["targets"][2]["milestone_year"] = "2050"
    draft["documents"][1]["practices"][4]["applies_to"] = ["mining", "mining"]

    problems = refusal(parse_draft_json, to_bytes(draft)).splitlines()

    assert problems == [
        "consultation.title: must not be empty",
        "documents[0].sections[4].targets[2].milestone_year: "
        'expected a year such as 2030, got "2050"',
        'documents[1].practices[4].applies_to[1]: "mining" is listed more than once',
    ]


def test_non_utf8_json_gives_the_byte_offset():
    broken = DEMO_JSON.replace("São Paulo".encode(), "São Paulo".encode("latin-1"))
    offset = broken.index(b"S\xe3o") + 1

    message = refusal(parse_draft_json, broken)

    assert message.startswith(f"file: not UTF-8 text (byte 0xE3 at byte offset {offset}, line ")


def test_file_over_2_mb_is_refused():
    oversized = DEMO_JSON + b" " * (MAX_FILE_BYTES + 1 - len(DEMO_JSON))

    assert "too large" in refusal(parse_draft_json, oversized)
    assert "at most 2 MB" in refusal(parse_draft, oversized, "draft.csv")


def test_other_extensions_are_refused():
    message = refusal(parse_draft, DEMO_JSON, "draft.xlsx")

    assert message == '"draft.xlsx": only .json and .csv files are accepted'


# --- CSV refusals -----------------------------------------------------------------------


def test_csv_bad_year_names_row_and_column():
    rows = demo_csv_rows()
    rows[3][5] = "2030s"

    message = refusal(parse_draft_csv, rows_to_bytes(rows), "draft.csv")

    assert message == (
        'row 4, column milestone_year: expected a four-digit year from 2000 to 2100, got "2030s"'
    )


def test_csv_row_numbers_count_records_not_lines():
    rows = demo_csv_rows()
    rows[1][4] = "A statement\nover two lines"
    rows[2][2] = "RES-1.1"

    message = refusal(parse_draft_csv, rows_to_bytes(rows), "draft.csv")

    assert message.startswith('row 3, column ref: duplicate ref "RES-1.1"')


def test_non_utf8_csv_names_row_and_column():
    data = f"{HEADER}\nguideline,,GP-1,Caf\xe9 practice,Text,,,\n".encode("latin-1")

    message = refusal(parse_draft_csv, data, "draft.csv")

    assert message.startswith("row 2, column title: not UTF-8 text (byte 0xE9)")


def test_csv_with_wrong_header_is_refused():
    data = DEMO_CSV.replace(b"milestone_year", b"year", 1)

    message = refusal(parse_draft_csv, data, "draft.csv")

    assert message.startswith(f"row 1: the header must be exactly {HEADER}, got ")


def test_csv_row_with_wrong_number_of_cells_is_refused():
    rows = demo_csv_rows()
    rows[5].append("extra")

    assert refusal(parse_draft_csv, rows_to_bytes(rows), "draft.csv") == (
        "row 6: expected 8 cells, got 9"
    )


def test_csv_guideline_row_must_leave_target_columns_empty():
    data = f"{HEADER}\nguideline,,GP-1,A practice,What it does,2030,,\n".encode()

    message = refusal(parse_draft_csv, data, "draft.csv")

    assert message == "row 2, column milestone_year: must be empty in a guideline row"


def test_csv_unknown_responsible_actor_names_row_column_and_name():
    rows = demo_csv_rows()
    rows[2][7] = "Industry; Goverment"

    message = refusal(parse_draft_csv, rows_to_bytes(rows), "draft.csv")

    assert message.startswith(
        'row 3, column responsible_actors, entry 2: "Goverment" is not one of the stakeholder'
    )


def test_csv_lists_split_on_semicolons_and_formula_like_cells_stay_text():
    data = (
        f"{HEADER}\nroadmap,Section,R-1,=SUM(A1:A2),+1 statement,2030, first ; ;second;,Industry;\n"
    ).encode()

    target = parse_draft_csv(data, "draft.csv").documents[0].sections[0].targets[0]

    assert target.title == "=SUM(A1:A2)"
    assert target.statement == "+1 statement"
    assert target.indicators == ["first", "second"]
    assert target.responsible_actors == ["Industry"]


def test_csv_without_items_is_refused():
    message = refusal(parse_draft_csv, f"{HEADER}\r\n".encode(), "draft.csv")

    assert "no rows with targets or practices" in message
