"""Readable word-level differences between two texts."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

# Words with their trailing space, so that joining the pieces gives the text back.
TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Piece:
    kind: Literal["same", "removed", "added"]
    text: str


def word_diff(old: str, new: str) -> list[Piece]:
    """The pieces that turn ``old`` into ``new``, word by word.

    Joining the "same" and "removed" pieces gives ``old``; "same" and "added" give ``new``.
    Changes separated only by spaces read as one: "~~Every company~~ Each firm", not
    "~~Every~~ Each ~~company~~ firm".
    """
    a, b = TOKEN.findall(old or ""), TOKEN.findall(new or "")
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in merged_changes(matcher.get_opcodes(), a):
        if op == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("removed", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("added", "".join(b[j1:j2])))
    return pieces


def merged_changes(opcodes, a: list[str]) -> list[tuple[str, int, int, int, int]]:
    """The opcodes with changes that only whitespace separates joined into one."""
    merged: list[tuple[str, int, int, int, int]] = []
    for opcode in opcodes:
        op, i1, i2, j1, j2 = opcode
        if (
            op != "equal"
            and len(merged) >= 2
            and merged[-1][0] == "equal"
            and merged[-2][0] != "equal"
            and all(token.isspace() for token in a[merged[-1][1] : merged[-1][2]])
        ):
            merged.pop()
            start = merged.pop()
            opcode = ("replace", start[1], i2, start[3], j2)
        merged.append(opcode)
    return merged


# Unchanged runs this short between two changes are read as part of the change.
SHORT_RUN_WORDS = 1


def readable_diff(old: str, new: str) -> list[Piece]:
    """``word_diff``, with the short unchanged runs inside a rewritten passage folded into
    it, so that a rewrite reads as one removed and one added phrase rather than a comb of
    single words. The pieces still give back both texts."""
    pieces = word_diff(old, new)
    readable: list[Piece] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        if removed:
            readable.append(Piece("removed", "".join(removed)))
        if added:
            readable.append(Piece("added", "".join(added)))
        removed.clear()
        added.clear()

    for index, piece in enumerate(pieces):
        if piece.kind == "removed":
            removed.append(piece.text)
        elif piece.kind == "added":
            added.append(piece.text)
        elif (
            (removed or added)
            and index + 1 < len(pieces)
            and len(piece.text.split()) <= SHORT_RUN_WORDS
        ):
            removed.append(piece.text)
            added.append(piece.text)
        else:
            flush()
            readable.append(piece)
    flush()
    return readable


def is_changed(pieces: list[Piece]) -> bool:
    return any(piece.kind != "same" for piece in pieces)
