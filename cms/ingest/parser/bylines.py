"""Bylines: ``By NAME and NAME`` lines with their agency, and Reuters credit lines.

A line is a byline only if every part of it reads as a person's name; names
written in capitals are put in normal case. The agency (AP, Reuters, AFP) is
recorded as the affiliation, and each kind of Reuters credit (reporting,
writing, editing) as a role.
"""

from __future__ import annotations

import re

from cms.ingest.parser.draft import Draft
from cms.ingest.parser.text import APOSTROPHES, LETTER, PARTICLE, UPPER, title_case

_NAME_WORD = rf"(?:(?:al|el|d|l)[{APOSTROPHES}-])?{UPPER}(?:{LETTER}|[{APOSTROPHES}.-])*"
_NAME = re.compile(rf"{_NAME_WORD}(?: (?:{_NAME_WORD}|{PARTICLE})){{0,4}} {_NAME_WORD}")
# Capitalised words that start sentences like "By Monday night …", never a name.
_NOT_NAMES = frozenset((
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "today", "tomorrow", "tonight", "yesterday", "then", "now", "contrast", "comparison",
))  # fmt: skip
_NAME_SEPARATOR = re.compile(r"\s*(?:[,;&|/]|\band\b)\s*")
_BY = re.compile(r"by\s+(?P<names>.+)", re.IGNORECASE)
_BYLINE_MAX = 160
_AGENCY_SUFFIX = r"(?:\s+(?:[\w-]+\s+){0,3}(?:writer|correspondent|reporter|editor)s?)?"
#: Ways copy names an agency, and the affiliation recorded for each.
_AGENCIES = tuple(
    (re.compile(rf"(?:{pattern}){_AGENCY_SUFFIX}", re.IGNORECASE), name)
    for pattern, name in (
        (r"(?:the\s+)?associated\s+press|ap", "Associated Press"),
        (r"(?:thomson\s+)?reuters", "Reuters"),
        (r"afp|agence\s+france[-\s]presse", "AFP"),
    )
)


def _agency_name(text: str) -> str | None:
    """Return the affiliation ``text`` names (``The Associated Press`` → ``Associated Press``)."""
    for pattern, name in _AGENCIES:
        if pattern.fullmatch(text.strip()):
            return name
    return None


def _is_name(text: str) -> bool:
    return bool(_NAME.fullmatch(text)) and _NOT_NAMES.isdisjoint(text.lower().split())


def _names(text: str) -> list[str] | None:
    """Return the people in ``A, B and C``, or ``None`` if any part is not a name."""
    parts = [part for part in _NAME_SEPARATOR.split(text) if part]
    if not parts or not all(_is_name(part) for part in parts):
        return None
    return [title_case(part) for part in parts]


def recognise_byline(draft: Draft) -> bool:
    """Read ``By NAME[, NAME] [and NAME]`` lines and an agency line right after them."""
    found = False
    for index, line in draft.open_lines():
        match = _BY.fullmatch(line.text) if len(line.text) <= _BYLINE_MAX else None
        if match is None:
            continue
        parts = [part for part in _NAME_SEPARATOR.split(match["names"]) if part]
        affiliation = _agency_name(parts[-1]) if parts else None
        if affiliation is not None:
            parts.pop()
        names = _names(", ".join(parts))
        if names is None:
            continue
        line.claimed = True
        found = True
        following = draft.lines[index + 1] if index + 1 < len(draft.lines) else None
        if affiliation is None and following is not None and not following.claimed:
            affiliation = _agency_name(following.text)
            following.claimed = affiliation is not None
        for name in names:
            byline = {"name": name, "role": "reporter"}
            if affiliation is not None:
                byline["affiliation"] = affiliation
            draft.add_byline(byline)
    return found


_CREDIT = re.compile(
    r"(?P<what>additional reporting|reporting|writing|editing) by (?P<names>.+)", re.IGNORECASE
)
#: The role recorded for each kind of Reuters credit.
_CREDIT_ROLES = {
    "reporting": "reporter",
    "additional reporting": "contributor",
    "writing": "writer",
    "editing": "editor",
}
# "Reporting by Jane Roe in Oslo": the place is not part of the name.
_CREDIT_PLACE = re.compile(rf" in {UPPER}{LETTER}*(?: {UPPER}{LETTER}*)*(?=$|,| and )")


def _read_credits(text: str) -> list[dict[str, str]] | None:
    """Return the bylines of a Reuters credit line, or ``None`` if ``text`` is not one."""
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    bylines: list[dict[str, str]] = []
    for segment in text.split(";"):
        match = _CREDIT.fullmatch(segment.strip().rstrip("."))
        if match is None:
            return None
        names = _names(_CREDIT_PLACE.sub("", match["names"]))
        if names is None:
            return None
        role = _CREDIT_ROLES[match["what"].lower()]
        bylines.extend({"name": name, "role": role, "affiliation": "Reuters"} for name in names)
    return bylines


def recognise_reuters_credits(draft: Draft) -> bool:
    """Read ``Reporting by A and B; Additional reporting by C; Editing by D`` lines."""
    found = False
    for _index, line in draft.open_lines():
        bylines = _read_credits(line.text)
        if bylines is None:
            continue
        line.claimed = True
        found = True
        for byline in bylines:
            draft.add_byline(byline)
    return found
