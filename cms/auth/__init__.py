"""Users, roles, passwords and bearer tokens."""
