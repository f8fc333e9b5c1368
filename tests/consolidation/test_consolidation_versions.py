"""Every saved text is a version; any two can be compared as a readable word diff."""

from __future__ import annotations

import re

from cocreate.consolidation.diffing import word_diff
from tests.consolidation.conftest import consolidate


def versions(item, **query) -> str:
    url = f"/manage/items/{item.id}/versions"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def selected(page: str, name: str) -> str:
    select = re.search(rf'<select id="{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option value="(\d+)" selected>', select).group(1)


def test_by_default_the_draft_is_compared_with_the_latest_version(consolidator, first_item):
    draft = first_item.text
    consolidate(first_item, draft.replace("Every company", "Each firm"))
    consolidate(first_item, draft.replace("Every company", "Each firm") + " Checked yearly.")

    page = consolidator.get(versions(first_item)).text

    assert "From Draft text to Version 2" in page
    assert (selected(page, "from"), selected(page, "to")) == ("0", "2")
    assert '<del><span class="visually-hidden">[removed: </span>Every company' in page
    assert '<ins><span class="visually-hidden">[added: </span>Each firm' in page
    assert "Checked yearly.<span" in page


def test_two_versions_are_compared_and_each_is_listed_with_author_and_note(
    consolidator, co_consolidator, first_item, other_moderator
):
    consolidate(first_item, "Targets for copper.", note="first pass")
    consolidate(first_item, "Targets for copper and silicon.", author=other_moderator, note="adds")

    page = consolidator.get(versions(first_item, **{"from": 1, "to": 2})).text

    assert "From Version 1 to Version 2" in page
    diff = page[page.index('class="word-diff"') : page.index("All versions")]
    assert "Targets for <del>" in diff
    assert '<ins><span class="visually-hidden">[added: </span>copper and silicon.' in diff
    table = page[page.index("All versions") :]
    assert "other@example.org" in table and "mod@example.org" in table
    assert "first pass" in table and "adds" in table
    assert f"{versions(first_item)}?from=1&amp;to=2" in table


def test_identical_texts_say_so(consolidator, first_item):
    consolidate(first_item, first_item.text)

    page = consolidator.get(versions(first_item, **{"from": 0, "to": 1})).text

    assert "The two texts are the same." in page


def test_an_unknown_version_is_404(consolidator, first_item):
    consolidate(first_item, "Wording.")

    assert consolidator.get(versions(first_item, to=7)).status_code == 404
    assert consolidator.get(versions(first_item, **{"from": -1})).status_code == 404


def test_before_any_save_the_draft_is_compared_with_itself(consolidator, first_item):
    page = consolidator.get(versions(first_item))

    assert page.status_code == 200
    assert "No version saved yet." in page.text


def test_word_diff_joins_back_to_both_texts():
    old, new = "The grid is old and slow.", "The new grid is fast,\nand slow no more."
    pieces = word_diff(old, new)

    assert "".join(p.text for p in pieces if p.kind != "added") == old
    assert "".join(p.text for p in pieces if p.kind != "removed") == new
