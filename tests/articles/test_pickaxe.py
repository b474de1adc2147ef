"""The pickaxe: `revisions?contains=` lists revisions that changed how often a phrase occurs."""

from __future__ import annotations

import pytest

from cms.articles import operations
from cms.core.extensions import db
from tests import factories


@pytest.fixture
def story(reporter):
    return factories.article(reporter, body="Cranes stood still on Monday.")


def _edit(article, author, message=None, **changes):
    edited, _created = operations.edit_article(article, article.etag, changes, author, message)
    db.session.commit()
    return edited


def _pickaxe(client, user, article, phrase, **query):
    response = client.get(
        f"/api/v1/articles/{article.id}/revisions",
        query_string={"contains": phrase, **query},
        headers=factories.auth(user),
    )
    assert response.status_code == 200, response.json
    return response.json


def _changes(listing):
    return [
        (item["number"], item["occurrences"]["before"], item["occurrences"]["after"])
        for item in listing["items"]
    ]


def test_appear_remove_reappear_with_who_when_and_why(client, reporter, editor, story):
    story = _edit(story, reporter, "Add the vote", body="Cranes stood still. The vote closes.")
    story = _edit(story, editor, "Trim", body="Cranes stood still.")
    story = _edit(story, reporter, headline="Dockworkers vote")  # no body change: 4
    story = _edit(story, reporter, "Vote back", body="Cranes stood still. The vote closes.")

    listing = _pickaxe(client, editor, story, "The vote closes")

    assert _changes(listing) == [(5, 0, 1), (3, 1, 0), (2, 0, 1)]
    removed = listing["items"][1]
    assert removed["author"] == {"id": editor.id, "name": editor.name}
    assert removed["message"] == "Trim"
    assert removed["created_at"]
    assert listing["next_cursor"] is None


def test_the_first_revision_counts_from_zero_and_counts_are_per_occurrence(
    client, reporter, story
):
    story = _edit(story, reporter, body="Cranes. Cranes. Cranes stood still on Monday.")

    assert _changes(_pickaxe(client, reporter, story, "Cranes")) == [(2, 1, 3), (1, 0, 1)]
    assert _changes(_pickaxe(client, reporter, story, "CRANES")) == []  # case-sensitive


def test_headline_and_deck_are_searched_too(client, reporter, story):
    story = _edit(story, reporter, headline="Monday: cranes idle", deck="Monday again")

    assert _changes(_pickaxe(client, reporter, story, "Monday")) == [(2, 1, 3), (1, 0, 1)]


def test_a_phrase_built_over_two_edits_appears_when_it_is_complete(client, reporter, story):
    story = _edit(story, reporter, body="Cranes stood still on Monday. The port")
    story = _edit(story, reporter, body="Cranes stood still on Monday. The port was closed.")

    assert _changes(_pickaxe(client, reporter, story, "Monday. The port was")) == [(3, 0, 1)]


def test_unicode_phrases_count_characters_not_bytes(client, reporter, story):
    story = _edit(story, reporter, body="Zürich café — «Œuvre» 東京 café. Zürich café")
    story = _edit(story, reporter, body="Zürich café — «Œuvre» 東京.")

    assert _changes(_pickaxe(client, reporter, story, "Zürich café")) == [
        (3, 2, 1),
        (2, 0, 2),
    ]
    assert _changes(_pickaxe(client, reporter, story, "東京")) == [(2, 0, 1)]
    assert _changes(_pickaxe(client, reporter, story, "Zurich cafe")) == []


@pytest.mark.parametrize("phrase", ["50%", "a_b", "%", "_", "\\", "'; --", "[x]*"])
def test_sql_wildcards_and_quotes_are_plain_characters(client, reporter, story, phrase):
    story = _edit(story, reporter, body=f"Cranes stood still. Prices 50 off ab {phrase} x")

    assert _changes(_pickaxe(client, reporter, story, phrase)) == [(2, 0, 1)]


def test_matches_are_paged_by_cursor_while_revisions_are_added(client, reporter, story):
    for n in range(1, 7):
        story = _edit(story, reporter, body="Cranes stood still." + " Vote." * n)

    first = _pickaxe(client, reporter, story, "Vote.", limit=4)
    story = _edit(story, reporter, body="Cranes stood still.")  # newer: not on later pages
    second = _pickaxe(client, reporter, story, "Vote.", limit=4, cursor=first["next_cursor"])

    assert [n for n, _b, _a in _changes(first)] == [7, 6, 5, 4]
    assert _changes(second) == [(3, 1, 2), (2, 0, 1)]
    assert second["next_cursor"] is None


def test_a_body_shared_by_many_revisions_is_counted_once_per_revision(client, reporter, story):
    story = _edit(story, reporter, body="The vote.")
    for n in range(3):
        story = _edit(story, reporter, headline=f"Headline {n}")

    assert _changes(_pickaxe(client, reporter, story, "The vote")) == [(2, 0, 1)]


@pytest.mark.parametrize("phrase", ["", " ", "\u200b", "x" * 201, "nul\x00", "bell\x07"], ids=repr)
def test_bad_phrases_are_422(client, reporter, story, phrase):
    response = client.get(
        f"/api/v1/articles/{story.id}/revisions",
        query_string={"contains": phrase},
        headers=factories.auth(reporter),
    )

    assert response.status_code == 422
    assert "contains" in response.json["errors"]["query"]


def test_a_phrase_of_200_characters_is_fine(client, reporter, story):
    phrase = "é" * 200
    story = _edit(story, reporter, body=phrase)

    assert _changes(_pickaxe(client, reporter, story, phrase)) == [(2, 0, 1)]
