"""Wire copy to structured drafts: one fixture per format (:mod:`tests.ingest.wire_copy`),
run through every recogniser; then each part of a story's head, and copy made at random.

All stories here are invented; names, places and events are fictional.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from cms.ingest.parser import RECOGNISERS, ParsedStory, parse
from tests.ingest.wire_copy import EM_DASH, EN_DASH, FIXTURES, NBSP, Case, ap, reuters

SEED = Path("/work/shared/seed/wire-story.txt")


@pytest.mark.parametrize("case", FIXTURES, ids=[case.id for case in FIXTURES])
def test_fixture(case: Case) -> None:
    story = parse(case.raw)

    for name, expected in case.expected.items():
        assert getattr(story, name) == expected, name


def test_every_recogniser_is_exercised_by_a_fixture() -> None:
    names = [name for name, _recognise in RECOGNISERS]
    matched = {name for case in FIXTURES for name in parse(case.raw).recognisers}

    assert len(set(names)) == len(names)
    assert matched == set(names)


def test_escaped_body_renders_as_the_plain_paragraphs() -> None:
    paragraphs = [
        "#SaveThePicturehouse got *five* stars_ and a `tick`.",
        "# of donors: 1,204",
        "- Tickets go on sale on Friday.",
        "1. The cinema opens again in May.",
        "> Quoted [link](http://example.com) and a back\\slash.",
        "[note]: http://example.com",
    ]
    story = parse("Headline Here\n\n" + "\n\n".join(paragraphs))

    tokens = MarkdownIt("commonmark").parse(story.body)
    assert [token.type for token in tokens] == [
        "paragraph_open",
        "inline",
        "paragraph_close",
    ] * len(paragraphs)
    inline = [token for token in tokens if token.type == "inline"]
    rendered = ["".join(child.content for child in token.children or ()) for token in inline]
    assert rendered == paragraphs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (". Last Updated: 07/27/2016", {"text": "Last Updated: 07/27/2016", "date": "2016-07-27"}),
        ("Last Updated: 27/07/2016", {"text": "Last Updated: 27/07/2016", "date": "2016-07-27"}),
        (
            "Updated 4:12 PM EDT, March 3, 2024",
            {
                "text": "Updated 4:12 PM EDT, March 3, 2024",
                "date": "2024-03-03",
                "datetime": "2024-03-03T16:12:00-04:00",
                "timezone": "EDT",
            },
        ),
        (
            "Updated: July 9, 2024 10 a.m. ET",
            {
                "text": "Updated: July 9, 2024 10 a.m. ET",
                "date": "2024-07-09",
                "datetime": "2024-07-09T10:00:00-04:00",
                "timezone": "ET",
            },
        ),
        (
            "Updated: Jan. 15, 2024 12:30 p.m. PT",
            {
                "text": "Updated: Jan. 15, 2024 12:30 p.m. PT",
                "date": "2024-01-15",
                "datetime": "2024-01-15T12:30:00-08:00",
                "timezone": "PT",
            },
        ),
        (
            "Last updated 14 May 2024 08:30 BST",
            {
                "text": "Last updated 14 May 2024 08:30 BST",
                "date": "2024-05-14",
                "datetime": "2024-05-14T08:30:00+01:00",
                "timezone": "BST",
            },
        ),
        (
            "| Updated 2024-11-05T18:45 UTC",
            {
                "text": "Updated 2024-11-05T18:45 UTC",
                "date": "2024-11-05",
                "datetime": "2024-11-05T18:45:00+00:00",
                "timezone": "UTC",
            },
        ),
    ],
)
def test_stamp(line: str, expected: dict[str, str]) -> None:
    story = parse(f"{line}\n\nHeadline Here\n\nA paragraph of text.")

    assert story.stamp == expected
    assert story.recognisers[0] == "stamp"


@pytest.mark.parametrize(
    ("line", "warning"),
    [
        ("Updated: 4:12 p.m. March 3, 2024", "stamp time has no time zone"),
        ("Last Updated: 02/30/2024", "stamp date not understood"),
        ("Updated: a while ago", "stamp date not understood"),
    ],
)
def test_stamp_that_is_only_partly_understood_is_kept_and_reported(
    line: str, warning: str
) -> None:
    story = parse(f"{line}\n\nHeadline Here\n\nA paragraph of text.")

    assert story.stamp is not None
    assert story.stamp["text"] == line
    assert "datetime" not in story.stamp
    assert any(text.startswith(warning) for text in story.warnings)


@pytest.mark.parametrize(
    ("first_paragraph", "dateline", "body"),
    [
        ("PARIS -- Rain fell.", {"city": "Paris"}, "Rain fell."),
        ("PARIS--Rain fell.", {"city": "Paris"}, "Rain fell."),
        (f"PARIS {EM_DASH} Rain fell.", {"city": "Paris"}, "Rain fell."),
        (f"PARIS{EN_DASH}Rain fell.", {"city": "Paris"}, "Rain fell."),
        ("PARIS - Rain fell.", {"city": "Paris"}, "Rain fell."),
        ("PARIS (AP)-Rain fell.", {"city": "Paris", "agency": "AP"}, "Rain fell."),
        (
            "ST. LOUIS, Mo. (AP) -- Rain fell.",
            {"city": "St. Louis", "region": "Mo.", "agency": "AP"},
            "Rain fell.",
        ),
        (
            "WINSTON-SALEM, N.C. (AP) -- Rain fell.",
            {"city": "Winston-Salem", "region": "N.C.", "agency": "AP"},
            "Rain fell.",
        ),
        (
            f"N'DJAMENA, Chad (AFP) {EN_DASH} Rain fell.",
            {"city": "N'Djamena", "country": "Chad", "agency": "AFP"},
            "Rain fell.",
        ),
        (
            "RIO DE JANEIRO (Reuters) - Rain fell.",
            {"city": "Rio de Janeiro", "agency": "Reuters"},
            "Rain fell.",
        ),
        (
            "AUSTIN, Texas (AP) -- Rain fell.",
            {"city": "Austin", "region": "Texas", "agency": "AP"},
            "Rain fell.",
        ),
        (
            "KAZAN, Tatarstan, Russia (Reuters) - Rain fell.",
            {"city": "Kazan", "region": "Tatarstan", "country": "Russia", "agency": "Reuters"},
            "Rain fell.",
        ),
        (
            f"ABIDJAN, Côte d'Ivoire (AFP) {EN_DASH} Rain fell.",
            {"city": "Abidjan", "country": "Côte d'Ivoire", "agency": "AFP"},
            "Rain fell.",
        ),
        (
            "McALLEN, Texas (AP) -- Rain fell.",
            {"city": "McAllen", "region": "Texas", "agency": "AP"},
            "Rain fell.",
        ),
        # Ordinary sentences: no capitals city, no agency, or no prose after the dash.
        ("Paris -- Rain fell.", None, "Paris -- Rain fell."),
        ("UN-backed forces entered the town.", None, "UN-backed forces entered the town."),
        ("NASA -- the space agency -- said so.", None, "NASA -- the space agency -- said so."),
        ("The mayor (pictured) - smiled.", None, "The mayor (pictured) - smiled."),
    ],
)
def test_dateline(first_paragraph: str, dateline: dict[str, str] | None, body: str) -> None:
    story = parse(f"Headline Here\n\n{first_paragraph}")

    assert story.dateline == dateline
    assert story.body == body


@pytest.mark.parametrize(
    ("line", "bylines"),
    [
        ("By Jane Roe", [{"name": "Jane Roe", "role": "reporter"}]),
        (
            "BY ANGUS MCDONALD and ANA DE LA CRUZ",
            [
                {"name": "Angus McDonald", "role": "reporter"},
                {"name": "Ana de la Cruz", "role": "reporter"},
            ],
        ),
        ("By Jane Roe | Reuters", [reuters("Jane Roe", "reporter")]),
        (
            "By Ali Kaya, Sam Ode, and Lu Wen, AFP",
            [
                {"name": name, "role": "reporter", "affiliation": "AFP"}
                for name in ("Ali Kaya", "Sam Ode", "Lu Wen")
            ],
        ),
        ("By Siobhán O'Donnell, Associated Press", [ap("Siobhán O'Donnell")]),
        ("By the time the polls closed, turnout was high.", []),
        ("By Monday Night", []),
    ],
)
def test_byline(line: str, bylines: list[dict[str, str]]) -> None:
    story = parse(f"Headline Here\n\n{line}\n\nA paragraph of text.")

    assert story.bylines == bylines
    assert (line in story.body) is not bylines


def test_empty_copy_gives_an_empty_draft_with_warnings() -> None:
    story = parse(" \r\n\t\n")

    assert story == ParsedStory(
        headline=None,
        dateline=None,
        bylines=[],
        stamp=None,
        body="",
        dropped=[],
        warnings=[
            "no headline found",
            "no dateline found",
            "no byline found",
            "no body text found",
        ],
        source_id=None,
        recognisers=[],
    )


def test_text_between_headline_and_dateline_stays_in_the_body_with_a_warning() -> None:
    story = parse(
        "Headline Here\n\nA deck line that explains the story\n\nOSLO (AP) -- Snow fell.\n"
    )

    assert story.headline == "Headline Here"
    assert story.body == "A deck line that explains the story\n\nSnow fell."
    assert story.warnings == [
        "text above the dateline kept in the body: 'A deck line that explains the story'",
        "no byline found",
    ]


# Pieces of wire copy and of junk, shuffled into random copy below.
FRAGMENTS = [
    "\r\n", "\r", "\n\n\n", NBSP, "\t", "\u200b", "\x00", " ", "--", EN_DASH, EM_DASH,
    "By ", "Jane Roe", " and ", ", ", "(AP)", "(Reuters)", "LONDON", "SÃO PAULO", "Updated: ",
    "Last Updated: 13/45/2016", "4:12 PM EDT", "March 3, 2024", "Reporting by ", "; Editing by ",
    "Advertisement", "Copyright", "ID: ", "#", "*", "1. ", "text.", "Headline", "\U0001f600",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(200))
def test_parse_never_fails_and_body_has_clean_line_endings(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(60)))

    story = parse(text)

    assert "\r" not in story.body
    assert story.body == story.body.strip()
    assert "\n\n\n" not in story.body
    assert all(line.strip() == line for line in story.body.split("\n"))


@pytest.mark.skipif(not SEED.exists(), reason="seed wire story not present")
def test_seed_wire_story() -> None:
    story = parse(SEED.read_text(encoding="utf-8"))

    assert story.headline == "Presidential Forces Hit Back in Tajikistan"
    assert story.dateline == {"city": "Dushanbe", "country": "Tajikistan"}
    assert story.stamp is not None
    assert story.stamp["date"] == "2016-07-27"
    assert len(story.dropped) == 1
    assert story.dropped[0].startswith("Get the latest updates")
    assert story.body.startswith("Tajik presidential forces")
    assert "Last Updated" not in story.body
    assert "--" not in story.body.split("\n\n")[0]
