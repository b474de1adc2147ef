"""``POST /api/v1/ingest``: raw wire copy in, draft article out."""

from flask import current_app, request
from flask.views import MethodView

from cms.articles import operations as articles
from cms.articles.views import article_view
from cms.auth.guards import auth_required, current_user
from cms.core.api import Blueprint
from cms.core.errors import UnsupportedMediaType, ValidationFailed
from cms.core.http import with_etag
from cms.core.pagination import cursor_page_schema, keyset_page
from cms.core.routing import ID
from cms.ingest import operations
from cms.ingest.schemas import (
    IngestOutcome,
    IngestResultSchema,
    TakePageArgsSchema,
    TakeSchema,
)

blp = Blueprint(
    "ingest",
    __name__,
    url_prefix="/api/v1/ingest",
    description="Turn agency or scraped copy into draft articles.",
)
takes_blp = Blueprint(
    "takes",
    __name__,
    url_prefix="/api/v1/articles",
    description="The wire takes of a story, each as ingested.",
)
TakePageSchema = cursor_page_schema(TakeSchema, "TakePage")

REQUEST_BODY = {
    "required": True,
    "content": {
        "text/plain": {"schema": {"type": "string"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}


def _raw_copy() -> bytes:
    if request.mimetype == "text/plain":
        if request.mimetype_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType("Send wire copy as UTF-8 (charset=utf-8).")
        return request.get_data(cache=False)
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(
                "Upload the copy in a form field named 'file'.",
                errors={"files": {"file": ["Missing data for required field."]}},
            )
        return upload.read()
    raise UnsupportedMediaType("Send wire copy as text/plain or as a multipart file upload.")


@blp.route("")
class Ingest(MethodView):
    @auth_required()
    @blp.doc(requestBody=REQUEST_BODY)
    @blp.response(201, IngestResultSchema)
    @blp.alt_response(
        200, schema=IngestResultSchema, description="Known story: a new take or the same copy."
    )
    @blp.alt_response(413, description="Over `CMS_INGEST_MAX_BYTES`.")
    @blp.alt_response(415, description="Neither UTF-8 text/plain nor a multipart upload.")
    @blp.alt_response(422, description="Empty copy, binary data or text that is not UTF-8.")
    def post(self):
        """Ingest one piece of wire copy.

        A new story becomes a draft (201). A new take of a known story becomes a
        new revision of its draft, and the very same copy changes nothing (200).
        """
        limits = operations.IngestLimits.from_config(current_app.config)
        result = operations.ingest_copy(_raw_copy(), current_user(), limits)
        outcome = IngestOutcome(result, article_view(result.article))
        return with_etag(outcome, result.article.etag, 201 if result.article_created else 200)


@takes_blp.route(f"/<{ID}:article_id>/takes")
class Takes(MethodView):
    @auth_required()
    @takes_blp.arguments(TakePageArgsSchema, location="query", as_kwargs=True)
    @takes_blp.response(200, TakePageSchema)
    def get(self, article_id, limit, cursor):
        """The wire takes of the story, oldest first, each with the diff from the one before.

        Each take shows the source's "Last Updated" stamp, when it was received,
        the lines dropped as boilerplate and what of it was not applied because
        the desk had edited the same part.
        """
        article = articles.get_article(article_id)
        listed = keyset_page(
            operations.takes_query(article),
            operations.TAKE_ORDER,
            limit=limit,
            cursor=cursor,
            list_name="takes",
        )
        return {**listed, "items": operations.with_diffs(article, listed["items"])}
