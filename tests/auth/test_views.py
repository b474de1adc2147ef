"""Logging in and out, and the admin's user management, over HTTP."""

from __future__ import annotations

import pytest

from cms.core.extensions import db
from cms.core.pagination import encode_cursor
from tests import factories
from tests.paging import walk


def test_login_returns_a_bearer_token_that_authenticates(client, reporter):
    response = client.post(
        "/api/v1/auth/tokens", json={"email": reporter.email, "password": factories.PASSWORD}
    )

    assert response.status_code == 201
    assert response.json["expires_at"].endswith("+00:00")
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {response.json['token']}"}
    )
    assert me.status_code == 200
    assert me.json["email"] == reporter.email
    assert "password_hash" not in me.json


def test_wrong_password_is_401(client, reporter):
    response = client.post(
        "/api/v1/auth/tokens", json={"email": reporter.email, "password": "not it at all"}
    )

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "bearer  "]
)
def test_missing_or_bad_token_is_401_with_challenge(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/articles", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["type"].endswith(":unauthenticated")


def test_logout_revokes_the_current_token(client, reporter):
    headers = factories.auth(reporter)

    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_only_admins_manage_users(client, reporter, editor):
    for user in (reporter, editor):
        response = client.get("/api/v1/users", headers=factories.auth(user))
        assert response.status_code == 403
        assert response.json["type"].endswith(":forbidden")


def test_admin_creates_lists_and_deactivates_users(client, admin):
    headers = factories.auth(admin)
    created = client.post(
        "/api/v1/users",
        json={
            "email": "new@example.test",
            "name": "New Hire",
            "role": "reporter",
            "password": "p" * 12,
        },
        headers=headers,
    )
    assert created.status_code == 201
    assert created.json["role"] == "reporter"

    duplicate = client.post(
        "/api/v1/users",
        json={
            "email": "new@example.test",
            "name": "Again",
            "role": "reporter",
            "password": "p" * 12,
        },
        headers=headers,
    )
    assert duplicate.status_code == 409

    listing = client.get("/api/v1/users", headers=headers).json
    assert "new@example.test" in [user["email"] for user in listing["items"]]

    user_id = created.json["id"]
    changed = client.patch(
        f"/api/v1/users/{user_id}", json={"is_active": False, "role": "editor"}, headers=headers
    )
    assert changed.json["is_active"] is False
    assert changed.json["role"] == "editor"
    refused = client.post(
        "/api/v1/auth/tokens", json={"email": "new@example.test", "password": "p" * 12}
    )
    assert refused.status_code == 401


def test_user_role_must_be_known(client, admin):
    response = client.post(
        "/api/v1/users",
        json={"email": "x@example.test", "name": "X", "role": "intern", "password": "p" * 12},
        headers=factories.auth(admin),
    )

    assert response.status_code == 422
    assert "role" in response.json["errors"]["json"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("p" * 11, "Use at least 12 characters."),
        (" " * 12, "Use some characters besides spaces."),
        ("\t \u00a0\u2003" * 4, "Use some characters besides spaces."),
    ],
)
def test_a_short_or_blank_password_is_422_and_creates_nobody(client, admin, password, message):
    headers = factories.auth(admin)
    response = client.post(
        "/api/v1/users",
        json={"email": "weak@example.test", "name": "W", "role": "reporter", "password": password},
        headers=headers,
    )

    assert response.status_code == 422
    assert response.json["errors"]["json"]["password"] == [message]
    listing = client.get("/api/v1/users", headers=headers).json
    assert "weak@example.test" not in [user["email"] for user in listing["items"]]


@pytest.mark.parametrize("change", [{"role": "editor"}, {"is_active": False}])
def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(client, admin, change):
    headers = factories.auth(admin)
    inactive_admin = factories.user(role="admin")
    inactive_admin.is_active = False
    db.session.commit()

    refused = client.patch(f"/api/v1/users/{admin.id}", json=change, headers=headers)

    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    assert "last active admin" in refused.json["detail"]
    me = client.get("/api/v1/auth/me", headers=headers).json
    assert (me["role"], me["is_active"]) == ("admin", True)


@pytest.mark.parametrize("change", [{"role": "editor"}, {"is_active": False}])
def test_an_admin_may_step_down_while_another_stays(client, admin, change):
    factories.user(role="admin")

    changed = client.patch(f"/api/v1/users/{admin.id}", json=change, headers=factories.auth(admin))

    assert changed.status_code == 200
    assert changed.json.items() >= change.items()


def test_users_page_by_name_each_once_while_users_are_added(client, admin):
    for name in ("Mia", "Bo", "Lu", "Bo", "Zed"):
        factories.user(name=name)
    names = iter(["Aaron", "Nina", "Ziggy", "Bo"])  # before, between and after the cursor
    everyone = client.get("/api/v1/users", headers=factories.auth(admin)).json["items"]
    expected = [user["id"] for user in everyone]

    listed = walk(
        client,
        "/api/v1/users",
        factories.auth(admin),
        limit=2,
        between=lambda: factories.user(name=next(names, "Zz")),
    )

    assert len(listed) == len(set(listed))
    assert [i for i in listed if i in expected] == expected
    assert [u["name"] for u in everyone][:3] == ["Ada Admin", "Bo", "Bo"]


@pytest.mark.parametrize(
    "values", [["\x00", 1], ["\ud800", 1], [1, 1], ["Ada", "1"], ["Ada", 2**31]], ids=repr
)
def test_a_forged_user_cursor_is_422_never_a_database_error(client, admin, values):
    cursor = encode_cursor("users", values)

    response = client.get(f"/api/v1/users?cursor={cursor}", headers=factories.auth(admin))

    assert response.status_code == 422
    assert response.json["errors"]["query"]["cursor"] == ["Not a cursor this list gave out."]
