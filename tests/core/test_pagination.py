"""Keyset cursors: every item once, in order, whatever is added while paging."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cms.articles.models import Article
from cms.core.errors import ValidationFailed
from cms.core.pagination import SortKey, decode_cursor, encode_cursor, keyset_page
from tests import factories

NEWEST_FIRST = (SortKey(Article.updated_at), SortKey(Article.id))
OLDEST_SLUG_FIRST = (SortKey(Article.slug, descending=False), SortKey(Article.id))


def _walk(order, limit=2, added=None):
    """Return every page's items, calling ``added()`` after the first page."""
    seen, cursor = [], None
    while True:
        page = keyset_page(
            select(Article), order, limit=limit, cursor=cursor, list_name="articles"
        )
        seen.append([article.id for article in page["items"]])
        if added is not None and len(seen) == 1:
            added()
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


@pytest.fixture
def stories(session):
    author = factories.user()
    stories = [factories.article(author, slug=f"story-{n}") for n in range(5)]
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    for n, story in enumerate(stories):
        # Two stories share a timestamp, so the id must break the tie.
        story.updated_at = start + timedelta(minutes=min(n, 3))
    session.commit()
    return stories


def test_pages_follow_the_order_with_ties_broken_by_id(stories):
    pages = _walk(NEWEST_FIRST)
    expected = [s.id for s in sorted(stories, key=lambda s: (s.updated_at, s.id), reverse=True)]
    assert [item for page in pages for item in page] == expected
    assert [len(page) for page in pages] == [2, 2, 1]


def test_mixed_directions(stories):
    pages = _walk(OLDEST_SLUG_FIRST)
    assert [item for page in pages for item in page] == [s.id for s in stories]


def test_stories_added_while_paging_do_not_shift_later_pages(stories, session):
    def add_newer():
        newer = factories.article(factories.user(), slug="newer")
        newer.updated_at = datetime(2026, 12, 1, tzinfo=UTC)
        session.commit()

    pages = _walk(NEWEST_FIRST, added=add_newer)
    listed = [item for page in pages for item in page]
    assert sorted(listed) == sorted(s.id for s in stories)
    assert len(set(listed)) == len(listed)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "e30",  # {}
        encode_cursor("users", [1]),
        encode_cursor("articles", [1, 2, 3]),
        encode_cursor("articles", ["x", 2**70]),
    ],
)
def test_foreign_or_forged_cursors_are_refused(cursor):
    with pytest.raises(ValidationFailed):
        decode_cursor("articles", cursor, 2)


def test_a_cursor_round_trips_an_aware_time():
    moment = datetime(2026, 11, 30, 18, 0, 1, 123456, tzinfo=UTC)
    assert decode_cursor("articles", encode_cursor("articles", [moment, 7]), 2) == [moment, 7]
