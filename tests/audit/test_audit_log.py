"""The audit log page: who did what and when, for the consultation's moderators only."""

from __future__ import annotations

import re

import pytest

from cocreate.audit.services import PAGE_SIZE, record
from cocreate.consultations.models import Status
from cocreate.consultations.services import change_status
from cocreate.extensions import db
from cocreate.participation.models import Comment
from tests.conftest import count_queries, join_as
from tests.drafts.test_editing import edited_target


def rows_of(page: str) -> list[str]:
    """Each entry of the log as plain text, top to bottom."""
    rows = re.findall(r'<tr id="entry-\d+">.*?</tr>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def add_entries(demo, moderator, first_item, n: int) -> None:
    joined = join_as(demo, "Industry")
    for i in range(n):
        comment = Comment(item=first_item, participant=joined.participant, body=f"Comment {i}")
        db.session.add(comment)
        db.session.flush()
        record(demo.id, moderator, "comment.hide", ("comment", comment.id), reason="spam")
        record(demo.id, moderator, "item.consolidate", ("item", first_item.id), version=i)
        record(demo.id, moderator, "participant.mute", ("participant", joined.participant.id))
    db.session.commit()


def test_moderators_read_lifecycle_changes_newest_first_in_words(app, demo, moderator, web):
    change_status(demo, moderator, Status.CLOSED)
    change_status(demo, moderator, Status.OPEN)
    web.login("mod@example.org")
    page = web.get(f"/manage/{demo.id}/audit")
    assert page.status_code == 200
    rows = rows_of(page.text)
    assert len(rows) == 2
    assert "mod@example.org" in rows[0]
    assert "Changed the consultation's status" in rows[0]
    assert "before closed after open" in rows[0]
    assert "before open after closed" in rows[1]
    assert "<time datetime=" in page.text


def test_entries_name_their_subject_and_escape_details(app, demo, moderator, first_item, web):
    joined = join_as(demo, "Industry", name="Mallory")
    comment = Comment(item=first_item, participant=joined.participant, body="<i>Loud</i> words")
    db.session.add(comment)
    db.session.flush()
    record(
        demo.id,
        moderator,
        "comment.hide",
        ("comment", comment.id),
        reason="other",
        note="<script>alert(1)</script>",
    )
    record(demo.id, moderator, "participant.mute", ("participant", joined.participant.id))
    db.session.commit()
    web.login("mod@example.org")
    page = web.get(f"/manage/{demo.id}/audit").text
    mute, hide = rows_of(page)
    assert "Muted a participant" in mute and "Mallory (Industry)" in mute
    assert "Hid a comment" in hide and f"Comment #{comment.id}" in hide
    assert "RES-1.1: “&lt;i&gt;Loud&lt;/i&gt; words”" in hide
    assert "reason Other" in hide
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_log_is_paged_with_before(app, demo, moderator, first_item, web):
    add_entries(demo, moderator, first_item, 20)  # 60 entries
    web.login("mod@example.org")
    first = web.get(f"/manage/{demo.id}/audit").text
    assert len(rows_of(first)) == PAGE_SIZE
    older = re.search(r'href="(/manage/\d+/audit\?before=\d+)"', first)
    assert older, "no link to older entries"
    second = web.get(older.group(1).replace("&amp;", "&")).text
    assert len(rows_of(second)) == 60 - PAGE_SIZE
    assert "Older entries" not in second
    ids_first = re.findall(r'id="entry-(\d+)"', first)
    ids_second = re.findall(r'id="entry-(\d+)"', second)
    assert int(ids_first[-1]) > int(ids_second[0])
    assert sorted(map(int, ids_first + ids_second), reverse=True) == list(
        map(int, ids_first + ids_second)
    )


def test_the_log_runs_a_constant_number_of_queries(app, demo, moderator, first_item, web):
    web.login("mod@example.org")
    add_entries(demo, moderator, first_item, 2)

    def queries() -> int:
        with count_queries() as statements:
            assert web.get(f"/manage/{demo.id}/audit").status_code == 200
        return len(statements)

    few = queries()
    add_entries(demo, moderator, first_item, 15)
    assert queries() == few


def test_other_moderators_cannot_read_the_log(app, demo, moderator, other_moderator, web):
    change_status(demo, moderator, Status.CLOSED)
    web.login("other@example.org")
    response = web.get(f"/manage/{demo.id}/audit")
    assert response.status_code == 403
    assert "Changed the consultation" not in response.text


@pytest.mark.parametrize("who", ["guest", "anonymous"])
def test_participants_and_strangers_are_sent_to_the_login_page(app, demo, guest, client, who):
    browser = guest if who == "guest" else client
    response = browser.get(f"/manage/{demo.id}/audit")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_empty_log_says_so(app, demo, moderator, web):
    web.login("mod@example.org")
    assert "No moderator action recorded yet." in web.get(f"/manage/{demo.id}/audit").text


def test_draft_edits_are_in_the_log_with_the_item_they_changed(app, demo, moderator, web):
    item = demo.documents[0].items[0]
    web.login("mod@example.org")
    editor = web.get(f"/manage/items/{item.id}/edit")
    assert editor.status_code == 200
    form = edited_target(item, title="A title the moderators rewrote")
    saved = web.post(f"/manage/items/{item.id}/edit", form)
    assert saved.status_code in (200, 302, 303), saved.text

    rows = rows_of(web.get(f"/manage/{demo.id}/audit").text)
    assert any("Edited a draft item" in row and item.ref in row for row in rows), rows
