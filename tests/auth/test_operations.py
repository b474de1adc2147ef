"""Users, passwords and tokens, below the HTTP layer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cms.auth import operations
from cms.auth.models import Role
from cms.core.errors import Conflict, Unauthorized, ValidationFailed
from cms.core.extensions import db
from tests import factories


def test_create_user_hashes_the_password_with_argon2(session):
    user = operations.create_user(
        email=" Jane@Example.TEST ", name="Jane Roe", role="editor", password="long enough pw"
    )

    assert user.email == "jane@example.test"
    assert user.role is Role.EDITOR
    assert user.password_hash.startswith("$argon2id$")
    assert "long enough pw" not in user.password_hash


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"role": "intern"}, ValidationFailed),
        ({"password": "short"}, ValidationFailed),
        ({"password": "x" * 11}, ValidationFailed),
        ({"password": " " * 12}, ValidationFailed),
        ({"password": "\t\n\u3000" * 5}, ValidationFailed),
        ({"email": "taken@example.test"}, Conflict),
    ],
)
def test_create_user_refuses_bad_input(session, values, error):
    factories.user(email="taken@example.test")
    fields = {"email": "new@example.test", "name": "N", "role": "reporter", "password": "x" * 12}

    with pytest.raises(error):
        operations.create_user(**{**fields, **values})


def test_token_is_stored_only_as_a_hash(session, reporter):
    token, record = operations.issue_token(reporter.email, factories.PASSWORD)

    assert token not in record.token_hash
    assert len(record.token_hash) == 64
    assert operations.credentials_for(token).user_id == reporter.id


@pytest.mark.parametrize("load_user", [False, True])
def test_credentials_name_the_token_its_user_and_role(session, reporter, load_user):
    token, record = operations.issue_token(reporter.email, factories.PASSWORD)

    credentials = operations.credentials_for(token, load_user=load_user)

    assert (credentials.token_id, credentials.user_id) == (record.id, reporter.id)
    assert credentials.role is Role.REPORTER
    assert credentials.user is (reporter if load_user else None)


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@example.test", factories.PASSWORD), (None, "wrong password")],
)
def test_wrong_credentials_are_refused_alike(session, reporter, email, password):
    with pytest.raises(Unauthorized) as refused:
        operations.issue_token(email or reporter.email, password)

    assert refused.value.description == "Wrong e-mail or password."


@pytest.mark.parametrize("load_user", [False, True])
def test_inactive_user_cannot_log_in_or_use_a_token(session, reporter, load_user):
    token, _ = operations.issue_token(reporter.email, factories.PASSWORD)
    operations.update_user(reporter, is_active=False)

    with pytest.raises(Unauthorized):
        operations.issue_token(reporter.email, factories.PASSWORD)
    with pytest.raises(Unauthorized):
        operations.credentials_for(token, load_user=load_user)


@pytest.mark.parametrize("load_user", [False, True])
def test_expired_and_revoked_tokens_are_refused(session, reporter, load_user):
    expired, record = operations.issue_token(reporter.email, factories.PASSWORD)
    record.expires_at -= timedelta(days=1)
    revoked, other = operations.issue_token(reporter.email, factories.PASSWORD)
    operations.revoke_token(other)
    db.session.flush()

    with pytest.raises(Unauthorized, match="expired"):
        operations.credentials_for(expired, load_user=load_user)
    with pytest.raises(Unauthorized, match="revoked"):
        operations.credentials_for(revoked, load_user=load_user)
    with pytest.raises(Unauthorized, match="unknown"):
        operations.credentials_for("not-a-token", load_user=load_user)


def test_the_dummy_hash_is_made_on_first_use_once_per_app(app):
    state = app.extensions["cms.auth"]
    fresh = operations.AuthState()

    assert "dummy_hash" not in vars(fresh)
    assert fresh.dummy_hash.startswith("$argon2id$")
    assert fresh.dummy_hash is fresh.dummy_hash
    assert isinstance(state, operations.AuthState)
