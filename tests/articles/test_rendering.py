"""A body's HTML, the same whether rendered whole or block by block, and its text."""

from __future__ import annotations

from html.parser import HTMLParser

import nh3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from cms.articles import rendering
from cms.articles.rendering import render_markdown
from cms.articles.search.text import html_text

_whole = MarkdownIt("commonmark", {"html": False})


def rendered_whole(source: str) -> str:
    """The HTML of ``source`` rendered in one piece: what every body must come out as."""
    return nh3.clean(_whole.render(source))


#: Lines of every kind of block, and of the inline markup that could reach across blocks.
LINES = (
    "Prose of the story.",
    "“Quoted,” she said.",
    "(Parenthesis) opens it.",
    "'Single' quotes.",
    "Émile wrote *this*.",
    "Title",
    "===",
    "---",
    "***",
    "- item",
    "* item",
    "+ item",
    "1. item",
    "2) item",
    "  - nested item",
    "> quoted",
    ">",
    "# Heading",
    "    indented code",
    "\tcode after a tab",
    "```",
    "~~~",
    "[ref]",
    "[ref]: /url",
    '[link](/a "b>c")',
    "<b>raw</b> & <script>x</script>",
    "text ending with two spaces  ",
    "`code span",
    "*open emphasis",
    "close emphasis*",
    "1",
    "_under_",
    "   ",
    "",
)
SEPARATORS = ("\n", "\n\n", "\n \n", "\n\t\n", "\n\n\n", "\r\n\r\n", "\r\r")


@st.composite
def documents(draw) -> str:
    lines = draw(st.lists(st.sampled_from(LINES), min_size=1, max_size=12))
    parts = [lines[0]]
    for line in lines[1:]:
        parts.append(draw(st.sampled_from(SEPARATORS)))
        parts.append(line)
    return "".join(parts)


@given(documents())
def test_a_body_renders_as_if_whole(source):
    assert render_markdown(source) == rendered_whole(source)


@pytest.mark.parametrize(
    "source",
    [
        "- a\n\n- b",  # one loose list, not two tight ones
        "1. a\n\n2. b",
        "See [it].\n\n[it]: https://example.test/",
        "```\nfirst\n\nsecond\n```",
        "~~~\nfirst\n\nsecond\n~~~",
        "    code\n\n    more code",
        "> quote\n\n> more",
        "- item\n\n  continued in the item",
        "Prose\n\n<b>not html</b>",
        "Line\r\n\r\nNext\rline\0",
    ],
)
def test_bodies_whose_blocks_depend_on_each_other_render_whole(source):
    assert render_markdown(source) == rendered_whole(source)


def test_an_edit_of_one_paragraph_renders_only_that_paragraph():
    paragraphs = [f"Paragraph {n} of a story only this test tells." for n in range(30)]
    render_markdown("\n\n".join(paragraphs))
    before = rendering._render_kept.cache_info()

    paragraphs[7] = "A paragraph rewritten by this test."
    html = render_markdown("\n\n".join(paragraphs))

    after = rendering._render_kept.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 29)
    assert html == rendered_whole("\n\n".join(paragraphs))


def test_a_body_of_very_many_blocks_renders_whole_and_keeps_none():
    source = "\n\n".join(f"Paragraph {n}." for n in range(rendering.BLOCKS_MAX + 1))
    before = rendering._render_kept.cache_info()

    html = render_markdown(source)

    after = rendering._render_kept.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)
    assert html == rendered_whole(source)


def test_a_long_block_is_rendered_but_not_kept():
    long_paragraph = "word " * rendering.BLOCK_CACHE_MAX
    before = rendering._render_kept.cache_info()

    html = render_markdown(f"Short one.\n\n{long_paragraph}")

    after = rendering._render_kept.cache_info()
    assert after.misses + after.hits - before.misses - before.hits == 1
    assert html == rendered_whole(f"Short one.\n\n{long_paragraph}")


class _TextOnly(HTMLParser):
    """The standard library's reading of an HTML fragment's text, every tag a space."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")


@given(documents())
def test_the_text_of_a_rendered_body_is_what_an_html_parser_reads(source):
    parser = _TextOnly()
    parser.feed(render_markdown(source))
    parser.close()

    assert html_text(render_markdown(source)) == " ".join("".join(parser.parts).split())
