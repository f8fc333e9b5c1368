"""Diffs show changes as whole passages, and the pieces still add up to both texts."""

from __future__ import annotations

import random

import pytest

from cocreate.consolidation.diffing import Piece, readable_diff


def test_a_rewritten_sentence_reads_as_one_passage_struck_and_one_added():
    old = "The results are published every year in a format that allows comparison."
    new = "The results are published every year, checked by an independent auditor."
    assert readable_diff(old, new) == [
        Piece("same", "The results are published every "),
        Piece("removed", "year in a format that allows comparison."),
        Piece("added", "year, checked by an independent auditor."),
    ]


def test_changes_two_unchanged_words_apart_stay_separate():
    pieces = readable_diff("one two three four five", "one 2 three four 5")
    assert [p.kind for p in pieces] == ["same", "removed", "added", "same", "removed", "added"]


def test_a_single_unchanged_word_inside_a_rewrite_is_read_as_part_of_it():
    pieces = readable_diff("one two three four", "one 2 three 4")
    assert pieces == [
        Piece("same", "one "),
        Piece("removed", "two three four"),
        Piece("added", "2 three 4"),
    ]


@pytest.mark.parametrize("seed", range(5))
def test_passages_still_give_both_texts_back(seed):
    words = ["a", "b", "the", "year,", "year", "of", "c"]
    rng = random.Random(seed)
    for _ in range(300):
        old = " ".join(rng.choice(words) for _ in range(rng.randint(0, 10)))
        new = " ".join(rng.choice(words) for _ in range(rng.randint(0, 10)))
        pieces = readable_diff(old, new)
        assert "".join(p.text for p in pieces if p.kind != "added") == old
        assert "".join(p.text for p in pieces if p.kind != "removed") == new
        assert not any(p.kind != "same" and p.text.isspace() for p in pieces)
