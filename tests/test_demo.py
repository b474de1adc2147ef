"""The demo newsroom that ``make run`` loads."""

from __future__ import annotations

from sqlalchemy import func, select

from cms.articles.models import Article, ArticleStatus, Revision
from cms.auth.models import User
from cms.cli import cms_cli
from cms.core.extensions import db
from cms.demo import DEMO_USERS


def test_seed_demo_loads_once_and_prints_the_logins(app, session):
    first = app.test_cli_runner().invoke(cms_cli, ["seed-demo"])
    again = app.test_cli_runner().invoke(cms_cli, ["seed-demo"])

    assert first.exit_code == 0, first.output
    assert "demo newsroom loaded" in first.output
    assert "demo newsroom already present" in again.output
    for user in DEMO_USERS:
        assert user["email"] in first.output
        assert user["password"] in first.output
    assert "API key (shown once)" in first.output
    assert "API key (shown once)" not in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
    statuses = sorted(db.session.scalars(select(Article.status)))
    assert statuses == sorted(
        [
            ArticleStatus.PUBLISHED,
            ArticleStatus.IN_REVIEW,
            ArticleStatus.IN_REVIEW,
            ArticleStatus.APPROVED,
            ArticleStatus.WITHDRAWN,
            ArticleStatus.DRAFT,
        ]
    )
    revisions_per_article = db.session.execute(
        select(Revision.article_id, func.count()).group_by(Revision.article_id)
    ).all()
    assert all(count >= 2 for _, count in revisions_per_article)


def test_demo_users_can_log_in(app, session, client):
    app.test_cli_runner().invoke(cms_cli, ["seed-demo"])
    for user in DEMO_USERS:
        response = client.post(
            "/api/v1/auth/tokens", json={"email": user["email"], "password": user["password"]}
        )
        assert response.status_code == 201


def test_demo_partner_sees_the_published_story(app, session, client):
    output = app.test_cli_runner().invoke(cms_cli, ["seed-demo"]).output
    key = output.split("API key (shown once): ")[1].split()[0]

    listing = client.get("/content/v1/articles", headers={"Authorization": f"Bearer {key}"})

    assert listing.status_code == 200
    headlines = [item["headline"] for item in listing.json["items"]]
    assert headlines == ["Ljubljana tram strike enters second day as talks stall"]
