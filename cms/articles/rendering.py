"""Presentation of a document: safe HTML, AP-style dateline and byline, stamps.

Pure: no database, no Flask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import nh3
from markdown_it import MarkdownIt

from cms.core.errors import ValidationFailed

# CommonMark with raw HTML disabled: ``<script>`` in the source comes out as text.
_markdown = MarkdownIt("commonmark", {"html": False})

#: AP style month abbreviations (March through July are never abbreviated).
AP_MONTHS = (
    "Jan.", "Feb.", "March", "April", "May", "June",
    "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip
DASH = "\N{EM DASH}"

#: The most Markdown structure a body may hold, in :func:`markup_weight` units.
#: markdown-it-py runs its inline rules at every character that may start markup
#: (1 to 10 µs each, ``[`` the dearest) and its block rules on every line, against
#: ~0.01 µs for a character of prose; this bound keeps the worst shape well under a
#: second to render, while 2 MB of ordinary prose weighs ~30,000.
MARKUP_MAX = 60_000
#: The characters at which markdown-it-py's text rule stops to try the inline rules.
_MARKUP_CHARACTERS = "!#$%&*+-:<=>@[\\]^_`{}~"
#: A line costs the block parser several times what an inline character costs.
_LINE_WEIGHT = 3


#: Blocks kept rendered per process (see :func:`render_markdown`), and the longest kept.
BLOCK_CACHE_SIZE = 2048
BLOCK_CACHE_MAX = 2000
#: A body of more blocks renders whole: it would push every other story's blocks out of
#: the cache, and rendering thousands of blocks one by one costs more than one render.
BLOCKS_MAX = 256
#: markdown-it's own normalisation of line ends, done first so blocks split as it sees them.
_LINE_ENDS = re.compile(r"\r\n?")
#: One or more blank lines (a blank line may hold spaces and tabs).
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")
#: What a block that starts as prose opens with: a letter, a quotation mark or a parenthesis.
#: Such a block cannot continue the block before it, nor change how it renders: a list item,
#: quotation or code block goes on past a blank line only in lines that start otherwise.
_PROSE = re.compile(r"[^\W\d_]|[\"'\u2018\u201c(]")
#: What ties blocks together across blank lines: link reference definitions, fences.
_TIES = ("]:", "```", "~~~")


def render_markdown(source: str) -> str:
    """Return the safe HTML of Markdown ``source``.

    Raw HTML is escaped by the parser; nh3 then drops anything unsafe that
    Markdown itself can express (``javascript:`` links and the like).

    A body of at most :data:`BLOCKS_MAX` blocks that render independently (see
    :func:`_independent_blocks`) is rendered block by block, each block's HTML
    kept per process: an edit of one paragraph renders that paragraph. The HTML
    is the same either way.
    """
    blocks = _independent_blocks(source)
    if blocks is None or len(blocks) > BLOCKS_MAX:
        return _render(source)
    return "".join(
        _render_kept(block) if len(block) <= BLOCK_CACHE_MAX else _render(block)
        for block in blocks
    )


def _render(source: str) -> str:
    return nh3.clean(_markdown.render(source))


_render_kept = lru_cache(maxsize=BLOCK_CACHE_SIZE)(_render)


def _independent_blocks(source: str) -> list[str] | None:
    """Split ``source`` at its blank lines if its HTML is the join of the parts' HTML.

    That holds when every part after the first starts as prose (:data:`_PROSE`)
    and nothing ties parts together (:data:`_TIES`); otherwise ``None``.
    """
    source = _LINE_ENDS.sub("\n", source).replace("\0", "\ufffd")
    if any(tie in source for tie in _TIES):
        return None
    blocks = [block for block in _BLANK_LINES.split(source) if block.strip(" \t\n")]
    if not all(_PROSE.match(block) for block in blocks[1:]):
        return None
    return blocks


def markup_weight(source: str) -> int:
    """Return how much Markdown structure ``source`` holds: what rendering it costs.

    Each line break counts three, each character that may open inline markup one.
    """
    weight = _LINE_WEIGHT * source.count("\n")
    return weight + sum(source.count(character) for character in _MARKUP_CHARACTERS)


def check_markup(source: str, what: str = "body") -> None:
    """Refuse a ``what`` (a body, wire copy) whose Markdown would take too long to render.

    Raises :class:`ValidationFailed` (422) over :data:`MARKUP_MAX`, saying why.
    """
    weight = markup_weight(source)
    if weight > MARKUP_MAX:
        raise ValidationFailed(
            f"The {what} has too much Markdown structure to render in time: it weighs "
            f"{weight} (each line break counts {_LINE_WEIGHT}, each of "
            f"{_MARKUP_CHARACTERS} counts 1) and at most {MARKUP_MAX} is accepted. Split it "
            f"into several stories or remove repeated markup."
        )


def ap_date(day: date) -> str:
    """Return ``day`` in AP style: ``Nov. 5, 2026``."""
    return f"{AP_MONTHS[day.month - 1]} {day.day}, {day.year}"


def ap_time(moment: datetime) -> str:
    """Return the clock time in AP style: ``9 a.m.``, ``1:42 p.m.``, ``noon``."""
    if moment.hour == 12 and moment.minute == 0:
        return "noon"
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'a.m.' if moment.hour < 12 else 'p.m.'}"


def display_stamp(moment: datetime | None, timezone: str) -> str | None:
    """Return an aware ``moment`` for display in ``timezone``.

    For example ``Nov. 25, 2026, 1:42 p.m. EST``; ``None`` stays ``None``.
    """
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{ap_date(local)}, {ap_time(local)} {local.tzname()}"


def dateline_text(dateline: Mapping[str, str] | None) -> str | None:
    """Render a dateline AP style: ``DUSHANBE, Tajikistan (Reuters) —``.

    The city is upper-cased; the region (a state or province) is preferred to
    the country, as AP does; a date (``YYYY-MM-DD``) follows the place.
    """
    if not dateline or not dateline.get("city"):
        return None
    text = dateline["city"].upper()
    place = dateline.get("region") or dateline.get("country")
    if place:
        text += f", {place}"
    if dateline.get("date"):
        day = date.fromisoformat(dateline["date"])
        text += f", {AP_MONTHS[day.month - 1]} {day.day}"
    if dateline.get("agency"):
        text += f" ({dateline['agency']})"
    return f"{text} {DASH}"


def _join_names(names: list[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def byline_text(bylines: Iterable[Mapping[str, str]]) -> str | None:
    """Render bylines: ``By Jane Roe and John Doe, Reuters``.

    Consecutive people with the same affiliation share it; different
    affiliations are kept apart: ``By Jane Roe, Reuters, and Ali Kaya, AFP``.
    """
    groups: list[tuple[list[str], str | None]] = []
    for byline in bylines:
        affiliation = byline.get("affiliation")
        if groups and groups[-1][1] == affiliation:
            groups[-1][0].append(byline["name"])
        else:
            groups.append(([byline["name"]], affiliation))
    if not groups:
        return None
    if len(groups) == 1:
        names, affiliation = groups[0]
        return f"By {_join_names(names)}" + (f", {affiliation}" if affiliation else "")
    parts = [_join_names(names) + (f", {aff}" if aff else "") for names, aff in groups]
    return "By " + ", ".join(parts[:-1]) + ", and " + parts[-1]
