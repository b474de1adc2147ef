"""Endpoints for tokens (``/api/v1/auth``) and user management (``/api/v1/users``)."""

import hashlib

from flask import Response, request
from flask.views import MethodView
from flask_limiter import Limiter
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
from cms.core.api import Blueprint
from cms.core.http import require_json_body
from cms.core.pagination import CursorArgsSchema, SortKey, cursor_page_schema, keyset_page
from cms.core.routing import ID

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Bearer tokens.")
auth_blp.before_request(require_json_body)
users_blp = Blueprint(
    "users", __name__, url_prefix="/api/v1/users", description="Newsroom staff (admins)."
)
users_blp.before_request(require_json_body)

UserPageSchema = cursor_page_schema(UserSchema, "UserPage")
#: Users are listed by name (the id breaks ties), on index ``ix_users_name_id``.
USER_ORDER = (SortKey(User.name, descending=False), SortKey(User.id, descending=False))


def throttle_logins(limiter: Limiter, *, per_account: str, per_address: str) -> None:
    """Limit logging in (the one ``POST`` of ``/api/v1/auth``) on ``limiter``.

    Every attempt counts against ``per_address`` (each costs an argon2 hash);
    failed attempts count against ``per_account``, the e-mail address tried,
    so that guessing one account's password is slow from any number of clients.
    Over either limit the answer is 429 with ``Retry-After``.
    """
    limiter.limit(per_address, methods=["POST"])(auth_blp)
    limiter.limit(per_account, key_func=account_key, methods=["POST"], deduct_when=_failed_login)(
        auth_blp
    )


def account_key() -> str:
    """Return the key of the account a login tries: its e-mail address, normalised and hashed.

    Never raises (the limiter would take an error for a storage failure): a body
    that is not JSON, names no e-mail or nests too deeply to parse gives the key
    of the empty address, and the view refuses it.
    """
    try:
        body = request.get_json(silent=True) if request.is_json else None
    except RecursionError:
        body = None
    email = body.get("email") if isinstance(body, dict) else None
    normalised = email.strip().lower() if isinstance(email, str) else ""
    # Hashed: keys stay short and no address is stored in the limiter's storage.
    digest = hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()
    return f"account:{digest}"


def _failed_login(response: Response) -> bool:
    return response.status_code == 401


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
    @users_blp.arguments(CursorArgsSchema, location="query", as_kwargs=True)
    @users_blp.response(200, UserPageSchema)
    def get(self, limit, cursor):
        """List users, by name."""
        return keyset_page(select(User), USER_ORDER, limit=limit, cursor=cursor, list_name="users")

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
