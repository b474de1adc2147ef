"""Ingest: turning raw wire copy into structured drafts."""
