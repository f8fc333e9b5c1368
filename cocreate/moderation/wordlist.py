"""A consultation's review words: comments that contain one are marked for moderators.

Kept free of other domains' imports, so that consultation settings and posting a comment
can both use it without an import cycle.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import gettext as _

from cocreate.errors import InvalidInput

MAX_WORDS = 200
MAX_WORD_LENGTH = 60


def parse_review_words(text: str) -> list[str]:
    """The words and phrases of a one-per-line list, trimmed, blank lines and repeats
    (ignoring case) dropped.

    :raises InvalidInput: for more than 200 lines or a line over 60 characters.
    """
    words: list[str] = []
    seen: set[str] = set()
    for line in (text or "").splitlines():
        word = " ".join(line.split())
        if not word:
            continue
        if len(word) > MAX_WORD_LENGTH:
            raise InvalidInput(
                _(
                    "A review word or phrase has at most %(max)d characters: "
                    "“%(word)s…” has %(n)d.",
                    max=MAX_WORD_LENGTH,
                    word=word[:20],
                    n=len(word),
                ),
                field="review_words",
            )
        if word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    if len(words) > MAX_WORDS:
        raise InvalidInput(
            _(
                "The review list has at most %(max)d words or phrases; this one has %(n)d.",
                max=MAX_WORDS,
                n=len(words),
            ),
            field="review_words",
        )
    return words


@lru_cache(maxsize=64)
def review_pattern(text: str) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any of the list's words as a whole word
    (a phrase matches across any run of spaces); ``None`` for an empty list."""
    words = parse_review_words(text)
    if not words:
        return None
    alternatives = sorted(
        (r"\s+".join(re.escape(part) for part in word.split()) for word in words),
        key=len,
        reverse=True,
    )
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def needs_review(body: str, review_words: str) -> bool:
    """Whether ``body`` contains one of the words of ``review_words`` (one per line)."""
    pattern = review_pattern(review_words or "")
    return pattern is not None and pattern.search(body) is not None
