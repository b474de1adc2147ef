"""Admin endpoints for partners (``/api/v1/partners``): keys, webhooks, the delivery log.

On the editors' API, for admins. The partner-facing content API is in
:mod:`cms.delivery.content_views`.
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from cms.auth.guards import auth_required
from cms.auth.models import Role
from cms.core.api import Blueprint
from cms.core.http import require_json_body
from cms.core.pagination import CursorArgsSchema, cursor_page_schema, keyset_page
from cms.core.routing import ID
from cms.delivery import operations
from cms.delivery.schemas import (
    CreatedPartner,
    DeliveryDetailSchema,
    DeliveryFilterSchema,
    DeliverySchema,
    IssuedKey,
    IssuedKeySchema,
    KeyRequestSchema,
    PartnerCreatedSchema,
    PartnerCreateSchema,
    PartnerSchema,
    PartnerUpdateSchema,
    SecretRotationSchema,
    UsageArgsSchema,
    UsageSchema,
    WebhookSecretSchema,
)

blp = Blueprint(
    "partners",
    __name__,
    url_prefix="/api/v1/partners",
    description="Syndication partners, their API keys, webhooks and deliveries (admins).",
)
blp.before_request(require_json_body)

PartnerPageSchema = cursor_page_schema(PartnerSchema, "PartnerPage")
DeliveryPageSchema = cursor_page_schema(DeliverySchema, "DeliveryPage")


@blp.route("")
class Partners(MethodView):
    @auth_required(Role.ADMIN)
    @blp.arguments(CursorArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, PartnerPageSchema)
    def get(self, limit, cursor):
        """List partners, by name."""
        return keyset_page(
            operations.partners_query(),
            operations.PARTNER_ORDER,
            limit=limit,
            cursor=cursor,
            list_name="partners",
        )

    @auth_required(Role.ADMIN)
    @blp.arguments(PartnerCreateSchema)
    @blp.response(201, PartnerCreatedSchema)
    @blp.alt_response(409, description="A partner with that name exists.")
    def post(self, fields):
        """Create a partner; the answer shows its API key and webhook secret, once."""
        partner, key = operations.create_partner(**fields)
        location = url_for("partners.PartnerItem", partner_id=partner.id)
        return CreatedPartner(partner, key), 201, {"Location": location}


@blp.route(f"/<{ID}:partner_id>")
class PartnerItem(MethodView):
    @auth_required(Role.ADMIN)
    @blp.response(200, PartnerSchema)
    def get(self, partner_id):
        """One partner and its keys (their prefixes)."""
        return operations.get_partner(partner_id)

    @auth_required(Role.ADMIN)
    @blp.arguments(PartnerUpdateSchema, required=False)
    @blp.response(200, PartnerSchema)
    @blp.alt_response(409, description="Another partner has that name.")
    def patch(self, changes, partner_id):
        """Change sections, embargo access, the webhook URL, pause or deactivate."""
        return operations.update_partner(operations.get_partner(partner_id), **changes)


@blp.route(f"/<{ID}:partner_id>/keys")
class PartnerKeys(MethodView):
    @auth_required(Role.ADMIN)
    @blp.arguments(KeyRequestSchema, required=False)
    @blp.response(201, IssuedKeySchema)
    def post(self, options, partner_id):
        """Issue a new API key (rotation); older keys stay valid until revoked."""
        partner = operations.get_partner(partner_id)
        key, record = operations.issue_key(partner, **(options or {}))
        return IssuedKey(record, key)


@blp.route(f"/<{ID}:partner_id>/keys/<{ID}:key_id>")
class PartnerKeyItem(MethodView):
    @auth_required(Role.ADMIN)
    @blp.response(204)
    def delete(self, partner_id, key_id):
        """Revoke a key: it is refused from now on (other processes: within seconds)."""
        operations.revoke_key(operations.get_partner(partner_id), key_id)


@blp.route(f"/<{ID}:partner_id>/webhook-secret")
class WebhookSecret(MethodView):
    @auth_required(Role.ADMIN)
    @blp.arguments(SecretRotationSchema, required=False)
    @blp.response(200, WebhookSecretSchema)
    def post(self, options, partner_id):
        """Replace the webhook signing secret; the answer shows the new one, once.

        The old secret keeps signing beside it for `overlap_hours`.
        """
        partner = operations.get_partner(partner_id)
        secret = operations.rotate_webhook_secret(partner, **(options or {}))
        return {
            "webhook_secret": secret,
            "previous_secret_until": partner.webhook_previous_secret_until,
        }


@blp.route(f"/<{ID}:partner_id>/usage")
class Usage(MethodView):
    @auth_required(Role.ADMIN)
    @blp.arguments(UsageArgsSchema, location="query")
    @blp.response(200, UsageSchema)
    def get(self, period, partner_id):
        """Per day (UTC) and story: how often the partner fetched it, and its webhooks.

        Fetches reach the report within `CMS_USAGE_FLUSH_SECONDS`. At most 366 days.
        """
        partner = operations.get_partner(partner_id)
        return operations.usage_report(partner, period["from_"], period["to"])


@blp.route(f"/<{ID}:partner_id>/deliveries")
class Deliveries(MethodView):
    @auth_required(Role.ADMIN)
    @blp.arguments(DeliveryFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(CursorArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, DeliveryPageSchema)
    def get(self, partner_id, limit, cursor, state=None):
        """The partner's webhook deliveries, newest first; `?state=dead` for the failures."""
        partner = operations.get_partner(partner_id)
        return keyset_page(
            operations.deliveries_query(partner, state),
            operations.DELIVERY_ORDER,
            limit=limit,
            cursor=cursor,
            list_name="deliveries",
        )


@blp.route(f"/<{ID}:partner_id>/deliveries/<{ID}:delivery_id>")
class DeliveryItem(MethodView):
    @auth_required(Role.ADMIN)
    @blp.response(200, DeliveryDetailSchema)
    def get(self, partner_id, delivery_id):
        """One delivery with every attempt: when, how long, what the receiver answered."""
        return operations.get_delivery(operations.get_partner(partner_id), delivery_id)


@blp.route(f"/<{ID}:partner_id>/deliveries/<{ID}:delivery_id>/redeliver")
class Redeliver(MethodView):
    @auth_required(Role.ADMIN)
    @blp.alt_response(409, description="An attempt is in flight.")
    @blp.response(200, DeliveryDetailSchema)
    def post(self, partner_id, delivery_id):
        """Send the delivery again (same event id), with a fresh allowance of attempts."""
        return operations.redeliver(operations.get_partner(partner_id), delivery_id)
