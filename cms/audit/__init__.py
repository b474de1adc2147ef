"""The audit log: an append-only history of every story, written by every domain."""
