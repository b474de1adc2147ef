"""Highlighted fragments: the words around each match, escaped, with ellipses where cut."""

from __future__ import annotations

from cms.articles.search.syntax import ENGLISH, parse
from cms.articles.search.text import FRAGMENT_WORDS, LOOKAHEAD_WORDS, Matcher, fragments


def words(start: int, stop: int) -> list[str]:
    return [f"w{n}" for n in range(start, stop)]


def council() -> Matcher:
    return Matcher.of(parse("council"), ENGLISH)


def test_a_fragment_holds_the_words_either_side_of_its_match_with_ellipses_where_cut():
    text = " ".join([*words(0, 20), "Council", *words(20, 40)])

    [fragment] = fragments(text, council())

    kept = " ".join([*words(20 - FRAGMENT_WORDS, 20), "<mark>Council</mark>"])
    assert fragment == f"… {kept} {' '.join(words(20, 20 + FRAGMENT_WORDS))} …"


def test_a_match_near_either_end_is_not_cut_there():
    assert fragments("Council meets today.", council()) == ["<mark>Council</mark> meets today"]
    text = " ".join([*words(0, 30), "councils."])

    [fragment] = fragments(text, council())

    assert fragment == f"… {' '.join(words(30 - FRAGMENT_WORDS, 30))} <mark>councils</mark>"


def test_the_next_fragment_starts_after_the_last_and_may_share_its_context():
    text = " ".join(["council", *words(0, 14), "council", *words(14, 20)])

    first, second = fragments(text, council())

    assert first == f"<mark>council</mark> {' '.join(words(0, FRAGMENT_WORDS))} …"
    # Its match comes two words after the first fragment ends; its context reaches back.
    assert second == f"… {' '.join(words(2, 14))} <mark>council</mark> {' '.join(words(14, 20))}"


def test_only_so_many_fragments_and_none_without_a_match():
    text = " ".join(["council", *words(0, 30)] * 4)

    assert len(fragments(text, council())) == 2
    assert len(fragments(text, council(), count=3)) == 3
    assert fragments(" ".join(words(0, 500)), council()) == []


def test_everything_but_the_marks_is_escaped():
    [fragment] = fragments('<b>"Tom & Jerry"</b> at the council', council())

    # From the first word to the last: the markup around them is text, escaped.
    assert fragment == "b&gt;&quot;Tom &amp; Jerry&quot;&lt;/b&gt; at the <mark>council</mark>"


def test_a_match_far_down_a_long_text_is_found():
    far = LOOKAHEAD_WORDS + 100
    text = " ".join([*words(0, far), "council", *words(far, far + 3)])

    [fragment] = fragments(text, council())

    assert fragment.endswith(f"<mark>council</mark> {' '.join(words(far, far + 3))}")
