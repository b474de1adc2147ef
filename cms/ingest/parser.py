"""Turn raw wire copy (agency or scraped text) into a structured draft.

Pure: no database, no Flask. :func:`parse` normalises the text, splits it into
lines, then runs the recognisers of :data:`RECOGNISERS` in order. Each one looks
for one format and claims the lines it understands (a stamp, a byline, a
dateline …); whatever nobody claims is the body. Adding a format means adding
one recogniser function to the table, and fixtures to the tests; nothing else.

Choices worth knowing:

* Numeric stamp dates are read US style (``07/27/2016`` is July 27) unless the
  first number cannot be a month.
* A dateline date without a year (Reuters' ``LONDON, March 2 (Reuters) -``)
  takes the year of the stamp, or the year before when that would put the
  story after its own update. With no dated stamp the date is left out and a
  warning says so: years found in the body usually belong to other events.
* Paragraphs: if the body has blank lines between paragraphs, each block is one
  paragraph and its lines (hard-wrapped agency copy) are joined with a space;
  if it has none, each line is a paragraph (scraped copy).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from itertools import groupby
from operator import attrgetter
from zoneinfo import ZoneInfo


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


@dataclass
class Line:
    """One non-blank line of normalised copy."""

    text: str
    #: Index of the blank-line-separated block the line belongs to.
    block: int
    #: Whether a recogniser has taken the line out of the body.
    claimed: bool = False


@dataclass
class Draft:
    """The working state that the recognisers read and fill in."""

    lines: list[Line]
    headline: str | None = None
    dateline: dict[str, str] | None = None
    #: Index of the line the dateline opens (the first body paragraph), once found.
    body_start: int | None = None
    bylines: list[dict[str, str]] = field(default_factory=list)
    stamp: dict[str, str] | None = None
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_id: str | None = None

    def open_lines(self) -> Iterator[tuple[int, Line]]:
        """Yield ``(index, line)`` for every line no recogniser has claimed."""
        return ((index, line) for index, line in enumerate(self.lines) if not line.claimed)

    def add_byline(self, byline: dict[str, str]) -> None:
        """Append ``byline`` unless the same person in the same role is already listed."""
        if byline not in self.bylines:
            self.bylines.append(byline)


#: A recogniser looks for one format in the draft, claims what it understands
#: and returns whether it found anything.
Recogniser = Callable[[Draft], bool]


# --- Text helpers ----------------------------------------------------------

# Characters that are invisible in copy but break matching (zero-width space,
# word joiner, byte-order mark, soft hyphen, direction marks).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad\u200e\u200f"))
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n?|[\v\f\x85\u2028\u2029]")
# Horizontal white space, including no-break and thin spaces (all match \s).
_SPACES = re.compile(r"[^\S\n]+")

# Upper-case letters of the Latin, Greek and Cyrillic blocks: Python's ``re``
# has no \p{Lu}, and a dateline city must be told apart from a sentence.
_UPPER_CHARS = "".join(c for c in map(chr, range(0x41, 0x530)) if c.isupper())
_U = f"[{_UPPER_CHARS}]"
_L = r"[^\W\d_]"
_APOSTROPHES = "'\N{RIGHT SINGLE QUOTATION MARK}"
_DASHES = "\N{EN DASH}\N{EM DASH}"
# Closing quotes and brackets that may follow the end of a sentence.
_CLOSERS = "\"')\N{RIGHT DOUBLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"

#: Words kept in lower case inside a place or a name written in capitals.
_PARTICLES = frozenset((
    "al", "and", "bin", "da", "das", "de", "del", "della", "der", "des", "di", "do", "dos",
    "du", "el", "en", "es", "ibn", "la", "le", "les", "of", "on", "sur", "ter", "the", "upon",
    "van", "von", "y",
))  # fmt: skip

_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)


def _normalise(text: str) -> str:
    """Return ``text`` with ``\\n`` line endings, single spaces and no blank-line runs."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _CONTROL.sub("", _LINE_BREAK.sub("\n", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _split(text: str) -> list[Line]:
    """Return the non-blank lines of ``text``, numbered by block."""
    lines: list[Line] = []
    block = 0
    for text_line in text.split("\n"):
        if text_line:
            lines.append(Line(text_line, block))
        else:
            block += 1
    return lines


def _is_caps(text: str) -> bool:
    """Return whether ``text`` has letters and none of them is lower case."""
    return text.upper() == text and any(c.isalpha() for c in text)


def _capitalise(word: str, *, first: bool) -> str:
    pieces = word.split("-")
    out = []
    for index, piece in enumerate(pieces):
        if (not first or index) and piece in _PARTICLES:
            out.append(piece)
        elif len(piece) > 2 and piece[1] in _APOSTROPHES:  # N'Djamena, O'Brien
            out.append(piece[0].upper() + piece[1] + piece[2:].capitalize())
        elif len(piece) > 3 and piece.startswith("mc"):  # McAllen, McDonald
            out.append("Mc" + piece[2:].capitalize())
        else:
            out.append(piece[:1].upper() + piece[1:])
    return "-".join(out)


def _title_case(text: str) -> str:
    """Return a place or name written in capitals in normal case: ``SÃO PAULO`` → ``São Paulo``.

    Text that already has lower-case letters (other than AP's ``McALLEN``) is
    returned unchanged.
    """
    if not _is_caps(re.sub(r"\bMc(?=[A-Z])", "MC", text)):
        return text
    words = text.lower().split(" ")
    cased = " ".join(_capitalise(word, first=index == 0) for index, word in enumerate(words))
    return unicodedata.normalize("NFC", cased)


def _month_number(name: str) -> int:
    return _MONTH_NUMBERS[name.rstrip(".").lower()[:3]]


# --- Boilerplate -----------------------------------------------------------

_BOILERPLATE = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"get the latest updates\b.*",
        r"advertisement|advertising|ad|sponsored(?: content)?",
        r"(?:share|email|print|tweet|comments?)(?: (?:this|the) (?:article|story|page))?",
        r"share (?:on|via|with)\b.*",
        r"subscribe\b.*|sign up\b.*|follow us\b.*",
        # "Copyright 2024 …", "© Agency": not "Copyright lawyers said …".
        r"(?:copyright\s*(?:\N{COPYRIGHT SIGN}|\(c\))?\s*\d{4}|\N{COPYRIGHT SIGN}|\(c\) ).*",
        r".*\ball rights reserved\b.*",
        r"this material may not be published\b.*",
        r"our standards:.*",
        r"skip to (?:main )?content|(?:continue|keep) reading\b.*|story continues below\b.*",
        r"(?:read|see) (?:more|also)\b.*",
        # End and separator marks: -30-, ###, (END), ***.
        rf"-30-|#{{2,}}|\((?:end|more)\)|[-*=_~{_DASHES} ]{{3,}}",
        # Breadcrumbs such as "Home | World | Asia".
        r"[^|>\u203a\u00bb]{1,30}(?:\s[|>\u203a\u00bb]\s[^|>\u203a\u00bb]{1,30}){2,}",
    )
)
_BOILERPLATE_MAX = 200  # chrome is short; a long line is a paragraph


def _boilerplate(draft: Draft) -> bool:
    """Drop site chrome and agency boilerplate lines (recorded in ``dropped``)."""
    found = False
    for _index, line in draft.open_lines():
        if len(line.text) <= _BOILERPLATE_MAX and any(
            pattern.fullmatch(line.text) for pattern in _BOILERPLATE
        ):
            line.claimed = True
            draft.dropped.append(line.text)
            found = True
    return found


# --- Stamps ----------------------------------------------------------------

_STAMP = re.compile(
    rf"[^\w\s]*\s*(?P<text>(?:last\s+)?updated\b"
    rf"(?:\s*:|(?=\s+(?:on\b|at\b|\d|{_MONTH})))\s*(?P<rest>.*))",
    re.IGNORECASE,
)
_STAMP_MAX = 100
_DATE_PATTERNS = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:T(?=\d))?"),
    re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\b"),
    re.compile(
        rf"\b(?P<mon>{_MONTH})\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{_MONTH}),?\s+(?P<y>\d{{4}})\b",
        re.IGNORECASE,
    ),
)
_CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<min>\d{2}))?\s*(?P<half>[ap])\.?\s?m\b\.?"
    r"|\b(?P<h24>\d{1,2}):(?P<min24>\d{2})\b",
    re.IGNORECASE,
)
_ZONE = re.compile(r"\b(?:[ECMP][SD]?T|GMT|UTC|BST|CES?T)\b")
#: Zone abbreviations that name one offset from UTC, in hours.
_FIXED_ZONES = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "GMT": 0, "UTC": 0, "BST": 1, "CET": 1, "CEST": 2,
}  # fmt: skip
#: Generic US zones: standard or daylight time depends on the date.
_REGIONAL_ZONES = {
    "ET": "America/New_York",
    "CT": "America/Chicago",
    "MT": "America/Denver",
    "PT": "America/Los_Angeles",
}


def _blank(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


def _find_date(text: str) -> tuple[date | None, str]:
    """Return the first date in ``text`` and ``text`` without it.

    Raises nothing: an impossible date (``02/30/2024``) gives ``None``.
    """
    for pattern in _DATE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        month = _month_number(match["mon"]) if "mon" in match.re.groupindex else int(match["m"])
        day, year = int(match["d"]), int(match["y"])
        if month > 12 and "mon" not in match.re.groupindex and day <= 12:
            month, day = day, month  # 27/07/2016 can only be day-first
        try:
            return date(year, month, day), _blank(text, match)
        except ValueError:
            return None, text
    return None, text


def _find_clock(text: str) -> tuple[tuple[int, int] | None, str]:
    """Return the first clock time in ``text`` as ``(hour, minute)`` and ``text`` without it."""
    match = _CLOCK.search(text)
    if match is None:
        return None, text
    if match["h24"] is not None:
        hour, minute = int(match["h24"]), int(match["min24"])
    else:
        hour, minute = int(match["h"]) % 12, int(match["min"] or 0)
        if match["half"].lower() == "p":
            hour += 12
    if hour > 23 or minute > 59:
        return None, text
    return (hour, minute), _blank(text, match)


def _zone_info(abbreviation: str) -> tzinfo:
    if abbreviation in _REGIONAL_ZONES:
        return ZoneInfo(_REGIONAL_ZONES[abbreviation])
    return timezone(timedelta(hours=_FIXED_ZONES[abbreviation]))


def _read_stamp(text: str, rest: str) -> tuple[dict[str, str], list[str]]:
    """Return the stamp fields of ``text`` (its date part is ``rest``) and any warnings."""
    stamp = {"text": text}
    day, rest = _find_date(rest)
    if day is None:
        return stamp, [f"stamp date not understood: {text!r}"]
    stamp["date"] = day.isoformat()
    clock, rest = _find_clock(rest)
    zone = _ZONE.search(rest)
    if zone is not None:
        stamp["timezone"] = zone[0]
    if clock is not None and zone is not None:
        moment = datetime(day.year, day.month, day.day, *clock, tzinfo=_zone_info(zone[0]))
        stamp["datetime"] = moment.isoformat()
    elif clock is not None:
        return stamp, [f"stamp time has no time zone: {text!r}"]
    return stamp, []


def _stamp(draft: Draft) -> bool:
    """Take the first "Last Updated" / "Updated" line as the stamp; drop any later one."""
    found = False
    for _index, line in draft.open_lines():
        match = _STAMP.fullmatch(line.text) if len(line.text) <= _STAMP_MAX else None
        if match is None:
            continue
        line.claimed = True
        found = True
        if draft.stamp is None:
            draft.stamp, warnings = _read_stamp(match["text"], match["rest"])
            draft.warnings.extend(warnings)
        else:
            draft.dropped.append(line.text)
            draft.warnings.append(f"extra stamp dropped: {line.text!r}")
    return found


# --- Source id -------------------------------------------------------------

_SOURCE_ID = re.compile(r"(?:id|slug|story[ -]?id)\s*:\s*(?P<value>\S.{0,119})", re.IGNORECASE)


def _source_id(draft: Draft) -> bool:
    """Take the first ``ID: …`` or ``Slug: …`` line as the agency's id."""
    for _index, line in draft.open_lines():
        match = _SOURCE_ID.fullmatch(line.text)
        if match is not None:
            line.claimed = True
            draft.source_id = match["value"]
            return True
    return False


# --- Bylines ---------------------------------------------------------------

_NAME_WORD = rf"(?:(?:al|el|d|l)[{_APOSTROPHES}-])?{_U}(?:{_L}|[{_APOSTROPHES}.-])*"
_PARTICLE = "|".join(sorted(_PARTICLES))
_NAME = re.compile(rf"{_NAME_WORD}(?: (?:{_NAME_WORD}|{_PARTICLE})){{0,4}} {_NAME_WORD}")
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
    return [_title_case(part) for part in parts]


def _byline(draft: Draft) -> bool:
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
_CREDIT_PLACE = re.compile(rf" in {_U}{_L}*(?: {_U}{_L}*)*(?=$|,| and )")


def _read_credits(text: str) -> list[dict[str, str]] | None:
    """Return the bylines of a Reuters credit line, or ``None`` if ``text`` is not one."""
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    bylines = []
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


def _reuters_credits(draft: Draft) -> bool:
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


# --- Datelines -------------------------------------------------------------

_CAPS_WORD = f"{_U}[{_UPPER_CHARS}{_APOSTROPHES}.]*"
_CAPS_CITY = rf"{_CAPS_WORD}(?:[ -]{_CAPS_WORD}){{0,4}}"
_WORD = rf"{_U}(?:{_L}|[{_APOSTROPHES}.])*"
_CITY = rf"{_WORD}(?:[ -](?:{_WORD}|{_PARTICLE})){{0,4}}"
_PLACE = rf"{_WORD}(?:[ -](?:{_WORD}|{_PARTICLE}|d[{_APOSTROPHES}]{_WORD})){{0,4}}"
_DATELINE_DATE = rf"{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTH}"
_DATELINE_WINDOW = 4  # the dateline opens the story: look no further than this many lines

#: US states and their AP abbreviations: a dateline place among them is a region.
_US_STATES = frozenset((
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "District of Columbia", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois",
    "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts",
    "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada",
    "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota",
    "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina",
    "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington",
    "West Virginia", "Wisconsin", "Wyoming",
    "Ala.", "Ariz.", "Ark.", "Calif.", "Colo.", "Conn.", "D.C.", "Del.", "Fla.", "Ga.", "Ill.",
    "Ind.", "Kan.", "Ky.", "La.", "Mass.", "Md.", "Mich.", "Minn.", "Miss.", "Mo.", "Mont.",
    "N.C.", "N.D.", "N.H.", "N.J.", "N.M.", "N.Y.", "Neb.", "Nev.", "Okla.", "Ore.", "Pa.",
    "R.I.", "S.C.", "S.D.", "Tenn.", "Va.", "Vt.", "W.Va.", "Wash.", "Wis.", "Wyo.",
))  # fmt: skip


def _dateline_pattern(agency: str | None, *, caps: bool) -> re.Pattern[str]:
    """Compile a dateline format: ``CITY[, Place[, Place]][, Month Day] [(AGENCY)] — text``."""
    agency_part = rf"\s*\((?P<agency>{agency})\)" if agency else ""
    # Without an agency a bare hyphen must be spaced: "UN-backed forces" is no dateline.
    separator = rf"\s*(?:--|[-{_DASHES}])\s*" if agency else rf"\s*(?:--|[{_DASHES}])\s*|\s+-\s+"
    return re.compile(
        rf"(?P<city>{_CAPS_CITY if caps else _CITY})"
        rf"(?:,\s*(?P<place1>{_PLACE}))?(?:,\s*(?P<place2>{_PLACE}))?"
        rf"(?:,\s*(?P<date>{_DATELINE_DATE}))?"
        rf"{agency_part}(?:{separator})(?P<rest>.*)"
    )


_AP_DATELINE = _dateline_pattern("AP", caps=False)
_REUTERS_DATELINE = _dateline_pattern("Reuters", caps=False)
_AFP_DATELINE = _dateline_pattern("AFP", caps=False)
_AGENCY_DATELINE = _dateline_pattern(
    r"[A-Z][A-Za-z.&'-]{1,20}(?: [A-Z][A-Za-z.&'-]*){0,2}|dpa", caps=True
)
_PLAIN_DATELINE = _dateline_pattern(None, caps=True)


def _dateline_date(text: str, stamp: dict[str, str] | None) -> tuple[str | None, str | None]:
    """Return the ISO date of a yearless ``Month Day`` (see the module notes) and a warning."""
    month_name, day_text = re.split(r"\s+", text.strip())
    if month_name[0].isdigit():
        month_name, day_text = day_text, month_name
    if stamp is None or "date" not in stamp:
        return None, f"dateline date {text!r} has no year: left out"
    reference = date.fromisoformat(stamp["date"])
    month, day = _month_number(month_name), int(day_text)
    try:
        found = date(reference.year, month, day)
        if found > reference:
            found = date(reference.year - 1, month, day)
    except ValueError:
        return None, f"dateline date {text!r} is not a date: left out"
    return found.isoformat(), None


def _place_case(text: str) -> str:
    # Keep short capitals and abbreviations (UK, N.Y.) as written.
    if "." in text or len(text) <= 3:
        return text
    return _title_case(text)


def _dateline_fields(match: re.Match[str], draft: Draft) -> dict[str, str]:
    fields = {"city": _title_case(match["city"])}
    places = [_place_case(place) for place in (match["place1"], match["place2"]) if place]
    if len(places) == 2:
        fields["region"], fields["country"] = places
    elif places:
        fields["region" if places[0] in _US_STATES else "country"] = places[0]
    if match.groupdict().get("agency"):
        fields["agency"] = match["agency"]
    if match["date"]:
        iso, warning = _dateline_date(match["date"], draft.stamp)
        if iso is not None:
            fields["date"] = iso
        if warning is not None:
            draft.warnings.append(warning)
    return fields


def _reads_as_sentence(draft: Draft, index: int, rest: str) -> bool:
    """Return whether ``rest`` opens a paragraph of prose, not an all-caps or headline line."""
    block = [
        line.text for line in draft.lines[index + 1 :] if line.block == draft.lines[index].block
    ]
    last = (block[-1] if block else rest).rstrip(_CLOSERS)
    # "OPEC -- the cartel said ..." is a sentence; a dateline opens with a capital.
    first = rest[:1]
    opens = first.isupper() or first.isdigit() or first in ('"', "\N{LEFT DOUBLE QUOTATION MARK}")
    return opens and any(c.islower() for c in rest) and last.endswith((".", "!", "?"))


def _find_dateline(draft: Draft, pattern: re.Pattern[str], *, prose: bool = False) -> bool:
    """Claim the first dateline matching ``pattern`` near the top of the copy.

    The prefix is cut from its paragraph; a dateline alone on its line (``WASHINGTON
    (AP) —``) claims the line and the next one opens the body. With ``prose`` the
    text after the dateline must read as a sentence and cannot be empty.
    """
    if draft.dateline is not None:
        return False
    candidates = list(draft.open_lines())
    for position, (index, line) in enumerate(candidates[:_DATELINE_WINDOW]):
        match = pattern.fullmatch(line.text)
        if match is None:
            continue
        rest = match["rest"]
        if prose and not _reads_as_sentence(draft, index, rest):
            continue
        if not rest and position + 1 >= len(candidates):
            continue
        draft.dateline = _dateline_fields(match, draft)
        if rest:
            line.text = rest
            draft.body_start = index
        else:
            line.claimed = True
            draft.body_start = candidates[position + 1][0]
        return True
    return False


def _ap_dateline(draft: Draft) -> bool:
    """``CITY[, State] (AP) — text``, or ``WASHINGTON (AP) —`` alone on its line."""
    return _find_dateline(draft, _AP_DATELINE)


def _reuters_dateline(draft: Draft) -> bool:
    """``CITY[, Country][, Month Day] (Reuters) - text``."""
    return _find_dateline(draft, _REUTERS_DATELINE)


def _afp_dateline(draft: Draft) -> bool:
    """``CITY[, Country] (AFP) - text``, usually with an en dash."""
    return _find_dateline(draft, _AFP_DATELINE)


def _agency_dateline(draft: Draft) -> bool:
    """``CITY[, Country] (UPI) - text``: another agency, the city in capitals."""
    return _find_dateline(draft, _AGENCY_DATELINE)


def _plain_dateline(draft: Draft) -> bool:
    """``CITY, Country -- text``: no agency, the city in capitals, prose after the dash."""
    return _find_dateline(draft, _PLAIN_DATELINE, prose=True)


# --- Headline --------------------------------------------------------------

_HEADLINE_MAX = 300
_ENDS_WITH_INITIALS = re.compile(r"(?:\b[A-Z]\.){2,}$")  # "… in the U.S." is still a headline


def _looks_like_headline(text: str) -> bool:
    """Return whether ``text`` is short and does not end like a sentence."""
    if len(text) > _HEADLINE_MAX or not any(c.isalpha() for c in text):
        return False
    bare = text.rstrip(_CLOSERS)
    return not bare.endswith(".") or bool(_ENDS_WITH_INITIALS.search(bare))


def _headline(draft: Draft) -> bool:
    """Take the first unclaimed line above the body as the headline if it looks like one."""
    candidates = list(draft.open_lines())
    if len(candidates) < 2:
        return False  # a lone line is the body, not a headline
    index, line = candidates[0]
    if draft.body_start is not None and index >= draft.body_start:
        return False
    if not _looks_like_headline(line.text):
        return False
    line.claimed = True
    draft.headline = line.text
    return True


#: The recognisers, in the order they run: each sees only what earlier ones left.
RECOGNISERS: tuple[tuple[str, Recogniser], ...] = (
    ("boilerplate", _boilerplate),
    ("stamp", _stamp),
    ("source_id", _source_id),
    ("byline", _byline),
    ("reuters_credits", _reuters_credits),
    ("ap_dateline", _ap_dateline),
    ("reuters_dateline", _reuters_dateline),
    ("afp_dateline", _afp_dateline),
    ("agency_dateline", _agency_dateline),
    ("plain_dateline", _plain_dateline),
    ("headline", _headline),
)


# --- Body ------------------------------------------------------------------

_MARKDOWN_INLINE = re.compile(r"([\\`*_])")
# Paragraph openings that Markdown would read as a heading, quote, list or fence.
_MARKDOWN_BLOCK = re.compile(r"^(?:#{1,6}(?=\s|$)|[-+](?=\s|$)|[>\[]|~~~|(\d{1,9})([.)])(?=\s|$))")


def _escape_markdown(paragraph: str) -> str:
    """Return ``paragraph`` as Markdown that renders as the same plain text."""
    text = _MARKDOWN_INLINE.sub(r"\\\1", paragraph).replace("](", "]\\(")
    return _MARKDOWN_BLOCK.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[0]}", text, count=1)


def _body(draft: Draft) -> str:
    """Return the unclaimed lines as Markdown paragraphs (see the module notes)."""
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
    draft = Draft(_split(_normalise(text)))
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
