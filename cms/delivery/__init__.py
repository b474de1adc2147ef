"""Syndication: the outbox, partners and their keys, the content API, feeds and webhooks."""
