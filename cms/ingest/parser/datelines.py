"""Datelines: ``CITY, Place (AGENCY) — text`` near the top of the copy, in five formats.

One pattern builder serves the AP, Reuters, AFP, other-agency and agency-less
formats, each a recogniser of its own. The prefix is cut from the first body
paragraph; places become region or country, and a yearless Reuters date takes
the year of the stamp.
"""

from __future__ import annotations

import re
from datetime import date

from cms.ingest.parser.draft import Draft
from cms.ingest.parser.text import (
    APOSTROPHES,
    CLOSERS,
    DASHES,
    LETTER,
    MONTH,
    PARTICLE,
    UPPER,
    UPPER_CHARS,
    month_number,
    title_case,
)

_CAPS_WORD = f"{UPPER}[{UPPER_CHARS}{APOSTROPHES}.]*"
_CAPS_CITY = rf"{_CAPS_WORD}(?:[ -]{_CAPS_WORD}){{0,4}}"
_WORD = rf"{UPPER}(?:{LETTER}|[{APOSTROPHES}.])*"
_CITY = rf"{_WORD}(?:[ -](?:{_WORD}|{PARTICLE})){{0,4}}"
_PLACE = rf"{_WORD}(?:[ -](?:{_WORD}|{PARTICLE}|d[{APOSTROPHES}]{_WORD})){{0,4}}"
_DATELINE_DATE = rf"{MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{MONTH}"
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
    separator = rf"\s*(?:--|[-{DASHES}])\s*" if agency else rf"\s*(?:--|[{DASHES}])\s*|\s+-\s+"
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
    """Return the ISO date of a yearless ``Month Day`` (see the package notes) and a warning."""
    month_name, day_text = re.split(r"\s+", text.strip())
    if month_name[0].isdigit():
        month_name, day_text = day_text, month_name
    if stamp is None or "date" not in stamp:
        return None, f"dateline date {text!r} has no year: left out"
    reference = date.fromisoformat(stamp["date"])
    month, day = month_number(month_name), int(day_text)
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
    return title_case(text)


def _dateline_fields(match: re.Match[str], draft: Draft) -> dict[str, str]:
    fields = {"city": title_case(match["city"])}
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
    last = (block[-1] if block else rest).rstrip(CLOSERS)
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


def recognise_ap_dateline(draft: Draft) -> bool:
    """``CITY[, State] (AP) — text``, or ``WASHINGTON (AP) —`` alone on its line."""
    return _find_dateline(draft, _AP_DATELINE)


def recognise_reuters_dateline(draft: Draft) -> bool:
    """``CITY[, Country][, Month Day] (Reuters) - text``."""
    return _find_dateline(draft, _REUTERS_DATELINE)


def recognise_afp_dateline(draft: Draft) -> bool:
    """``CITY[, Country] (AFP) - text``, usually with an en dash."""
    return _find_dateline(draft, _AFP_DATELINE)


def recognise_agency_dateline(draft: Draft) -> bool:
    """``CITY[, Country] (UPI) - text``: another agency, the city in capitals."""
    return _find_dateline(draft, _AGENCY_DATELINE)


def recognise_plain_dateline(draft: Draft) -> bool:
    """``CITY, Country -- text``: no agency, the city in capitals, prose after the dash."""
    return _find_dateline(draft, _PLAIN_DATELINE, prose=True)
