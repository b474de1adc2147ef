"""The table of recognisers, in the order they run, and the three that need no room of their own.

Boilerplate (site chrome and agency marks), the agency's source id and the
headline are each one kind of line; stamps, bylines and datelines live in
their own modules. Adding a format means adding a recogniser to
:data:`RECOGNISERS`, and fixtures to the tests.
"""

from __future__ import annotations

import re

from cms.ingest.parser.bylines import recognise_byline, recognise_reuters_credits
from cms.ingest.parser.datelines import (
    recognise_afp_dateline,
    recognise_agency_dateline,
    recognise_ap_dateline,
    recognise_plain_dateline,
    recognise_reuters_dateline,
)
from cms.ingest.parser.draft import Draft, Recogniser
from cms.ingest.parser.stamps import recognise_stamp
from cms.ingest.parser.text import CLOSERS, DASHES

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
        rf"-30-|#{{2,}}|\((?:end|more)\)|[-*=_~{DASHES} ]{{3,}}",
        # Breadcrumbs such as "Home | World | Asia".
        r"[^|>\u203a\u00bb]{1,30}(?:\s[|>\u203a\u00bb]\s[^|>\u203a\u00bb]{1,30}){2,}",
    )
)
_BOILERPLATE_MAX = 200  # chrome is short; a long line is a paragraph


def recognise_boilerplate(draft: Draft) -> bool:
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


_SOURCE_ID = re.compile(r"(?:id|slug|story[ -]?id)\s*:\s*(?P<value>\S.{0,119})", re.IGNORECASE)


def recognise_source_id(draft: Draft) -> bool:
    """Take the first ``ID: …`` or ``Slug: …`` line as the agency's id."""
    for _index, line in draft.open_lines():
        match = _SOURCE_ID.fullmatch(line.text)
        if match is not None:
            line.claimed = True
            draft.source_id = match["value"]
            return True
    return False


_HEADLINE_MAX = 300
_ENDS_WITH_INITIALS = re.compile(r"(?:\b[A-Z]\.){2,}$")  # "… in the U.S." is still a headline


def _looks_like_headline(text: str) -> bool:
    """Return whether ``text`` is short and does not end like a sentence."""
    if len(text) > _HEADLINE_MAX or not any(c.isalpha() for c in text):
        return False
    bare = text.rstrip(CLOSERS)
    return not bare.endswith(".") or bool(_ENDS_WITH_INITIALS.search(bare))


def recognise_headline(draft: Draft) -> bool:
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
    ("boilerplate", recognise_boilerplate),
    ("stamp", recognise_stamp),
    ("source_id", recognise_source_id),
    ("byline", recognise_byline),
    ("reuters_credits", recognise_reuters_credits),
    ("ap_dateline", recognise_ap_dateline),
    ("reuters_dateline", recognise_reuters_dateline),
    ("afp_dateline", recognise_afp_dateline),
    ("agency_dateline", recognise_agency_dateline),
    ("plain_dateline", recognise_plain_dateline),
    ("headline", recognise_headline),
)
