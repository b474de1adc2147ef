"""``flask --app wsgi cms …`` commands. Each command is one unit of work."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from cms.articles.search.index import reindex
from cms.auth.operations import create_user
from cms.core.errors import Problem
from cms.core.extensions import db
from cms.core.sqlite import writing
from cms.delivery.operations import (
    create_partner,
    find_key,
    find_partner,
    issue_key,
    partners_query,
    revoke_key,
    rotate_webhook_secret,
    update_partner,
)
from cms.demo import DEMO_PARTNER, DEMO_USERS, load_demo
from cms.ingest.operations import IngestLimits, ingest_copy, not_applied_part, wire_desk_user
from cms.jobs import run_logged_pass, work


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

    try:
        user = create_user(email=email, name=name, role=role, password=password)
    except Problem as problem:
        _fail(problem)
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}> with role {user.role.value}")


@cms_cli.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def ingest_command(files: tuple[str, ...]) -> None:
    """Turn wire copy FILES into draft articles (one unit of work per file).

    Exits with status 1 if any file could not be ingested; the others are kept.
    """
    limits = IngestLimits.from_config(current_app.config)
    failed = False
    for name in files:
        path = Path(name)
        try:
            result = ingest_copy(path.read_bytes(), wire_desk_user(), limits)
        except Problem as problem:
            db.session.rollback()
            click.echo(f"{path.name}: error: {problem.description}", err=True)
            failed = True
            continue
        db.session.commit()
        article = result.article
        if result.duplicate:
            outcome = f"already ingested as article {article.id}"
        elif result.follows is not None:
            outcome = f"created article {article.id}, following killed story {result.follows}"
        elif result.article_created:
            outcome = f"created article {article.id} (revision {article.head_number})"
        else:
            outcome = f"new take: article {article.id} now at revision {article.head_number}"
        click.echo(f"{path.name}: {outcome}")
        for warning in result.warnings:
            click.echo(f"{path.name}: warning: {warning}")
        for item in result.not_applied:
            click.echo(
                f"{path.name}: not applied (the desk had edited it): {not_applied_part(item)}"
            )
    if failed:
        sys.exit(1)


@cms_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo newsroom (users and stories) unless it is already there."""

    partner_key = load_demo()
    db.session.commit()
    click.echo("demo newsroom loaded" if partner_key else "demo newsroom already present")
    click.echo("log in with (demo only; never use these passwords anywhere real):")
    for user in DEMO_USERS:
        click.echo(f"  {user['role']:<8} {user['email']:<28} {user['password']}")
    if partner_key:
        click.echo(f"partner {DEMO_PARTNER!r} API key (shown once): {partner_key}")
        click.echo(
            "  curl -H 'Authorization: Bearer <key>' http://127.0.0.1:5000/content/v1/articles"
        )
    else:
        click.echo(
            f"partner {DEMO_PARTNER!r}: its key was shown at first load; "
            "flask --app wsgi cms rotate-partner-key issues a new one"
        )


def _sections(value: str | None) -> list[str] | None:
    return None if value is None else [s for s in value.split(",") if s.strip()]


@cms_cli.command("create-partner")
@click.option("--name", required=True)
@click.option(
    "--sections", default=None, help="Comma-separated sections it receives (default: all)."
)
@click.option("--embargo-access", is_flag=True, help="Let it see embargoed versions.")
@click.option("--webhook-url", default=None, help="Where to POST signed webhooks.")
def create_partner_command(
    name: str, sections: str | None, embargo_access: bool, webhook_url: str | None
) -> None:
    """Create a syndication partner; prints its API key and webhook secret, once."""

    try:
        partner, key = create_partner(
            name=name,
            sections=_sections(sections),
            embargo_access=embargo_access,
            webhook_url=webhook_url,
        )
    except Problem as problem:
        _fail(problem)
    db.session.commit()
    click.echo(f"created partner {partner.id} ({partner.name})")
    click.echo(f"API key (shown once; send as 'Authorization: Bearer <key>'): {key}")
    click.echo(f"webhook signing secret (shown once): {partner.webhook_secret}")


@cms_cli.command("list-partners")
def list_partners_command() -> None:
    """List partners with their live keys (prefixes only) and webhooks."""

    for partner in db.session.scalars(partners_query()):
        keys = ", ".join(k.prefix for k in partner.keys if k.revoked_at is None) or "no live key"
        sections = ",".join(partner.sections) if partner.sections is not None else "all sections"
        state = "active" if partner.active else "inactive"
        click.echo(
            f"{partner.id}\t{partner.name}\t{state}\t{sections}\t"
            f"embargo={'yes' if partner.embargo_access else 'no'}\t"
            f"webhook={partner.webhook_url or '-'}\tkeys: {keys}"
        )


@cms_cli.command("rotate-partner-key")
@click.argument("partner")
@click.option("--revoke-others", is_flag=True, help="Revoke the partner's older keys now.")
def rotate_partner_key_command(partner: str, revoke_others: bool) -> None:
    """Issue a new API key for PARTNER (name or id); older keys stay valid unless revoked."""

    try:
        key, record = issue_key(find_partner(partner), revoke_others=revoke_others)
    except Problem as problem:
        _fail(problem)
    db.session.commit()
    click.echo(f"new key {record.id} ({record.prefix}…), shown once: {key}")


@cms_cli.command("revoke-partner-key")
@click.argument("partner")
@click.argument("key")
def revoke_partner_key_command(partner: str, key: str) -> None:
    """Revoke KEY (its id or prefix) of PARTNER (name or id)."""

    try:
        found = find_partner(partner)
        record = revoke_key(found, find_key(found, key).id)
    except Problem as problem:
        _fail(problem)
    db.session.commit()
    click.echo(f"revoked key {record.id} ({record.prefix}…) of partner {found.id}")


@cms_cli.command("rotate-webhook-secret")
@click.argument("partner")
@click.option(
    "--overlap-hours",
    type=click.FloatRange(min=0, max=24 * 30),
    default=None,
    help="How long the old secret signs too (default CMS_WEBHOOK_SECRET_OVERLAP_HOURS).",
)
def rotate_webhook_secret_command(partner: str, overlap_hours: float | None) -> None:
    """Replace PARTNER's webhook signing secret; prints the new one, once."""

    try:
        found = find_partner(partner)
        secret = rotate_webhook_secret(found, overlap_hours=overlap_hours)
    except Problem as problem:
        _fail(problem)
    db.session.commit()
    click.echo(f"new webhook signing secret (shown once): {secret}")
    until = found.webhook_previous_secret_until
    if until is not None:
        click.echo(f"the old secret signs too until {until.isoformat()}")


@cms_cli.command("set-partner-rate-limit")
@click.argument("partner")
@click.argument("limit")
def set_partner_rate_limit_command(partner: str, limit: str) -> None:
    """Give PARTNER its own rate limit on the content API (LIMIT like 1200/minute), or
    'default' for CMS_PARTNER_RATE_LIMIT."""

    try:
        found = update_partner(
            find_partner(partner), rate_limit=None if limit == "default" else limit
        )
    except Problem as problem:
        _fail(problem)
    db.session.commit()
    shown = found.rate_limit or f"the default ({current_app.config['CMS_PARTNER_RATE_LIMIT']})"
    click.echo(f"partner {found.id} ({found.name}): rate limit {shown}")


@cms_cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index: every story's head and every public version. One commit."""
    heads, versions = reindex()
    db.session.commit()
    click.echo(f"indexed {heads} stories and {versions} public versions")


@cms_cli.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds to wait between passes.",
)
def worker_command(once: bool, interval: float) -> None:
    """Run due jobs: scheduled publications, embargo releases, webhook fan-out and sends.

    One commit per job (a webhook: its claim, then its outcome). Webhooks are
    sent by ``CMS_WORKER_SENDERS`` threads of their own, so publications never
    wait behind them. Safe to run several on PostgreSQL; on SQLite one is
    enough. SIGTERM lets the jobs in hand finish, then stops. ``--once`` runs
    one pass of everything in order (publish, release, fan out, send); its exit
    status is 1 if the pass failed.
    """
    log = logging.getLogger("cms.worker")
    # Only appended to: a signal handler must not take a lock the thread it interrupts holds.
    stopping: list[int] = []
    previous_handler = None
    if threading.current_thread() is threading.main_thread():
        previous_handler = signal.signal(
            signal.SIGTERM, lambda signum, _frame: stopping.append(signum)
        )
    log.info("worker started (%s)", "once" if once else f"every {interval:g}s")
    failed = False
    try:
        if once:
            failed = not run_logged_pass(stopping=lambda: bool(stopping))
        else:
            # The app itself, not the current_app proxy: the worker's threads push its context.
            work(
                click.get_current_context().ensure_object(ScriptInfo).load_app(),
                interval=interval,
                senders=current_app.config["CMS_WORKER_SENDERS"],
                stopping=lambda: bool(stopping),
            )
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
    log.info("worker stopped")
    if once and failed:
        sys.exit(1)
