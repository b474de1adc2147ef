"""Endpoints for tokens (``/api/v1/auth``) and user management (``/api/v1/users``)."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from cms.auth import operations
from cms.auth.guards import auth_required, current_token, current_user
from cms.auth.models import Role, User
from cms.auth.schemas import (
    TokenRequestSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from cms.core.http import require_json_body
from cms.core.pagination import PageArgsSchema, page_schema, paginate
from cms.core.routing import ID

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens.")
auth_blp.before_request(require_json_body)
users_blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users", description="Newsroom staff (admins)."
)
users_blp.before_request(require_json_body)

UserPageSchema = page_schema(UserSchema, "UserPage")


@auth_blp.route("/tokens")
class Tokens(MethodView):
    @auth_blp.doc(security=[])
    @auth_blp.arguments(TokenRequestSchema)
    @auth_blp.response(201, TokenSchema)
    @auth_blp.alt_response(401, description="Unknown e-mail, wrong password or inactive user.")
    def post(self, credentials):
        """Log in: exchange e-mail and password for a bearer token."""
        token, record = operations.issue_token(credentials["email"], credentials["password"])
        return {"token": token, "expires_at": record.expires_at}


@auth_blp.route("/tokens/current")
class CurrentToken(MethodView):
    @auth_required()
    @auth_blp.response(204)
    def delete(self):
        """Log out: revoke the token that authenticates this request."""
        operations.revoke_token(current_token())


@auth_blp.route("/me")
class Me(MethodView):
    @auth_required()
    @auth_blp.response(200, UserSchema)
    def get(self):
        """The authenticated user."""
        return current_user()


@users_blp.route("")
class Users(MethodView):
    @auth_required(Role.ADMIN)
    @users_blp.arguments(PageArgsSchema, location="query")
    @users_blp.response(200, UserPageSchema)
    def get(self, page_args):
        """List users, by name."""
        return paginate(select(User).order_by(User.name, User.id), **page_args)

    @auth_required(Role.ADMIN)
    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    @users_blp.alt_response(409, description="A user with that e-mail exists.")
    def post(self, new_user):
        """Create a user."""
        return operations.create_user(**new_user)


@users_blp.route(f"/<{ID}:user_id>")
class UserItem(MethodView):
    @auth_required(Role.ADMIN)
    @users_blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return operations.get_user(user_id)

    @auth_required(Role.ADMIN)
    @users_blp.arguments(UserUpdateSchema, required=False)
    @users_blp.response(200, UserSchema)
    def patch(self, changes, user_id):
        """Change a user's name, role or whether they may log in."""
        return operations.update_user(operations.get_user(user_id), **changes)
