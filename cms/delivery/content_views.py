"""The partners' content API under ``/content/v1``, with its own OpenAPI document.

Registered on the second flask-smorest ``Api`` (``cms.core.extensions.make_content_api``);
the admin endpoints that manage partners are in :mod:`cms.delivery.views`, on
the editors' API. Bodies are rendered once per version and served as bytes, so
the views return responses and the schemas document them.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.http import http_date

from cms.core.http import ETAG_HEADER, IF_NONE_MATCH_HEADER, not_modified, public_url
from cms.core.routing import ID
from cms.core.types import utcnow
from cms.delivery import feeds, queries, representations, usage, waiting
from cms.delivery.guards import current_reader, partner_required, quota_headers
from cms.delivery.models import UsageChannel
from cms.delivery.schemas import (
    ArticleArgsSchema,
    ArticleListArgsSchema,
    ArticleListSchema,
    ChangesArgsSchema,
    ChangesSchema,
    FeedArgsSchema,
    PartnerArticleSchema,
)

JSON = "application/json"
#: The newsroom's name, as the author of its feeds.
NEWSROOM = "Newsroom CMS"
CACHING = {"Cache-Control": "private, no-cache", "Vary": "Accept, Authorization"}
CACHING_DOC = {**ETAG_HEADER, "Last-Modified": {"schema": {"type": "string"}}}
#: OpenAPI: the ninjs representation of a story (``?format=ninjs``): the members we
#: always send; the whole shape is IPTC's schema (``feeds.NINJS_SCHEMA``).
NINJS_DOC = {
    "responses": {
        200: {
            "content": {
                feeds.NINJS_MEDIA_TYPE: {
                    "schema": {
                        "type": "object",
                        "description": f"IPTC ninjs {feeds.NINJS_VERSION}: {feeds.NINJS_SCHEMA}",
                        "required": ["uri", "type", "version", "pubstatus", "standard"],
                        "properties": {
                            "uri": {"type": "string"},
                            "type": {"type": "string"},
                            "version": {"type": "string"},
                            "pubstatus": {"type": "string"},
                            "standard": {"type": "object"},
                        },
                    }
                }
            }
        }
    }
}
PROBLEMS = {
    401: "No API key, or one that is unknown or revoked.",
    404: "No such story, or not one this partner may see.",
    410: "The story was withdrawn: the body is the kill notice.",
    422: "Invalid arguments.",
    429: "Over your rate limit: `Retry-After` says when to try again.",
}

articles_blp = Blueprint(
    "content-articles",
    __name__,
    url_prefix="/content/v1/articles",
    description="Published stories: only published versions, only your sections.",
)
changes_blp = Blueprint(
    "content-changes",
    __name__,
    url_prefix="/content/v1/changes",
    description="Every publication, update, correction and kill, in one order.",
)
feeds_blp = Blueprint(
    "content-feeds",
    __name__,
    url_prefix="/content/v1/feeds",
    description="The latest stories as Atom 1.0 or JSON Feed 1.1.",
)
# Every answer to a partner says where its quota stands (RateLimit-*), errors included.
articles_blp.after_app_request(quota_headers)


def _documented(blp: Blueprint, *statuses: int):
    """Document the problems a content view may answer with."""

    def decorate(view):
        for status in (*statuses, 429):
            view = blp.alt_response(status, description=PROBLEMS[status])(view)
        return view

    return decorate


def _json(data: Any, **headers: str) -> Response:
    return Response(representations.dumps(data), mimetype=JSON, headers=headers)


def _format(requested: str | None) -> str:
    """Return the representation asked for by ``?format=``, else by ``Accept``."""
    if requested is not None:
        return requested
    best = request.accept_mimetypes.best_match((JSON, feeds.NINJS_MEDIA_TYPE), default=JSON)
    return (
        representations.NINJS_FORMAT
        if best == feeds.NINJS_MEDIA_TYPE
        else representations.JSON_FORMAT
    )


@articles_blp.route("")
class ContentArticles(MethodView):
    @partner_required
    @_documented(articles_blp, 401, 422)
    @articles_blp.arguments(ArticleListArgsSchema(), location="query", as_kwargs=True)
    @articles_blp.response(200, ArticleListSchema)
    def get(self, limit, **filters):
        """Live stories you may see, the most recently changed first.

        Keyset-paginated: pass `next_cursor` as `cursor` for the next page. A
        story that changes while you page moves to the top; to follow every
        change, read the changes feed.
        """
        now = utcnow()
        reader = current_reader()
        found, next_cursor = queries.list_articles(reader, limit=limit, **filters)
        usage.count(reader.partner_id, (f.article_id for f in found), UsageChannel.API)
        items = [representations.representation(f, embargoed=f.embargoed(now)) for f in found]
        return _json({"items": items, "next_cursor": next_cursor}, **CACHING)


@articles_blp.route(f"/<{ID}:article_id>", parameters=[IF_NONE_MATCH_HEADER])
class ContentArticle(MethodView):
    @partner_required
    @_documented(articles_blp, 401, 404, 410, 422)
    @articles_blp.arguments(ArticleArgsSchema(), location="query", as_kwargs=True)
    @articles_blp.response(200, PartnerArticleSchema, headers=CACHING_DOC)
    @articles_blp.doc(**NINJS_DOC)
    @articles_blp.alt_response(304, description="Not modified since your copy.")
    def get(self, article_id, version=None, format=None):
        """The story's current public version, or `?version=` an older one.

        `?format=ninjs` or `Accept: application/ninjs+json` gives IPTC ninjs 2.2.
        Honours `If-None-Match` and `If-Modified-Since`.
        """
        fmt = _format(format)
        now = utcnow()
        reader = current_reader()
        found = queries.find_article(reader, article_id, version=version)
        channel = UsageChannel.NINJS if fmt == representations.NINJS_FORMAT else UsageChannel.API
        usage.count(reader.partner_id, (article_id,), channel)
        etag = representations.article_etag(found, fmt, now)
        last_modified = found.last_modified(now)
        cached = not_modified(etag, last_modified, headers=CACHING)
        if cached is not None:
            return cached
        mimetype = feeds.NINJS_MEDIA_TYPE if fmt == representations.NINJS_FORMAT else JSON
        return Response(
            representations.article_body(found, fmt, now),
            mimetype=mimetype,
            headers={"ETag": etag, "Last-Modified": http_date(last_modified), **CACHING},
        )


@changes_blp.route("")
class Changes(MethodView):
    @partner_required
    @_documented(changes_blp, 401, 422)
    @changes_blp.arguments(ChangesArgsSchema(), location="query", as_kwargs=True)
    @changes_blp.response(200, ChangesSchema)
    def get(self, limit, wait, after=None):
        """Events after the cursor `after`, oldest first: `published`, `updated`,
        `corrected` and `withdrawn`.

        Start without `after`; then pass the `next_cursor` you were given, even
        when `items` is empty. Replaying from the start rebuilds the set of live
        stories and their versions (a story is live after a non-`withdrawn`
        event, at that event's version, until a `withdrawn` one). With
        `wait=N` (long polling), a call with nothing new answers as soon as an
        event for you commits, or with an empty page after N seconds.
        """
        reader = current_reader()
        page = waiting.long_poll(
            lambda: queries.changes(reader, after=after, limit=limit),
            lambda page: bool(page.events),
            wait,
        )
        return _json(representations.changes_document(page, utcnow()))


def _feed(kind: str, section: str | None, limit: int) -> Response:
    now = utcnow()
    reader = current_reader()
    found, _cursor = queries.list_articles(reader, limit=limit, section=section)
    usage.count(reader.partner_id, (f.article_id for f in found), UsageChannel.FEED)
    suffix = f":{section}" if section else ""
    info = feeds.FeedInfo(
        id=f"tag:newsroom-cms,2026:feed:{kind}{suffix}",
        title=NEWSROOM + (f" — {section}" if section else " — latest stories"),
        self_url=public_url(request.path, request.query_string),
        base_url=public_url(),
        author=NEWSROOM,
        now=now,
    )
    document, etag = representations.feed_document(kind, info, found, now)
    cached = not_modified(etag, headers=CACHING)
    if cached is not None:
        return cached
    mimetype = "application/atom+xml" if kind == "atom" else "application/feed+json"
    return Response(document, mimetype=mimetype, headers={"ETag": etag, **CACHING})


@feeds_blp.route("/atom", parameters=[IF_NONE_MATCH_HEADER])
class AtomFeed(MethodView):
    @partner_required
    @_documented(feeds_blp, 401, 422)
    @feeds_blp.arguments(FeedArgsSchema(), location="query", as_kwargs=True)
    @feeds_blp.alt_response(304, description="Not modified since your copy.")
    @feeds_blp.response(
        200,
        {"type": "string"},
        content_type="application/atom+xml",
        description="An Atom 1.0 feed of the latest stories you may see.",
    )
    def get(self, limit, section=None):
        """Atom 1.0: each entry's `updated` is the story's "Last Updated" stamp."""
        return _feed("atom", section, limit)


@feeds_blp.route("/json", parameters=[IF_NONE_MATCH_HEADER])
class JsonFeed(MethodView):
    @partner_required
    @_documented(feeds_blp, 401, 422)
    @feeds_blp.arguments(FeedArgsSchema(), location="query", as_kwargs=True)
    @feeds_blp.alt_response(304, description="Not modified since your copy.")
    @feeds_blp.response(
        200,
        {"type": "object", "required": ["version", "title", "items"]},
        content_type="application/feed+json",
        description="A JSON Feed 1.1 of the latest stories you may see.",
    )
    def get(self, limit, section=None):
        """JSON Feed 1.1; newsroom details in each item's `_newsroom`."""
        return _feed("json", section, limit)
