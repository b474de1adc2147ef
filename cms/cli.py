"""``flask --app wsgi cms …`` commands. Each command is one unit of work."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from cms.core.errors import Problem
from cms.core.sqlite import writing
from cms.extensions import db


@click.group("cms", cls=AppGroup)
def cms_cli() -> None:
    """Newsroom CMS administration."""
    # SQLite: every transaction of a command takes the write lock at BEGIN.
    click.get_current_context().with_resource(writing())


def _fail(problem: Problem) -> None:
    db.session.rollback()
    click.echo(f"error: {problem.description}", err=True)
    sys.exit(1)


@cms_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, help="reporter, editor or admin")
@click.option("--password", required=True)
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create a newsroom user."""
    from cms.auth.operations import create_user

    try:
        user = create_user(email=email, name=name, role=role, password=password)
    except Problem as problem:
        _fail(problem)
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}> with role {user.role.value}")


@cms_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo newsroom (users and stories) unless it is already there."""
    from cms.demo import DEMO_USERS, load_demo

    created = load_demo()
    db.session.commit()
    click.echo("demo newsroom loaded" if created else "demo newsroom already present")
    click.echo("log in with (demo only; never use these passwords anywhere real):")
    for user in DEMO_USERS:
        click.echo(f"  {user['role']:<8} {user['email']:<28} {user['password']}")
