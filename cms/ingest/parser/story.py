"""The entry point: :func:`parse` runs the recognisers and returns a :class:`ParsedStory`.

Whatever no recogniser claims is the body, escaped as Markdown so that it
renders as the plain text it was; missing parts and leftovers are reported
as warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from cms.ingest.parser.draft import Draft
from cms.ingest.parser.recognisers import RECOGNISERS
from cms.ingest.parser.text import normalise, split_lines


@dataclass(frozen=True)
class ParsedStory:
    """A draft made from wire copy by :func:`parse`."""

    #: The headline as written, or ``None``.
    headline: str | None
    #: ``city``, ``region``, ``country``, ``agency``, ``date`` (ISO); keys omitted when unknown.
    dateline: dict[str, str] | None
    #: ``[{"name", "role", "affiliation"}]`` in the order given; keys omitted when unknown.
    bylines: list[dict[str, str]]
    #: The source's "Updated" stamp: ``text``, ``date``, ``datetime``, ``timezone``.
    stamp: dict[str, str] | None
    #: Markdown: paragraphs joined by a blank line, without the dateline prefix.
    body: str
    #: Lines dropped as site chrome or agency boilerplate.
    dropped: list[str]
    #: What could not be recognised, for the editor to check.
    warnings: list[str]
    #: The agency's id or slug for the story, if the copy carries one.
    source_id: str | None
    #: Names of the recognisers that matched, in table order.
    recognisers: list[str]


_MARKDOWN_INLINE = re.compile(r"([\\`*_])")
# Paragraph openings that Markdown would read as a heading, quote, list or fence.
_MARKDOWN_BLOCK = re.compile(r"^(?:#{1,6}(?=\s|$)|[-+](?=\s|$)|[>\[]|~~~|(\d{1,9})([.)])(?=\s|$))")


def _escape_markdown(paragraph: str) -> str:
    """Return ``paragraph`` as Markdown that renders as the same plain text."""
    text = _MARKDOWN_INLINE.sub(r"\\\1", paragraph).replace("](", "]\\(")
    return _MARKDOWN_BLOCK.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[0]}", text, count=1)


def _body(draft: Draft) -> str:
    """Return the unclaimed lines as Markdown paragraphs (see the package notes)."""
    lines = [line for _index, line in draft.open_lines()]
    blocks = [list(group) for _block, group in groupby(lines, key=attrgetter("block"))]
    if len(blocks) == 1:
        paragraphs = [line.text for line in blocks[0]]
    else:
        paragraphs = [" ".join(line.text for line in block) for block in blocks]
    return "\n\n".join(_escape_markdown(paragraph) for paragraph in paragraphs)


def parse(text: str) -> ParsedStory:
    """Return the structured draft of wire copy ``text``.

    Never raises for any string: what is not recognised stays in the body and
    is reported in ``warnings``.
    """
    draft = Draft(split_lines(normalise(text)))
    matched = [name for name, recognise in RECOGNISERS if recognise(draft)]
    warnings = draft.warnings
    if draft.body_start is not None:
        warnings.extend(
            f"text above the dateline kept in the body: {line.text[:60]!r}"
            for index, line in draft.open_lines()
            if index < draft.body_start
        )
    body = _body(draft)
    for missing, value in (
        ("headline", draft.headline),
        ("dateline", draft.dateline),
        ("byline", draft.bylines),
        ("body text", body),
    ):
        if not value:
            warnings.append(f"no {missing} found")
    return ParsedStory(
        headline=draft.headline,
        dateline=draft.dateline,
        bylines=draft.bylines,
        stamp=draft.stamp,
        body=body,
        dropped=draft.dropped,
        warnings=warnings,
        source_id=draft.source_id,
        recognisers=matched,
    )
