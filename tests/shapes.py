"""Adversarial bodies and wire copy at the size limits, for the cost test and ``make bench``.

Each shape is a text that fills a budget: the JSON request of an article
(``MAX_CONTENT_LENGTH``) or the raw bytes of wire copy (``CMS_INGEST_MAX_BYTES``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from tests.bench.bench_diffs import TextMaker

#: Room left in a request for the headline and the JSON around the body.
_ENVELOPE = 1_000


def _repeat(unit: str) -> Callable[[int], str]:
    """A shape that repeats ``unit`` until the text (JSON-encoded) fills the budget."""

    def make(budget: int) -> str:
        size = len(json.dumps(unit, ensure_ascii=False).encode()) - 2
        return unit * (budget // size)

    return make


def _nested(line: Callable[[int], str]) -> Callable[[int], str]:
    """A shape of lines ever more deeply nested (``line(depth)``), up to the budget."""

    def make(budget: int) -> str:
        lines, size, depth = [], 0, 0
        while True:
            text = line(depth % 500) + "\n"
            size += len(json.dumps(text).encode()) - 2
            if size > budget:
                return "".join(lines)
            lines.append(text)
            depth += 1

    return make


def prose(budget: int, seed: int = 1) -> str:
    """English-like paragraphs of ~80 words, up to ``budget`` bytes."""
    maker = TextMaker(seed)
    paragraphs: list[str] = []
    size = 0
    while True:
        paragraph = maker.paragraph(80)
        size += len(paragraph) + 4  # and the JSON-escaped blank line
        if size > budget:
            return "\n\n".join(paragraphs)
        paragraphs.append(paragraph)


def _ideographs(budget: int) -> str:
    rng = random.Random(3)
    return "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(budget // 3))


#: Name → a function of the byte budget returning the text.
SHAPES: dict[str, Callable[[int], str]] = {
    "brackets [": _repeat("["),
    "image openers ![": _repeat("!["),
    "stars *": _repeat("*"),
    "emphasis *a": _repeat("*a"),
    "underscores _": _repeat("_"),
    "backticks `": _repeat("`"),
    "less-than <": _repeat("<"),
    "entities &amp;": _repeat("&amp;"),
    "quote run >": _repeat(">"),
    "full stops .": _repeat("."),
    "quotes nesting": _nested(lambda depth: ">" * depth + " x"),
    "lists nesting": _nested(lambda depth: "  " * depth + "- x"),
    "ordered list items": _repeat("1. a\n"),
    "one-char lines": _repeat("a\n"),
    "giant line": _repeat("a"),
    "giant line of words": _repeat("word "),
    "tiny paragraphs": _repeat("a\n\n"),
    "identical paragraphs": _repeat("The same paragraph, again and again.\n\n"),
    "prose": prose,
    "ideographs": _ideographs,
}


def article_body(shape: str, request_limit: int) -> str:
    """Return ``shape`` as the largest body an article request under ``request_limit`` holds."""
    return SHAPES[shape](request_limit - _ENVELOPE)


def wire_copy(shape: str, copy_limit: int) -> bytes:
    """Return ``shape`` as wire copy of at most ``copy_limit`` bytes, with a headline."""
    headline = f"Shape {shape}\n\n"
    text = headline + SHAPES[shape](copy_limit - len(headline.encode()) - _ENVELOPE)
    return text.encode()
