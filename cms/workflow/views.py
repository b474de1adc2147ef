"""Workflow endpoints under ``/api/v1/articles/{id}/``: actions, history, versions."""

from __future__ import annotations

from flask.views import MethodView

from cms.articles.operations import get_article
from cms.articles.schemas import ArticleSchema
from cms.articles.views import article_response
from cms.audit.operations import HISTORY_ORDER, history_query
from cms.audit.schemas import AuditEntrySchema
from cms.auth.guards import auth_required, current_user
from cms.core.api import Blueprint
from cms.core.http import (
    ETAG_HEADER,
    IF_MATCH_DOC,
    if_match_header,
    require_json_body,
)
from cms.core.pagination import CursorArgsSchema, cursor_page_schema, keyset_page
from cms.core.routing import ID
from cms.workflow import operations
from cms.workflow.schemas import (
    AllowedActionsSchema,
    CommentSchema,
    PublishSchema,
    ReasonSchema,
    ScheduleSchema,
    UnscheduleSchema,
    VersionSchema,
)

blp = Blueprint(
    "workflow",
    __name__,
    url_prefix="/api/v1/articles",
    description="Review, approval, publication, scheduling and withdrawal of articles.",
)
blp.before_request(require_json_body)

AuditPageSchema = cursor_page_schema(AuditEntrySchema, "AuditPage")
VersionPageSchema = cursor_page_schema(VersionSchema, "VersionPage")
#: The problems every action may answer with, for the OpenAPI document.
ACTION_PROBLEMS = {
    403: "Your role may not take this action.",
    409: "Not possible in the article's state; `allowed_actions` lists what is.",
    422: "Invalid arguments.",
}


def _action_doc(view):
    """Document If-Match (412, 428) and the problems every action answers with."""
    view = blp.doc(**IF_MATCH_DOC)(view)
    for status, description in ACTION_PROBLEMS.items():
        view = blp.alt_response(status, description=description)(view)
    return view


@blp.route(f"/<{ID}:article_id>/submit")
class Submit(MethodView):
    @auth_required()
    @_action_doc
    @blp.arguments(CommentSchema, required=False)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    def post(self, args, article_id):
        """Send the head revision for review (any writer)."""
        if_match = if_match_header()
        article = operations.submit(
            get_article(article_id), if_match, current_user(), (args or {}).get("comment")
        )
        return article_response(article)


@blp.route(f"/<{ID}:article_id>/approve")
class Approve(MethodView):
    @auth_required()
    @_action_doc
    @blp.arguments(CommentSchema, required=False)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    def post(self, args, article_id):
        """Approve the head revision named by If-Match (editors).

        The approval binds to that revision's number and content; later edits
        need a new approval. Nobody approves a story they wrote any revision of
        since its last publication (since revision 1 before the first) unless
        `CMS_ALLOW_SELF_APPROVAL` is set.
        """
        if_match = if_match_header()
        article = operations.approve(
            get_article(article_id), if_match, current_user(), (args or {}).get("comment")
        )
        return article_response(article)


@blp.route(f"/<{ID}:article_id>/reject")
class Reject(MethodView):
    @auth_required()
    @_action_doc
    @blp.arguments(ReasonSchema)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    def post(self, args, article_id):
        """Send a submission back, or revoke an approval, with a reason (editors)."""
        if_match = if_match_header()
        article = operations.reject(
            get_article(article_id), if_match, current_user(), args["reason"]
        )
        return article_response(article)


@blp.route(f"/<{ID}:article_id>/publish")
class Publish(MethodView):
    @auth_required()
    @_action_doc
    @blp.arguments(PublishSchema, required=False)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    def post(self, args, article_id):
        """Publish the approved revision now as the next public version (editors).

        Publishes exactly the approved revision, even when newer revisions exist.
        """
        if_match = if_match_header()
        article = operations.publish(
            get_article(article_id), if_match, current_user(), **(args or {})
        )
        return article_response(article)


@blp.route(f"/<{ID}:article_id>/schedule")
class Schedule(MethodView):
    @auth_required()
    @_action_doc
    @blp.arguments(ScheduleSchema)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    def post(self, args, article_id):
        """Publish the approved revision at `publish_at` (editors); replaces a schedule."""
        if_match = if_match_header()
        article = operations.schedule(get_article(article_id), if_match, current_user(), **args)
        return article_response(article)


@blp.route(f"/<{ID}:article_id>/unschedule")
class Unschedule(MethodView):
    @auth_required()
    @_action_doc
    @blp.arguments(UnscheduleSchema, required=False)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    def post(self, args, article_id):
        """Cancel the scheduled publication; the approval stays (editors)."""
        if_match = if_match_header()
        article = operations.unschedule(
            get_article(article_id), if_match, current_user(), (args or {}).get("reason")
        )
        return article_response(article)


@blp.route(f"/<{ID}:article_id>/withdraw")
class Withdraw(MethodView):
    @auth_required()
    @_action_doc
    @blp.arguments(ReasonSchema)
    @blp.response(200, ArticleSchema, headers=ETAG_HEADER)
    def post(self, args, article_id):
        """Kill the published story, with a reason (editors). A kill is final."""
        if_match = if_match_header()
        article = operations.withdraw(
            get_article(article_id), if_match, current_user(), args["reason"]
        )
        return article_response(article)


@blp.route(f"/<{ID}:article_id>/actions")
class AllowedActions(MethodView):
    @auth_required()
    @blp.response(200, AllowedActionsSchema)
    def get(self, article_id):
        """The workflow actions you may take on the article now.

        The workflow table's, less an approval that would be refused: of a head
        you wrote a revision of since the last publication (unless
        `CMS_ALLOW_SELF_APPROVAL`), of a head approved already, or of a head
        readers already see.
        """
        article = get_article(article_id)
        return {
            "status": article.status,
            "allowed_actions": operations.actions_now(article, current_user()),
        }


@blp.route(f"/<{ID}:article_id>/history")
class History(MethodView):
    @auth_required()
    @blp.arguments(CursorArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, AuditPageSchema)
    def get(self, article_id, limit, cursor):
        """Everything done to the article, newest first. Append-only: read, never written."""
        return keyset_page(
            history_query(get_article(article_id).id),
            HISTORY_ORDER,
            limit=limit,
            cursor=cursor,
            list_name="history",
        )


@blp.route(f"/<{ID}:article_id>/versions")
class Versions(MethodView):
    @auth_required()
    @blp.arguments(CursorArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, VersionPageSchema)
    def get(self, article_id, limit, cursor):
        """The article's public versions, newest first."""
        return keyset_page(
            operations.versions_query(get_article(article_id)),
            operations.VERSION_ORDER,
            limit=limit,
            cursor=cursor,
            list_name="versions",
        )
