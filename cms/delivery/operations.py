"""Administering syndication: partners, their API keys and webhook secrets, the delivery log.

Each verb flushes; the request or the CLI command commits.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from limits import parse_many
from sqlalchemy import (
    Select,
    select,
    update,
)
from sqlalchemy.orm import selectinload

from cms.core.database import changed_rows
from cms.core.errors import Conflict, NotFound, ValidationFailed
from cms.core.extensions import db
from cms.core.pagination import SortKey
from cms.core.text import visible_or_none
from cms.core.types import utcnow
from cms.delivery import signing, webhooks
from cms.delivery.access import forget_keys, key_digest
from cms.delivery.models import (
    Delivery,
    DeliveryState,
    Partner,
    PartnerKey,
    PartnerUsage,
    WebhookHeaders,
)
from cms.outbox.models import DeliveryEvent

KEY_PREFIX = "nrk_"
#: Characters of a key kept in the clear to tell keys apart (``nrk_`` + 8).
KEY_PREFIX_LENGTH = 12
log = logging.getLogger(__name__)


def normalise_sections(sections: list[str] | None) -> list[str] | None:
    """Return ``sections`` stripped and without duplicates; ``None`` (every section) stays."""
    if sections is None:
        return None
    return list(dict.fromkeys(s.strip() for s in sections if s.strip()))


def _checked_webhook_url(url: str | None) -> str | None:
    """Return ``url`` stripped, or ``None`` for none.

    Raises :class:`ValidationFailed` for a URL webhooks may not go to.
    """
    if url is None or not url.strip():
        return None
    url = url.strip()
    try:
        webhooks.check_encodable(url)
        webhooks.check_url(url, allow_private=current_app.config["CMS_WEBHOOK_ALLOW_PRIVATE"])
    except webhooks.RefusedUrlError as refused:
        raise ValidationFailed(
            f"Webhook URL refused: {refused}", errors={"json": {"webhook_url": [str(refused)]}}
        ) from None
    return url


def _ensure_name_free(name: str, partner_id: int | None) -> None:
    statement = select(Partner.id).where(Partner.name == name)
    if partner_id is not None:
        statement = statement.where(Partner.id != partner_id)
    if db.session.scalar(statement.limit(1)) is not None:
        raise Conflict(f"A partner named {name!r} already exists.")


def create_partner(
    *,
    name: str,
    sections: list[str] | None = None,
    embargo_access: bool = False,
    webhook_url: str | None = None,
    copyright_holder: str | None = None,
    usage_terms: str | None = None,
    webhook_headers: WebhookHeaders = WebhookHeaders.STANDARD,
    rate_limit: str | None = None,
) -> tuple[Partner, str]:
    """Create a partner with its first API key; return it and the key (shown once).

    The partner's webhook secret is generated too (``partner.webhook_secret``).
    Raises :class:`Conflict` for a taken name and :class:`ValidationFailed`
    for a webhook URL that is not allowed or a rate limit not in flask-limiter's notation.
    """
    name = name.strip()
    _ensure_name_free(name, None)
    now = utcnow()
    partner = Partner(
        name=name,
        sections=normalise_sections(sections),
        embargo_access=embargo_access,
        webhook_url=_checked_webhook_url(webhook_url),
        webhook_secret=signing.new_secret(),
        webhook_headers=webhook_headers,
        rate_limit=checked_rate_limit(rate_limit),
        copyright_holder=visible_or_none(copyright_holder),
        usage_terms=visible_or_none(usage_terms),
        active=True,
        created_at=now,
        updated_at=now,
    )
    db.session.add(partner)
    db.session.flush()
    key, _record = issue_key(partner)
    log.info("created partner %s (%s)", partner.id, name)
    return partner, key


def get_partner(partner_id: int) -> Partner:
    """Return the partner with ``partner_id``.

    Raises :class:`NotFound` if there is none.
    """
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"There is no partner {partner_id}.")
    return partner


def find_partner(name_or_id: str) -> Partner:
    """Return the partner named ``name_or_id``, or with that id.

    Raises :class:`NotFound` if there is none.
    """
    partner = db.session.scalar(select(Partner).where(Partner.name == name_or_id.strip()))
    if partner is None and name_or_id.strip().isdigit():
        partner = db.session.get(Partner, int(name_or_id))
    if partner is None:
        raise NotFound(f"There is no partner {name_or_id!r}.")
    return partner


def partners_query() -> Select:
    """Return a ``select()`` of partners, by name."""
    return select(Partner).order_by(Partner.name, Partner.id)


#: The keyset order of the partner list: by name (unique), the id for form's sake.
PARTNER_ORDER = (SortKey(Partner.name, descending=False), SortKey(Partner.id, descending=False))
#: The keyset order of a delivery log: newest first (index ``ix_deliveries_partner_id_id``).
DELIVERY_ORDER = (SortKey(Delivery.id),)


def checked_rate_limit(limit: str | None) -> str | None:
    """Return ``limit`` stripped, or ``None`` (the default limit) for none.

    Raises :class:`ValidationFailed` unless it is in flask-limiter's notation
    (``1200/minute``, ``20 per second; 10000 per day``).
    """
    if limit is None or not limit.strip():
        return None
    limit = limit.strip()
    try:
        parse_many(limit)
    except ValueError:
        message = f"{limit!r} is not a rate limit like '1200/minute' or '20 per second'."
        raise ValidationFailed(message, errors={"json": {"rate_limit": [message]}}) from None
    return limit


#: What :func:`update_partner` may change.
PARTNER_CHANGES = frozenset(
    {
        "name",
        "sections",
        "embargo_access",
        "webhook_url",
        "webhook_paused",
        "webhook_headers",
        "rate_limit",
        "active",
        "copyright_holder",
        "usage_terms",
    }
)


def update_partner(partner: Partner, **changes: Any) -> Partner:
    """Change a partner's ``PARTNER_CHANGES`` fields present in ``changes``.

    ``sections: None`` means every section and ``webhook_url: None`` removes
    the webhook, ``rate_limit: None`` goes back to ``CMS_PARTNER_RATE_LIMIT``,
    ``copyright_holder`` or ``usage_terms`` ``None`` (or blank) fall back to the
    newsroom's. A new webhook URL, or ``webhook_paused: False``, resumes a paused
    webhook. Raises :class:`Conflict` for a taken name and :class:`ValidationFailed`
    for a webhook URL that is not allowed or a malformed rate limit.
    """
    unknown = set(changes) - PARTNER_CHANGES
    if unknown:
        raise TypeError(f"cannot change {', '.join(sorted(unknown))}")
    now = utcnow()
    if changes.get("name") is not None:
        name = changes["name"].strip()
        _ensure_name_free(name, partner.id)
        partner.name = name
    if "sections" in changes:
        partner.sections = normalise_sections(changes["sections"])
    if changes.get("embargo_access") is not None:
        partner.embargo_access = changes["embargo_access"]
    if "copyright_holder" in changes:
        partner.copyright_holder = visible_or_none(changes["copyright_holder"])
    if "usage_terms" in changes:
        partner.usage_terms = visible_or_none(changes["usage_terms"])
    paused = changes.get("webhook_paused")
    if "webhook_url" in changes:
        partner.webhook_url = _checked_webhook_url(changes["webhook_url"])
        paused = False if paused is None else paused
    if paused is False:
        partner.webhook_paused_at = None
        partner.webhook_paused_reason = None
    elif paused is True and partner.webhook_paused_at is None:
        partner.webhook_paused_at = now
        partner.webhook_paused_reason = "paused by an admin"
    if changes.get("webhook_headers") is not None:
        partner.webhook_headers = changes["webhook_headers"]
    if "rate_limit" in changes:
        partner.rate_limit = checked_rate_limit(changes["rate_limit"])
    if changes.get("active") is not None:
        partner.active = changes["active"]
    partner.updated_at = now
    db.session.flush()
    # What a key may see has changed: this process forgets at once, other
    # processes within CMS_PARTNER_KEY_CACHE_SECONDS.
    forget_keys()
    return partner


def issue_key(partner: Partner, *, revoke_others: bool = False) -> tuple[str, PartnerKey]:
    """Give ``partner`` a new API key; return it (shown once) and its record.

    Older keys stay valid unless ``revoke_others``, so a partner can switch
    over before the old key is revoked.
    """
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    if revoke_others:
        for other in partner.keys:
            if other.revoked_at is None:
                other.revoked_at = now
        forget_keys()
    record = PartnerKey(
        partner=partner, prefix=key[:KEY_PREFIX_LENGTH], key_hash=key_digest(key), created_at=now
    )
    db.session.add(record)
    db.session.flush()
    return key, record


def revoke_key(partner: Partner, key_id: int) -> PartnerKey:
    """Revoke one of ``partner``'s keys (again is harmless) and return it.

    Raises :class:`NotFound` if the partner has no such key.
    """
    record = db.session.scalar(
        select(PartnerKey).where(PartnerKey.id == key_id, PartnerKey.partner_id == partner.id)
    )
    if record is None:
        raise NotFound(f"Partner {partner.id} has no key {key_id}.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        db.session.flush()
    forget_keys()
    return record


def find_key(partner: Partner, id_or_prefix: str) -> PartnerKey:
    """Return the partner's key with that id or prefix.

    Raises :class:`NotFound` if there is none.
    """
    for record in partner.keys:
        if id_or_prefix in (str(record.id), record.prefix):
            return record
    raise NotFound(f"Partner {partner.id} has no key {id_or_prefix!r}.")


def rotate_webhook_secret(partner: Partner, *, overlap_hours: float | None = None) -> str:
    """Replace the partner's webhook secret and return the new one (shown once).

    Deliveries from now on are signed with the new secret and, for
    ``overlap_hours`` (default ``CMS_WEBHOOK_SECRET_OVERLAP_HOURS``; ``0``: not
    at all), with the old one too, so that the partner can switch its receiver
    over without refusing a webhook. A secret still overlapping from an earlier
    rotation stops signing now.
    """
    if overlap_hours is None:
        overlap_hours = current_app.config["CMS_WEBHOOK_SECRET_OVERLAP_HOURS"]
    now = utcnow()
    if overlap_hours > 0:
        partner.webhook_previous_secret = partner.webhook_secret
        partner.webhook_previous_secret_until = now + timedelta(hours=overlap_hours)
    else:
        partner.webhook_previous_secret = None
        partner.webhook_previous_secret_until = None
    partner.webhook_secret = signing.new_secret()
    partner.updated_at = now
    db.session.flush()
    log.info("partner %s webhook secret rotated (overlap %sh)", partner.id, overlap_hours)
    return partner.webhook_secret


def signing_secrets(partner: Partner, now: datetime) -> list[str]:
    """Return the secrets that sign the partner's webhooks at ``now``: the current one
    first, then the previous one while its overlap lasts."""
    previous = partner.webhook_previous_secret
    until = partner.webhook_previous_secret_until
    if previous is not None and until is not None and now < until:
        return [partner.webhook_secret, previous]
    return [partner.webhook_secret]


def deliveries_query(partner: Partner, state: DeliveryState | None = None) -> Select:
    """Return a ``select()`` of the partner's deliveries, newest first."""
    statement = (
        select(Delivery).where(Delivery.partner_id == partner.id).order_by(Delivery.id.desc())
    )
    if state is not None:
        statement = statement.where(Delivery.state == state)
    return statement


def get_delivery(partner: Partner, delivery_id: int) -> Delivery:
    """Return one of the partner's deliveries with its attempts.

    Raises :class:`NotFound` if the partner has no such delivery.
    """
    delivery = db.session.scalar(
        select(Delivery)
        .where(Delivery.id == delivery_id, Delivery.partner_id == partner.id)
        .options(selectinload(Delivery.attempt_log))
        .execution_options(populate_existing=True)
    )
    if delivery is None:
        raise NotFound(f"Partner {partner.id} has no delivery {delivery_id}.")
    return delivery


def redeliver(partner: Partner, delivery_id: int) -> Delivery:
    """Queue a delivery again now, with a fresh allowance of attempts.

    The receiver gets the same event id (and a higher attempt number). Raises
    :class:`NotFound` for an unknown delivery and :class:`Conflict` while an
    attempt is in flight.
    """
    delivery = get_delivery(partner, delivery_id)
    if delivery.state == DeliveryState.DELIVERING:
        raise Conflict("An attempt is in flight; wait for its outcome.")
    queued = changed_rows(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.state == delivery.state)
        .values(
            state=DeliveryState.PENDING,
            next_attempt_at=utcnow(),
            attempts_base=Delivery.attempts,
            requeued_at=utcnow(),
        )
    )
    if queued != 1:
        raise Conflict("The delivery changed meanwhile; try again.")
    log.info("delivery %s to partner %s queued again", delivery.id, partner.id)
    return get_delivery(partner, delivery_id)


#: The longest period a usage report covers, in days.
USAGE_DAYS_MAX = 366


def usage_report(partner: Partner, first: str, last: str) -> dict[str, Any]:
    """Return the partner's usage from day ``first`` to ``last`` (``YYYY-MM-DD``, UTC).

    One item per day and story with what it fetched (by channel, from
    ``partner_usage``) and the webhooks of that story delivered that day (from
    the delivery log). Raises :class:`ValidationFailed` for a period that ends
    before it starts or is longer than ``USAGE_DAYS_MAX`` days.
    """
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    if end < start or (end - start).days >= USAGE_DAYS_MAX:
        message = f"The period must run forward and cover at most {USAGE_DAYS_MAX} days."
        raise ValidationFailed(message, errors={"query": {"to": [message]}})
    items: dict[tuple[date, int], dict[str, Any]] = {}

    def item(day: date, article_id: int) -> dict[str, Any]:
        key = (day, article_id)
        if key not in items:
            items[key] = {
                "day": day.isoformat(),
                "article_id": article_id,
                "fetches": {},
                "webhooks": [],
            }
        return items[key]

    fetched = db.session.execute(
        select(
            PartnerUsage.day, PartnerUsage.article_id, PartnerUsage.channel, PartnerUsage.fetches
        )
        .where(
            PartnerUsage.partner_id == partner.id,
            PartnerUsage.day >= start,
            PartnerUsage.day <= end,
        )
        .order_by(PartnerUsage.day, PartnerUsage.article_id, PartnerUsage.channel)
    )
    for row in fetched:
        item(row.day, row.article_id)["fetches"][row.channel.value] = row.fetches
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    delivered = db.session.execute(
        select(
            Delivery.delivered_at,
            DeliveryEvent.id,
            DeliveryEvent.kind,
            DeliveryEvent.article_id,
            DeliveryEvent.version_number,
        )
        .join(DeliveryEvent, DeliveryEvent.id == Delivery.event_id)
        .where(
            Delivery.partner_id == partner.id,
            Delivery.state == DeliveryState.DELIVERED,
            Delivery.delivered_at >= since,
            Delivery.delivered_at < until,
        )
        .order_by(Delivery.delivered_at, Delivery.id)
    )
    for hook in delivered:
        item(hook.delivered_at.astimezone(UTC).date(), hook.article_id)["webhooks"].append(
            {
                "event_id": hook.id,
                "kind": hook.kind,
                "version": hook.version_number,
                "delivered_at": hook.delivered_at,
            }
        )
    return {
        "partner_id": partner.id,
        "from_": start.isoformat(),
        "to": end.isoformat(),
        "items": [items[key] for key in sorted(items)],
    }
