"""Factories for test data. They use the operations, so data is always valid."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from cms.articles import operations as article_ops
from cms.articles.models import Article, ArticleStatus, VersionKind
from cms.auth import operations as auth_ops
from cms.auth.models import Role, User
from cms.core.extensions import db
from cms.delivery import operations as delivery_ops
from cms.delivery.models import Partner
from cms.outbox.models import DeliveryEvent
from cms.workflow import operations as workflow_ops

PASSWORD = "correct horse battery staple"
#: Hashing with argon2 costs tens of milliseconds; every factory user shares one hash.
_PASSWORD_HASH = auth_ops.hash_password(PASSWORD)
_sequence = itertools.count(1)


def user(*, role: str = "reporter", name: str | None = None, email: str | None = None) -> User:
    """Create and commit a user whose password is :data:`PASSWORD`."""
    number = next(_sequence)
    record = User(
        email=email or f"user{number}@example.test",
        name=name or f"User {number}",
        role=Role(role),
        password_hash=_PASSWORD_HASH,
    )
    db.session.add(record)
    db.session.commit()
    return record


def token(for_user: User) -> str:
    """Issue and commit a bearer token for ``for_user``."""
    raw, _record = auth_ops.issue_token(for_user.email, PASSWORD)
    db.session.commit()
    return raw


def auth(for_user: User) -> dict[str, str]:
    """Return request headers authenticating as ``for_user``."""
    return {"Authorization": f"Bearer {token(for_user)}"}


STORY: dict[str, Any] = {
    "headline": "Harbour cranes idle as dockworkers vote on contract",
    "deck": "Port authority says ships will be diverted",
    "dateline": {"city": "Rotterdam", "country": "Netherlands", "agency": "Newsroom Wire"},
    "bylines": [{"name": "Rita Reporter", "role": "reporter", "affiliation": "Newsroom Wire"}],
    "section": "business",
    "keywords": ["ports", "labour"],
    "body": "Cranes stood still on Monday.\n\nThe vote closes on Friday.",
}


def article(author: User, **fields: Any) -> Article:
    """Create and commit an article (revision 1) from :data:`STORY` with ``fields``."""
    values = {**STORY, **fields}
    values.setdefault("slug", None)
    if values["slug"] is None:
        del values["slug"]
    created = article_ops.create_article(values, author)
    db.session.commit()
    return created


def submitted(article: Article, by: User) -> Article:
    """Submit ``article``'s head for review and commit."""
    result = workflow_ops.submit(article, article.etag, by)
    db.session.commit()
    return result


def approved(article: Article, by: User) -> Article:
    """Approve ``article``'s head (submitting it first if it is a draft) and commit."""
    if article.status == ArticleStatus.DRAFT:
        article = submitted(article, article.head.author)
    result = workflow_ops.approve(article, article.etag, by)
    db.session.commit()
    return result


def published(article: Article, by: User, **options: Any) -> Article:
    """Approve ``article``'s head if needed, publish it with ``options`` and commit."""
    if article.status != ArticleStatus.APPROVED:
        article = approved(article, by)
    result = workflow_ops.publish(article, article.etag, by, **options)
    db.session.commit()
    return result


def updated(
    article: Article,
    author: User,
    editor: User,
    *,
    kind: VersionKind = VersionKind.UPDATE,
    note: str | None = None,
    embargo_until: Any = None,
    **changes: Any,
) -> Article:
    """Edit ``article`` as ``author`` with ``changes``, then approve and publish as ``kind``."""
    article, _ = article_ops.edit_article(article, article.etag, changes, author)
    db.session.commit()
    options: dict[str, Any] = {"kind": kind, "note": note}
    if embargo_until is not None:
        options["embargo_until"] = embargo_until
    return published(article, editor, **options)


def withdrawn(article: Article, editor: User, reason: str = "Legal advice") -> Article:
    """Kill ``article`` and commit."""
    result = workflow_ops.withdraw(article, article.etag, editor, reason)
    db.session.commit()
    return result


def partner(**fields: Any) -> tuple[Partner, str]:
    """Create and commit a syndication partner; return it and its API key."""
    fields.setdefault("name", f"Partner {next(_sequence)}")
    created, key = delivery_ops.create_partner(**fields)
    db.session.commit()
    return created, key


def partner_auth(key: str) -> dict[str, str]:
    """Return request headers authenticating a partner by its API key."""
    return {"Authorization": f"Bearer {key}"}


def events(article_id: int) -> list[DeliveryEvent]:
    """Return the outbox events written for an article, oldest first."""
    return list(
        db.session.scalars(
            select(DeliveryEvent)
            .where(DeliveryEvent.article_id == article_id)
            .order_by(DeliveryEvent.id)
        )
    )
