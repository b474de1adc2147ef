"""Syndication: the outbox of publication events that partners' feeds and webhooks read."""
