"""Two moderators consolidating the same item never overwrite each other silently."""

from __future__ import annotations

import html
import re
import threading

import sqlalchemy as sa

from cocreate.accounts.models import User
from cocreate.consolidation.models import TextVersion
from cocreate.consolidation.services import save_final_text
from cocreate.drafts.models import Item
from cocreate.errors import EditConflict
from cocreate.extensions import db
from tests.conftest import row_count


def workspace(item) -> str:
    return f"/manage/items/{item.id}/consolidate"


def expected_version(page: str) -> str:
    return re.search(r'name="expected_version"[^>]*value="(\d+)"', page).group(1)


def textarea(page: str) -> str:
    match = re.search(r'<textarea[^>]*id="text"[^>]*>(.*?)</textarea>', page, re.S)
    return html.unescape(match.group(1)).strip()


def test_the_second_of_two_moderators_gets_the_conflict_and_nothing_is_lost(
    consolidator, co_consolidator, first_item
):
    mine = consolidator.get(workspace(first_item)).text
    theirs = co_consolidator.get(workspace(first_item)).text
    assert expected_version(mine) == expected_version(theirs) == "0"

    first = consolidator.post(
        workspace(first_item), {"text": "Wording of the first moderator.", "expected_version": "0"}
    )
    second = co_consolidator.post(
        workspace(first_item), {"text": "Wording of the second moderator.", "expected_version": "0"}
    )

    assert first.status_code == 302
    assert second.status_code == 409
    page = second.text
    assert "Another moderator saved this text while you were editing it" in html.unescape(page)
    conflict = page[
        page.index('class="conflict-theirs"') : page.index(
            "</section>", page.index('class="conflict-theirs"')
        )
    ]
    assert "Saved meanwhile by mod@example.org" in conflict
    assert "Wording of the first moderator." in conflict
    assert textarea(page) == "Wording of the second moderator."  # their own, still there
    assert expected_version(page) == "1"  # the next save builds on the first one's
    assert "Save over their version" in page
    assert row_count(TextVersion) == 1
    item = db.session.get(Item, first_item.id)
    assert (item.final_text, item.final_version) == ("Wording of the first moderator.", 1)

    again = co_consolidator.post(
        workspace(first_item), {"text": "Wording of the second moderator.", "expected_version": "1"}
    )

    assert again.status_code == 302
    texts = db.session.scalars(sa.select(TextVersion.text).order_by(TextVersion.number)).all()
    assert texts == ["Wording of the first moderator.", "Wording of the second moderator."]


def test_two_saves_racing_on_the_same_version_let_exactly_one_win(
    app, demo, moderator, other_moderator, first_item
):
    demo.moderators.append(other_moderator)
    db.session.commit()
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(email: str) -> None:
        with app.app_context():
            actor = db.session.scalar(sa.select(User).where(User.email == email))
            item = db.session.get(Item, first_item.id)
            item.consultation.moderators  # noqa: B018  (loaded before the race, not in it)
            start.wait(timeout=10)
            try:
                save_final_text(item, actor, f"Text of {email}", expected_version=0)
            except EditConflict:
                outcomes[email] = "conflict"
            except Exception as error:  # reported by the assertion below
                outcomes[email] = repr(error)
            else:
                outcomes[email] = "saved"
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=save, args=(e,)) for e in (moderator.email, "other@example.org")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["conflict", "saved"], outcomes
    winner = next(email for email, outcome in outcomes.items() if outcome == "saved")
    db.session.expire_all()
    item = db.session.get(Item, first_item.id)
    assert (item.final_text, item.final_version) == (f"Text of {winner}", 1)
    assert db.session.scalars(sa.select(TextVersion.text)).all() == [f"Text of {winner}"]
