"""Endpoints for notes and presence under ``/api/v1/articles/{id}/``."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from cms.articles.operations import get_article
from cms.auth.guards import auth_required, current_user
from cms.core.api import Blueprint
from cms.core.http import require_json_body
from cms.core.routing import ID
from cms.notes import operations
from cms.notes.schemas import (
    NoteCreateSchema,
    NoteListSchema,
    NoteSchema,
    PresenceArgsSchema,
    PresenceSchema,
)

blp = Blueprint(
    "notes",
    __name__,
    url_prefix="/api/v1/articles",
    description="Editorial notes and presence: the newsroom's own, never shown to partners.",
)
blp.before_request(require_json_body)


@blp.route(f"/<{ID}:article_id>/notes")
class Notes(MethodView):
    @auth_required()
    @blp.response(200, NoteListSchema)
    def get(self, article_id):
        """The story's editorial notes, oldest first."""
        return {"items": operations.notes_for(get_article(article_id))}

    @auth_required()
    @blp.arguments(NoteCreateSchema)
    @blp.response(201, NoteSchema)
    def post(self, fields, article_id):
        """Add a note, optionally about a revision and one of its paragraphs."""
        return operations.add_note(get_article(article_id), current_user(), **fields)


@blp.route(f"/<{ID}:article_id>/presence")
class ArticlePresence(MethodView):
    @auth_required()
    @blp.response(200, PresenceSchema)
    def get(self, article_id):
        """Who has the story open now. Advisory: it never blocks a write."""
        article = get_article(article_id)
        return operations.presence_view(article, current_app.config["CMS_TIMEZONE"])

    @auth_required()
    @blp.arguments(PresenceArgsSchema, required=False)
    @blp.response(200, PresenceSchema)
    def put(self, args, article_id):
        """Say you have the story open, for `ttl` seconds; renew it while you do."""
        article = get_article(article_id)
        operations.renew_presence(article, current_user(), (args or {}).get("activity", "editing"))
        return operations.presence_view(article, current_app.config["CMS_TIMEZONE"])

    @auth_required()
    @blp.response(204)
    def delete(self, article_id):
        """Say you closed the story: your presence ends now."""
        operations.leave(get_article(article_id), current_user())
