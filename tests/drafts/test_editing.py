"""Moderators write draft documents in the browser: add, edit, reorder and remove."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cocreate.consultations.models import Status
from cocreate.drafts import services
from cocreate.drafts.models import Document, DocumentKind, Item, ItemKind, Section
from cocreate.errors import InvalidInput
from cocreate.extensions import db
from tests.conftest import Browser


def draft_state(consultation) -> dict:
    """Everything the editor can change, read fresh from the database."""
    db.session.expire_all()
    documents = db.session.execute(
        sa.select(Document.id, Document.title, Document.introduction, Document.position)
        .where(Document.consultation_id == consultation.id)
        .order_by(Document.id)
    ).all()
    sections = db.session.execute(
        sa.select(Section.id, Section.title, Section.description, Section.position)
        .join(Document)
        .where(Document.consultation_id == consultation.id)
        .order_by(Section.id)
    ).all()
    items = db.session.execute(
        sa.select(
            Item.id,
            Item.ref,
            Item.title,
            Item.text,
            Item.milestone_year,
            Item.indicators,
            Item.responsible_actors,
            Item.criteria,
            Item.applies_to,
            Item.section_id,
            Item.position,
            Item.version,
        )
        .where(Item.consultation_id == consultation.id)
        .order_by(Item.id)
    ).all()
    return {"documents": documents, "sections": sections, "items": items}


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def refs_on_page(html: str) -> list[str]:
    return re.findall(r'<span class="ref">([^<]+)</span>', html)


def prefixed(prefix: str, fields: dict) -> dict:
    return {f"{prefix}-{name}": value for name, value in fields.items()}


def new_target(section, **changes) -> dict:
    fields = {
        "ref": "RES-9.1",
        "title": "Recycled copper in every new cable",
        "statement": "New grid cables contain at least 30 % recycled copper.\nChecked yearly.",
        "milestone_year": "2035",
        "indicators": "Recycled content of cables sold\n\nNumber of audited cable plants",
        "responsible_actors": ["Industry", "Research and academia"],
        "section_id": str(section.id),
    }
    return prefixed(f"new-items-{section.id}", fields | changes)


def new_practice(**changes) -> dict:
    fields = {
        "ref": "GP-9",
        "title": "Shared audits of small suppliers",
        "description": "Buyers pool audits of small suppliers.",
        "criteria": "One audit report shared by all buyers\nFollow-up within a year",
        "applies_to": "mining\nrefining",
    }
    return prefixed("new-items-practices", fields | changes)


def edited_target(item, **changes) -> dict:
    """The edit form of ``item`` as the page filled it in, with ``changes`` typed over it."""
    fields = {
        "ref": item.ref,
        "title": item.title,
        "statement": item.text,
        "milestone_year": str(item.milestone_year),
        "indicators": "\n".join(item.indicators),
        "responsible_actors": item.responsible_actors,
        "section_id": str(item.section_id),
        "version": str(item.version),
    }
    return prefixed(f"item-{item.id}", fields | changes)


def is_fragment(response) -> bool:
    return "<html" not in response.text


# --- creating -----------------------------------------------------------------------------


def test_moderator_creates_a_guideline_document_and_adds_a_practice(editor, demo):
    page = editor.get(f"/manage/{demo.id}/documents/new")
    assert page.status_code == 200
    assert "Kind of document" in page.text

    created = editor.post(
        f"/manage/{demo.id}/documents/new",
        {"kind": "guideline", "title": "Good practice in recycling", "introduction": "Why."},
    )
    assert created.status_code == 302
    document = db.session.scalars(
        sa.select(Document).where(Document.title == "Good practice in recycling")
    ).one()
    assert document.kind is DocumentKind.GUIDELINE
    assert document.position == 2
    assert created.headers["Location"].endswith(f"/manage/documents/{document.id}")
    page = editor.get(created.headers["Location"])
    assert "Document created." in page.text
    assert "No practices yet." in page.text

    added = editor.post(f"/manage/documents/{document.id}/items", new_practice())

    assert added.status_code == 302
    page = editor.get(added.headers["Location"])
    assert "GP-9 added." in page.text
    assert "Shared audits of small suppliers" in page.text
    practice = db.session.scalars(sa.select(Item).where(Item.ref == "GP-9")).one()
    assert practice.kind is ItemKind.PRACTICE
    assert (practice.document_id, practice.section_id) == (document.id, None)
    assert practice.criteria == ["One audit report shared by all buyers", "Follow-up within a year"]
    assert practice.applies_to == ["mining", "refining"]


def test_adding_a_practice_with_htmx_returns_the_practices_with_the_new_one_last(editor, guideline):
    response = editor.post(f"/manage/documents/{guideline.id}/items", new_practice(), htmx=True)

    assert response.status_code == 201
    assert is_fragment(response)
    assert 'id="practices"' in response.text
    assert refs_on_page(response.text) == ["GP-1", "GP-2", "GP-3", "GP-4", "GP-5", "GP-9"]


def test_moderator_adds_a_section_and_a_target_to_it(editor, roadmap):
    section_added = editor.post(
        f"/manage/documents/{roadmap.id}/sections",
        {"new-section-title": "Skills and jobs", "new-section-description": "Who does the work."},
        htmx=True,
    )

    assert section_added.status_code == 201
    assert is_fragment(section_added)
    assert "Skills and jobs" in section_added.text
    section = db.session.scalars(sa.select(Section).where(Section.title == "Skills and jobs")).one()
    assert section.position == 5

    target_added = editor.post(
        f"/manage/sections/{section.id}/items", new_target(section), htmx=True
    )

    assert target_added.status_code == 201
    assert is_fragment(target_added)
    assert f'id="section-{section.id}"' in target_added.text
    assert "Recycled copper in every new cable" in target_added.text
    target = db.session.scalars(sa.select(Item).where(Item.ref == "RES-9.1")).one()
    assert target.kind is ItemKind.TARGET
    assert target.section_id == section.id
    assert target.milestone_year == 2035
    assert target.text == "New grid cables contain at least 30 % recycled copper.\nChecked yearly."
    assert target.indicators == [
        "Recycled content of cables sold",
        "Number of audited cable plants",
    ]
    assert target.responsible_actors == ["Industry", "Research and academia"]
    assert fresh(Document, roadmap.id).items[-1].ref == "RES-9.1"  # its section is last


def test_target_added_without_javascript_shows_on_the_page_with_line_breaks_kept(editor, roadmap):
    section = roadmap.sections[1]

    response = editor.post(f"/manage/sections/{section.id}/items", new_target(section))

    assert response.status_code == 302
    item = db.session.scalars(sa.select(Item).where(Item.ref == "RES-9.1")).one()
    assert response.headers["Location"].endswith(f"/manage/documents/{roadmap.id}#item-{item.id}")
    page = editor.get(response.headers["Location"])
    assert refs_on_page(page.text)[4:9] == ["RES-2.1", "RES-2.2", "RES-2.3", "RES-2.4", "RES-9.1"]
    assert (
        '<div class="prose item-text">New grid cables contain at least 30 % recycled copper.\n'
        "Checked yearly.</div>" in page.text
    )


def test_text_is_shown_escaped(editor, roadmap):
    section = roadmap.sections[0]
    title = '<script>alert("x")</script> & more'

    editor.post(f"/manage/sections/{section.id}/items", new_target(section, title=title))

    page = editor.get(f"/manage/documents/{roadmap.id}")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in page.text


# --- editing ------------------------------------------------------------------------------


def test_editing_a_target_with_htmx_returns_its_card(editor, first_item):
    form = editor.get(f"/manage/items/{first_item.id}/edit", headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert is_fragment(form)
    assert f'name="item-{first_item.id}-version" type="hidden" value="1"' in form.text
    assert first_item.title in form.text

    saved = editor.post(
        f"/manage/items/{first_item.id}/edit",
        edited_target(
            first_item,
            title="Due diligence from mine to market",
            milestone_year="2032",
            responsible_actors=["Industry"],
        ),
        htmx=True,
    )

    assert saved.status_code == 200
    assert is_fragment(saved)
    assert saved.text.lstrip().startswith(f'<article class="editor-item" id="item-{first_item.id}"')
    assert "Due diligence from mine to market" in saved.text
    assert "Milestone 2032" in saved.text
    item = fresh(Item, first_item.id)
    assert (item.title, item.milestone_year, item.version) == (
        "Due diligence from mine to market",
        2032,
        2,
    )
    assert item.responsible_actors == ["Industry"]
    assert "HX-Request" in saved.headers["Vary"]


def test_editing_without_javascript_opens_the_form_in_the_page_and_returns_to_the_item(
    editor, first_item, roadmap
):
    page = editor.get(f"/manage/items/{first_item.id}/edit")
    assert page.status_code == 200
    assert "<html" in page.text
    assert f"Editing {first_item.ref}" in page.text

    saved = editor.post(
        f"/manage/items/{first_item.id}/edit", edited_target(first_item, title="Renamed")
    )

    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(
        f"/manage/documents/{roadmap.id}#item-{first_item.id}"
    )
    assert "RES-1.1 saved." in editor.get(saved.headers["Location"]).text
    assert fresh(Item, first_item.id).title == "Renamed"


def test_choosing_another_section_moves_the_target_to_its_end(editor, first_item, roadmap):
    target_section = roadmap.sections[2]

    response = editor.post(
        f"/manage/items/{first_item.id}/edit",
        edited_target(first_item, section_id=str(target_section.id)),
        htmx=True,
    )

    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#sections"
    assert refs_on_page(response.text)[:3] == ["RES-1.2", "RES-1.3", "RES-1.4"]
    assert refs_on_page(response.text)[9:13] == ["RES-3.3", "RES-3.4", "RES-1.1", "RES-4.1"]
    assert fresh(Item, first_item.id).section_id == target_section.id


def test_moderator_renames_a_section_and_the_document(editor, roadmap):
    section = roadmap.sections[0]

    head = editor.post(
        f"/manage/sections/{section.id}/edit",
        {f"section-{section.id}-title": "Human rights", f"section-{section.id}-description": ""},
        htmx=True,
    )
    document = editor.post(
        f"/manage/documents/{roadmap.id}",
        {"document-title": "Roadmap 2050", "document-introduction": "Short."},
        htmx=True,
    )

    assert head.status_code == 200
    assert f'<h2 id="section-{section.id}-heading">Human rights</h2>' in head.text
    assert document.status_code == 200
    assert "<h1>Roadmap 2050</h1>" in document.text
    assert "Saved." in document.text
    assert (fresh(Section, section.id).title, fresh(Section, section.id).description) == (
        "Human rights",
        "",
    )
    assert fresh(Document, roadmap.id).introduction == "Short."


# --- reordering ---------------------------------------------------------------------------


def test_moving_a_target_up_with_htmx_returns_the_list_in_the_new_order(editor, roadmap):
    second = roadmap.sections[0].items[1]

    response = editor.post(f"/manage/items/{second.id}/move", {"direction": "up"}, htmx=True)

    assert response.status_code == 200
    assert is_fragment(response)
    assert refs_on_page(response.text) == ["RES-1.2", "RES-1.1", "RES-1.3", "RES-1.4"]
    page = editor.get(f"/manage/documents/{roadmap.id}")
    assert refs_on_page(page.text)[:5] == ["RES-1.2", "RES-1.1", "RES-1.3", "RES-1.4", "RES-2.1"]


def test_moving_a_practice_down_without_javascript_shows_the_new_order(editor, guideline):
    first = guideline.items[0]

    response = editor.post(f"/manage/items/{first.id}/move", {"direction": "down"})

    assert response.status_code == 302
    page = editor.get(response.headers["Location"])
    assert refs_on_page(page.text) == ["GP-2", "GP-1", "GP-3", "GP-4", "GP-5"]


def test_moving_the_first_item_up_changes_nothing(editor, demo, first_item):
    before = draft_state(demo)

    response = editor.post(f"/manage/items/{first_item.id}/move", {"direction": "up"}, htmx=True)

    assert response.status_code == 200
    assert draft_state(demo) == before


def test_an_unknown_direction_is_a_bad_request(editor, demo, first_item):
    before = draft_state(demo)

    response = editor.post(f"/manage/items/{first_item.id}/move", {"direction": "sideways"})

    assert response.status_code == 400
    assert draft_state(demo) == before


def test_moving_a_section_takes_its_targets_along(editor, roadmap):
    third = roadmap.sections[2]

    response = editor.post(f"/manage/sections/{third.id}/move", {"direction": "up"}, htmx=True)

    assert response.status_code == 200
    titles = re.findall(r'<h2 id="section-\d+-heading">([^<]+)</h2>', response.text)
    assert titles[:3] == [
        "Due diligence and human rights",
        "Circularity and recycling",
        "Environmental standards in mining and processing",
    ]
    page = editor.get(f"/manage/documents/{roadmap.id}")
    assert refs_on_page(page.text)[4:9] == ["RES-3.1", "RES-3.2", "RES-3.3", "RES-3.4", "RES-2.1"]
    positions = [item.ref for item in fresh(Document, roadmap.id).items]
    assert positions[4:9] == ["RES-3.1", "RES-3.2", "RES-3.3", "RES-3.4", "RES-2.1"]


# --- deleting -----------------------------------------------------------------------------


def test_deleting_a_target_with_htmx_returns_the_list_without_it(editor, first_item):
    item_id = first_item.id

    response = editor.post(f"/manage/items/{item_id}/delete", htmx=True)

    assert response.status_code == 200
    assert refs_on_page(response.text) == ["RES-1.2", "RES-1.3", "RES-1.4"]
    assert fresh(Item, item_id) is None


def test_deleting_a_section_removes_its_targets_and_a_new_section_comes_last(editor, roadmap):
    second = roadmap.sections[1]
    second_id, target_ids = second.id, [item.id for item in second.items]

    response = editor.post(f"/manage/sections/{second.id}/delete")

    assert response.status_code == 302
    page = editor.get(response.headers["Location"])
    assert "“Environmental standards in mining and processing” was deleted." in page.text
    assert "RES-2.1" not in refs_on_page(page.text)
    assert fresh(Section, second_id) is None
    assert all(fresh(Item, item_id) is None for item_id in target_ids)
    editor.post(f"/manage/documents/{roadmap.id}/sections", {"new-section-title": "Last one"})
    sections = fresh(Document, roadmap.id).sections
    assert [s.position for s in sections] == [0, 1, 2, 3, 4]
    assert sections[-1].title == "Last one"


def test_deleting_a_document_returns_to_the_consultation(editor, demo, guideline):
    document_id = guideline.id

    response = editor.post(f"/manage/documents/{document_id}/delete")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/{demo.id}")
    assert "was deleted." in editor.get(response.headers["Location"]).text
    assert fresh(Document, document_id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 18


def test_deleting_a_document_with_htmx_redirects_the_page(editor, demo, guideline):
    response = editor.post(f"/manage/documents/{guideline.id}/delete", htmx=True)

    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/manage/{demo.id}")


# --- refused input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "   "}, "Give a title."),
        ({"title": "Two\nlines"}, "Write this on a single line."),
        ({"milestone_year": "2030s"}, "Write the year as four digits, such as 2030."),
        ({"milestone_year": "1999"}, "Give a year from 2000 to 2100."),
        ({"milestone_year": ""}, "Give the milestone year."),
        ({"ref": "res-1.2"}, "Another item already has the reference RES-1.2"),
        ({"ref": "RES 1.2"}, "Use 1 to 20 letters, digits"),
        ({"responsible_actors": ["Industry", "Aliens"]}, "“Aliens” is not a stakeholder group"),
        ({"statement": "x" * 2001}, "Field cannot be longer than 2000 characters."),
        ({"indicators": "\n".join(f"Indicator {n}" for n in range(11))}, "At most 10 lines"),
        ({"section_id": "999999"}, "Choose one of this roadmap"),
    ],
)
def test_invalid_edit_is_refused_with_a_message_and_changes_nothing(
    editor, demo, first_item, changes, message
):
    before = draft_state(demo)

    response = editor.post(
        f"/manage/items/{first_item.id}/edit", edited_target(first_item, **changes), htmx=True
    )

    assert response.status_code == 422
    assert is_fragment(response)
    assert message in response.text
    assert draft_state(demo) == before


def test_invalid_new_target_shows_the_page_with_the_open_form_and_the_input_kept(
    editor, demo, roadmap
):
    section = roadmap.sections[0]
    before = draft_state(demo)

    response = editor.post(
        f"/manage/sections/{section.id}/items",
        new_target(section, ref="res-1.1", title="Kept title"),
    )

    assert response.status_code == 422
    assert "<html" in response.text
    assert "Another item already has the reference RES-1.1" in response.text
    assert 'value="Kept title"' in response.text
    assert '<details class="add-item" open>' in response.text
    assert draft_state(demo) == before


def test_section_and_document_need_a_title(editor, demo, roadmap):
    section = roadmap.sections[0]
    before = draft_state(demo)

    responses = [
        editor.post(f"/manage/documents/{roadmap.id}/sections", {"new-section-title": ""}),
        editor.post(
            f"/manage/sections/{section.id}/edit",
            {f"section-{section.id}-title": " "},
            htmx=True,
        ),
        editor.post(f"/manage/documents/{roadmap.id}", {"document-title": ""}, htmx=True),
        editor.post(f"/manage/{demo.id}/documents/new", {"kind": "roadmap", "title": ""}),
    ]

    assert [r.status_code for r in responses] == [422, 422, 422, 422]
    assert all("Give a title." in r.text for r in responses)
    assert draft_state(demo) == before


def test_unknown_document_kind_is_refused(editor, demo):
    before = draft_state(demo)

    response = editor.post(
        f"/manage/{demo.id}/documents/new", {"kind": "manifesto", "title": "Ours"}
    )

    assert response.status_code == 422
    assert "Choose a roadmap or a guideline." in response.text
    assert draft_state(demo) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"milestone_year": True}, "milestone_year"),
        ({"milestone_year": "2030"}, "milestone_year"),
        ({"responsible_actors": ["Aliens"]}, "responsible_actors"),
        ({"responsible_actors": ["Industry", "Industry"]}, "responsible_actors"),
        ({"text": "Null\x00byte"}, "statement"),
        ({"ref": "R" * 21}, "ref"),
        ({"indicators": "one string, not a list"}, "indicators"),
    ],
)
def test_services_refuse_what_the_form_would_for_callers_without_one(
    demo, moderator, roadmap, changes, field
):
    fields = {
        "ref": "API-1",
        "title": "Sent without a form",
        "text": "A statement.",
        "milestone_year": 2030,
        "indicators": [],
        "responsible_actors": [],
    }
    before = draft_state(demo)

    with pytest.raises(InvalidInput) as refused:
        services.create_item(
            roadmap, moderator, fields=fields | changes, section=roadmap.sections[0]
        )

    assert refused.value.field == field
    assert draft_state(demo) == before


def test_targets_need_a_section_of_their_own_roadmap_and_practices_none(
    demo, moderator, roadmap, guideline
):
    target = {"ref": "X-1", "title": "T", "text": "S", "milestone_year": 2030}
    practice = {"ref": "X-2", "title": "P", "text": "D"}
    other_roadmap = services.create_document(demo, moderator, kind="roadmap", title="Other")
    foreign = services.create_section(other_roadmap, moderator, title="Elsewhere")
    before = draft_state(demo)

    for document, fields, section in [
        (roadmap, target, None),
        (roadmap, target, foreign),
        (guideline, practice, roadmap.sections[0]),
    ]:
        with pytest.raises(InvalidInput):
            services.create_item(document, moderator, fields=fields, section=section)

    assert draft_state(demo) == before


# --- two moderators at once ---------------------------------------------------------------


def test_stale_version_gets_409_with_the_other_text_shown_and_nothing_overwritten(
    editor, co_editor, first_item
):
    mine = edited_target(first_item, statement="My careful rewording.")
    theirs = co_editor.post(
        f"/manage/items/{first_item.id}/edit",
        edited_target(first_item, statement="Their quick fix."),
        htmx=True,
    )
    assert theirs.status_code == 200

    response = editor.post(f"/manage/items/{first_item.id}/edit", mine, htmx=True)

    assert response.status_code == 409
    assert "Someone else saved this item while you were editing it" in response.text
    assert "your changes were not saved" in response.text
    assert "Saved meanwhile by someone else" in response.text
    assert "Their quick fix." in response.text
    assert "My careful rewording." in response.text
    item = fresh(Item, first_item.id)
    assert (item.text, item.version) == ("Their quick fix.", 2)
    # Having seen their version, saving again is a choice and goes through.
    assert f'name="item-{first_item.id}-version" type="hidden" value="2"' in response.text
    mine[f"item-{first_item.id}-version"] = "2"
    assert editor.post(f"/manage/items/{first_item.id}/edit", mine).status_code == 302
    assert fresh(Item, first_item.id).text == "My careful rewording."


def test_stale_version_without_javascript_shows_the_page_with_both_versions(
    editor, co_editor, first_item
):
    mine = edited_target(first_item, title="My title")
    co_editor.post(f"/manage/items/{first_item.id}/edit", edited_target(first_item, title="Theirs"))

    response = editor.post(f"/manage/items/{first_item.id}/edit", mine)

    assert response.status_code == 409
    assert "<html" in response.text
    assert 'value="My title"' in response.text
    assert "Theirs" in response.text
    assert fresh(Item, first_item.id).title == "Theirs"


def test_edit_without_version_is_refused(editor, demo, first_item):
    before = draft_state(demo)
    data = edited_target(first_item, title="No version")
    del data[f"item-{first_item.id}-version"]

    response = editor.post(f"/manage/items/{first_item.id}/edit", data, htmx=True)

    assert response.status_code == 422
    assert "This form is out of date; reload the page." in response.text
    assert draft_state(demo) == before


# --- who may edit -------------------------------------------------------------------------


def attempts(item, section, document) -> list[tuple[str, dict]]:
    """One of each kind of change, as the page would post it."""
    return [
        (f"/manage/items/{item.id}/edit", edited_target(item, title="Hijacked")),
        (f"/manage/items/{item.id}/move", {"direction": "down"}),
        (f"/manage/items/{item.id}/delete", {}),
        (f"/manage/sections/{section.id}/items", new_target(section)),
        (f"/manage/sections/{section.id}/edit", {f"section-{section.id}-title": "Hijacked"}),
        (f"/manage/sections/{section.id}/move", {"direction": "down"}),
        (f"/manage/sections/{section.id}/delete", {}),
        (f"/manage/documents/{document.id}/sections", {"new-section-title": "Hijacked"}),
        (f"/manage/documents/{document.id}", {"document-title": "Hijacked"}),
        (f"/manage/documents/{document.id}/delete", {}),
        (f"/manage/{document.consultation_id}/documents/new", {"kind": "roadmap", "title": "X"}),
    ]


def test_another_consultations_moderator_cannot_edit(web, demo, other_moderator, roadmap):
    web.login("other@example.org")
    before = draft_state(demo)
    section = roadmap.sections[0]

    assert web.get(f"/manage/documents/{roadmap.id}").status_code == 403
    assert web.get(f"/manage/items/{section.items[0].id}/edit").status_code == 403
    for url, data in attempts(section.items[0], section, roadmap):
        assert web.post(url, data).status_code == 403, url
        assert web.post(url, data, htmx=True).status_code == 403, url
    assert draft_state(demo) == before


def test_guest_is_sent_to_the_login_page_and_changes_nothing(web, demo, roadmap):
    before = draft_state(demo)
    section = roadmap.sections[0]

    page = web.get(f"/manage/documents/{roadmap.id}")

    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=")
    for url, data in attempts(section.items[0], section, roadmap):
        response = web.post(url, data)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url
        # htmx would swap a redirect's page into the editor: it is sent to the login instead.
        response = web.post(url, data, htmx=True)
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"].startswith("/login?next="), url
    assert draft_state(demo) == before


def test_participant_cannot_edit(guest, demo, roadmap):
    before = draft_state(demo)
    section = roadmap.sections[0]

    assert guest.get(f"/manage/documents/{roadmap.id}").status_code == 302
    for url, data in attempts(section.items[0], section, roadmap):
        assert guest.post(url, data).status_code == 302, url
    assert draft_state(demo) == before


def test_administrator_may_edit_any_consultation(app, admin, first_item):
    browser = Browser(app.test_client())
    browser.login("admin@example.org")

    response = browser.post(
        f"/manage/items/{first_item.id}/edit", edited_target(first_item, title="By the admin")
    )

    assert response.status_code == 302
    assert fresh(Item, first_item.id).title == "By the admin"


def test_form_post_without_csrf_token_is_refused(editor, demo, first_item):
    before = draft_state(demo)
    data = edited_target(first_item, title="Forged")

    plain = editor.client.post(f"/manage/items/{first_item.id}/edit", data=data)
    htmx = editor.client.post(
        f"/manage/items/{first_item.id}/delete", headers={"HX-Request": "true"}
    )

    assert plain.status_code == 400
    assert htmx.status_code == 400
    assert "This form has expired or did not come from this site." in plain.text
    assert draft_state(demo) == before


def test_htmx_request_may_carry_the_csrf_token_in_a_header(editor, first_item):
    item_id = first_item.id

    response = editor.client.post(
        f"/manage/items/{item_id}/delete",
        headers={"HX-Request": "true", "X-CSRFToken": editor.token},
    )

    assert response.status_code == 200
    assert fresh(Item, item_id) is None


def test_published_consultation_cannot_be_edited(editor, demo, roadmap):
    demo.status = Status.PUBLISHED
    db.session.commit()
    before = draft_state(demo)
    section = roadmap.sections[0]

    page = editor.get(f"/manage/documents/{roadmap.id}")

    assert page.status_code == 200
    assert "This consultation is published: its documents can no longer be changed." in page.text
    assert "RES-1.1" in page.text
    assert ">Edit<" not in page.text
    assert "Add a section" not in page.text
    assert editor.get(f"/manage/{demo.id}/documents/new").status_code == 403
    for url, data in attempts(section.items[0], section, roadmap):
        response = editor.post(url, data, htmx=True)
        assert response.status_code == 403, url
        assert "A published consultation can no longer be edited." in response.text, url
    assert draft_state(demo) == before


# --- the page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page_of",
    [
        lambda roadmap: f"/manage/documents/{roadmap.id}",
        lambda roadmap: f"/manage/items/{roadmap.items[0].id}/edit",
        lambda roadmap: f"/manage/sections/{roadmap.sections[0].id}/edit",
    ],
    ids=["page", "item-form-open", "section-form-open"],
)
def test_every_id_on_the_editor_page_is_unique_and_every_control_labelled(editor, roadmap, page_of):
    page = editor.get(page_of(roadmap)).text

    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted(ids) == sorted(set(ids))
    for control_id in re.findall(r'<(?:input|textarea|select)[^>]*\sid="([^"]+)"', page):
        if re.search(r"-(csrf_token|version)$", control_id):
            continue  # hidden
        labelled = f'for="{control_id}"' in page
        wrapped = re.search(rf'<label[^>]*>\s*<input[^>]*id="{re.escape(control_id)}"', page)
        assert labelled or wrapped, control_id


def test_editor_page_loads_in_a_fixed_number_of_queries(editor, roadmap):
    page_url = f"/manage/documents/{roadmap.id}"
    section = roadmap.sections[0]
    add_url = f"/manage/sections/{section.id}/items"

    def queries_for_page() -> int:
        statements = []

        def count(*args):
            statements.append(args)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert editor.get(page_url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = queries_for_page()
    for number in range(5):
        editor.post(add_url, new_target(section, ref=f"NEW-{number}"))

    assert queries_for_page() == before <= 8


def test_two_moderators_taking_the_same_ref_at_once_get_a_message_not_a_crash(
    demo, moderator, roadmap, monkeypatch
):
    # Both passed the uniqueness check before either committed: the database decides.
    monkeypatch.setattr(services, "ensure_unique_ref", lambda *args, **kwargs: None)
    target = {"ref": "res-1.1", "title": "T", "text": "S", "milestone_year": 2030}
    before = draft_state(demo)

    with pytest.raises(InvalidInput) as refused:
        services.create_item(roadmap, moderator, fields=target, section=roadmap.sections[0])

    assert "already has the reference res-1.1" in refused.value.message
    assert draft_state(demo) == before
