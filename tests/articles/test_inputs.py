"""What a writer sends is checked in full, or stored and read back unchanged everywhere.

Blank or invisible text in required fields is 422; lengths come from the
constants the columns are sized by; a dateline's date is ISO 8601 text that
round-trips through the editors' API, diffs, ingest and every partner output.
"""

from __future__ import annotations

import pytest
from sqlalchemy import String, func, select

from cms.articles import content
from cms.articles.models import Article, Revision
from cms.articles.schemas import ArticleCreateSchema, BylineSchema, DatelineSchema, RestoreSchema
from cms.auth.models import User
from cms.auth.schemas import UserCreateSchema, UserUpdateSchema
from cms.core.extensions import db
from cms.delivery.models import Partner
from cms.delivery.schemas import PartnerCreateSchema, PartnerUpdateSchema
from cms.outbox.models import DeliveryEvent
from tests import factories


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Article)),
        db.session.scalar(select(func.count()).select_from(Revision)),
    )


def _create(client, user, **fields):
    return client.post(
        "/api/v1/articles", json={**factories.STORY, **fields}, headers=factories.auth(user)
    )


def _patch(client, user, article, **changes):
    return client.patch(
        f"/api/v1/articles/{article.id}",
        json=changes,
        headers={**factories.auth(user), "If-Match": article.etag},
    )


def _refused(response, *path: str) -> None:
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    errors = response.json["errors"]["json"]
    for key in path:
        errors = errors[key]
    assert errors


# --- Blank and invisible text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"headline": "    "}, ("headline",)),
        ({"headline": "\u200b\u200b"}, ("headline",)),
        ({"headline": "\u2060\ufeff\u200e \u00ad"}, ("headline",)),
        ({"dateline": {"city": "   "}}, ("dateline", "city")),
        ({"bylines": [{"name": "   "}]}, ("bylines", "0", "name")),
        ({"bylines": [{"name": "\u3164"}]}, ("bylines", "0", "name")),
        ({"keywords": ["ports", "\u00a0"]}, ("keywords", "1")),
        ({"section": "\u200d"}, ("section",)),
    ],
)
def test_text_that_shows_nothing_is_refused_on_create_and_edit(client, reporter, fields, path):
    article = factories.article(reporter)
    before = _counts()

    _refused(_create(client, reporter, **fields), *path)
    _refused(_patch(client, reporter, article, **fields), *path)
    assert _counts() == before


@pytest.mark.parametrize("blank", ["   ", "\u200b\u2060"])
def test_a_user_name_that_shows_nothing_is_refused(client, admin, blank):
    headers = factories.auth(admin)
    created = client.post(
        "/api/v1/users",
        json={"email": "new@example.test", "name": blank, "role": "reporter",
              "password": factories.PASSWORD},
        headers=headers,
    )  # fmt: skip
    updated = client.patch(f"/api/v1/users/{admin.id}", json={"name": blank}, headers=headers)

    _refused(created, "name")
    _refused(updated, "name")
    assert db.session.get(User, admin.id).name == "Ada Admin"


@pytest.mark.parametrize("blank", ["   ", "\u200b"])
def test_a_partner_name_that_shows_nothing_is_refused(client, admin, blank):
    response = client.post("/api/v1/partners", json={"name": blank}, headers=factories.auth(admin))

    _refused(response, "name")
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 0


def test_a_workflow_reason_that_shows_nothing_is_refused(client, reporter, editor):
    article = factories.submitted(factories.article(reporter), reporter)
    response = client.post(
        f"/api/v1/articles/{article.id}/reject",
        json={"reason": "\u200b \u200b"},
        headers={**factories.auth(editor), "If-Match": article.etag},
    )

    _refused(response, "reason")


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"dateline": {"city": "Rotterdam", "region": "\u200b"}}, ("dateline", "region")),
        ({"bylines": [{"name": "Rita Reporter", "role": "\u00a0"}]}, ("bylines", "0", "role")),
    ],
)
def test_optional_parts_given_must_show_something_too(client, reporter, fields, path):
    _refused(_create(client, reporter, **fields), *path)


def test_a_deck_that_shows_nothing_is_no_deck(client, reporter):
    response = _create(
        client,
        reporter,
        deck="\u200b \n",
        dateline={"city": " Rotterdam ", "region": None, "country": "Netherlands"},
        bylines=[{"name": "Rita Reporter", "affiliation": None}],
    )

    assert response.status_code == 201, response.json
    assert response.json["deck"] is None
    assert response.json["dateline"]["city"] == "Rotterdam"
    assert "region" not in response.json["dateline"]
    assert response.json["bylines"] == [{"name": "Rita Reporter"}]


def test_documents_drop_what_shows_nothing_whoever_writes_them(session, reporter):
    article = factories.article(
        reporter,
        deck="\u200b",
        dateline={"city": "\u200b", "country": "Netherlands"},
        bylines=[{"name": "\u2060", "role": "reporter"}, {"name": "Rita Reporter"}],
        keywords=["ports", "\ufeff"],
    )

    assert article.head.deck is None
    assert article.head.dateline is None
    assert article.head.bylines == [{"name": "Rita Reporter"}]
    assert article.head.keywords == ["ports"]


def test_visible_text_with_invisible_characters_inside_is_kept(client, reporter):
    headline = "Zero\u200bwidth joiner: \U0001f469\u200d\U0001f692 at work"

    response = _create(client, reporter, headline=f"  {headline}\u3000")

    assert response.status_code == 201
    assert response.json["headline"] == headline


# --- Lengths: one definition for schema and column --------------------------------------------


def _max_length(schema, name: str) -> int:
    field = schema().fields[name]
    field = getattr(field, "inner", field)
    [maximum] = [v.max for v in field.validators if getattr(v, "max", None) is not None]
    return maximum


@pytest.mark.parametrize(
    ("schema", "field", "column"),
    [
        (ArticleCreateSchema, "headline", Revision.headline),
        (ArticleCreateSchema, "slug", Revision.slug),
        (ArticleCreateSchema, "slug", Article.slug),
        (ArticleCreateSchema, "section", Revision.section),
        (ArticleCreateSchema, "section", Article.section),
        (ArticleCreateSchema, "section", DeliveryEvent.section),
        (ArticleCreateSchema, "slug", DeliveryEvent.slug),
        (ArticleCreateSchema, "language", Revision.language),
        (ArticleCreateSchema, "message", Revision.message),
        (RestoreSchema, "message", Revision.message),
        (UserCreateSchema, "email", User.email),
        (UserCreateSchema, "name", User.name),
        (UserUpdateSchema, "name", User.name),
        (PartnerCreateSchema, "name", Partner.name),
        (PartnerUpdateSchema, "name", Partner.name),
        (PartnerCreateSchema, "webhook_url", Partner.webhook_url),
        (PartnerCreateSchema, "sections", Article.section),
    ],
)
def test_a_field_admits_exactly_what_its_column_holds(schema, field, column):
    assert isinstance(column.type, String)
    assert _max_length(schema, field) == column.type.length


def test_dateline_and_byline_parts_are_bounded():
    assert _max_length(DatelineSchema, "city") == content.DATELINE_PART_MAX
    assert _max_length(BylineSchema, "name") == content.BYLINE_NAME_MAX


def test_every_field_at_its_longest_is_stored_and_read_back(client, reporter):
    longest = {
        "headline": "H" * content.HEADLINE_MAX,
        "deck": "D" * content.DECK_MAX,
        "slug": "s" * content.SLUG_MAX,
        "section": "S" * content.SECTION_MAX,
        "language": "en-" + "-".join(["abcdefgh"] * 3) + "-abcde",
        "keywords": [f"{n:03d}" + "k" * (content.KEYWORD_MAX - 3) for n in range(50)],
        "dateline": {"city": "C" * content.DATELINE_PART_MAX, "date": "2026-11-25"},
        "bylines": [{"name": "N" * content.BYLINE_NAME_MAX, "role": "r" * 50}] * 30,
    }
    assert len(longest["language"]) == content.LANGUAGE_MAX

    created = _create(client, reporter, message="m" * content.MESSAGE_MAX, **longest)

    assert created.status_code == 201, created.json
    read = client.get(f"/api/v1/articles/{created.json['id']}", headers=factories.auth(reporter))
    for name, value in longest.items():
        if name == "dateline":
            value = {**value, "text": read.json["dateline"]["text"]}
        assert read.json[name] == value, name


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("headline", "H" * (content.HEADLINE_MAX + 1)),
        ("language", "en-" + "-".join(["abcdefgh"] * 4)),
        ("section", "S" * (content.SECTION_MAX + 1)),
        ("message", "m" * (content.MESSAGE_MAX + 1)),
    ],
)
def test_a_field_past_its_column_is_422_on_every_database(client, reporter, field, value):
    _refused(_create(client, reporter, **{field: value}), field)
    assert _counts() == (0, 0)


# --- Dateline dates ----------------------------------------------------------------------------


DATELINE = {"city": "Rotterdam", "country": "Netherlands", "date": "2026-11-25"}


@pytest.mark.parametrize(
    "date",
    ["2026-02-30", "20261125", "2026-W48-3", "2026-11-25T10:00:00", "\uff12026-11-25",
     "26-11-25", " 2026-11-25", "0000-01-01", 20261125, True, ["2026-11-25"]],
)  # fmt: skip
def test_a_dateline_date_that_is_no_iso_date_is_422(client, reporter, date):
    _refused(_create(client, reporter, dateline={"city": "Paris", "date": date}), "dateline")
    assert _counts() == (0, 0)


def test_a_dateline_date_round_trips_through_the_editors_api(client, reporter, editor):
    headers = factories.auth(reporter)
    created = _create(client, reporter, dateline=DATELINE)

    assert created.status_code == 201, created.json
    assert created.json["dateline"]["date"] == "2026-11-25"
    assert created.json["dateline"]["text"] == "ROTTERDAM, Netherlands, Nov. 25 \N{EM DASH}"
    article_id = created.json["id"]
    edited = client.patch(
        f"/api/v1/articles/{article_id}",
        json={"dateline": {**DATELINE, "date": "2026-11-26"}},
        headers={**headers, "If-Match": created.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["dateline"]["date"] == "2026-11-26"

    read = client.get(f"/api/v1/articles/{article_id}", headers=headers)
    first = client.get(f"/api/v1/articles/{article_id}/revisions/1", headers=headers)
    diff = client.get(f"/api/v1/articles/{article_id}/diff", headers=headers)
    html = client.get(f"/api/v1/articles/{article_id}/diff?format=html", headers=headers)
    text = client.get(f"/api/v1/articles/{article_id}/diff?format=text", headers=headers)
    listed = client.get("/api/v1/articles", headers=headers)

    assert read.json["dateline"]["date"] == "2026-11-26"
    assert first.json["dateline"]["date"] == "2026-11-25"
    [change] = diff.json["fields"]
    assert change["changes"] == [{"part": "date", "old": "2026-11-25", "new": "2026-11-26"}]
    assert "2026-11-26" in html.get_data(as_text=True)
    assert "2026-11-26" in text.get_data(as_text=True)
    assert listed.status_code == 200


def test_a_dateline_date_reaches_every_partner_output(client, reporter, editor):
    article = factories.article(reporter, dateline=DATELINE)
    factories.published(factories.submitted(article, reporter), editor)
    _, key = factories.partner()
    headers = factories.partner_auth(key)

    partner_json = client.get(f"/content/v1/articles/{article.id}", headers=headers)
    ninjs = client.get(f"/content/v1/articles/{article.id}?format=ninjs", headers=headers)
    listed = client.get("/content/v1/articles", headers=headers)
    atom = client.get("/content/v1/feeds/atom", headers=headers)
    json_feed = client.get("/content/v1/feeds/json", headers=headers)

    assert partner_json.status_code == 200
    assert partner_json.json["dateline"]["date"] == "2026-11-25"
    assert partner_json.json["dateline"]["text"] == "ROTTERDAM, Netherlands, Nov. 25 \N{EM DASH}"
    assert listed.json["items"][0]["dateline"]["date"] == "2026-11-25"
    assert ninjs.status_code == 200
    assert ninjs.json["located"] == "Rotterdam, Netherlands"
    assert (atom.status_code, json_feed.status_code) == (200, 200)


REUTERS_COPY = """\
Dockworkers end harbour strike

Updated Nov. 25, 2026 10:00 a.m. EST

ROTTERDAM, Netherlands, Nov 24 (Reuters) - Dockworkers voted on Monday to end the strike.

Ships will return on Wednesday.
"""


def test_an_ingested_dateline_date_can_be_read_and_edited(client, editor):
    headers = factories.auth(editor)
    ingested = client.post(
        "/api/v1/ingest",
        data=REUTERS_COPY.encode(),
        content_type="text/plain; charset=utf-8",
        headers=headers,
    )

    assert ingested.status_code == 201, ingested.json
    assert ingested.json["recognised"]["dateline"]["date"] == "2026-11-24"
    assert ingested.json["article"]["dateline"]["date"] == "2026-11-24"
    article_id = ingested.json["article"]["id"]
    read = client.get(f"/api/v1/articles/{article_id}", headers=headers)
    assert read.status_code == 200
    assert read.json["dateline"]["text"] == "ROTTERDAM, Netherlands, Nov. 24 (Reuters) \N{EM DASH}"
    dateline = {k: v for k, v in read.json["dateline"].items() if k != "text"}
    edited = client.patch(
        f"/api/v1/articles/{article_id}",
        json={"headline": "Dockworkers end strike", "dateline": dateline},
        headers={**headers, "If-Match": read.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["dateline"] == read.json["dateline"]
