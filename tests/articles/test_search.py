"""Full-text search in the editors' list: the documented cases, filters, facets, bad input.

Every test runs on SQLite (FTS5) and on PostgreSQL (tsvector); the documented
cases are one table, so both databases are held to the same answers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import make_url, select

from cms.articles import listing
from cms.articles.search import query as search_query
from cms.articles.search.index import reindex
from cms.articles.search.syntax import ENGLISH, ENGLISH_STOP_WORDS, Term, for_config, parse
from cms.config import engine_options
from cms.core.extensions import db
from cms.core.types import utcnow
from tests import factories
from tests.conftest import make_test_app
from tests.databases import recorded_statements

PLAIN = {"deck": None, "dateline": None, "bylines": [], "keywords": [], "section": None}


def story(author, headline: str, body: str = "", **fields: Any):
    """Create a story with only the text given (no default deck, byline or keywords)."""
    return factories.article(author, **{**PLAIN, "headline": headline, "body": body, **fields})


@pytest.fixture
def newsroom(reporter) -> dict[str, int]:
    """A small archive, by name: what the documented cases search."""
    stories = {
        "council": story(
            reporter, "City council approves budget", "The city council met.", section="local"
        ),
        "reversed": story(reporter, "A council for the whole city", "Council of the city."),
        "budget_free": story(
            reporter, "Council picks a new chair", "Without money talk.", section="local"
        ),
        "tram": story(reporter, "Tram drivers strike", "No trams on Tuesday.", section="world"),
        "harvest": story(reporter, "Apricot harvest cut by frost", "Orchards lost half."),
        "election": story(
            reporter, "The election in Dushanbe", "Turnout was high.", section="world"
        ),
        "zurich": story(reporter, "Zürich café owners protest", "Rents in Zürich rose."),
        "cafe_plain": story(reporter, "Zurich cafe reopens", "Plain letters."),
        "tajik": story(reporter, "Tajik border reopens", "Trade resumes."),
        "kayak": story(reporter, "Kayak race on the lake", "The city kayak club won."),
        "german": story(
            reporter, "Die Wahlen in Sachsen", "Stimmen werden gezählt.", language="de"
        ),
        "french": story(
            reporter, "Les élections municipales", "Le vote a eu lieu.", language="fr"
        ),
        "frost_headline": story(reporter, "Frost warning for the valley", "Growers prepare."),
        "frost_body": story(
            reporter,
            "Growers prepare for the night",
            "A frost warning: growers expect frost in the valley tonight and tomorrow.",
        ),
    }
    return {name: article.id for name, article in stories.items()}


def search(client, user, **args: Any) -> Any:
    response = client.get(f"/api/v1/articles?{urlencode(args)}", headers=factories.auth(user))
    assert response.status_code == 200, response.json
    return response.json


def found(client, user, **args: Any) -> list[int]:
    return [item["id"] for item in search(client, user, **args)["items"]]


#: (case, arguments, stories found — in this order when ``ordered``, else any order).
DOCUMENTED = [
    ("phrase", {"q": '"city council"'}, ["council"], False),
    ("words in any order", {"q": "city council "}, ["council", "reversed"], False),
    ("-word excludes", {"q": "council -budget"}, ["reversed", "budget_free"], False),
    ("OR", {"q": "tram OR harvest"}, ["tram", "harvest"], False),
    # The French story has the very word (accents aside), not a stem of it.
    ("stemming: elections finds election", {"q": "elections "}, ["election", "french"], False),
    ("stemming the other way", {"q": "strikes "}, ["tram"], False),
    ("accents ignored in the query", {"q": "zurich cafe "}, ["zurich", "cafe_plain"], False),
    ("accents ignored in the story", {"q": "Zürich Café "}, ["zurich", "cafe_plain"], False),
    ("prefix as you type", {"q": "Taj"}, ["tajik"], False),
    ("no prefix after a space", {"q": "Taj "}, [], False),
    # Porter stems "kay" to "kai": the prefix is looked up unstemmed.
    ("a prefix the stemmer would change", {"q": "kay"}, ["kayak"], False),
    ("a prefix after other words", {"q": "city kay"}, ["kayak"], False),
    ("a prefix or a word", {"q": "tram OR kay"}, ["tram", "kayak"], False),
    ("a prefix and an excluded word", {"q": "-lake kay"}, [], False),
    ("a stop word with an accent is a stop word", {"q": "Ì tram "}, ["tram"], False),
    ("other languages: simple, exact words", {"q": "wahlen "}, ["german"], False),
    ("other languages: not stemmed", {"q": "wahl "}, [], False),
    ("other languages: accents ignored", {"q": "elections municipales"}, ["french"], False),
    (
        "ranking: headline above body",
        {"q": "frost warning"},
        ["frost_headline", "frost_body"],
        True,
    ),
    ("filters with q", {"q": "council", "section": "local"}, ["council", "budget_free"], False),
    ("only stop words find nothing", {"q": "the of "}, [], False),
    ("only excluded words find nothing", {"q": "-council"}, [], False),
]


@pytest.mark.parametrize(
    ("args", "expected", "ordered"), [c[1:] for c in DOCUMENTED], ids=[c[0] for c in DOCUMENTED]
)
def test_documented_cases(client, reporter, newsroom, args, expected, ordered):
    ids = found(client, reporter, **args)

    wanted = [newsroom[name] for name in expected]
    assert sorted(ids) == sorted(wanted)
    if ordered:
        assert ids == wanted


def test_a_headline_match_ranks_above_body_matches(client, reporter):
    older = story(reporter, "Harbour report", "The quay was busy.")
    body_once = story(reporter, "Weekly report", "A quay closed.")
    body_often = story(reporter, "Monthly report", "Quay, quay, quay: quays everywhere.")
    headline = story(reporter, "Quay reopens", "Boats are back.")

    ids = found(client, reporter, q="quay ")

    assert ids[0] == headline.id
    assert set(ids[1:]) == {older.id, body_once.id, body_often.id}


def test_hits_carry_escaped_highlights(client, reporter):
    story(reporter, "<b>Tram</b> & bus strike", "Drivers of trams <script>x</script> met.")

    [hit] = search(client, reporter, q="tram")["items"]

    assert hit["highlights"]["headline"] == (
        "&lt;b&gt;<mark>Tram</mark>&lt;/b&gt; &amp; bus strike"
    )
    [fragment] = hit["highlights"]["fragments"]
    assert "<mark>trams</mark>" in fragment
    assert "<script>" not in fragment


def test_search_follows_the_head_in_the_same_transaction(client, reporter):
    article = story(reporter, "Quiet harbour", "Nothing moves.")
    headers = factories.auth(reporter)

    client.patch(
        f"/api/v1/articles/{article.id}",
        json={"headline": "Busy harbour", "body": "Cranes swing again."},
        headers={**headers, "If-Match": article.etag},
    )

    assert found(client, reporter, q="cranes") == [article.id]
    assert found(client, reporter, q="quiet ") == []


def test_highlights_read_the_texts_not_the_vectors(client, reporter, editor):
    """A hit's highlights need its texts; a body's tsvector, read back as text, cost more
    than the rest of the statement."""
    factories.published(story(reporter, "Harbour cranes idle", "The harbour is quiet."), editor)
    _, key = factories.partner()

    with recorded_statements(db.engine) as statements:
        editors = search(client, reporter, q="harbour")
        partners = client.get("/content/v1/search?q=harbour", headers=factories.partner_auth(key))

    assert editors["items"][0]["highlights"]["headline"] == "<mark>Harbour</mark> cranes idle"
    assert partners.status_code == 200, partners.json
    assert partners.json["items"][0]["highlights"]["headline"] == (
        "<mark>Harbour</mark> cranes idle"
    )
    read_back = [sql for sql in statements if "search_documents.body" in sql]
    assert len(read_back) == 2
    assert not [sql for sql in read_back if "search_documents.tsv" in sql]


def test_bylines_and_keywords_follow_the_head_and_are_rewritten_only_when_changed(
    client, reporter
):
    article = story(
        reporter, "Port strike", bylines=[{"name": "Rita Reporter"}], keywords=["Ports"]
    )
    headers = factories.auth(reporter)

    def edit(etag: str, changes: dict[str, Any]) -> tuple[str, list[str]]:
        with recorded_statements(db.engine) as statements:
            response = client.patch(
                f"/api/v1/articles/{article.id}",
                json=changes,
                headers={**headers, "If-Match": etag},
            )
        assert response.status_code == 200, response.json
        return response.headers["ETag"], statements

    etag, body_edit = edit(article.etag, {"body": "Cranes idle."})
    assert not [sql for sql in body_edit if "search_labels" in sql]
    assert found(client, reporter, keyword="ports", byline="rita reporter") == [article.id]

    etag, keyword_edit = edit(etag, {"keywords": ["Harbours"]})
    assert [sql for sql in keyword_edit if "search_labels" in sql]
    assert found(client, reporter, keyword="ports") == []
    assert found(client, reporter, keyword="harbours", byline="rita reporter") == [article.id]

    restored = client.post(
        f"/api/v1/articles/{article.id}/revisions/1/restore",
        headers={**headers, "If-Match": etag},
    )
    assert restored.status_code == 200, restored.json
    assert found(client, reporter, keyword="ports") == [article.id]
    assert found(client, reporter, keyword="harbours") == []


def test_a_search_in_a_section_follows_the_story_to_its_new_section(client, reporter):
    article = story(reporter, "Harbour strike", "Cranes idle.", section="local")
    headers = factories.auth(reporter)

    moved = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"section": "business"},
        headers={**headers, "If-Match": article.etag},
    )

    assert moved.status_code == 200, moved.json
    for q in ("harbour", "cranes"):  # found by its headline, and by its body
        assert found(client, reporter, q=q, section="business") == [article.id]
        assert found(client, reporter, q=q, section="local") == []
        counted = search(client, reporter, q=q, section="business", facets="section")
        assert counted["facets"]["section"] == [{"value": "business", "count": 1}]


def test_search_covers_deck_bylines_dateline_and_keywords(client, reporter):
    article = story(
        reporter,
        "Headline",
        deck="Ferries cancelled",
        bylines=[{"name": "Ingrid Ålander"}],
        dateline={"city": "Göteborg", "country": "Sweden"},
        keywords=["weather"],
    )

    for q in ("ferries", "alander", "goteborg", "weather"):
        assert found(client, reporter, q=q) == [article.id], q


def test_relevance_pages_by_cursor_without_repeats(client, reporter):
    made = {story(reporter, f"Storm report {n}", "storm " * n).id for n in range(1, 6)}

    seen: list[int] = []
    cursor = None
    while True:
        args = {"q": "storm", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = search(client, reporter, **args)
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def test_sort_by_updated_or_published_with_q(client, reporter, editor):
    first = story(reporter, "Flood defences hold", "The river rose.")
    second = story(reporter, "Flood warning lifted", "The river fell.")
    factories.published(first, editor)

    updated = found(client, reporter, q="flood", sort="updated")
    published = found(client, reporter, q="flood", sort="published")

    assert updated == [second.id, first.id]
    assert published == [first.id]


def test_filters(client, reporter, editor):
    other = factories.user(name="Other Writer", email="other@example.com")
    kept = story(
        reporter,
        "Port strike",
        section="business",
        bylines=[{"name": "Rita Reporter"}],
        keywords=["Ports"],
        language="en-GB",
    )
    published = factories.published(
        story(other, "Port opens", section="business", keywords=["trade"]),
        editor,
        embargo_until=utcnow() + timedelta(hours=2),
    )
    since = (utcnow() - timedelta(minutes=5)).isoformat()

    assert found(client, reporter, author=reporter.id) == [kept.id]
    assert found(client, reporter, byline="rita REPORTER") == [kept.id]
    assert found(client, reporter, keyword="ports") == [kept.id]
    assert found(client, reporter, language="en-GB") == [kept.id]
    assert found(client, reporter, public_state="published") == [published.id]
    assert found(client, reporter, status="draft", section="business") == [kept.id]
    assert found(client, reporter, embargoed="true") == [published.id]
    assert found(client, reporter, embargoed="false", section="business") == [kept.id]
    assert found(client, reporter, published_after=since) == [published.id]
    assert found(client, reporter, published_before=since) == []
    assert sorted(found(client, reporter, updated_after=since)) == sorted([kept.id, published.id])
    assert found(client, reporter, updated_before=since) == []


def test_every_filter_narrows_a_search_to_what_both_keep(client, reporter, editor):
    """Filters are applied before ranking: the hits are the matches the filter keeps."""
    other = factories.user(name="Other Writer", email="other@example.com")
    story(reporter, "Port strike", section="business", keywords=["Ports"], language="en-GB")
    story(other, "Port strike spreads", bylines=[{"name": "Rita Reporter"}], language="de")
    factories.published(story(other, "Port opens", section="business"), editor)
    factories.published(
        story(reporter, "Port closes", keywords=["ports"]),
        editor,
        embargo_until=utcnow() + timedelta(hours=2),
    )
    since = (utcnow() - timedelta(minutes=5)).isoformat()
    filters = [
        {"section": "business"},
        {"status": "draft"},
        {"public_state": "published"},
        {"author": reporter.id},
        {"byline": "rita reporter"},
        {"keyword": "ports"},
        {"language": "de"},
        {"language": "en-GB"},
        {"updated_after": since},
        {"published_after": since},
        {"embargoed": "true"},
        {"embargoed": "false"},
        {"section": "business", "status": "draft"},
    ]

    for q in ("port", "opens OR closes"):
        matches = set(found(client, reporter, q=q, limit=100))
        for args in filters:
            kept = set(found(client, reporter, limit=100, **args))
            assert sorted(found(client, reporter, q=q, limit=100, **args)) == sorted(
                matches & kept
            ), (q, args)


def test_facets_count_the_whole_result(client, reporter, editor):
    for n in range(3):
        story(reporter, f"Market report {n}", section="business")
    factories.published(story(reporter, "Market day", section="local"), editor)
    story(reporter, "Unrelated", section="local")

    page = search(
        client, reporter, q="market", limit=1, facets="section,status,public_state,language"
    )

    assert len(page["items"]) == 1
    assert page["facets"]["section"] == [
        {"value": "business", "count": 3},
        {"value": "local", "count": 1},
    ]
    assert page["facets"]["status"] == [
        {"value": "draft", "count": 3},
        {"value": "published", "count": 1},
    ]
    assert {f["value"]: f["count"] for f in page["facets"]["public_state"]} == {
        "unpublished": 3,
        "published": 1,
    }
    assert page["facets"]["language"] == [{"value": "en", "count": 4}]


HOSTILE = [
    '"unbalanced',
    'unbalanced"',
    '"',
    '""',
    "-",
    "--",
    "OR",
    "OR OR",
    "- OR -",
    "NEAR(tram harvest)",
    "tram*",
    "*",
    "^tram",
    "headline:tram",
    "tram AND NOT harvest",
    "(tram",
    "'tram'",
    "tram\\",
    "tram & | ! <->",
    ":*",
    "💥 tram 💥",
    "ﬁre",
    "x" * 1000,
    " ".join(["tram"] * 200),
]


@pytest.mark.parametrize("q", HOSTILE)
def test_malformed_queries_never_fail(client, reporter, newsroom, q):
    response = client.get(
        f"/api/v1/articles?{urlencode({'q': q})}", headers=factories.auth(reporter)
    )

    assert response.status_code == 200
    assert isinstance(response.json["items"], list)


@pytest.mark.parametrize("q", ["x" * 10_000, "nul\x00byte"])
def test_oversized_or_unstorable_queries_are_refused(client, reporter, q):
    response = client.get(
        f"/api/v1/articles?{urlencode({'q': q})}", headers=factories.auth(reporter)
    )

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_searches_are_never_prepared_so_each_is_planned_for_its_words(live_db, database_url):
    """psycopg prepares a statement it ran five times, and PostgreSQL may then plan it once
    for any words: 0.6 s instead of 0.15 s for a common word at 100,000 stories."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no plans to reuse")
    reporter, editor = factories.user(role="reporter"), factories.user(role="editor")
    factories.published(story(reporter, "Council meets", "The council met."), editor)
    _, key = factories.partner()
    db.session.commit()
    # One pooled connection: every request below runs on it.
    app = make_test_app(
        database_url,
        SQLALCHEMY_ENGINE_OPTIONS={**engine_options(database_url), "pool_size": 1},
    )
    client = app.test_client()
    for _ in range(8):
        assert found(client, reporter, q="council") != []
        assert found(client, reporter) != []  # a plain list, prepared as usual
        response = client.get("/content/v1/search?q=council", headers=factories.partner_auth(key))
        assert response.status_code == 200
        assert response.json["items"]

    with app.app_context():
        with db.engine.connect() as connection:
            prepared = connection.exec_driver_sql("SELECT statement FROM pg_prepared_statements")
            statements = [row.statement for row in prepared]
        db.engine.dispose()
    assert any("FROM articles" in statement for statement in statements)
    assert not [statement for statement in statements if "ts_rank" in statement]


@pytest.mark.parametrize("q", ["council", "Zürich café", "counc", "council -budget"])
def test_a_querys_tsquery_is_a_constant_of_the_plan(session, dialect, reporter, q):
    """Ranking and filters test rows one by one: a tsquery computed again for each row
    (unaccent and to_tsquery are not immutable as called before migration 0019) was two
    thirds of a common word's time."""
    if dialect != "postgresql":
        pytest.skip("PostgreSQL only: its plans")
    story(reporter, "City council meets", "The council met.")
    matched = search_query.hits(parse(q), heads=True)
    assert matched is not None
    # Bound as the app binds it: the plan is made for these parameters' values.
    sql = select(matched).compile(session.get_bind())
    explained = session.connection().exec_driver_sql(f"EXPLAIN (VERBOSE) {sql}", sql.params)

    plan = "\n".join(explained.scalars().all())

    assert "::tsquery" in plan
    assert "to_tsquery" not in plan
    assert "unaccent" not in plan


def test_search_rows_keep_in_line_only_what_ranking_reads(session, dialect):
    """A common word's search visits every match: the row's width is what it costs."""
    if dialect != "postgresql":
        pytest.skip("PostgreSQL only: the table's storage")
    connection = session.connection()
    options = connection.exec_driver_sql(
        "SELECT reloptions FROM pg_class WHERE relname = 'search_documents'"
    ).scalar_one()
    storage = dict(
        connection.exec_driver_sql(
            "SELECT attname, attstorage FROM pg_attribute "
            "WHERE attrelid = 'search_documents'::regclass AND attnum > 0"
        ).all()
    )

    assert "toast_tuple_target=128" in options
    assert storage["tsv_title"] == "m"  # compressed in the row, never moved out
    assert {storage[name] for name in ("headline", "summary", "body", "tsv")} == {"x"}


def test_sqlite_keeps_each_documents_scope_beside_it(session, dialect, reporter, editor):
    """What a search's scope tests of each document, in step with the documents through
    every write that changes them (migration 0018's triggers)."""
    if dialect != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's indexes hold the scope")

    def documents_and_scopes() -> tuple[list, list]:
        connection = session.connection()
        return (
            connection.exec_driver_sql(
                "SELECT id, article_id, version, config, section FROM search_documents ORDER BY id"
            ).all(),
            connection.exec_driver_sql(
                "SELECT id, article_id, version, config, section FROM search_scopes ORDER BY id"
            ).all(),
        )

    moved = factories.published(story(reporter, "Tram fares rise", section="local"), editor)
    moved = factories.updated(moved, reporter, editor, section="business", body="Fares rise.")
    factories.updated(moved, reporter, editor, body="Fares rise again.")
    story(reporter, "Fjord ferry timetable", language="nb")
    documents, scopes = documents_and_scopes()
    # Version 1 stays for partners of the old section; version 2 gave way to version 3.
    assert sorted((row.version, row.section or "") for row in documents) == [
        (0, ""),
        (0, "business"),
        (1, "local"),
        (3, "business"),
    ]
    assert {row.config for row in documents} == {"english", "simple"}
    assert scopes == documents

    reindex()
    db.session.flush()
    documents, scopes = documents_and_scopes()
    assert len(documents) == 4
    assert scopes == documents


def test_reindex_rebuilds_what_writes_keep(app, session, reporter, newsroom):
    before = listing.list_articles(limit=100, q="council")

    heads, _versions = reindex()
    db.session.flush()
    after = listing.list_articles(limit=100, q="council")

    assert heads >= len(newsroom)
    assert [h.article.id for h in after["items"]] == [h.article.id for h in before["items"]]


# -- Property: any query text, same ids as a reference evaluation ------------------------

#: Words no stemmer changes, none a stop word: stories are made of them.
VOCABULARY = ("tram", "zinc", "opal", "fjord", "kayak", "lemur", "quartz", "vortex")
PROPERTY_STORIES = (
    "tram zinc opal",
    "opal tram",
    "fjord kayak lemur",
    "quartz vortex tram",
    "lemur lemur zinc",
    "vortex",
)
pieces = st.one_of(
    st.sampled_from(VOCABULARY),
    st.sampled_from(VOCABULARY).flatmap(
        lambda word: st.integers(3, len(word)).map(lambda n: word[:n])
    ),
    st.sampled_from(['"', "-", "OR", "*", "(", ")", ":", "^", "NEAR(", "'", "&", "!", "|"]),
    st.text(max_size=3),
)
queries = st.lists(st.tuples(pieces, st.sampled_from(["", " ", "  "])), max_size=8).map(
    lambda parts: "".join(piece + gap for piece, gap in parts)
)


def _has(words: list[str], term: Term) -> bool:
    n = len(term.words)
    for start in range(len(words) - n + 1):
        window = words[start : start + n]
        if window[:-1] == list(term.words[:-1]) and (
            window[-1].startswith(term.words[-1]) if term.prefix else window[-1] == term.words[-1]
        ):
            return True
    return False


def _reference(q: str, stories: dict[int, list[str]]) -> set[int]:
    if not q.strip():
        return set(stories)  # no search: the whole list
    query = for_config(parse(q), ENGLISH)
    if not query:
        return set()
    return {
        article_id
        for article_id, words in stories.items()
        if all(any(_has(words, term) for term in group) for group in query.groups)
        and not any(_has(words, term) for term in query.excluded)
    }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=queries)
def test_any_query_gives_the_reference_answer(client, reporter, q):
    stories = {}
    existing = listing.list_articles(limit=100, q="tram OR zinc OR opal OR fjord OR vortex")
    if not existing["items"]:
        for text in PROPERTY_STORIES:
            stories[story(reporter, text).id] = text.split()
    else:
        for hit in existing["items"]:
            stories[hit.article.id] = hit.article.head.headline.split()
    query = parse(q)
    # Stop words inside phrases: PostgreSQL lets any word stand in their place,
    # FTS5 wants them; a documented difference, left out here.
    assume(
        not any(
            len(t.words) > 1 and set(t.words) & ENGLISH_STOP_WORDS
            for t in (*query.positive_terms, *query.excluded)
        )
    )
    response = client.get(
        f"/api/v1/articles?{urlencode({'q': q, 'limit': 100})}", headers=factories.auth(reporter)
    )

    assert response.status_code in (200, 422), response.json
    if response.status_code == 200:
        ids = {item["id"] for item in response.json["items"]}
        assert ids == _reference(q, stories)
