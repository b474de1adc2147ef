"""Endpoints for articles and their revisions (``/api/v1/articles``)."""

from __future__ import annotations

from typing import Any, cast

from flask import Response, current_app, request, url_for
from flask.views import MethodView

from cms.articles import diffs, listing, operations
from cms.articles.diffs.review import DEFAULT_CONTEXT
from cms.articles.models import Article
from cms.articles.operations import MergeInfo
from cms.articles.schemas import (
    ArticleCreateSchema,
    ArticleListArgsSchema,
    ArticleListSchema,
    ArticleSchema,
    ArticleView,
    ArticleWriteSchema,
    BlameSchema,
    DiffArgsSchema,
    DiffSchema,
    FollowsSchema,
    MergeArgsSchema,
    RestoreSchema,
    RevisionListArgsSchema,
    RevisionListingSchema,
    RevisionSchema,
)
from cms.auth.guards import auth_required, current_user
from cms.core.api import Blueprint
from cms.core.cache import app_cache
from cms.core.errors import NotAcceptable
from cms.core.http import (
    ETAG_HEADER,
    IF_MATCH_DOC,
    IF_NONE_MATCH_HEADER,
    if_match_header,
    not_modified,
    require_json_body,
    with_etag,
)
from cms.core.pagination import cursor_page_schema
from cms.core.routing import ID

blp = Blueprint(
    "articles",
    __name__,
    url_prefix="/api/v1/articles",
    description="Stories as versioned documents: every edit is a numbered revision.",
)
blp.before_request(require_json_body)

_article_schema = ArticleSchema()
#: Largest rendered article kept in the per-process cache of renderings, in bytes.
RENDERED_MAX = 64 * 1024
RevisionPageSchema = cursor_page_schema(RevisionListingSchema, "RevisionPage")


def article_view(article: Article, merge: MergeInfo | None = None) -> ArticleView:
    """Return ``article`` as the editors' API shows it, stamps in ``CMS_TIMEZONE``."""
    return ArticleView(article, current_app.config["CMS_TIMEZONE"], merge)


def article_response(
    article: Article, status: int = 200, merge: MergeInfo | None = None, **headers: str
) -> tuple[Any, int, dict[str, str]]:
    """Return a view result for :class:`ArticleSchema`: ``article`` with its ``ETag``."""
    return with_etag(article_view(article, merge), article.etag, status, **headers)


@blp.route("")
class Articles(MethodView):
    @auth_required()
    @blp.arguments(ArticleListArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ArticleListSchema)
    def get(self, **args):
        """List or search articles: most recently edited first, or by relevance with `q`.

        `q` takes web-search syntax (words, "phrases", `OR`, `-word`; the last
        word matches as a prefix too). Filters combine with `q` and each other;
        `facets=section,status` adds counts over the whole result. Keyset pages:
        pass `next_cursor` as `cursor`.
        """
        return listing.list_articles(**args)

    @auth_required()
    @blp.arguments(ArticleCreateSchema)
    @blp.response(201, ArticleSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, description="The slug is used by another article.")
    def post(self, fields):
        """Create an article; its content becomes revision 1."""
        message = fields.pop("message", None)
        article = operations.create_article(fields, current_user(), message)
        location = url_for("articles.ArticleItem", article_id=article.id)
        return article_response(article, 201, Location=location)


@blp.route(f"/<{ID}:article_id>")
class ArticleItem(MethodView):
    @auth_required()
    @blp.doc(parameters=[IF_NONE_MATCH_HEADER])
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    @blp.alt_response(304, description="Not modified since your copy.")
    def get(self, article_id):
        """The article at its head revision. Honours `If-None-Match`."""
        # The ETag first, from one narrow query: a 304 loads and renders nothing,
        # and a 200 of a state rendered before is served from this process's
        # cache, keyed by that state (so another process's write is seen at once).
        etag, key = operations.current_state(article_id)
        cached = not_modified(etag)
        if cached is not None:
            return cached
        rendered = app_cache("articles.rendered", 1024)
        body = rendered.get(key)
        if body is None:
            article = operations.get_article(article_id)
            etag, key = article.etag, operations.state_key(article)
            # Exactly what flask-smorest would send: the app's JSON of the schema's dump.
            rendering = current_app.json.response(_article_schema.dump(article_view(article)))
            body = cast(Response, rendering).get_data()
            if len(body) <= RENDERED_MAX:
                rendered.put(key, body)
        return Response(body, mimetype="application/json", headers={"ETag": etag})

    @auth_required()
    @blp.doc(**IF_MATCH_DOC)
    @blp.arguments(MergeArgsSchema, location="query", as_kwargs=True)
    @blp.arguments(ArticleWriteSchema, required=False)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    @blp.alt_response(
        409,
        description="`merge-conflict` (with `?merge=1`): the edit overlaps changes made since; "
        "`conflict`: the slug is used by another article, or the story's state forbids edits.",
    )
    def patch(self, changes, article_id, merge):
        """Edit the article: the changed fields make a new head revision.

        An edit that changes nothing returns the current head and stores nothing.
        With `?merge=1`, an edit based on an older revision is merged with what
        was written since (the response's `merge` says from which revisions);
        overlapping edits are 409 with the conflicting fields and paragraphs.
        """
        if_match = if_match_header()
        message = changes.pop("message", None)
        article = operations.get_article(article_id)
        if not merge:
            article, _created = operations.edit_article(
                article, if_match, changes, current_user(), message
            )
            return article_response(article)
        article, _created, info = operations.merge_edit(
            article, if_match, changes, current_user(), message
        )
        return article_response(article, merge=info)


@blp.route(f"/<{ID}:article_id>/revisions")
class Revisions(MethodView):
    @auth_required()
    @blp.arguments(RevisionListArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, RevisionPageSchema)
    def get(self, article_id, limit, cursor, contains=None):
        """The article's revisions, newest first, each with what it changed.

        `?contains=PHRASE` (the pickaxe) lists only the revisions that changed how
        many times the phrase occurs in the headline, deck and body Markdown, each
        with the count before and after: when a sentence appeared, who removed it.
        Case-sensitive and literal; pages like the plain list.
        """
        article = operations.get_article(article_id)
        return listing.revision_page(article, limit=limit, cursor=cursor, contains=contains)


@blp.route(f"/<{ID}:article_id>/revisions/<{ID}:number>")
class RevisionItem(MethodView):
    @auth_required()
    @blp.response(200, RevisionSchema)
    def get(self, article_id, number):
        """One revision in full."""
        return operations.get_revision(operations.get_article(article_id), number)


@blp.route(f"/<{ID}:article_id>/revisions/<{ID}:number>/restore")
class RestoreRevision(MethodView):
    @auth_required()
    @blp.doc(**IF_MATCH_DOC)
    @blp.arguments(RestoreSchema, required=False)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    @blp.alt_response(
        409,
        description="The revision's slug now belongs to another article, "
        "or the story's state forbids it.",
    )
    def post(self, options, article_id, number):
        """Make a new head revision equal to revision `number`. Deletes nothing."""
        if_match = if_match_header()
        article, _created = operations.restore_revision(
            operations.get_article(article_id),
            number,
            if_match,
            current_user(),
            (options or {}).get("message"),
        )
        return article_response(article)


#: Media types of the diff, in order of preference when the client accepts any.
DIFF_MEDIA_TYPES = {"application/json": "json", "text/html": "html", "text/plain": "text"}
#: The diff's other media types (``Blueprint.response`` documents the JSON), and its 406.
DIFF_DOC = {
    "responses": {
        200: {
            "content": {
                "text/html": {
                    "schema": {
                        "type": "string",
                        "description": "A safe HTML fragment with <ins>/<del>.",
                    }
                },
                "text/plain": {"schema": {"type": "string", "description": "A unified diff."}},
            }
        },
        406: {"description": "`Accept` names none of the diff's media types."},
    }
}


def _diff_format(requested: str | None) -> str:
    if requested:
        return requested
    if not request.accept_mimetypes:
        return "json"
    best = request.accept_mimetypes.best_match(list(DIFF_MEDIA_TYPES))
    if best is None:
        raise NotAcceptable("The diff comes as application/json, text/html or text/plain.")
    return DIFF_MEDIA_TYPES[best]


@blp.route(f"/<{ID}:article_id>/diff")
class RevisionDiff(MethodView):
    @auth_required()
    @blp.arguments(DiffArgsSchema, location="query")
    @blp.response(200, DiffSchema)
    @blp.doc(**DIFF_DOC)
    def get(self, args, article_id):
        """Compare two revisions: metadata as structures, the body word by word.

        `from` and `to` are revision numbers or `head`, `approved`, `published`,
        in either order. `format=html|text` (or `Accept`) gives an HTML fragment
        or a unified diff instead of JSON operations.
        """
        output = _diff_format(args.get("format"))
        comparison = operations.diff_revisions(
            operations.get_article(article_id), args.get("from_ref"), args["to_ref"]
        )
        if output == "html" and ("layout" in args or "context" in args):
            fragment = comparison.review_html(
                current_app.config["CMS_TIMEZONE"],
                context=args.get("context", DEFAULT_CONTEXT),
                layout=args.get("layout", "inline"),
            )
            return Response(fragment, mimetype="text/html")
        if output == "html":
            return Response(diffs.render_html(comparison.diff), mimetype="text/html")
        if output == "text":
            labels = (f"revision {comparison.from_revision}", f"revision {comparison.to_revision}")
            return Response(diffs.render_text(comparison.diff, *labels), mimetype="text/plain")
        return comparison


@blp.route(f"/<{ID}:article_id>/blame")
class Blame(MethodView):
    @auth_required()
    @blp.response(200, BlameSchema)
    def get(self, article_id):
        """For each paragraph of the head: the revision and author that last changed it."""
        article = operations.get_article(article_id)
        return {
            "article_id": article.id,
            "revision": article.head_number,
            "paragraphs": operations.blame_article(article),
        }


@blp.route(f"/<{ID}:article_id>/follows")
class ArticleFollows(MethodView):
    @auth_required()
    @blp.doc(**IF_MATCH_DOC)
    @blp.arguments(FollowsSchema)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, description="The story is withdrawn: a kill is final.")
    def put(self, lineage, article_id):
        """Declare the earlier story this one follows (a rewrite, a new lede, a replacement).

        Partners see the link both ways once they can see both stories.
        """
        article = operations.get_article(article_id)
        article = operations.set_follows(
            article, if_match_header(), lineage["follows"], lineage.get("kind")
        )
        return article_response(article)
