"""The outbox: delivery events written in the same transaction as what they report."""
