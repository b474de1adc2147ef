"""Blame: which revision and author last wrote each paragraph of a body.

Revisions are aligned one after the other with the paragraph diff, so that a
paragraph moved keeps its origin and one edited takes the revision that
edited it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cms.articles.diffs.paragraphs import TokenCache, paragraph_ops, split_paragraphs


def blame(revisions: Sequence[tuple[int, Any, str]]) -> list[dict[str, Any]]:
    """Return who last changed each paragraph of the last revision's body.

    ``revisions`` are ``(number, author, body)``, oldest first. A paragraph keeps
    the revision and author that wrote its current text; moving it does not
    change that, editing it does.
    """
    paragraphs: list[str] = []
    origins: list[tuple[int, Any]] = []
    tokens = TokenCache()
    for number, author, body in revisions:
        new, _ = split_paragraphs(body)
        new_origins: list[tuple[int, Any]] = [(number, author)] * len(new)
        for op in paragraph_ops(paragraphs, new, tokens)[0]:
            kept = op["op"] == "equal" or (op["op"] == "move" and "words" not in op)
            if kept:
                new_origins[op["new_index"]] = origins[op["old_index"]]
        paragraphs, origins = new, new_origins
    return [
        {"index": i, "text": text, "revision": number, "author": author}
        for i, (text, (number, author)) in enumerate(zip(paragraphs, origins, strict=True))
    ]
