"""Documents and bodies for the diff engine's tests: examples and Hypothesis strategies."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from cms.articles import diffs

#: Settings of the engine's property tests: more examples than the default, no deadline.
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def doc(**fields: Any) -> dict[str, Any]:
    """Return a canonical document (as ``Document.canonical()`` gives) with ``fields`` set."""
    base: dict[str, Any] = {
        "headline": "Council approves harbour plan",
        "deck": None,
        "slug": "council-harbour-plan",
        "dateline": {"city": "Portsmouth", "country": "UK"},
        "bylines": [{"name": "Ann Writer", "role": "staff"}],
        "section": "local",
        "keywords": ["harbour", "council"],
        "language": "en",
        "body": "",
    }
    return base | fields


# -- examples ---------------------------------------------------------------------------

ALPHA = "The council met on Tuesday evening to discuss the harbour."
BETA = "Residents raised concerns about traffic and noise near the quay."
GAMMA = "A final decision is expected before the end of the month."
DELTA = "The mayor declined to comment on the proposal."


# -- strategies -------------------------------------------------------------------------

WORDS = [
    *["the", "mayor", "said", "council", "harbour", "plan", "vote", "budget", "rain"],
    *["café", "naïve", "Zürich", "São", "Paulo", "Ærøskøbing", "façade"],
    "cafe\u0301",  # decomposed accent
    "Z\u0327\u0306",  # a letter with two combining marks
    *["مرحبا", "بالعالم", "السلام", "عليكم"],
    "مَرْحَبًا",
    *["שלום", "עולם"],
    "שָׁלוֹם",
    *[
        "👍",
        "👍🏽",
        "👩\u200d💻",
        "👨\u200d👩\u200d👧\u200d👦",
        "🏳️\u200d🌈",
        "❤️\u200d🔥",
        "🇫🇷",
        "🇯🇵",
        "#️⃣",
        "🤷🏿\u200d♀️",
    ],
    *["日本語の文章です", "中文测试句子", "한국어문장", "ภาษาไทยง่าย"],
    "ไม่",
    "กำลัง",  # Thai with combining vowels and tone marks
    "\u1100\u1161\u11a8",  # Hangul spelt with conjoining Jamo
    *["don't", "3.5%", "10:30", "1,000", "e.g.", "U.S."],
]
PUNCTUATION = [".", ",", ";", "!", "?", "«", "»", "—", "'", '"', "(", ")", "…", "*", "_", "#"]
GAPS = [" ", " ", " ", "  ", "\n", "\t", "\u00a0", ""]
SEPARATORS = ["\n\n", "\n\n", "\n\n", "\n\n\n", "\n \n", "\n\n\n\n", "\n\t\n"]

tokens = st.one_of(st.sampled_from(WORDS), st.sampled_from(PUNCTUATION))
paragraph = st.lists(
    st.tuples(tokens, st.sampled_from(GAPS)).map("".join), min_size=1, max_size=12
).map(lambda parts: "".join(parts).strip())


def join(paragraphs: list[str], separators: list[str]) -> str:
    """Return ``paragraphs`` joined, each after the first preceded by the next separator."""
    out = paragraphs[:1]
    for separator, text in zip(separators, paragraphs[1:], strict=False):
        out += [separator, text]
    return "".join(out)


@st.composite
def bodies(draw: st.DrawFn) -> str:
    paragraphs = draw(st.lists(paragraph, max_size=8))
    return join(paragraphs, draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(paragraphs))))


@st.composite
def edited(draw: st.DrawFn, body: str) -> str:
    """Return ``body`` with a few paragraph- and word-level edits."""
    paragraphs, seps = diffs.split_paragraphs(body)
    seps = [*seps, "\n\n"]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "move", "edit", "edit", "separator"]))
        at = draw(st.integers(0, max(len(paragraphs) - 1, 0)))
        if kind == "insert" or not paragraphs:
            paragraphs.insert(at, draw(paragraph))
            seps.insert(at, draw(st.sampled_from(SEPARATORS)))
        elif kind == "delete":
            del paragraphs[at], seps[at]
        elif kind == "move":
            text, sep = paragraphs.pop(at), seps.pop(at)
            to = draw(st.integers(0, len(paragraphs)))
            paragraphs.insert(to, text)
            seps.insert(to, sep)
        elif kind == "separator":
            seps[at] = draw(st.sampled_from(SEPARATORS))
        else:
            parts = diffs.tokenize(paragraphs[at])
            where = draw(st.integers(0, len(parts)))
            cut = draw(st.integers(0, 3))
            parts[where : where + cut] = draw(st.lists(st.sampled_from([*WORDS, " "]), max_size=3))
            paragraphs[at] = "".join(parts).strip() or "x"
    return join(paragraphs, seps)
