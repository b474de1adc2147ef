"""``flask cms create-user``."""

from __future__ import annotations

from sqlalchemy import select

from cms.auth.models import Role, User
from cms.cli import cms_cli
from cms.core.extensions import db
from tests import factories


def _create_user(app, **options):
    args = ["create-user"]
    for name, value in {"email": "cli@example.test", "name": "Cli User", "role": "editor",
                        "password": "cli-password", **options}.items():  # fmt: skip
        args += [f"--{name}", value]
    return app.test_cli_runner().invoke(cms_cli, args)


def test_create_user_command(app, session):
    result = _create_user(app)

    assert result.exit_code == 0, result.output
    assert "created user" in result.output
    user = db.session.scalar(select(User).where(User.email == "cli@example.test"))
    assert user.role is Role.EDITOR


def test_unknown_role_exits_1_with_a_clear_error(app, session):
    result = _create_user(app, role="boss")

    assert result.exit_code == 1
    assert "Unknown role 'boss'" in result.output
    assert db.session.scalar(select(User).where(User.email == "cli@example.test")) is None


def test_duplicate_email_exits_1(app, session):
    factories.user(email="cli@example.test")
    result = _create_user(app)

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_a_short_password_exits_1_with_the_rule(app, session):
    result = _create_user(app, password="eleven char")

    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    assert db.session.scalar(select(User).where(User.email == "cli@example.test")) is None
