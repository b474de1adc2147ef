"""Administering syndication: partners, their API keys and webhook secrets, the delivery log.

Each verb flushes; the request or the CLI command commits.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import current_app
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
from cms.delivery import webhooks
from cms.delivery.access import forget_keys, key_digest
from cms.delivery.models import Delivery, DeliveryState, Partner, PartnerKey

KEY_PREFIX = "nrk_"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret
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
) -> tuple[Partner, str]:
    """Create a partner with its first API key; return it and the key (shown once).

    The partner's webhook secret is generated too (``partner.webhook_secret``).
    Raises :class:`Conflict` for a taken name and :class:`ValidationFailed`
    for a webhook URL that is not allowed.
    """
    name = name.strip()
    _ensure_name_free(name, None)
    now = utcnow()
    partner = Partner(
        name=name,
        sections=normalise_sections(sections),
        embargo_access=embargo_access,
        webhook_url=_checked_webhook_url(webhook_url),
        webhook_secret=SECRET_PREFIX + secrets.token_urlsafe(32),
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


#: What :func:`update_partner` may change.
PARTNER_CHANGES = frozenset(
    {
        "name",
        "sections",
        "embargo_access",
        "webhook_url",
        "webhook_paused",
        "active",
        "copyright_holder",
        "usage_terms",
    }
)


def update_partner(partner: Partner, **changes: Any) -> Partner:
    """Change a partner's ``PARTNER_CHANGES`` fields present in ``changes``.

    ``sections: None`` means every section and ``webhook_url: None`` removes
    the webhook; ``copyright_holder`` or ``usage_terms`` ``None`` (or blank)
    falls back to the newsroom's. A new webhook URL, or ``webhook_paused: False``, resumes a
    paused webhook. Raises :class:`Conflict` for a taken name and
    :class:`ValidationFailed` for a webhook URL that is not allowed.
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


def rotate_webhook_secret(partner: Partner) -> str:
    """Replace the partner's webhook secret and return the new one (shown once).

    Deliveries from now on are signed with the new secret.
    """
    partner.webhook_secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    partner.updated_at = utcnow()
    db.session.flush()
    return partner.webhook_secret


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
        )
    )
    if queued != 1:
        raise Conflict("The delivery changed meanwhile; try again.")
    log.info("delivery %s to partner %s queued again", delivery.id, partner.id)
    return get_delivery(partner, delivery_id)
