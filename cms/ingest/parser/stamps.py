"""The "Updated" stamp: finding it, and reading its date, clock time and time zone.

Numeric dates are read US style (``07/27/2016`` is July 27) unless the first
number cannot be a month; a time counts only with a zone, from a fixed
abbreviation (``EDT``) or a generic US one (``ET``, standard or daylight time
by the date).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from cms.ingest.parser.draft import Draft
from cms.ingest.parser.text import MONTH, month_number

_STAMP = re.compile(
    rf"[^\w\s]*\s*(?P<text>(?:last\s+)?updated\b"
    rf"(?:\s*:|(?=\s+(?:on\b|at\b|\d|{MONTH})))\s*(?P<rest>.*))",
    re.IGNORECASE,
)
_STAMP_MAX = 100
_DATE_PATTERNS = (
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:T(?=\d))?"),
    re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\b"),
    re.compile(
        rf"\b(?P<mon>{MONTH})\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{MONTH}),?\s+(?P<y>\d{{4}})\b",
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
        month = month_number(match["mon"]) if "mon" in match.re.groupindex else int(match["m"])
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


def recognise_stamp(draft: Draft) -> bool:
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
