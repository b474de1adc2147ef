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
from werkzeug.http import http_date, parse_options_header

from cms.core.api import Blueprint
from cms.core.errors import NotAcceptable
from cms.core.http import ETAG_HEADER, IF_NONE_MATCH_HEADER, not_modified, public_url
from cms.core.routing import ID
from cms.core.types import utcnow
from cms.delivery import feeds, freshness, queries, representations, usage, waiting
from cms.delivery.access import Reader
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
    SearchArgsSchema,
    SearchResultsSchema,
)

JSON = "application/json"
#: The newsroom's name, as the author of its feeds.
NEWSROOM = "Newsroom CMS"
CACHING = {"Cache-Control": "private, no-cache", "Vary": "Accept, Authorization"}
CACHING_DOC = {**ETAG_HEADER, "Last-Modified": {"schema": {"type": "string"}}}
#: OpenAPI: the ninjs representation of a story (``?format=ninjs`` or ``ninjs3``, the
#: latter sent as ``application/ninjs+json; version=3.1``): the members we always
#: send; the whole shape is IPTC's schema (``feeds.NINJS_SCHEMA``, ``feeds.NINJS3_SCHEMA``).
NINJS_DOC = {
    "responses": {
        200: {
            "content": {
                feeds.NINJS_MEDIA_TYPE: {
                    "schema": {
                        "type": "object",
                        "description": f"IPTC ninjs {feeds.NINJS_VERSION}: {feeds.NINJS_SCHEMA}"
                        f" or {feeds.NINJS3_VERSION}: {feeds.NINJS3_SCHEMA}",
                        "required": ["uri", "type", "version", "standard"],
                        "properties": {
                            "uri": {"type": "string"},
                            "type": {"type": "string"},
                            "version": {"type": "string"},
                            "pubstatus": {"type": "string"},
                            "pubStatus": {"type": "string"},
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
    406: "`Accept` names no representation we serve.",
    410: "The story was withdrawn, whichever version was asked for: the body is the kill "
    "notice (`pubstatus: canceled`; `ninjs` and `ninjs3` members in ninjs 2.2 and 3.1).",
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
search_blp = Blueprint(
    "content-search",
    __name__,
    url_prefix="/content/v1/search",
    description="Full-text search over the published versions you may see.",
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


#: What ``Accept`` may name: media type and ``version`` parameter → format.
ACCEPTED = {
    (JSON, None): representations.JSON_FORMAT,
    ("application/*", None): representations.JSON_FORMAT,
    ("*/*", None): representations.JSON_FORMAT,
    (feeds.NINJS_MEDIA_TYPE, None): representations.NINJS_FORMAT,
    (feeds.NINJS_MEDIA_TYPE, "2.2"): representations.NINJS_FORMAT,
    (feeds.NINJS_MEDIA_TYPE, "2"): representations.NINJS_FORMAT,
    (feeds.NINJS_MEDIA_TYPE, "3.1"): representations.NINJS3_FORMAT,
    (feeds.NINJS_MEDIA_TYPE, "3"): representations.NINJS3_FORMAT,
}
#: ``Accept`` values that take the default representation as they are.
_ANY_MEDIA_TYPE = frozenset({"", "*/*"})
MEDIA_TYPES = {
    representations.JSON_FORMAT: JSON,
    representations.NINJS_FORMAT: feeds.NINJS_MEDIA_TYPE,
    representations.NINJS3_FORMAT: f"{feeds.NINJS_MEDIA_TYPE}; version={feeds.NINJS3_VERSION}",
}


def _format(requested: str | None) -> str:
    """Return the representation asked for by ``?format=``, else by ``Accept``.

    ``Accept`` entries are taken best first; a ninjs ``version`` parameter
    picks 2.2 or 3.1. Raises :class:`NotAcceptable` when none can be served.
    """
    if requested is not None:
        return requested
    # Most clients send no Accept or the wildcard: no need to parse it.
    if request.headers.get("Accept", "*/*").strip() in _ANY_MEDIA_TYPE:
        return representations.JSON_FORMAT
    if not request.accept_mimetypes:
        return representations.JSON_FORMAT
    for value, quality in request.accept_mimetypes:
        media_type, _, parameters = value.partition(";")
        params = parse_options_header(f"x;{parameters}")[1] if parameters else {}
        fmt = ACCEPTED.get((media_type.strip().lower(), params.get("version")))
        if fmt is not None and quality > 0:
            return fmt
    raise NotAcceptable(
        "A story comes as application/json, application/ninjs+json (version 2.2) or "
        "application/ninjs+json; version=3.1."
    )


def _listed(reader: Reader, found: list[queries.Found]) -> list[dict[str, Any]]:
    """Return the representations of ``found`` for ``reader``, counted as API fetches."""
    now = utcnow()
    usage.count(reader.partner_id, (f.article_id for f in found), UsageChannel.API)
    links = queries.lineage(reader, [f.article_id for f in found])
    return [
        representations.representation(
            f, reader, embargoed=f.embargoed(now), links=links[f.article_id]
        )
        for f in found
    ]


@articles_blp.route("")
class ContentArticles(MethodView):
    @partner_required
    @_documented(articles_blp, 401, 422)
    @articles_blp.arguments(ArticleListArgsSchema, location="query", as_kwargs=True)
    @articles_blp.response(200, ArticleListSchema)
    def get(self, limit, **filters):
        """Live stories you may see, the most recently changed first.

        Keyset-paginated: pass `next_cursor` as `cursor` for the next page. A
        story that changes while you page moves to the top; to follow every
        change, read the changes feed.
        """
        reader = current_reader()
        found, next_cursor = queries.list_articles(reader, limit=limit, **filters)
        items = _listed(reader, found)
        return _json({"items": items, "next_cursor": next_cursor}, **CACHING)


@search_blp.route("")
class ContentSearch(MethodView):
    @partner_required
    @_documented(search_blp, 401, 422)
    @search_blp.arguments(SearchArgsSchema, location="query", as_kwargs=True)
    @search_blp.response(200, SearchResultsSchema)
    def get(self, q, limit, **filters):
        """Search the stories you may see, best match first, each with highlights.

        Same syntax as the editors' search: words, "quoted phrases", `OR`,
        `-word`, and the last word as a prefix. Only the version of each story
        you see now is searched: never a draft, an update you may not see yet
        (embargo) or another section. Pass `next_cursor` as `cursor` for more.
        """
        reader = current_reader()
        hits, next_cursor = queries.search_articles(reader, q, limit=limit, **filters)
        listed = _listed(reader, [hit.found for hit in hits])
        items = [
            {**item, "highlights": hit.highlights} for item, hit in zip(listed, hits, strict=True)
        ]
        return _json({"items": items, "next_cursor": next_cursor}, **CACHING)


@articles_blp.route(f"/<{ID}:article_id>", parameters=[IF_NONE_MATCH_HEADER])
class ContentArticle(MethodView):
    @partner_required
    @_documented(articles_blp, 401, 404, 406, 410, 422)
    @articles_blp.arguments(ArticleArgsSchema, location="query", as_kwargs=True)
    @articles_blp.response(200, PartnerArticleSchema, headers=CACHING_DOC)
    @articles_blp.doc(**NINJS_DOC)
    @articles_blp.alt_response(304, description="Not modified since your copy.")
    def get(self, article_id, version=None, format=None):
        """The story's current public version, or `?version=` an older one.

        `?format=ninjs` or `Accept: application/ninjs+json` gives IPTC ninjs 2.2,
        `?format=ninjs3` or `Accept: application/ninjs+json; version=3.1` ninjs 3.1.
        Honours `If-None-Match` and `If-Modified-Since`.
        """
        fmt = _format(format)
        now = utcnow()
        reader = current_reader()
        found, links = freshness.remembered(
            ("article", reader.kind, article_id, version),
            lambda: queries.find_article(reader, article_id, version=version),
        )
        channel = UsageChannel.NINJS if fmt == representations.NINJS_FORMAT else UsageChannel.API
        usage.count(reader.partner_id, (article_id,), channel)
        etag = representations.article_etag(found, fmt, now, reader, links)
        last_modified = found.last_modified(now)
        cached = not_modified(etag, last_modified, headers=CACHING)
        if cached is not None:
            return cached
        return Response(
            representations.article_body(found, fmt, now, reader, links),
            content_type=MEDIA_TYPES[fmt],
            headers={"ETag": etag, "Last-Modified": http_date(last_modified), **CACHING},
        )


@changes_blp.route("")
class Changes(MethodView):
    @partner_required
    @_documented(changes_blp, 401, 422)
    @changes_blp.arguments(ChangesArgsSchema, location="query", as_kwargs=True)
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
    # The feed's window: the time its stories cover (all time when it is not full).
    oldest = found[-1].event_id if len(found) == limit else 0
    kills = queries.recent_kills(reader, limit=limit, section=section, after_event=oldest)
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
    document, etag = representations.feed_document(kind, info, found, now, reader, kills)
    cached = not_modified(etag, headers=CACHING)
    if cached is not None:
        return cached
    mimetype = "application/atom+xml" if kind == "atom" else "application/feed+json"
    return Response(document, mimetype=mimetype, headers={"ETag": etag, **CACHING})


@feeds_blp.route("/atom", parameters=[IF_NONE_MATCH_HEADER])
class AtomFeed(MethodView):
    @partner_required
    @_documented(feeds_blp, 401, 422)
    @feeds_blp.arguments(FeedArgsSchema, location="query", as_kwargs=True)
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
    @feeds_blp.arguments(FeedArgsSchema, location="query", as_kwargs=True)
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
